// The gate failed the build and said why.
def log = new File(basedir, 'build.log').text
assert log.contains('accuracy gate FAILED')
assert log.contains('p95 latency')
assert new File(basedir, 'target/edgeopt/junit.xml').isFile()
return true
