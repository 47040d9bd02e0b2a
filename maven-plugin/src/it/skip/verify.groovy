def log = new File(basedir, 'build.log').text
assert log.contains('edgeopt:optimize skipped (edgeopt.skip=true)')
assert log.contains('edgeopt:validate skipped (edgeopt.skip=true)')
assert !new File(basedir, 'target/edgeopt').exists()
return true
