#!/usr/bin/env python3
"""Train the edgeopt digits sample model (a 64-64-32-10 MLP on scikit-learn's 8x8 digits).

Run from the repository root with the Debian interpreter:

    /usr/bin/python3 sample-models/training/train_digits.py

Input:   sklearn/datasets/data/digits.csv.gz shipped by python3-sklearn (1,797 samples,
         64 integer features 0..16, label in the last column; a copy of the UCI "Optical
         Recognition of Handwritten Digits" test set).
Outputs: sample-models/models/digits-mlp/{model.onnx, model.pt, sample.json,
         calibration.csv, holdout.csv}.

The 1,797 samples are split by a seeded permutation into three disjoint parts:
train (1,237), calibration (200) and holdout (360). Only train is used for fitting.
Deterministic and re-runnable; CI never runs it (the outputs are committed).

Preprocessing baked into sample.json: x = feature / 16, shape [N, 64] float32.
"""
import argparse
import hashlib
import json
import os
import sys
import time
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 20261128
CALIBRATION_COUNT = 200
HOLDOUT_COUNT = 360
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "models", "digits-mlp"))


def find_digits_csv():
    import sklearn
    path = os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data", "digits.csv.gz")
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    return path


class DigitsMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 64)
        self.fc2 = nn.Linear(64, 32)
        self.fc3 = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def write_csv(path, features, labels):
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(",".join([f"f{i}" for i in range(64)] + ["label"]) + "\n")
        for row, label in zip(features, labels):
            f.write(",".join(str(int(v)) for v in row) + f",{int(label)}\n")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--epochs", type=int, default=150)
    args = ap.parse_args()

    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    t_start = time.time()
    print(f"python {sys.version.split()[0]}, torch {torch.__version__}, numpy {np.__version__}", flush=True)

    data = np.loadtxt(find_digits_csv(), delimiter=",", dtype=np.int64)
    assert data.shape == (1797, 65)
    features, labels = data[:, :64], data[:, 64]
    assert features.min() >= 0 and features.max() <= 16
    # rows are unique, so "disjoint by index" == "disjoint by content"
    assert len(np.unique(features, axis=0)) == len(features)

    perm = np.random.RandomState(SEED).permutation(len(data))
    hold_idx = np.sort(perm[:HOLDOUT_COUNT])
    calib_idx = np.sort(perm[HOLDOUT_COUNT:HOLDOUT_COUNT + CALIBRATION_COUNT])
    train_idx = np.sort(perm[HOLDOUT_COUNT + CALIBRATION_COUNT:])
    assert not (set(hold_idx) & set(calib_idx)) and not (set(hold_idx) & set(train_idx))
    assert not (set(calib_idx) & set(train_idx))

    os.makedirs(args.out, exist_ok=True)
    write_csv(os.path.join(args.out, "calibration.csv"), features[calib_idx], labels[calib_idx])
    write_csv(os.path.join(args.out, "holdout.csv"), features[hold_idx], labels[hold_idx])

    x = torch.from_numpy(features.astype(np.float32)) / 16.0
    y = torch.from_numpy(labels)
    x_train, y_train = x[train_idx], y[train_idx]

    model = DigitsMlp()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    gen = torch.Generator().manual_seed(SEED)
    batch = 64
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(train_idx), generator=gen)
        for i in range(0, len(order), batch):
            b = order[i:i + batch]
            loss = F.cross_entropy(model(x_train[b]), y_train[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        sched.step()
    model.eval()

    def correct(idx):
        with torch.no_grad():
            logits = model(x[idx])
        return int((logits.argmax(1) == y[idx]).sum()), logits

    train_correct, _ = correct(train_idx)
    calib_correct, _ = correct(calib_idx)
    hold_correct, hold_logits = correct(hold_idx)
    top2 = torch.topk(hold_logits, 2, dim=1).values
    margin = (top2[:, 0] - top2[:, 1]).min().item()
    print(f"train {train_correct}/{len(train_idx)}, calibration {calib_correct}/{len(calib_idx)}, "
          f"holdout {hold_correct}/{len(hold_idx)}; min holdout top-2 margin {margin:.6f}", flush=True)

    pt_path = os.path.join(args.out, "model.pt")
    onnx_path = os.path.join(args.out, "model.onnx")
    example = x[hold_idx[:2]]
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    traced.save(pt_path)
    with torch.no_grad():
        diff_pt = (torch.jit.load(pt_path)(x[hold_idx]) - hold_logits).abs().max().item()
    torch.onnx.export(model, example, onnx_path, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=False)
    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m, full_check=True)
    print(f"onnx {onnx.__version__} checker OK; ops: {dict(sorted(Counter(n.op_type for n in m.graph.node).items()))}")
    print(f"torchscript max |diff| vs eager on holdout: {diff_pt:.3g}")

    sample = {
        "name": "digits-mlp",
        "task": "classification",
        "model": "model.onnx",
        "torchscript": "model.pt",
        "license": "LICENSE.digits",
        "input": {"name": "input", "shape": [-1, 64]},
        "output": "logits",
        "classes": [str(i) for i in range(10)],
        "preprocess": "scale=0.0625",
        "calibration": {"format": "csv", "file": "calibration.csv", "labelColumn": "label",
                        "count": len(calib_idx)},
        "holdout": {"format": "csv", "file": "holdout.csv", "labelColumn": "label",
                    "count": len(hold_idx)},
        "fp32": {
            "holdoutCorrect": hold_correct,
            "holdoutTotal": len(hold_idx),
            "holdoutTop1": round(hold_correct / len(hold_idx), 6),
        },
    }
    files = ["model.onnx", "model.pt", "LICENSE.digits", "calibration.csv", "holdout.csv"]
    # hashes of every other file: sample.json's own hash then identifies the whole sample
    sample["sha256"] = {rel: sha256(os.path.join(args.out, rel)) for rel in files}
    with open(os.path.join(args.out, "sample.json"), "w", encoding="utf-8") as f:
        json.dump(sample, f, indent=2)
        f.write("\n")
    print(f"wall time: {time.time() - t_start:.1f}s")
    for rel in files + ["sample.json"]:
        p = os.path.join(args.out, rel)
        print(f"{sha256(p)}  {os.path.getsize(p):>9}  {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
