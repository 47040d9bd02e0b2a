package org.edgeopt.core.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TemplatesTest {
  private static final String PAGE = "/org/edgeopt/core/report/test-page.mustache";

  @Test
  void escapesValuesAndInlinesRawSvgAndTheBaseStylesheet() {
    String html =
        Templates.render(
            TemplatesTest.class,
            PAGE,
            Map.of(
                "title", "<script>x</script>",
                "rows", List.of(Map.of("name", "a&b"), Map.of("name", "c")),
                "chart", "<svg width=\"1\"></svg>"));
    assertTrue(html.contains("&lt;script&gt;x&lt;/script&gt;"), html);
    assertTrue(html.contains("<li>a&amp;b</li><li>c</li>"), html);
    assertTrue(html.contains("<svg width=\"1\"></svg>"), html);
    assertTrue(html.contains("--pass:#1a7f37"), "base stylesheet inlined: one self-contained file");
  }

  @Test
  void aMissingValueIsAnErrorNotABlank() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                Templates.render(
                    TemplatesTest.class, PAGE, Map.of("rows", List.of(), "chart", "")));
    assertTrue(e.getMessage().contains("title"), e.getMessage());
  }

  @Test
  void aMissingTemplateNamesTheResource() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> Templates.render(TemplatesTest.class, "/nope.mustache", Map.of()));
    assertEquals("template resource missing from the classpath: /nope.mustache", e.getMessage());
  }
}
