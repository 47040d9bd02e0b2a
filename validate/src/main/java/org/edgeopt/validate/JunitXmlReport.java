package org.edgeopt.validate;

import java.io.StringWriter;
import java.util.Locale;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * Renders the gate as JUnit XML in the format Maven Surefire writes, so any CI system shows each
 * threshold as a test case: one {@code testcase} per threshold, a {@code failure} with the reason
 * when it was missed, and the key figures as {@code properties}.
 */
final class JunitXmlReport {
  /** The test suite's name. */
  static final String SUITE = "edgeopt.validate";

  private JunitXmlReport() {}

  static String render(ValidationReport r) {
    try {
      Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().newDocument();
      Element suite = doc.createElement("testsuite");
      doc.appendChild(suite);
      long failures = r.gate().checks().stream().filter(c -> !c.passed()).count();
      suite.setAttribute("name", SUITE);
      suite.setAttribute("tests", Integer.toString(r.gate().checks().size()));
      suite.setAttribute("failures", Long.toString(failures));
      suite.setAttribute("errors", "0");
      suite.setAttribute("skipped", "0");
      suite.setAttribute("time", seconds(r.provenance().durationSeconds()));
      suite.setAttribute("timestamp", r.provenance().createdAt().replace("Z", ""));

      Element props = doc.createElement("properties");
      suite.appendChild(props);
      property(doc, props, "verdict", r.gate().verdict().name());
      property(doc, props, "reference", r.reference().path());
      property(doc, props, "candidate", r.candidate().path());
      property(doc, props, "holdout", r.holdout().path());
      property(doc, props, "reference.sha256", r.provenance().referenceSha256());
      property(doc, props, "candidate.sha256", r.provenance().candidateSha256());
      property(doc, props, "holdout.sha256", r.provenance().holdoutSha256());
      property(doc, props, "edgeopt.version", r.provenance().version());
      ValidationReport.Arithmetic a = r.arithmetic();
      property(doc, props, "host.cpu", a.hostCpu());
      property(doc, props, "host.arch", a.hostArch());
      property(doc, props, "host.isa", String.join(" ", a.hostFlags()));
      property(
          doc,
          props,
          "host.int8.kernel",
          a.hostInt8Kernel() + ": " + a.hostInt8KernelDescription());
      property(doc, props, "target", a.target());
      property(doc, props, "figures", a.figures());
      property(doc, props, "int8.worst.pair.sum", Integer.toString(a.worstCasePairSum()));
      property(doc, props, "target.mismatch", a.mismatch().isEmpty() ? "none" : a.mismatch());

      String classname = SUITE + "." + r.task();
      for (ValidationReport.GateCheck c : r.gate().checks()) {
        Element tc = doc.createElement("testcase");
        tc.setAttribute("name", c.name());
        tc.setAttribute("classname", classname);
        tc.setAttribute("time", "0");
        if (!c.passed()) {
          Element f = doc.createElement("failure");
          f.setAttribute("message", c.message());
          f.setAttribute("type", "edgeopt.GateFailed");
          f.setTextContent(c.description() + ": " + c.message());
          tc.appendChild(f);
        }
        suite.appendChild(tc);
      }
      Element out = doc.createElement("system-out");
      out.setTextContent(TextSummary.render(r));
      suite.appendChild(out);

      Transformer t = TransformerFactory.newInstance().newTransformer();
      t.setOutputProperty(OutputKeys.INDENT, "yes");
      t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
      t.setOutputProperty("{http://xml.apache.org/xslt}indent-amount", "2");
      StringWriter w = new StringWriter();
      t.transform(new DOMSource(doc), new StreamResult(w));
      return w.toString();
    } catch (ParserConfigurationException | TransformerException e) {
      throw new IllegalStateException("the JDK's XML support failed to write JUnit XML", e);
    }
  }

  private static void property(Document doc, Element props, String name, String value) {
    Element p = doc.createElement("property");
    p.setAttribute("name", name);
    p.setAttribute("value", value == null ? "" : value);
    props.appendChild(p);
  }

  private static String seconds(double s) {
    return String.format(Locale.ROOT, "%.3f", s);
  }
}
