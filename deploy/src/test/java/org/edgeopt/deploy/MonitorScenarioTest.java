package org.edgeopt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The acceptance scenario: the Fashion-MNIST model on holdout images, a fleet with a control and
 * one device per field shift; no alert on the controls, and every shifted device alerts in the
 * first window where its shift starts, named.
 */
class MonitorScenarioTest {
  static FleetScenario scenario;
  static MonitorReport report;

  @BeforeAll
  static void monitor() throws Exception {
    scenario = FleetScenario.get();
    OpenedBundle bundle =
        OpenedBundle.open(scenario.bundle, SigningKeys.readPublic(scenario.publicKey));
    report =
        Monitor.run(
            bundle.baseline(),
            bundle.model(),
            new MonitorConfig(
                scenario.telemetry,
                TelemetryGenerator.WINDOW_MINUTES,
                MonitorThresholds.defaults(),
                20,
                null));
  }

  @Test
  void everyRecordIsReadFromBothFormats() {
    assertEquals(
        (long) TelemetryGenerator.FLEET.size() * FleetScenario.PER_WINDOW * FleetScenario.WINDOWS,
        report.records());
    assertEquals(TelemetryGenerator.FLEET.size(), report.devices());
    assertEquals(FleetScenario.WINDOWS, report.fleet().size());
  }

  @Test
  void theControlsNeverAlert() {
    List<MonitorReport.Alert> control =
        report.alerts().stream().filter(a -> a.scope().startsWith("control")).toList();
    assertTrue(control.isEmpty(), control.toString());
  }

  @Test
  void nothingAlertsBeforeTheShiftsStart() {
    List<MonitorReport.Alert> early =
        report.alerts().stream()
            .filter(a -> a.window().compareTo(FleetScenario.window(FleetScenario.SHIFT_FROM)) < 0)
            .toList();
    assertTrue(early.isEmpty(), early.toString());
  }

  @Test
  void everyShiftedDeviceAlertsInTheFirstShiftedWindow() {
    Map<String, MonitorReport.DeviceDrift> first =
        report.firstDrift().stream()
            .collect(Collectors.toMap(MonitorReport.DeviceDrift::device, d -> d));
    for (TelemetryGenerator.Device d : TelemetryGenerator.FLEET) {
      if (d.shift() == TelemetryGenerator.Shift.NONE) {
        assertFalse(first.containsKey(d.id()), d.id());
        continue;
      }
      MonitorReport.DeviceDrift drift = first.get(d.id());
      assertTrue(drift != null, d.id() + " (" + d.shift() + ") never alerted: " + report.alerts());
      assertEquals(FleetScenario.window(FleetScenario.SHIFT_FROM), drift.window(), d.id());
    }
    assertTrue(first.get("slow-1").checks().contains("latency"), first.get("slow-1").toString());
    assertTrue(first.get("mix-1").checks().contains("class-mix"), first.get("mix-1").toString());
    assertEquals("ALERT", report.verdict());
  }

  @Test
  void theReportsNameTheDriftedDevices() throws Exception {
    List<java.nio.file.Path> files =
        MonitorReportWriter.write(report, scenario.dir.resolve("monitor-report"));
    String html = java.nio.file.Files.readString(files.get(1));
    String junit = java.nio.file.Files.readString(files.get(2));
    for (String device : List.of("bright-1", "blur-1", "noise-1", "mix-1", "slow-1")) {
      assertTrue(html.contains("<td>" + device + "</td>"), device);
      assertTrue(junit.contains("name=\"" + device + "\" time=\"0\">"), device);
    }
    assertFalse(html.contains("http://") && html.contains("<link"), "the page is self-contained");
    assertTrue(
        javax.xml.parsers.DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(files.get(2).toFile())
            .getDocumentElement()
            .getAttribute("failures")
            .equals("6"),
        junit);
    MonitorReport back =
        StableJson.read(java.nio.file.Files.readAllBytes(files.get(0)), MonitorReport.class);
    assertEquals(report.alerts().size(), back.alerts().size());
  }

  @Test
  void theUncertainQueueIsRankedAndBounded() {
    assertEquals(20, report.uncertain().size());
    for (int i = 1; i < report.uncertain().size(); i++) {
      assertTrue(
          report.uncertain().get(i - 1).uncertainty() >= report.uncertain().get(i).uncertainty());
    }
  }
}
