package org.edgeopt.maven;

import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.edgeopt.pipeline.PipelineConfig;
import org.edgeopt.pipeline.PipelineResult;

/**
 * The accuracy gate: makes sure the optimized model is up to date with the config (stages whose
 * inputs did not change are skipped) and fails the build with the reasons when the drift is
 * over the thresholds.
 */
@Mojo(name = "validate", defaultPhase = LifecyclePhase.VERIFY, threadSafe = true)
public class ValidateMojo extends AbstractEdgeoptMojo {

  @Override
  String goal() {
    return "validate";
  }

  @Override
  void onResult(PipelineConfig cfg, PipelineResult result) {
    getLog().info("edgeopt: JUnit report " + result.reportDir().resolve("junit.xml"));
  }
}
