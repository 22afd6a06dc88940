#!/usr/bin/env python3
"""h5py peer of consistency-td-checkpoint-bench: writes and reads the same 3.35 M float32 parameters
(the reference MLP with D 64, W 1024: one dataset per parameter, named like the toolkit's) with the
same storage (one chunk per dataset, Fletcher-32), and reports median save and load times.

    python checkpoint_io.py [--repetitions 20] [--directory /tmp] [--contiguous]

Save = create the file, write every dataset, close, fsync (the toolkit also renames and fsyncs the
directory). Load = open and read every dataset into numpy arrays.
"""
import argparse
import json
import os
import statistics
import tempfile
import time

import h5py
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--repetitions", type=int, default=20)
parser.add_argument("--directory", default=tempfile.gettempdir())
parser.add_argument("--contiguous", action="store_true", help="no chunks, no checksum (h5py's default layout)")
parser.add_argument("--json", action="store_true")
args = parser.parse_args()

D, W, E = 64, 1024, 64
shapes = {}
inputs = D + E
for layer in range(4):
    shapes[f"layers.{layer}.weight"] = (inputs, W)
    shapes[f"layers.{layer}.bias"] = (W,)
    inputs = W
shapes["layers.4.weight"] = (W, D)
shapes["layers.4.bias"] = (D,)
rng = np.random.default_rng(0)
arrays = {name: rng.standard_normal(shape).astype(np.float32) for name, shape in shapes.items()}
count = sum(a.size for a in arrays.values())
path = os.path.join(args.directory, "consistency-td-checkpoint-peer.h5")


def save():
    with h5py.File(path, "w") as f:
        group = f.create_group("parameters")
        for name, array in arrays.items():
            if args.contiguous:
                group.create_dataset(name, data=array)
            else:
                group.create_dataset(name, data=array, chunks=array.shape, fletcher32=True)
    descriptor = os.open(path, os.O_RDONLY)
    os.fsync(descriptor)
    os.close(descriptor)


def load():
    with h5py.File(path, "r") as f:
        return {name: f["parameters"][name][...] for name in arrays}


saves, loads = [], []
for _ in range(args.repetitions + 2):
    start = time.perf_counter()
    save()
    saves.append(time.perf_counter() - start)
    start = time.perf_counter()
    loaded = load()
    loads.append(time.perf_counter() - start)
assert all(np.array_equal(loaded[name], arrays[name]) for name in arrays)
os.remove(path)
save_ms, load_ms = statistics.median(saves[2:]) * 1e3, statistics.median(loads[2:]) * 1e3
if args.json:
    print(json.dumps({"fw": "h5py", "h5py": h5py.__version__, "hdf5": h5py.version.hdf5_version, "parameters": count,
                      "contiguous": args.contiguous, "save_ms": save_ms, "load_ms": load_ms}))
else:
    print(f"h5py {h5py.__version__} (HDF5 {h5py.version.hdf5_version}), {count} parameters, "
          f"{'contiguous' if args.contiguous else 'one chunk + Fletcher-32 per dataset'}")
    print(f"save median {save_ms:.2f} ms, load median {load_ms:.2f} ms")
