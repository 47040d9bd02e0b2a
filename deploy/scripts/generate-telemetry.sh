#!/usr/bin/env bash
# Generates the fleet telemetry scenario of docs/operations.md: the Fashion-MNIST sample model in
# ONNX Runtime on its holdout images, 8 devices (3 controls; brightness/contrast, blur, sensor noise,
# class-mix and slow-device shifts from window 1), 3 one-hour windows.
#   deploy/scripts/generate-telemetry.sh OUT_DIR [RECORDS_PER_DEVICE_AND_WINDOW (default 250)]
# Writes OUT_DIR/telemetry-a.jsonl and OUT_DIR/telemetry-b.csv. Run from the repository root.
set -euo pipefail
out="${1:?usage: $0 OUT_DIR [RECORDS_PER_WINDOW]}"
per="${2:-250}"
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
mvn -B -q -o -pl deploy -am test-compile >/dev/null
mvn -B -q -o -pl deploy dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >/dev/null
java -cp "deploy/target/test-classes:deploy/target/classes:$(cat "$cp_file")" \
  org.edgeopt.deploy.TelemetryGenerator "$out" "$per"
