package org.edgeopt.cli;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.ExitCode;

/**
 * Hands {@code edgeopt calibrate|validate|monitor --engine spark} over to the {@code edgeopt-spark} jar, which the
 * plain command line does not carry (Spark's jars would weigh hundreds of megabytes): through
 * {@code spark-submit} when Spark is installed ({@code SPARK_HOME} or the {@code PATH}), else a
 * local JVM on Spark's jars kept beside the jar in {@code spark-lib/} (what the build makes). When
 * neither is there the command fails with one line saying how to get it, never falls back to
 * one machine.
 */
final class SparkEngine {
  /** The spark-submit entry point in the jar. */
  static final String MAIN = "org.edgeopt.spark.SparkMain";

  /** The jar's file name. */
  static final String JAR = "edgeopt-spark.jar";

  /** Java 17 options Spark needs (those of Spark's own launcher, org.apache.spark.launcher.JavaModuleOptions). */
  private static final List<String> JVM_OPTIONS =
      List.of(
          "-XX:+IgnoreUnrecognizedVMOptions",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-opens=java.base/java.io=ALL-UNNAMED",
          "--add-opens=java.base/java.net=ALL-UNNAMED",
          "--add-opens=java.base/java.nio=ALL-UNNAMED",
          "--add-opens=java.base/java.util=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
          "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
          "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
          "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
          "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
          "-Djdk.reflect.useDirectMethodHandle=false",
          "-Dio.netty.tryReflectionSetAccessible=true");

  private SparkEngine() {}

  /**
   * Runs {@code stage} with the command line's own arguments (less {@code --engine}) on Spark and
   * returns the exit code of the Spark run, whose output goes to this process's.
   *
   * @throws EdgeoptException (invalid input) when the jar or Spark cannot be found
   */
  static int handOver(String stage, List<String> originalArgs, String master)
      throws EdgeoptException {
    Path jar = locateJar();
    List<String> app = new ArrayList<>();
    app.add(stage);
    // The original arguments are the whole command line's: the stage's own follow its name.
    for (int i = originalArgs.indexOf(stage) + 1; i < originalArgs.size(); i++) {
      String a = originalArgs.get(i);
      if (a.equals("--engine")) {
        i++;
      } else if (!a.startsWith("--engine=")) {
        app.add(a);
      }
    }
    List<String> command = new ArrayList<>();
    Optional<Path> submit = sparkSubmit();
    Path lib = jar.resolveSibling("spark-lib");
    if (submit.isPresent()) {
      command.add(submit.get().toString());
      command.add("--class");
      command.add(MAIN);
      if (master != null) {
        command.add("--master");
        command.add(master);
      }
      command.add(jar.toString());
    } else if (Files.isDirectory(lib)) {
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(JVM_OPTIONS);
      command.add("-cp");
      command.add(jar + File.pathSeparator + lib.resolve("*"));
      command.add(MAIN);
    } else {
      throw EdgeoptException.invalid(
          "--engine spark: found "
              + jar
              + " but no Spark to run it: expected SPARK_HOME or"
              + " spark-submit on the PATH (Apache Spark 4.x), or Spark's jars in "
              + lib
              + " (build them with: mvn -pl spark -am package -DskipTests)");
    }
    command.addAll(app);
    try {
      Process p = new ProcessBuilder(command).inheritIO().start();
      return p.waitFor();
    } catch (IOException e) {
      throw EdgeoptException.invalid(
          "--engine spark: cannot start " + command.get(0) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EdgeoptException(
          ExitCode.INTERNAL, "interrupted while the Spark run was going on", e);
    }
  }

  /**
   * Returns the jar: {@code -Dedgeopt.spark.jar} or {@code EDGEOPT_SPARK_JAR}, else beside the
   * command line's own jar, else in the build tree ({@code spark/target/}).
   */
  static Path locateJar() throws EdgeoptException {
    String given = System.getProperty("edgeopt.spark.jar", System.getenv("EDGEOPT_SPARK_JAR"));
    List<Path> tried = new ArrayList<>();
    if (given != null) {
      tried.add(Path.of(given));
    } else {
      Path here = codeLocation();
      if (here != null) {
        Path dir =
            here.getParent(); // cli/target, for target/classes and target/edgeopt-cli.jar alike
        tried.add(dir.resolve(JAR));
        tried.add(dir.resolve("lib").resolve(JAR));
        if (dir.getParent() != null && dir.getParent().getParent() != null) {
          tried.add(dir.getParent().getParent().resolve("spark").resolve("target").resolve(JAR));
        }
      }
    }
    for (Path p : tried) {
      if (Files.isRegularFile(p)) {
        return p.toAbsolutePath().normalize();
      }
    }
    throw EdgeoptException.invalid(
        "--engine spark needs "
            + JAR
            + ", not found at "
            + tried.stream().map(Path::toString).toList()
            + ": build it with 'mvn -pl spark -am package -DskipTests' (spark/target/"
            + JAR
            + "), or set EDGEOPT_SPARK_JAR");
  }

  private static Optional<Path> sparkSubmit() {
    String home = System.getenv("SPARK_HOME");
    if (home != null && Files.isExecutable(Path.of(home, "bin", "spark-submit"))) {
      return Optional.of(Path.of(home, "bin", "spark-submit"));
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        Path p = Path.of(dir, "spark-submit");
        if (!dir.isEmpty() && Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  private static Path codeLocation() {
    try {
      return Path.of(SparkEngine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException | RuntimeException e) {
      return null;
    }
  }
}
