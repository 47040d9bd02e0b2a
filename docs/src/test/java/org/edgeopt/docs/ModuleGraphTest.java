package org.edgeopt.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The module structure the architecture page states is the one the poms build: stage modules
 * depend on {@code core} only (test scope excepted), and every row of the module table in {@code
 * docs/architecture.md} names what its modules' poms depend on.
 */
class ModuleGraphTest {
  /** The stage modules: each one stage or one target, seeing nothing of the others outside its tests. */
  private static final Pattern STAGE =
      Pattern.compile("ingest|calibrate|quantize|prune|validate|compile-targets/.+");

  /** Module folder -> the edgeopt modules (folders) its pom depends on outside test scope. */
  static Map<String, Set<String>> graph;

  @BeforeAll
  static void readPoms() throws Exception {
    Path root = Path.of("..").toAbsolutePath().normalize();
    List<String> modules = new ArrayList<>();
    NodeList list = pom(root.resolve("pom.xml")).getElementsByTagName("module");
    for (int i = 0; i < list.getLength(); i++) {
      String m = list.item(i).getTextContent().strip();
      if (!m.equals("docs")) {
        modules.add(m);
      }
    }
    Map<String, String> folderOfArtifact = new LinkedHashMap<>();
    Map<String, Document> poms = new LinkedHashMap<>();
    for (String m : modules) {
      Document d = pom(root.resolve(m).resolve("pom.xml"));
      poms.put(m, d);
      folderOfArtifact.put(child(d.getDocumentElement(), "artifactId"), m);
    }
    graph = new LinkedHashMap<>();
    for (String m : modules) {
      Set<String> deps = new TreeSet<>();
      Element project = poms.get(m).getDocumentElement();
      Element dependencies = element(project, "dependencies");
      NodeList ds = dependencies == null ? null : dependencies.getElementsByTagName("dependency");
      for (int i = 0; ds != null && i < ds.getLength(); i++) {
        Element dep = (Element) ds.item(i);
        String scope = child(dep, "scope");
        if ("org.edgeopt".equals(child(dep, "groupId")) && !"test".equals(scope)) {
          String folder = folderOfArtifact.get(child(dep, "artifactId"));
          assertTrue(
              folder != null,
              m
                  + "/pom.xml: depends on "
                  + child(dep, "artifactId")
                  + ", not a module of the build");
          deps.add(folder);
        }
      }
      graph.put(m, deps);
    }
  }

  @Test
  void stageModulesDependOnCoreOnly() {
    List<String> stages = graph.keySet().stream().filter(m -> STAGE.matcher(m).matches()).toList();
    assertTrue(stages.size() >= 8, "found the stage modules " + stages);
    for (String m : stages) {
      assertEquals(
          Set.of("core"),
          graph.get(m),
          m
              + "/pom.xml: a stage module depends on core only (other"
              + " modules at test scope at most)");
    }
  }

  @Test
  void architecturePageModuleTableMatchesThePoms() throws Exception {
    Map<String, Set<String>> documented =
        documentedTable(Files.readString(Path.of("architecture.md")));
    assertEquals(
        new TreeSet<>(graph.keySet()),
        new TreeSet<>(documented.keySet()),
        "docs/architecture.md's module table lists every module of the build, and only those");
    for (var e : documented.entrySet()) {
      String m = e.getKey();
      // A row names a module's direct dependencies or fewer, as long as they reach the same
      // modules.
      assertEquals(
          closure(graph.get(m)),
          closure(e.getValue()),
          "docs/architecture.md, row of "
              + m
              + ": says it depends on "
              + e.getValue()
              + ", its pom on "
              + graph.get(m));
    }
  }

  /** Parses the "## Modules" table: module cell (one or more `names`, `compile-targets/*`) -> depends-on cell. */
  static Map<String, Set<String>> documentedTable(String page) {
    int start = page.indexOf("## Modules");
    assertTrue(start >= 0, "docs/architecture.md has a '## Modules' section");
    List<String> stages = graph.keySet().stream().filter(m -> STAGE.matcher(m).matches()).toList();
    Map<String, Set<String>> out = new LinkedHashMap<>();
    Pattern name = Pattern.compile("`([^`]+)`");
    for (String line : page.substring(start).lines().toList()) {
      if (!line.startsWith("| `")) {
        continue;
      }
      String[] cells = line.split("\\|");
      Set<String> deps = new TreeSet<>();
      String depends = cells[3].strip();
      for (String d : depends.split(",")) {
        d = d.strip();
        if (d.equals("—") || d.isEmpty()) {
          continue;
        }
        if (d.equals("all stages and targets")) {
          deps.addAll(stages);
        } else {
          assertTrue(
              graph.containsKey(d),
              "docs/architecture.md: '" + d + "' in the depends-on column is not a module");
          deps.add(d);
        }
      }
      Matcher mm = name.matcher(cells[1]);
      while (mm.find()) {
        String module = mm.group(1);
        if (module.endsWith("/*")) {
          String prefix = module.substring(0, module.length() - 1);
          graph.keySet().stream().filter(k -> k.startsWith(prefix)).forEach(k -> out.put(k, deps));
        } else {
          out.put(module, deps);
        }
      }
    }
    assertFalse(out.isEmpty(), "docs/architecture.md: found no module rows");
    return out;
  }

  /** Returns the modules reachable from {@code start} in the pom graph, {@code start} included. */
  static Set<String> closure(Set<String> start) {
    Set<String> seen = new TreeSet<>();
    Deque<String> todo = new ArrayDeque<>(start);
    while (!todo.isEmpty()) {
      String m = todo.pop();
      if (seen.add(m)) {
        todo.addAll(graph.getOrDefault(m, Set.of()));
      }
    }
    return seen;
  }

  private static Document pom(Path file) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(file.toFile());
  }

  /** Returns the text of {@code parent}'s direct child {@code tag}, or null. */
  private static String child(Element parent, String tag) {
    Element e = element(parent, tag);
    return e == null ? null : e.getTextContent().strip();
  }

  private static Element element(Element parent, String tag) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(tag)) {
        return e;
      }
    }
    return null;
  }
}
