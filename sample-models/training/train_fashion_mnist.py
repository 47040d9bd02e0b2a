#!/usr/bin/env python3
"""Train the edgeopt Fashion-MNIST sample model (a small MobileNetV2-style CNN).

Run from the repository root with the Debian interpreter:

    /usr/bin/python3 sample-models/training/train_fashion_mnist.py

Inputs:  Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
Outputs: sample-models/models/fashion-mnist/{model.onnx, model.pt, sample.json,
         calibration/*.gz, holdout/*.gz}.

The script is deterministic (fixed seeds, 2 threads, no data-loader workers) and
re-runnable; it overwrites its outputs. CI never runs it: the outputs are committed.
`--export-only` skips training and re-exports/re-evaluates from the committed model.pt.

Export note: torch 1.13's ONNX exporter, in its default eval-mode export, fuses each
BatchNorm into the preceding Conv (a peephole pass that runs even with
do_constant_folding=False), so model.onnx has no BatchNormalization nodes; model.pt
keeps them. Depthwise Conv (group=channels), Clip (ReLU6), Add, GlobalAveragePool,
Flatten and Gemm remain.

Preprocessing baked into sample.json (the ONNX model itself takes normalised input):
    x = (pixel / 255 - 0.2860) / 0.3530, layout NCHW, shape [N, 1, 28, 28] float32.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 20261128
MEAN = 0.2860
STD = 0.3530
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
CALIBRATION_COUNT = 500
HOLDOUT_COUNT = 2000

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "models", "fashion-mnist"))
DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"


# ----------------------------------------------------------------------------- IDX I/O

def read_idx(path):
    """Reads a (gzip) IDX file into a numpy uint8 array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims).copy()


def write_idx_gz(path, arr):
    """Writes a uint8 array as a gzip IDX file, byte-for-byte reproducibly (mtime 0, no name)."""
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, arr.ndim) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(header)
            gz.write(arr.tobytes())


# ----------------------------------------------------------------------------- model

