package org.edgeopt.core.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.edgeopt.core.report.SvgCharts.Axis;
import org.edgeopt.core.report.SvgCharts.BarRow;
import org.edgeopt.core.report.SvgCharts.Point;
import org.edgeopt.core.report.SvgCharts.PointStyle;
import org.edgeopt.core.report.SvgCharts.Segment;
import org.edgeopt.core.report.SvgCharts.Series;
import org.edgeopt.core.report.SvgCharts.Tick;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

class SvgChartsTest {
  @Test
  void countAxesEndOnRoundNumbers() {
    assertEquals(4, SvgCharts.niceMax(1));
    assertEquals(8, SvgCharts.niceMax(6));
    assertEquals(40, SvgCharts.niceMax(34));
    assertEquals(100, SvgCharts.niceMax(100));
    assertEquals(200, SvgCharts.niceMax(150));
    assertEquals(2000, SvgCharts.niceMax(1999));
  }

  @Test
  void valueAxesCoverTheDataUpToTheCap() {
    assertEquals(new Axis(40, 10, "dB"), Axis.covering(List.of(12.0, 31.0), 40, 80, 10, "dB"));
    assertEquals(new Axis(60, 10, "dB"), Axis.covering(List.of(12.0, 51.5), 40, 80, 10, "dB"));
    // An exact layer (infinite SQNR) stops at the cap instead of flattening every other bar.
    assertEquals(
        new Axis(80, 10, "dB"), Axis.covering(List.of(Double.POSITIVE_INFINITY), 40, 80, 10, "dB"));
  }

  @Test
  void histogramsPutOutliersInTheEdgeBins() {
    assertArrayEquals(
        new int[] {2, 1, 0, 2}, SvgCharts.histogram(List.of(-5.0, 0.0, 0.3, 0.99, 7.0), 0, 1, 4));
  }

  @Test
  void barsScaleToTheAxisAndClampWhatLiesBeyond() throws Exception {
    String svg =
        SvgCharts.barsWithMarkers(
            "bars <&>",
            List.of(
                new BarRow(
                    "conv1 (Conv)", 20, 30, SvgCharts.BAD_COLOR, "conv1: 20 dB", "20.0 / 30.0 dB"),
                new BarRow("fc \"x\" (Gemm)", 1e9, -3, SvgCharts.GOOD_COLOR, "fc", "exact")),
            new Axis(40, 10, "dB"),
            "bar legend",
            "marker legend");
    Element root = parse(svg);
    assertEquals("bars <&>", root.getAttribute("aria-label"));
    NodeList rects = root.getElementsByTagName("rect");
    // The plot is 960 - 300 - 110 = 550 units wide: 20 of 40 dB is half of it, 1e9 dB the whole of
    // it.
    assertEquals("275.0", ((Element) rects.item(0)).getAttribute("width"));
    assertEquals("550.0", ((Element) rects.item(1)).getAttribute("width"));
    assertEquals("conv1: 20 dB", rects.item(0).getTextContent());
    assertTrue(svg.contains("fc &quot;x&quot; (Gemm)"), svg);
    for (String tick : List.of("0 dB", "10 dB", "20 dB", "30 dB", "40 dB")) {
      assertEquals(1, countText(root, tick), tick);
    }
    assertEquals(0, countText(root, "50 dB"));
  }

  @Test
  void pointLinesDrawOneDotPerPointAndTheCalloutOfTheHighlightedOne() throws Exception {
    String svg =
        SvgCharts.pointLine(
            "line",
            List.of(
                new Point(35, PointStyle.FILLED, "a", "unused"),
                new Point(12, PointStyle.HIGHLIGHTED, "b", "exclude first: b"),
                new Point(50, PointStyle.HOLLOW, "c", "unused")),
            new Axis(50, 10, "dB"),
            "layers in graph order");
    Element root = parse(svg);
    NodeList dots = root.getElementsByTagName("circle");
    assertEquals(3, dots.getLength());
    assertEquals(SvgCharts.REFERENCE_COLOR, ((Element) dots.item(0)).getAttribute("fill"));
    assertEquals(SvgCharts.BAD_COLOR, ((Element) dots.item(1)).getAttribute("fill"));
    assertEquals("#ffffff", ((Element) dots.item(2)).getAttribute("fill"));
    assertEquals(1, countText(root, "exclude first: b"));
    assertEquals(0, countText(root, "unused"));
    // The top point (50 of 50 dB) sits on the top grid line: 240 - 34 - 176 = 30.
    assertEquals("30.0", ((Element) dots.item(2)).getAttribute("cy"));
  }

  @Test
  void overlaidHistogramsDrawEveryNonEmptyBinOfEverySeries() throws Exception {
    String svg =
        SvgCharts.overlaidHistograms(
            "hist",
            300,
            List.of(
                new Series(
                    List.of(3, 0, 5),
                    List.of("r0", "r1", "r2"),
                    SvgCharts.REFERENCE_COLOR,
                    0.5,
                    "reference"),
                new Series(
                    List.of(1, 2, 0),
                    List.of("c0", "c1", "c2"),
                    SvgCharts.CANDIDATE_COLOR,
                    0.25,
                    "candidate")),
            List.of(new Tick(0, "0"), new Tick(1, "1")),
            "x",
            "samples");
    Element root = parse(svg);
    NodeList titles = root.getElementsByTagName("title");
    assertEquals(4, titles.getLength(), "empty bins draw no bar");
    assertEquals("r0", titles.item(0).getTextContent());
    assertEquals(1, countText(root, "8"), "the count axis ends at niceMax(5) = 8");
    assertEquals(1, countText(root, "candidate"));
  }

  @Test
  void aSeriesNeedsOneTooltipPerBin() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Series(List.of(1, 2), List.of("a"), SvgCharts.REFERENCE_COLOR, 0, "x"));
    assertTrue(e.getMessage().contains("2 bins, 1 tooltips"), e.getMessage());
  }

  @Test
  void stackedBarsSplitTheWidthByShare() throws Exception {
    String svg =
        SvgCharts.stackedBar(
            "stack",
            List.of(
                new Segment("pre", 1, "#8250df"),
                new Segment("infer", 3, SvgCharts.CANDIDATE_COLOR)),
            4,
            "ms");
    Element root = parse(svg);
    NodeList rects = root.getElementsByTagName("rect");
    assertEquals("235.0", ((Element) rects.item(0)).getAttribute("width"));
    assertEquals("705.0", ((Element) rects.item(1)).getAttribute("width"));
    assertEquals(1, countText(root, "infer 3.000 ms (75%)"));
  }

  @Test
  void markupEscapingKeepsPagesWellFormedXml() {
    assertEquals("a&lt;b&gt;&amp;&quot;&#39; c\td\n", Markup.escape("a<b>&\"'\u0001c\td\n"));
    assertEquals("", Markup.escape(null));
  }

  private static int countText(Element root, String content) {
    NodeList texts = root.getElementsByTagName("text");
    int n = 0;
    for (int i = 0; i < texts.getLength(); i++) {
      if (texts.item(i).getTextContent().equals(content)) {
        n++;
      }
    }
    return n;
  }

  private static Element parse(String svg) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    Document doc = f.newDocumentBuilder().parse(new InputSource(new StringReader(svg)));
    Element root = doc.getDocumentElement();
    assertEquals("svg", root.getLocalName());
    assertEquals("http://www.w3.org/2000/svg", root.getNamespaceURI());
    return root;
  }
}
