package org.edgeopt.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.StringReader;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import org.edgeopt.core.EdgeoptException;
import org.edgeopt.core.graph.Graph;
import org.edgeopt.core.onnx.OnnxModels;
import org.edgeopt.core.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * The three report files of a real validation (the small CNN against a damaged INT8 QDQ copy): the
 * JSON round trip, the JUnit XML against Surefire's schema, and the HTML page parsed strictly and
 * rendered in headless Chromium.
 */
class ReportFormatsTest {
  @TempDir static Path dir;
  static ValidationReport report;
  static Path reportDir;

  @BeforeAll
  static void validate() throws Exception {
    Graph fp32 = TestModels.smallCnn(13);
    Path reference = dir.resolve("small.onnx");
    Path candidate = dir.resolve("small.int8.onnx");
    OnnxModels.write(fp32, reference);
    Path holdout = TestData.randomIdx(dir.resolve("holdout"), 64, 8, 8, 3, 11);
    var data =
        org.edgeopt.core.data.Datasets.open(
            holdout, org.edgeopt.core.data.Preprocessing.parse(LayerDiagnosisTest.PRE), null, null);
    OnnxModels.write(
        QdqCandidates.quantize(fp32, QdqCandidates.calibrate(fp32, data, 64), "dw", 8f), candidate);
    // One threshold that holds (any drop up to 100 points) and one that cannot (no output error at
    // all).
    report =
        Validator.validate(
            ValidationConfig.of(reference, candidate, holdout)
                .withPreprocess(LayerDiagnosisTest.PRE)
                .withClassNames(List.of("circle", "square <&> \"tri\"", "star"))
                .withThresholds(new Thresholds(100.0, null, null, 0.0))
                .withLatency(20, 2)
                .withDiagnosisBatches(2));
    reportDir = dir.resolve("report");
    List<Path> written = ReportWriter.write(report, reportDir);
    assertEquals(
        List.of(
            reportDir.resolve("report.json"),
            reportDir.resolve("junit.xml"),
            reportDir.resolve("report.html")),
        written);
  }

  @Test
  void verdictFailsOnTheMissedThresholdOnly() {
    assertEquals(ValidationReport.Verdict.FAIL, report.gate().verdict());
    assertTrue(report.gate().checks().get(0).passed());
    assertFalse(report.gate().checks().get(1).passed());
    assertEquals(1, report.gate().reasons().size());
    assertTrue(
        report.gate().reasons().get(0).startsWith("max output error "),
        report.gate().reasons().toString());
    assertEquals("dw", report.diagnosis().excludeFirst());
  }

  @Test
  void jsonRoundTripsEveryFigure() throws Exception {
    ValidationReport back = ReportWriter.readJson(reportDir.resolve("report.json"));
    assertEquals(report, back);
    String json = Files.readString(reportDir.resolve("report.json"));
    assertTrue(json.contains("\"referenceSha256\""), json);
    assertFalse(
        json.contains("NaN") || json.contains("Infinity"), "report.json must be strict JSON");
    EdgeoptException e =
        assertThrows(
            EdgeoptException.class, () -> ReportWriter.readJson(reportDir.resolve("junit.xml")));
    assertEquals(3, e.exitCode().code());
  }

