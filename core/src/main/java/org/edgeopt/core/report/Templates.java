package org.edgeopt.core.report;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.MustacheException;
import com.samskivert.mustache.Template;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Renders edgeopt's HTML pages from logic-less Mustache templates shipped as classpath resources.
 *
 * <p>Every report page (validation, search, monitoring, planners) is one self-contained file:
 * the template holds the markup, {@code {{> edgeopt-base.css}}} pulls in the shared stylesheet,
 * and charts arrive as ready-made SVG strings in triple braces ({@code {{{chart}}}}). Double
 * braces escape HTML, so values from models and data files can never inject markup. Missing
 * keys are an error, not an empty string, so a renamed field cannot silently blank a section.
 * Escaping is {@link Markup#escape}, so every page stays well-formed XML.
 */
public final class Templates {
  private static final String PARTIALS = "/org/edgeopt/core/report/";
  private static final Map<String, Template> CACHE = new ConcurrentHashMap<>();

  private Templates() {}

  /**
   * Renders the template at {@code resource} (an absolute classpath path, found through
   * {@code anchor}'s class loader) with {@code context}: a {@code Map}, a record or any object
   * whose fields or getters the template names.
   */
  public static String render(Class<?> anchor, String resource, Object context) {
    Template template =
        CACHE.computeIfAbsent(anchor.getName() + "|" + resource, k -> compile(anchor, resource));
    try {
      return template.execute(context);
    } catch (MustacheException e) {
      throw new IllegalStateException("template " + resource + ": " + e.getMessage(), e);
    }
  }

  private static Template compile(Class<?> anchor, String resource) {
    // Markup.escape instead of JMustache's HTML escaper: the pages are polyglot XHTML, so control
    // characters must go too, and the escaping matches the text inside the generated SVG charts.
    Mustache.Compiler compiler =
        Mustache.compiler()
            .strictSections(false)
            .withEscaper(Markup::escape)
            .withLoader(
                name ->
                    reader(anchor, name.startsWith("/") ? name : PARTIALS + name + ".mustache"));
    try (Reader in = reader(anchor, resource)) {
      return compiler.compile(in);
    } catch (IOException e) {
      throw new IllegalStateException(
          "template " + resource + " could not be read: " + e.getMessage(), e);
    }
  }

  private static Reader reader(Class<?> anchor, String resource) {
    InputStream in = anchor.getResourceAsStream(resource);
    if (in == null) {
      in = Templates.class.getResourceAsStream(resource);
    }
    if (in == null) {
      // A template shipped in the jar is part of the build: a missing one is a packaging bug.
      throw new IllegalStateException("template resource missing from the classpath: " + resource);
    }
    try (InputStream stream = in) {
      return new StringReader(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(
          "template " + resource + " could not be read: " + e.getMessage(), e);
    }
  }
}
