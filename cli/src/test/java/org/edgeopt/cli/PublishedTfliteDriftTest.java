package org.edgeopt.cli;

import static org.edgeopt.cli.CliRun.edgeopt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.edgeopt.cli.CliRun.Run;
import org.edgeopt.samples.SharedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code edgeopt validate} against a drift figure someone else published: tflite-micro's MNIST
 * LSTM, float and int8 (made by Google's converter), on the first 1,000 MNIST test images, is
 * documented as 92.3% vs 91.9% top-1 and 99.6% agreement ({@code ../shared/real-models/README.md}).
 *
 * <p>The model takes {@code [1, 28, 28]} and the IDX holdout gives {@code [1, 28, 28]} samples (a
 * gray channel), which validate now feeds as {@code [N, 28, 28]}; the int8 model's output is a
 * Softmax rounded to 8 bits, read as probabilities (its mean confidence read 0.22 before).
 */
class PublishedTfliteDriftTest {
  @TempDir Path dir;

  @Test
  void theMnistLstmPairGivesThePublishedFigures() throws Exception {
    String ref = "tflite-reference/trained_lstm.tflite";
    String cand = "tflite-reference/trained_lstm_int8.tflite";
    assumeTrue(SharedModels.find(ref).isPresent(), SharedModels.missingReason(ref));
    assumeTrue(
        SharedModels.find("mnist-t10k").isPresent(), SharedModels.missingReason("mnist-t10k"));
    Run r =
        edgeopt(
            "validate",
            "--reference",
            SharedModels.find(ref).orElseThrow().toString(),
            "--candidate",
            SharedModels.find(cand).orElseThrow().toString(),
            "--holdout",
            SharedModels.find("mnist-t10k").orElseThrow().toString(),
            "--preprocess",
            "scale=0.00392156862745098",
            "--limit",
            "1000",
            "--latency-runs",
            "5",
            "--report",
            dir.toString(),
            "-q");
    assertEquals(0, r.exitCode(), r.err() + r.out());
    JsonNode report = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
    JsonNode acc = report.get("classification");
    assertEquals(92.3, acc.get("referenceTop1").asDouble(), 1e-9, acc.toString());
    assertEquals(99.6, acc.get("agreementPercent").asDouble(), 1e-9, acc.toString());
    // Published 91.9%: three images apart here (92.2%), within what another interpreter build's
    // rounding moves on 1,000 images.
    assertEquals(91.9, acc.get("candidateTop1").asDouble(), 0.5, acc.toString());
    JsonNode conf = report.get("confidence");
    assertTrue(conf.get("candidate").get("mean").asDouble() > 0.9, conf.toString());
  }
}