def conv_bn_relu6(cin, cout, k=3, stride=1, groups=1):
    return [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU6(inplace=True)]


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand -> 3x3 depthwise -> 1x1 linear projection (+ residual Add)."""

    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = []
        if expand != 1:
            layers += conv_bn_relu6(cin, hidden, k=1)
        layers += conv_bn_relu6(hidden, hidden, k=3, stride=stride, groups=hidden)  # depthwise
        layers += [nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.block = nn.Sequential(*layers)
        self.use_residual = stride == 1 and cin == cout

    def forward(self, x):
        if self.use_residual:
            return x + self.block(x)
        return self.block(x)


class FashionMobileNet(nn.Module):
    # (out_channels, stride, expansion)
    CONFIG = [(16, 1, 1), (24, 2, 4), (24, 1, 4), (48, 2, 4), (48, 1, 4), (96, 1, 4)]
    HEAD = 128

    def __init__(self, num_classes=10):
        super().__init__()
        layers = conv_bn_relu6(1, 16, k=3, stride=1)
        cin = 16
        for cout, stride, expand in self.CONFIG:
            layers.append(InvertedResidual(cin, cout, stride, expand))
            cin = cout
        layers += conv_bn_relu6(cin, self.HEAD, k=1)
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)   # -> GlobalAveragePool
        self.flatten = nn.Flatten()           # -> Flatten
        self.classifier = nn.Linear(self.HEAD, num_classes)  # -> Gemm

    def forward(self, x):
        return self.classifier(self.flatten(self.pool(self.features(x))))


# ----------------------------------------------------------------------------- helpers

def normalise(images_u8):
    x = torch.from_numpy(images_u8.astype(np.float32)).unsqueeze(1)
    return (x / 255.0 - MEAN) / STD


@torch.no_grad()
def predict_logits(model, x, batch=1000):
    model.eval()
    out = []
    for i in range(0, x.shape[0], batch):
        out.append(model(x[i:i + batch].contiguous()))
    return torch.cat(out)


def top2_margin(logits):
    top2 = torch.topk(logits, 2, dim=1).values
    return (top2[:, 0] - top2[:, 1])


def sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def log(msg):
    print(msg, flush=True)


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=DEFAULT_DATA)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--max-lr", type=float, default=0.006)
    ap.add_argument("--export-only", action="store_true",
                    help="skip training: load weights from <out>/model.pt and re-export/re-evaluate")
    args = ap.parse_args()

    torch.set_num_threads(2)
    torch.set_flush_denormal(True)  # denormal floats make CPU convolutions very slow late in training
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    t_start = time.time()
    log(f"python {sys.version.split()[0]}, torch {torch.__version__}, numpy {np.__version__}")

    train_x_u8 = read_idx(os.path.join(args.data_dir, "train-images-idx3-ubyte.gz"))
    train_y = read_idx(os.path.join(args.data_dir, "train-labels-idx1-ubyte.gz"))
    test_x_u8 = read_idx(os.path.join(args.data_dir, "t10k-images-idx3-ubyte.gz"))
    test_y = read_idx(os.path.join(args.data_dir, "t10k-labels-idx1-ubyte.gz"))
    assert train_x_u8.shape == (60000, 28, 28) and test_x_u8.shape == (10000, 28, 28)

    # Field data: calibration from TRAIN, holdout from TEST (disjoint from all training data).
    split_rng = np.random.RandomState(SEED)
    calib_idx = np.sort(split_rng.choice(60000, CALIBRATION_COUNT, replace=False))
    hold_idx = np.sort(split_rng.choice(10000, HOLDOUT_COUNT, replace=False))
    os.makedirs(os.path.join(args.out, "calibration"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "holdout"), exist_ok=True)
    write_idx_gz(os.path.join(args.out, "calibration", "images-idx3-ubyte.gz"), train_x_u8[calib_idx])
    write_idx_gz(os.path.join(args.out, "calibration", "labels-idx1-ubyte.gz"), train_y[calib_idx])
    write_idx_gz(os.path.join(args.out, "holdout", "images-idx3-ubyte.gz"), test_x_u8[hold_idx])
    write_idx_gz(os.path.join(args.out, "holdout", "labels-idx1-ubyte.gz"), test_y[hold_idx])

    train_x = normalise(train_x_u8)
    train_t = torch.from_numpy(train_y.astype(np.int64))
    test_x = normalise(test_x_u8)
    test_t = torch.from_numpy(test_y.astype(np.int64))

    model = FashionMobileNet()
    pt_path = os.path.join(args.out, "model.pt")
    onnx_path = os.path.join(args.out, "model.onnx")

    if args.export_only:
        model.load_state_dict(torch.jit.load(pt_path).state_dict())
        log(f"loaded weights from {pt_path}")
    else:
        log(f"params: {sum(p.numel() for p in model.parameters())}")
        model = model.to(memory_format=torch.channels_last)
        opt = torch.optim.Adam(model.parameters(), lr=args.max_lr / 25, weight_decay=1e-5)
        steps_per_epoch = (60000 + args.batch_size - 1) // args.batch_size
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.max_lr, epochs=args.epochs,
                                                    steps_per_epoch=steps_per_epoch, pct_start=0.25)
        gen = torch.Generator().manual_seed(SEED)
        for epoch in range(args.epochs):
            model.train()
            t0 = time.time()
            perm = torch.randperm(60000, generator=gen)
            flips = torch.rand(60000, generator=gen) < 0.5     # light augmentation: horizontal flip
            total_loss, correct = 0.0, 0
            for i in range(steps_per_epoch):
                idx = perm[i * args.batch_size:(i + 1) * args.batch_size]
                xb = train_x[idx]
                fb = flips[idx]
                xb = torch.where(fb.view(-1, 1, 1, 1), xb.flip(3), xb)
                xb = xb.contiguous(memory_format=torch.channels_last)
                yb = train_t[idx]
                logits = model(xb)
                loss = F.cross_entropy(logits, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                total_loss += loss.item() * len(idx)
                correct += (logits.argmax(1) == yb).sum().item()
                if i == 99 and epoch == 0:
                    log(f"  first 100 steps: {time.time() - t0:.1f}s")
            log(f"epoch {epoch + 1}/{args.epochs}: loss {total_loss / 60000:.4f} "
                f"train {correct / 60000:.4f} ({time.time() - t0:.0f}s)")
        model = model.to(memory_format=torch.contiguous_format)
    train_seconds = time.time() - t_start

    model.eval()
    test_logits = predict_logits(model, test_x)
    test_correct = int((test_logits.argmax(1) == test_t).sum())
    hold_x = test_x[hold_idx]
    hold_t = test_t[hold_idx]
    hold_logits = predict_logits(model, hold_x)
    hold_correct = int((hold_logits.argmax(1) == hold_t).sum())
    margins = top2_margin(hold_logits)
    log(f"FP32 test top-1 {test_correct}/10000 = {test_correct / 10000:.4f}; "
        f"holdout {hold_correct}/{HOLDOUT_COUNT}; min holdout top-2 margin {margins.min().item():.6f}")

    # ---- export: TorchScript (trace) and ONNX
    example = test_x[:2].contiguous()
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
    traced.save(pt_path)
    reloaded = torch.jit.load(pt_path)
    with torch.no_grad():
        diff_pt = (reloaded(hold_x) - hold_logits).abs().max().item()
    # Eval-mode export: torch folds BatchNorm into Conv here (see the module docstring).
    torch.onnx.export(model, example, onnx_path, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=False,
                      # Keep BatchNormalization nodes (torch folds them into the Conv in eval
                      # mode otherwise), so the exported model has the Conv+BN pairs real
                      # exports have and edgeopt's BN folding is exercised on it.
                      training=torch.onnx.TrainingMode.PRESERVE)

    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m, full_check=True)
    ops = Counter(n.op_type for n in m.graph.node)
    log(f"onnx {onnx.__version__} checker OK; ops: {dict(sorted(ops.items()))}")
    log(f"torchscript max |diff| vs eager on holdout: {diff_pt:.3g}")

    fp32 = {
        "holdoutCorrect": hold_correct,
        "holdoutTotal": HOLDOUT_COUNT,
        "holdoutTop1": round(hold_correct / HOLDOUT_COUNT, 6),
        "testSetCorrect": test_correct,
        "testSetTotal": 10000,
        "testSetTop1": round(test_correct / 10000, 6),
    }
    sample = {
        "name": "fashion-mnist",
        "task": "classification",
        "model": "model.onnx",
        "torchscript": "model.pt",
        "license": "LICENSE.fashion-mnist",
        "input": {"name": "input", "shape": [-1, 1, 28, 28]},
        "output": "logits",
        "classes": CLASSES,
        "preprocess": "scale=0.00392156862745098,mean=0.2860,std=0.3530,layout=nchw",
        "calibration": {"format": "idx", "images": "calibration/images-idx3-ubyte.gz",
                        "labels": "calibration/labels-idx1-ubyte.gz", "count": CALIBRATION_COUNT},
        "holdout": {"format": "idx", "images": "holdout/images-idx3-ubyte.gz",
                    "labels": "holdout/labels-idx1-ubyte.gz", "count": HOLDOUT_COUNT},
        "fp32": fp32,
    }
    files = ["model.onnx", "model.pt", "LICENSE.fashion-mnist",
             "calibration/images-idx3-ubyte.gz", "calibration/labels-idx1-ubyte.gz",
             "holdout/images-idx3-ubyte.gz", "holdout/labels-idx1-ubyte.gz"]
    # hashes of every other file: sample.json's own hash then identifies the whole sample
    sample["sha256"] = {rel: sha256(os.path.join(args.out, rel)) for rel in files}
    with open(os.path.join(args.out, "sample.json"), "w", encoding="utf-8") as f:
        json.dump(sample, f, indent=2)
        f.write("\n")

    log(f"wall time: {time.time() - t_start:.0f}s (training phase {train_seconds:.0f}s)")
    for rel in files + ["sample.json"]:
        p = os.path.join(args.out, rel)
        log(f"{sha256(p)}  {os.path.getsize(p):>9}  {rel}")
    if test_correct < 9100:
        log("WARNING: test top-1 below the 91% target")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
