// The pipeline ran end to end, passed the gate and attached its artifacts.
def log = new File(basedir, 'build.log').text
assert log.contains('accuracy gate PASSED')
['model.onnx', 'calibration.json', 'model.int8.onnx', 'model.edgetpu.tflite', 'report.json', 'report.html', 'junit.xml'].each {
  assert new File(basedir, "target/edgeopt/$it").isFile() : "missing target/edgeopt/$it"
}
assert log.contains('attached model.edgetpu.tflite')
// validate ran after optimize in the same build: every stage was up to date by then.
assert log.contains('up to date')
// edgeopt:package signed a bundle after the passing gate and attached it with the classifier 'bundle'.
assert new File(basedir, 'target/edgeopt/bundle.zip').isFile() : 'missing target/edgeopt/bundle.zip'
assert log.contains('edgeopt: bundle ')
return true
