#!/usr/bin/env python3
"""h5py peer of consistency-td-trajectory-bench: writes the same compact trajectory arrays
(N episodes, K = 18, D = 2: observations, actions, rewards, terminations, truncations, seeds, times,
the same root attributes) with the same storage (chunks of 1024 episodes, shuffle + gzip 4 +
Fletcher-32, extendible along N), from arrays already in memory, and prints the median time.

    python3 trajectory_write_h5py.py [--episodes 100000] [--repetitions 3] [--directory /tmp]

The time covers creating the file, writing every dataset, closing, fsync and the rename into place
(as the Swift writer does).
"""
import argparse
import os
import statistics
import tempfile
import time

import h5py
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--episodes", type=int, default=100_000)
parser.add_argument("--repetitions", type=int, default=3)
parser.add_argument("--directory", default=tempfile.gettempdir())
args = parser.parse_args()

N, K, D, CHUNK = args.episodes, 18, 2, 1024
times = 80.0 * (0.002 / 80.0) ** (np.arange(K + 1) / K)
flat = np.arange(N * (K + 1) * D, dtype=np.float64).reshape(N, K + 1, D)
observations = (np.sin(0.001 * flat) * times[None, :, None]).astype(np.float32)
actions = observations[:, 1:, :].copy()
rewards = observations[:, 1:, :] - observations[:, :-1, :]
terminations = np.zeros((N, K), dtype=bool)
terminations[:, K - 1] = True
truncations = np.zeros((N, K), dtype=bool)
seeds = np.arange(N, dtype=np.uint64)
path = os.path.join(args.directory, "consistency-td-trajectory-peer.h5")


def write():
    temporary = path + ".tmp"
    with h5py.File(temporary, "w") as f:
        for name, value in [("format", "consistency-td.trajectories"), ("environment", "{}"), ("solver", "none"),
                            ("estimator", "benchmark"), ("time_grid", "geometric"), ("toolkit_version", "peer"),
                            ("created_utc", "now")]:
            f.attrs[name] = value
        f.attrs["format_version"] = np.int64(1)
        f.attrs["seed"] = np.uint64(0)
        f.create_dataset("times", data=times)
        for name, array in [("observations", observations), ("actions", actions), ("rewards", rewards),
                            ("terminations", terminations), ("truncations", truncations), ("seeds", seeds)]:
            f.create_dataset(name, data=array, chunks=(CHUNK,) + array.shape[1:], maxshape=(None,) + array.shape[1:],
                             compression="gzip", compression_opts=4, shuffle=True, fletcher32=True)
    descriptor = os.open(temporary, os.O_RDONLY)
    os.fsync(descriptor)
    os.close(descriptor)
    os.rename(temporary, path)


seconds = []
for _ in range(args.repetitions):
    if os.path.exists(path):
        os.remove(path)
    start = time.perf_counter()
    write()
    seconds.append(time.perf_counter() - start)
size = os.path.getsize(path)
os.remove(path)
print(f"h5py   N={N} K={K} D={D}: median {statistics.median(seconds):.3f} s over {len(seconds)} runs "
      f"({', '.join(f'{s:.3f}' for s in seconds)}), file {size / 1e6:.1f} MB, h5py {h5py.__version__}, "
      f"libhdf5 {h5py.version.hdf5_version}")
print(f"h5py_median_s {statistics.median(seconds)}")
