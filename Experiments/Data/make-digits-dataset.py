#!/usr/bin/env python3
"""Converts the UCI handwritten digits (8x8, 1 797 images, 10 classes) into the toolkit's HDF5 layout.

Run once, from the repository root:

    python3 -m pip install scikit-learn h5py numpy   # scikit-learn ships the data; nothing is downloaded
    python3 Experiments/Data/make-digits-dataset.py Experiments/Data/digits-8x8.h5

Layout (read by `EmpiricalDataset(contentsOf:)` and by h5py):
    /data    float32 N x 1 x 8 x 8, pixel counts 0..16 mapped linearly to [-1, 1] (v / 8 - 1)
    /labels  int32   N, the digit 0..9
    /split   uint8   N, 0 = train, 1 = test
The split is fixed and needs no random generator: within each class, in the order scikit-learn gives,
every fifth image (positions 4, 9, 14, ...) is a test image; 1 442 train and 355 test images.
The file is reproducible byte for byte (no timestamps): its SHA-256 is kept beside it.
"""
import hashlib
import os
import sys

import h5py
import numpy as np
from sklearn.datasets import load_digits

SOURCE = ("UCI Machine Learning Repository, Optical Recognition of Handwritten Digits "
          "(E. Alpaydin, C. Kaynak, 1998), https://doi.org/10.24432/C50P49; the 1 797-image copy "
          "shipped with scikit-learn as sklearn.datasets.load_digits")
LICENCE = "CC BY 4.0 (Creative Commons Attribution 4.0 International), as licensed by the UCI repository"


def build(path):
    digits = load_digits()
    pixels = digits.images.astype(np.float64)            # N x 8 x 8, integers 0..16
    if pixels.shape != (1797, 8, 8) or pixels.min() < 0 or pixels.max() > 16:
        raise SystemExit(f"unexpected source data: shape {pixels.shape}, range {pixels.min()}..{pixels.max()}")
    data = (pixels / 8.0 - 1.0).astype(np.float32).reshape(-1, 1, 8, 8)
    labels = digits.target.astype(np.int32)
    split = np.zeros(len(labels), dtype=np.uint8)
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        split[members[4::5]] = 1

    temporary = path + ".tmp"
    with h5py.File(temporary, "w", libver="earliest", track_order=False) as f:
        f.create_dataset("data", data=data, track_times=False)
        f.create_dataset("labels", data=labels, track_times=False)
        f.create_dataset("split", data=split, track_times=False)
        f.attrs["source"] = SOURCE
        f.attrs["licence"] = LICENCE
        f.attrs["scaling"] = "pixel counts 0..16 mapped to v / 8 - 1 in [-1, 1]"
        f.attrs["split_rule"] = "within each class, in scikit-learn's order, every fifth image (positions 4, 9, 14, ...) is test"
        f.attrs["classes"] = np.int32(10)
    os.replace(temporary, path)

    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    with open(path + ".sha256", "w") as f:
        f.write(f"{digest}  {os.path.basename(path)}\n")
    print(f"wrote {path}: {len(labels)} images ({int((split == 0).sum())} train, {int(split.sum())} test), sha256 {digest}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: make-digits-dataset.py OUTPUT.h5")
    build(sys.argv[1])
