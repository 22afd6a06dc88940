#!/usr/bin/env python3
"""scipy peer of the exact value f*(x, t) (BENCHMARK.md §2: the Swift ExactValue must be ≥ 50× faster).

f*(x, t) is the PF-ODE solution at t_min started from (x, t) (METHODS.md §0), integrated in log-time
u = ln t, dx/du = x − D(x, e^u), with scipy's solve_ivp(method="DOP853", rtol=atol=1e-9), from
t = 80 down to t_min = 0.002.

The data: a 2-D ring of 8 Gaussians — means μ_k = 2 (cos 2πk/8, sin 2πk/8), standard deviation
s_k = 0.1, equal weights. THE SWIFT SIDE MUST USE THE SAME RING (radius 2, std 0.1, 8 equal modes),
the same times and the same tolerances. Its ideal denoiser (isotropic Gaussian mixture):

    D(x, t) = Σ_k r_k (t² μ_k + s_k² x) / (s_k² + t²),   r_k ∝ w_k N(x; μ_k, (s_k² + t²) I)

Points: x = x₀ + 80 z with x₀ from the ring and z ~ N(0, I), numpy default_rng(seed) (seed 0).

Two modes:
  batched    (default) one solve_ivp over the whole batch flattened into one 2N-vector. scipy's error
             norm is then the RMS over ALL coordinates of ALL points, so individual points are
             controlled less strictly than by a per-point norm; it is scipy's fastest way.
  per-point  one solve_ivp per point (each point its own step control, like the Swift solver with
             groupSize = 1). Slow: use --count to time a subset; the per-point time is reported.

    python exact_value_scipy.py [--count 10000] [--mode batched|per-point] [--seed 0]
                                [--repetitions 3] [--save results.npz] [--json]
"""
import argparse
import json
import statistics
import time

import numpy as np
import scipy
from scipy.integrate import solve_ivp

parser = argparse.ArgumentParser()
parser.add_argument("--count", type=int, default=10_000)
parser.add_argument("--mode", choices=["batched", "per-point"], default="batched")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--repetitions", type=int, default=3)
parser.add_argument("--tolerance", type=float, default=1e-9)
parser.add_argument("--t-start", type=float, default=80.0)
parser.add_argument("--t-min", type=float, default=0.002)
parser.add_argument("--save", help="write points, results and the settings to this .npz file")
parser.add_argument("--json", action="store_true", help="print one JSON line instead of text")
parser.add_argument("--write-raw", metavar="PREFIX",
                    help="write PREFIX.points.f64 and PREFIX.results.f64 (raw little-endian float64, count × 2) "
                         "for consistency-td-exact-value-bench --points/--reference")
args = parser.parse_args()

# The ring of 8 Gaussians (radius 2, std 0.1, equal weights) — shared with the Swift benchmark.
MODES, RADIUS, STD = 8, 2.0, 0.1
angles = 2 * np.pi * np.arange(MODES) / MODES
means = RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (K, 2)
stds = np.full(MODES, STD)                                          # (K,)
log_weights = np.full(MODES, -np.log(MODES))                        # (K,)
DIM = 2


def denoise(x, t):
    """D(x, t) for x of shape (N, 2): the posterior mean of x₀ given x_t = x."""
    variance = stds**2 + t * t                                       # (K,)
    squared = ((x[:, None, :] - means[None, :, :]) ** 2).sum(-1)     # (N, K)
    logits = log_weights - 0.5 * squared / variance - 0.5 * DIM * np.log(variance)
    logits -= logits.max(axis=1, keepdims=True)
    r = np.exp(logits)
    r /= r.sum(axis=1, keepdims=True)                                # (N, K)
    # Σ_k r_k (t² μ_k + s_k² x) / (s_k² + t²)
    a = r * (t * t / variance)                                       # (N, K)
    b = (r * (stds**2 / variance)).sum(axis=1, keepdims=True)        # (N, 1)
    return a @ means + b * x


def rhs(u, y):
    x = y.reshape(-1, DIM)
    return (x - denoise(x, np.exp(u))).ravel()


def solve(points):
    """f*(points, t_start) for an (N, 2) array; returns (results, denoiser evaluations)."""
    span = (np.log(args.t_start), np.log(args.t_min))
    tol = args.tolerance
    if args.mode == "batched":
        solution = solve_ivp(rhs, span, points.ravel(), method="DOP853", rtol=tol, atol=tol)
        if solution.status != 0:
            raise RuntimeError(solution.message)
        return solution.y[:, -1].reshape(-1, DIM), solution.nfev
    results = np.empty_like(points)
    evaluations = 0
    for i, point in enumerate(points):
        solution = solve_ivp(rhs, span, point, method="DOP853", rtol=tol, atol=tol)
        if solution.status != 0:
            raise RuntimeError(solution.message)
        results[i] = solution.y[:, -1]
        evaluations += solution.nfev
    return results, evaluations


rng = np.random.default_rng(args.seed)
components = rng.integers(0, MODES, size=args.count)
x0 = means[components] + STD * rng.standard_normal((args.count, DIM))
points = x0 + args.t_start * rng.standard_normal((args.count, DIM))

times = []
for _ in range(max(1, args.repetitions)):
    start = time.perf_counter()
    results, evaluations = solve(points)
    times.append(time.perf_counter() - start)
median = statistics.median(times)

record = {
    "peer": "scipy.solve_ivp", "method": "DOP853", "mode": args.mode, "count": args.count,
    "tolerance": args.tolerance, "t_start": args.t_start, "t_min": args.t_min, "seed": args.seed,
    "median_s": median, "per_point_us": 1e6 * median / args.count, "rhs_evaluations": int(evaluations),
    "scipy": scipy.__version__, "numpy": np.__version__,
}
if args.write_raw:
    points.astype("<f8").tofile(args.write_raw + ".points.f64")
    results.astype("<f8").tofile(args.write_raw + ".results.f64")
if args.save:
    np.savez(args.save, points=points, results=results, x0=x0, means=means, stds=stds,
             t_start=args.t_start, t_min=args.t_min, tolerance=args.tolerance)
if args.json:
    print(json.dumps(record))
else:
    print(f"scipy {scipy.__version__} solve_ivp(DOP853, rtol=atol={args.tolerance:g}), mode {args.mode}: "
          f"f* for {args.count} points from t = {args.t_start:g} to t_min = {args.t_min:g}")
    print(f"  median {median:.3f} s over {len(times)} runs ({record['per_point_us']:.1f} µs per point), "
          f"{evaluations} right-hand-side evaluations per run")