  @Test
  void noTemporaryFilesAreLeftBehind() throws Exception {
    try (Stream<Path> s = Files.list(reportDir)) {
      assertEquals(
          List.of("junit.xml", "report.html", "report.json"),
          s.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void junitXmlIsValidAgainstSurefiresSchema() throws Exception {
    URL xsd = getClass().getResource("surefire-junit.xsd");
    Schema schema = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI).newSchema(xsd);
    schema.newValidator().validate(new StreamSource(reportDir.resolve("junit.xml").toFile()));

    Document doc = parse(Files.readString(reportDir.resolve("junit.xml")));
    Element suite = doc.getDocumentElement();
    assertEquals("2", suite.getAttribute("tests"));
    assertEquals("1", suite.getAttribute("failures"));
    NodeList cases = suite.getElementsByTagName("testcase");
    assertEquals("top1-drop", ((Element) cases.item(0)).getAttribute("name"));
    assertEquals(0, ((Element) cases.item(0)).getElementsByTagName("failure").getLength());
    Element failure = (Element) ((Element) cases.item(1)).getElementsByTagName("failure").item(0);
    assertEquals(report.gate().reasons().get(0), failure.getAttribute("message"));
  }

  @Test
  void schemaRejectsAReportMissingRequiredCounts() throws Exception {
    // The schema is not vacuous: a suite without its failure count is refused.
    Schema schema =
        SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI)
            .newSchema(getClass().getResource("surefire-junit.xsd"));
    String bad =
        "<testsuite name=\"x\" tests=\"1\" errors=\"0\" skipped=\"0\"><testcase name=\"a\"/></testsuite>";
    assertThrows(
        SAXException.class,
        () -> schema.newValidator().validate(new StreamSource(new StringReader(bad))));
  }

  @Test
  void htmlIsOneWellFormedSelfContainedPage() throws Exception {
    String html = Files.readString(reportDir.resolve("report.html"));
    Document doc = parse(html.replace("<!DOCTYPE html>", ""));
    Element verdict = byId(doc, "verdict");
    assertEquals("FAIL", verdict.getAttribute("data-verdict"));
    for (String section :
        List.of("gate", "accuracy", "classes", "layers", "confidence", "latency", "provenance")) {
      assertTrue(html.contains("<section id=\"" + section + "\">"), "section " + section);
    }
    assertTrue(html.contains("square &lt;&amp;&gt; &quot;tri&quot;"), "class names are escaped");
    assertTrue(
        html.indexOf("id=\"verdict\"") < html.indexOf("id=\"accuracy\""),
        "the verdict comes first");
    assertFalse(html.contains("<script"), "no script");
    String withoutNamespaces = html.replace("http://www.w3.org/", "");
    assertFalse(
        withoutNamespaces.contains("http://") || withoutNamespaces.contains("https://"),
        "nothing to fetch");
    assertTrue(html.contains("<svg"), "inline SVG charts");
  }

  @Test
  void htmlRendersInHeadlessChromium() throws Exception {
    assumeTrue(Chromium.available(), Chromium.missingReason());
    Path page = reportDir.resolve("report.html");
    Chromium.Result dom = Chromium.dumpDom(page, dir);
    assertEquals(0, dom.exitCode(), dom.stderr());
    assertTrue(dom.stdout().contains("data-verdict=\"FAIL\""), dom.stdout());
    assertTrue(
        dom.stdout().contains("<div class=\"badge\">FAIL</div>"), "the verdict is on the page");
    assertFalse(
        dom.stderr().contains(":CONSOLE("), "the page logged to the console: " + dom.stderr());
    Path png = dir.resolve("report.png");
    Chromium.Result shot = Chromium.screenshot(page, dir, png, 1200, 2000);
    assertEquals(0, shot.exitCode(), shot.stderr());
    byte[] bytes = Files.readAllBytes(png);
    assertTrue(
        bytes.length > 20_000, "a real screenshot, not a blank page: " + bytes.length + " bytes");
    assertEquals((byte) 0x89, bytes[0]);
    assertEquals('P', bytes[1]);
    String keep = System.getProperty("edgeopt.debug.report");
    if (keep != null) {
      Files.copy(
          png,
          Path.of(keep).resolve("small-report.png"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.copy(
          page,
          Path.of(keep).resolve("small-report.html"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static Element byId(Document doc, String id) {
    NodeList all = doc.getElementsByTagName("*");
    for (int i = 0; i < all.getLength(); i++) {
      Element e = (Element) all.item(i);
      if (id.equals(e.getAttribute("id"))) {
        return e;
      }
    }
    throw new AssertionError("no element with id " + id);
  }

  private static Document parse(String xml) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", false);
    return f.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
  }
}
