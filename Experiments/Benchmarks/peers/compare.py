#!/usr/bin/env python3
"""Runs the Swift benchmark and the JAX peer on the same configurations, alternating between them so
that drift in the machine's speed affects both alike, and prints the ratios of BENCHMARK.md §2.

Besides the two engines it reports the FMA floor: the step's matrix-product FLOPs at the Float32
fused multiply-add rate a register-only loop reaches on the same threads (`consistency-td-bench`
measures it after each step). No engine computing the same Float32 products beats it, so a target
"≤ ρ × JAX" can be met on this machine only if JAX's step is at least 1/ρ times the floor (column
"JAX ÷ floor"; the W = 256 target ρ = 0.7 needs ≥ 1.43, and more in practice: sgemm itself stays
below the peak).

It also reports the pre-packed time: the step's products on the toolkit's own 12 × 32 AVX-512 kernel
with every operand packed beforehand (`PrepackedBound.swift`), i.e. the matrix-product time of an
engine that never packs (weights kept packed across steps, activations written packed by epilogues),
with nothing else of the step. Column "pre-packed ÷ JAX" is then a lower bound on "÷ JAX" for any
engine that runs that kernel with the step's data flow (operands from L2 or L3 as the previous product
left them); only tiling the batch through all layers, every operand in L2, could beat it (by at most the
kernel's in-L2 rate, 97 % of the FMA peak).

    python compare.py --python .venv-peers/bin/python [--threads 2,1] [--repeats 2] [--markdown]

Each configuration is run `--repeats` times per engine (one process per run); the reported figure is
the smallest median over the repeats (the least disturbed run). Needs a release build of
`consistency-td-bench` (swift build -c release) and a Python with jax for the peer. OPENBLAS_CORETYPE
is removed from the environment of both, as a user would run them.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
root = here.parents[2]
parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--python", default=sys.executable, help="Python with jax installed")
parser.add_argument("--bench", default=str(root / ".build" / "release" / "consistency-td-bench"))
parser.add_argument("--D", default="2,64")
parser.add_argument("--W", default="256,1024")
parser.add_argument("--B", default="256,1024")
parser.add_argument("--threads", default="2,1")
parser.add_argument("--steps", type=int, default=200)
parser.add_argument("--warmup", type=int, default=20)
parser.add_argument("--repeats", type=int, default=1)
parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
args = parser.parse_args()

environment = {key: value for key, value in os.environ.items() if key != "OPENBLAS_CORETYPE"}


def last_json(output: str) -> dict:
    lines = [line for line in output.splitlines() if line.startswith("{") and '"median_ms"' in line]
    if not lines:
        raise RuntimeError("no JSON result in:\n" + output)
    return json.loads(lines[-1])


def run_swift(d, w, b, threads):
    command = [args.bench, "--D", str(d), "--W", str(w), "--B", str(b), "--threads", str(threads),
               "--steps", str(args.steps), "--warmup", str(args.warmup), "--json"]
    return last_json(subprocess.run(command, env=environment, capture_output=True, text=True, check=True).stdout)


def run_jax(d, w, b, threads):
    command = [args.python, str(here / "reference_step.py"), "--frameworks", "jax", "--D", str(d), "--W", str(w),
               "--B", str(b), "--threads", str(threads), "--steps", str(args.steps), "--warmup", str(args.warmup),
               "--json", "/dev/stdout"]
    return last_json(subprocess.run(command, env=environment, capture_output=True, text=True, check=True).stdout)


rows = []
for threads in [int(t) for t in args.threads.split(",")]:
    for d in [int(x) for x in args.D.split(",")]:
        for w in [int(x) for x in args.W.split(",")]:
            for b in [int(x) for x in args.B.split(",")]:
                ours, peer = [], []
                for _ in range(args.repeats):
                    peer.append(run_jax(d, w, b, threads))
                    ours.append(run_swift(d, w, b, threads))
                best = min(ours, key=lambda r: r["median_ms"])
                jax_ms = min(r["median_ms"] for r in peer)
                sgemm_ms = min(r["sgemm_ms"] for r in ours)
                floor_ms = min(r["fma_floor_ms"] for r in ours)
                prepacked_ms = min(r["prepacked_ms"] for r in ours)
                row = dict(threads=threads, D=d, W=w, B=b, ours_ms=best["median_ms"], jax_ms=jax_ms, sgemm_ms=sgemm_ms,
                           floor_ms=floor_ms, vs_floor=best["median_ms"] / floor_ms, jax_vs_floor=jax_ms / floor_ms,
                           vs_jax=best["median_ms"] / jax_ms, vs_sgemm=best["median_ms"] / sgemm_ms,
                           prepacked_ms=prepacked_ms, prepacked_vs_jax=prepacked_ms / jax_ms,
                           allocations=best["allocations_per_step"], core=best["core"])
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)

if args.markdown:
    print("| threads | D | W | B | ConsistencyTD ms | JAX-jit ms | ÷ JAX | sgemm-only ms | ÷ sgemm "
          "| pre-packed ms | pre-packed ÷ JAX | FMA floor ms | ÷ floor | JAX ÷ floor | allocs/step |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['threads']} | {r['D']} | {r['W']} | {r['B']} | {r['ours_ms']:.2f} | {r['jax_ms']:.2f} | "
              f"{r['vs_jax']:.2f} | {r['sgemm_ms']:.2f} | {r['vs_sgemm']:.2f} | {r['prepacked_ms']:.2f} | "
              f"{r['prepacked_vs_jax']:.2f} | {r['floor_ms']:.2f} | "
              f"{r['vs_floor']:.2f} | {r['jax_vs_floor']:.2f} | {r['allocations']:.0f} |")
else:
    for r in rows:
        print(json.dumps(r))
