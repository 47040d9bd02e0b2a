#!/bin/sh
# The calibration-cost benchmark (issue 4): calibration of N samples against plain FP32 inference
# of the same N samples, side by side in one run, and the peak memory of N = 5,000 against N = 500
# in fresh JVMs. Writes bench/results/calibration-cost.md and prints it.
#
# Default model and data: mnist-7 on the MNIST test set from ../shared/real-models. Another model:
#   bench/calibration-cost.sh --model M.onnx --data DIR --preprocess SPEC
# Run from the repository root; needs the installed core (mvn -pl core install) and sample-models.
set -e
cd "$(dirname "$0")/.."
ARGS="--out bench/results/calibration-cost.md $*"
exec mvn -B -q -pl calibrate test-compile exec:java -Dexec.classpathScope=test \
  -Dexec.mainClass=org.edgeopt.calibrate.bench.CalibrationBenchmark -Dexec.args="$ARGS"
