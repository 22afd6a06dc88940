#!/usr/bin/env python3
"""JAX peer of the score-identity targets (BENCHMARK.md §2: the Swift FastScoreIdentityDenoiser must be
≥ 1× a jit-compiled JAX version).

The targets (SCT; METHODS.md §3.4): for B queries x_t,i at their own noise levels t_i and a shared
reference set of N points x₀^(j) in D dimensions,

    w_ij = softmax_j(−‖x_t,i − x₀^(j)‖² / 2t_i²),     D̂_i = Σ_j w_ij x₀^(j)

in float32. The default form is what a JAX user writes for speed: squared distances by the expansion
‖a‖² + ‖b‖² − 2a·b (one matmul), `jax.nn.softmax`, and D̂ = W·X₀ (a second matmul), all in one
`jax.jit`. (The Swift side computes the distances by direct differences with Double accumulation,
which is more work; the expansion cancels catastrophically at small t.) `--form direct` times the
broadcast direct-difference form instead.

Data as in the Swift benchmark (not bit-identical: numpy's generator): x₀ ~ N(0, I), query i is
reference i noised with t = clamp(exp(−1.1 + 2ξ), 0.002, 80).

    python score_identity_jax.py [--B 256] [--N 4096] [--D 64] [--threads 1] [--repeats 100]
                                 [--warmup 10] [--form expansion|direct] [--json]

`--threads T` pins the process to T CPUs before JAX loads (XLA sizes its pool from them) and, for
T = 1, turns off XLA's multi-threaded Eigen. Run once per thread count.
"""
import argparse
import json
import os
import statistics
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--B", type=int, default=256)
parser.add_argument("--N", type=int, default=4096)
parser.add_argument("--D", type=int, default=64)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--repeats", type=int, default=100)
parser.add_argument("--warmup", type=int, default=10)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--form", choices=["expansion", "direct"], default="expansion")
parser.add_argument("--json", action="store_true", help="print one JSON line instead of text")
args = parser.parse_args()

allowed = sorted(os.sched_getaffinity(0))
chosen = allowed[: max(1, args.threads)]
os.sched_setaffinity(0, chosen)
for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[variable] = str(args.threads)
if args.threads == 1 and "XLA_FLAGS" not in os.environ:
    os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false"
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402  (after pinning: thread pools are sized at import)
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402


@jax.jit
def targets_expansion(queries, times, references):
    """D̂ with distances by the matmul expansion (the fast way to write it in JAX)."""
    squared = (jnp.sum(queries * queries, axis=1)[:, None] + jnp.sum(references * references, axis=1)[None, :]
               - 2.0 * queries @ references.T)
    weights = jax.nn.softmax(-squared / (2.0 * times[:, None] ** 2), axis=1)
    return weights @ references


@jax.jit
def targets_direct(queries, times, references):
    """D̂ with distances by broadcast direct differences (B × N × D intermediate)."""
    differences = queries[:, None, :] - references[None, :, :]
    squared = jnp.sum(differences * differences, axis=2)
    weights = jax.nn.softmax(-squared / (2.0 * times[:, None] ** 2), axis=1)
    return weights @ references


def main():
    rng = np.random.default_rng(args.seed)
    references = rng.standard_normal((args.N, args.D), dtype=np.float32)
    noise = rng.standard_normal((args.B, args.D), dtype=np.float32)
    times = np.clip(np.exp(-1.1 + 2.0 * rng.standard_normal(args.B)), 0.002, 80).astype(np.float32)
    queries = references[: args.B] + times[:, None] * noise
    function = targets_expansion if args.form == "expansion" else targets_direct
    q, t, r = (jax.device_put(a) for a in (queries, times, references))
    start = time.perf_counter()
    function(q, t, r).block_until_ready()
    compile_s = time.perf_counter() - start
    for _ in range(args.warmup):
        function(q, t, r).block_until_ready()
    samples = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        function(q, t, r).block_until_ready()
        samples.append((time.perf_counter() - start) * 1e3)
    samples.sort()
    pick = lambda quantile: samples[min(round((len(samples) - 1) * quantile), len(samples) - 1)]
    result = {"fw": "jax", "form": args.form, "B": args.B, "N": args.N, "D": args.D, "threads": args.threads,
              "median_ms": statistics.median(samples), "p10_ms": pick(0.1), "p90_ms": pick(0.9),
              "compile_s": compile_s, "version": jax.__version__}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"JAX {jax.__version__} ({args.form}): B {args.B}, N {args.N}, D {args.D}, {args.threads} thread(s) "
              f"(CPUs {chosen}): median {result['median_ms']:.3f} ms (p10 {result['p10_ms']:.3f}, "
              f"p90 {result['p90_ms']:.3f}) over {args.repeats} after {args.warmup} warm-up")


if __name__ == "__main__":
    sys.exit(main())
