// A bad config fails the build with one line naming the file, the line and the key.
def log = new File(basedir, 'build.log').text
assert log.contains("edgeopt.yaml:3: key 'precision': expected int8 or fp16, found 'int4'")
assert !log.contains('at org.edgeopt')
return true
