#!/usr/bin/env python3
"""Peer timings of the reference consistency-training step (BENCHMARK.md §1) in JAX and PyTorch.

The Swift benchmark (`swift run -c release consistency-td-bench`) times the same step; this script
gives the peers' numbers in the same session on the same machine, so the README can report ratios.

The step, for a fixed data batch x (B rows, D columns):

    z ~ N(0, I),  ξ ~ N(0, 1),  t = clamp(exp(−1.1 + 2.0·ξ), 0.002, 80),  r = 0.9·t     (drawn inside the step)
    emb(s)   = [sin(c_noise·f_k), cos(c_noise·f_k)]_{k<32},  c_noise = ln(s)/4,  f_k = exp(linspace(0, ln 1000, 32))
    F        = Linear(D+64 → W) SiLU, 3 × [Linear(W → W) SiLU], Linear(W → D)
    f(x, s)  = c_skip(s)·x + c_out(s)·F([c_in(s)·x, emb(s)])          σ_d = 0.5, t_min = 0.002
               c_skip = σ_d² / ((s − t_min)² + σ_d²),  c_out = σ_d (s − t_min) / √(σ_d² + s²),  c_in = 1 / √(σ_d² + s²)
    Δ        = f_θ(x + t z, t) − stopgrad f_θ(x + r z, r)
    loss     = mean_b  (√(‖Δ_b‖² + c²) − c) / (t_b − r_b),   c = 0.00054·√D
    then one Adam step (lr 1e−4, β = 0.9 / 0.999, ε = 1e−8) on every weight and bias.

Weights are LeCun-normal, biases zero, both drawn once with NumPy and shared by the frameworks.

Work per step: the online forward, its two backward products (dW and dX, except dX of the first
layer, which nobody needs) and the target forward, i.e.

    FLOP = 8·B·Σ_l in_l·out_l − 2·B·(D + 64)·W

the same count the Swift benchmark uses, so the `gflops` columns compare directly.

Threads: `--threads T` pins the process to T of the CPUs it may run on (sched_setaffinity, before
any framework is imported, so XLA's and PyTorch's pools are sized to them) and sets the OpenMP /
MKL / OpenBLAS thread variables to T. Run once per thread count.

Output: a table on stdout and, with `--json FILE`, one JSON object per configuration appended to
FILE with keys fw, D, W, B, threads, median_ms, p10_ms, p90_ms, gflops (plus version, compile_s,
loss_first, loss_last, flop_per_step). Percentiles are the Swift benchmark's: the median of an
even count averages the two middle values; p10/p90 take sorted[⌊n·q⌋].

    python reference_step.py --threads 2 --json peers.jsonl          # the full grid, 2 threads
    python reference_step.py --threads 1 --json peers.jsonl          # and 1 thread
    python reference_step.py --D 2 --W 256 --B 256 --steps 20 --warmup 5   # a quick smoke run
    python reference_step.py --check                                  # JAX vs NumPy (vs PyTorch) on one batch
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass

# ----------------------------------------------------------------------------------- constants
SIGMA_DATA = 0.5
T_MIN, T_MAX = 0.002, 80.0
LOG_T_MEAN, LOG_T_STD = -1.1, 2.0
TARGET_RATIO = 0.9  # r = 0.9·t
EMBEDDING_FREQUENCIES = 32  # 64 features: sin and cos
HIDDEN_LAYERS = 4  # Linear(D+64 → W) + 3 × Linear(W → W), each followed by SiLU
HUBER_PER_SQRT_D = 0.00054
LEARNING_RATE, BETA1, BETA2, ADAM_EPSILON = 1e-4, 0.9, 0.999, 1e-8


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (the process is pinned to this many CPUs)")
    parser.add_argument("--D", default="2,64", help="data dimensions, comma-separated")
    parser.add_argument("--W", default="256,1024", help="network widths, comma-separated")
    parser.add_argument("--B", default="256,1024", help="batch sizes, comma-separated")
    parser.add_argument("--steps", type=int, default=200, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=20, help="untimed steps before timing (after compilation)")
    parser.add_argument("--frameworks", default="jax,torch", help="any of jax,torch (torch is skipped when not importable)")
    parser.add_argument("--json", metavar="FILE", help="append one JSON object per configuration to FILE")
    parser.add_argument("--check", action="store_true", help="compare the frameworks' loss and gradients on one batch, then exit")
    arguments = parser.parse_args(argv)
    if arguments.threads < 1:
        parser.error("--threads must be ≥ 1")
    if arguments.steps < 1 or arguments.warmup < 0:
        parser.error("--steps must be ≥ 1 and --warmup ≥ 0")
    return arguments


def restrict_threads(count: int) -> list[int]:
    """Pins this process to `count` of its allowed CPUs and sets the thread variables. Call before importing
    numpy, jax or torch: their thread pools are sized when they load."""
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))
    if count > len(allowed):
        print(f"warning: {count} threads requested but only {len(allowed)} CPUs are available", file=sys.stderr)
    chosen = allowed[:count]
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, chosen)
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = str(count)
    if count == 1 and "XLA_FLAGS" not in os.environ:
        os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false"
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    return chosen


# ------------------------------------------------------------------------ the step, framework-free
@dataclass(frozen=True)
class Configuration:
    D: int
    W: int
    B: int

    @property
    def layer_sizes(self) -> list[tuple[int, int]]:
        widths = [self.D + 2 * EMBEDDING_FREQUENCIES] + [self.W] * HIDDEN_LAYERS + [self.D]
        return list(zip(widths[:-1], widths[1:]))

    @property
    def flop_per_step(self) -> int:
        products = sum(fan_in * fan_out for fan_in, fan_out in self.layer_sizes)
        return 8 * self.B * products - 2 * self.B * (self.D + 2 * EMBEDDING_FREQUENCIES) * self.W

    @property
    def huber_c(self) -> float:
        return HUBER_PER_SQRT_D * math.sqrt(self.D)


def initial_weights(configuration: Configuration, seed: int = 0):
    """[(weight in×out, bias out)] per layer: LeCun normal N(0, 1/in) and zeros, float32."""
    import numpy as np
    generator = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in configuration.layer_sizes:
        weight = generator.normal(0.0, math.sqrt(1.0 / fan_in), size=(fan_in, fan_out)).astype(np.float32)
        layers.append((weight, np.zeros(fan_out, np.float32)))
    return layers


def data_batch(configuration: Configuration, seed: int = 1):
    """B points of 8 Gaussian modes on the unit circle (first two coordinates), std 0.05 elsewhere too."""
    import numpy as np
    generator = np.random.default_rng(seed)
    x = 0.05 * generator.standard_normal((configuration.B, configuration.D))
    angles = generator.integers(0, 8, size=configuration.B) * (math.pi / 4)
    x[:, 0] += np.cos(angles)
    if configuration.D > 1:
        x[:, 1] += np.sin(angles)
    return x.astype(np.float32)


def embedding_frequencies():
    import numpy as np
    return np.exp(np.linspace(0.0, math.log(1000.0), EMBEDDING_FREQUENCIES)).astype(np.float32)


def numpy_loss(weights, x, z, t, configuration: Configuration, target_weights=None) -> float:
    """The loss in float64 NumPy: an independent check of the frameworks' forward passes. The target pass
    uses `target_weights` when given (to differentiate through the online pass only)."""
    import numpy as np
    frequencies = embedding_frequencies().astype(np.float64)

    def consistency(points, s, layers):
        angle = (np.log(s) / 4.0) * frequencies[None, :]
        c_in = 1.0 / np.sqrt(SIGMA_DATA**2 + s**2)
        c_skip = SIGMA_DATA**2 / ((s - T_MIN) ** 2 + SIGMA_DATA**2)
        c_out = SIGMA_DATA * (s - T_MIN) / np.sqrt(SIGMA_DATA**2 + s**2)
        h = np.concatenate([c_in * points, np.sin(angle), np.cos(angle)], axis=1)
        for index, (weight, bias) in enumerate(layers):
            h = h @ weight.astype(np.float64) + bias.astype(np.float64)
            if index < len(layers) - 1:
                h = h / (1.0 + np.exp(-h))
        return c_skip * points + c_out * h

    x, z, t = (a.astype(np.float64) for a in (x, z, t))
    r = TARGET_RATIO * t
    delta = consistency(x + t * z, t, weights) - consistency(x + r * z, r, weights if target_weights is None else target_weights)
    c = configuration.huber_c
    return float(np.mean((np.sqrt(np.sum(delta**2, axis=1, keepdims=True) + c * c) - c) / (t - r)))


# ------------------------------------------------------------------------------------------ JAX
class JAXStep:
    """The whole step (sampling, loss, gradient, Adam) as one jit-compiled function of the training state."""

    name = "jax-jit"

    def __init__(self, configuration: Configuration, seed: int = 0):
        import jax
        import jax.numpy as jnp

        self.jax, self.jnp = jax, jnp
        self.version = jax.__version__
        self.configuration = configuration
        frequencies = jnp.asarray(embedding_frequencies())
        c = configuration.huber_c
        D, B = configuration.D, configuration.B

        def consistency(parameters, points, s):
            angle = (jnp.log(s) * 0.25) * frequencies[None, :]
            c_in = jax.lax.rsqrt(SIGMA_DATA**2 + s * s)
            c_skip = SIGMA_DATA**2 / ((s - T_MIN) ** 2 + SIGMA_DATA**2)
            c_out = SIGMA_DATA * (s - T_MIN) * c_in
            h = jnp.concatenate([c_in * points, jnp.sin(angle), jnp.cos(angle)], axis=1)
            for weight, bias in parameters[:-1]:
                h = jax.nn.silu(h @ weight + bias)
            weight, bias = parameters[-1]
            return c_skip * points + c_out * (h @ weight + bias)

        def loss(parameters, x, z, t):
            r = TARGET_RATIO * t
            online = consistency(parameters, x + t * z, t)
            target = jax.lax.stop_gradient(consistency(parameters, x + r * z, r))
            squared = jnp.sum((online - target) ** 2, axis=1, keepdims=True)
            return jnp.mean((jnp.sqrt(squared + c * c) - c) / (t - r))

        def draw(key):
            noise_key, time_key = jax.random.split(key)
            z = jax.random.normal(noise_key, (B, D), jnp.float32)
            t = jnp.clip(jnp.exp(LOG_T_MEAN + LOG_T_STD * jax.random.normal(time_key, (B, 1), jnp.float32)), T_MIN, T_MAX)
            return z, t

        def adam(parameters, gradients, first, second, count):
            correction1 = 1.0 - BETA1**count
            correction2 = 1.0 - BETA2**count
            first = jax.tree_util.tree_map(lambda m, g: BETA1 * m + (1.0 - BETA1) * g, first, gradients)
            second = jax.tree_util.tree_map(lambda v, g: BETA2 * v + (1.0 - BETA2) * g * g, second, gradients)
            parameters = jax.tree_util.tree_map(
                lambda p, m, v: p - LEARNING_RATE * (m / correction1) / (jnp.sqrt(v / correction2) + ADAM_EPSILON),
                parameters, first, second)
            return parameters, first, second

        def train_step(state, x, base_key):
            parameters, first, second, count = state
            count = count + 1
            z, t = draw(jax.random.fold_in(base_key, count))
            value, gradients = jax.value_and_grad(loss)(parameters, x, z, t)
            parameters, first, second = adam(parameters, gradients, first, second, count.astype(jnp.float32))
            return (parameters, first, second, count), value

        self.loss_and_gradient = jax.jit(jax.value_and_grad(loss))
        self.train_step = jax.jit(train_step, donate_argnums=0)
        parameters = [(jnp.asarray(w), jnp.asarray(b)) for w, b in initial_weights(configuration, seed)]
        first = jax.tree_util.tree_map(jnp.zeros_like, parameters)
        second = jax.tree_util.tree_map(jnp.zeros_like, parameters)
        self.state = (parameters, first, second, jnp.zeros((), jnp.int32))
        self.x = jnp.asarray(data_batch(configuration))
        self.key = jax.random.PRNGKey(seed)

    def __call__(self) -> None:
        """One step, waited for (the loss stays on the device until ``loss_value`` reads it)."""
        self.state, self.last_loss = self.train_step(self.state, self.x, self.key)
        self.last_loss.block_until_ready()

    def loss_value(self) -> float:
        return float(self.last_loss)

    def gradient_check(self, weights, x, z, t):
        jnp = self.jnp
        parameters = [(jnp.asarray(w), jnp.asarray(b)) for w, b in weights]
        value, gradients = self.loss_and_gradient(parameters, jnp.asarray(x), jnp.asarray(z), jnp.asarray(t))
        import numpy as np
        flat = np.concatenate([np.asarray(a).ravel() for pair in gradients for a in pair])
        return float(value), flat


# -------------------------------------------------------------------------------------- PyTorch
class TorchStep:
    """The step in eager PyTorch with its own Adam (fused when this build has it, else foreach)."""

    name = "torch-eager"

    def __init__(self, configuration: Configuration, threads: int, seed: int = 0):
        import torch

        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.torch = torch
        self.version = torch.__version__
        self.configuration = configuration
        self.frequencies = torch.from_numpy(embedding_frequencies())
        self.parameters = []
        for weight, bias in initial_weights(configuration, seed):
            self.parameters += [torch.from_numpy(weight).requires_grad_(), torch.from_numpy(bias).requires_grad_()]
        try:
            self.optimizer = torch.optim.Adam(self.parameters, lr=LEARNING_RATE, betas=(BETA1, BETA2), eps=ADAM_EPSILON, fused=True)
        except (RuntimeError, TypeError, ValueError):
            self.optimizer = torch.optim.Adam(self.parameters, lr=LEARNING_RATE, betas=(BETA1, BETA2), eps=ADAM_EPSILON, foreach=True)
        self.x = torch.from_numpy(data_batch(configuration))

    def consistency(self, parameters, points, s):
        torch = self.torch
        angle = (torch.log(s) * 0.25) * self.frequencies[None, :]
        c_in = torch.rsqrt(SIGMA_DATA**2 + s * s)
        c_skip = SIGMA_DATA**2 / ((s - T_MIN) ** 2 + SIGMA_DATA**2)
        c_out = SIGMA_DATA * (s - T_MIN) * c_in
        h = torch.cat([c_in * points, torch.sin(angle), torch.cos(angle)], dim=1)
        layers = len(parameters) // 2
        for index in range(layers):
            h = torch.addmm(parameters[2 * index + 1], h, parameters[2 * index])
            if index < layers - 1:
                h = torch.nn.functional.silu(h)
        return c_skip * points + c_out * h

    def loss(self, parameters, x, z, t):
        torch = self.torch
        r = TARGET_RATIO * t
        online = self.consistency(parameters, x + t * z, t)
        with torch.no_grad():
            target = self.consistency(parameters, x + r * z, r)
        c = self.configuration.huber_c
        squared = ((online - target) ** 2).sum(dim=1, keepdim=True)
        return ((torch.sqrt(squared + c * c) - c) / (t - r)).mean()

    def __call__(self):
        torch = self.torch
        B, D = self.configuration.B, self.configuration.D
        z = torch.randn(B, D)
        t = torch.exp(LOG_T_MEAN + LOG_T_STD * torch.randn(B, 1)).clamp_(T_MIN, T_MAX)
        value = self.loss(self.parameters, self.x, z, t)
        self.optimizer.zero_grad(set_to_none=True)
        value.backward()
        self.optimizer.step()
        self.last_loss = value.detach()

    def loss_value(self) -> float:
        return float(self.last_loss)

    def gradient_check(self, weights, x, z, t):
        torch = self.torch
        import numpy as np
        parameters = []
        for weight, bias in weights:
            parameters += [torch.from_numpy(weight.copy()).requires_grad_(), torch.from_numpy(bias.copy()).requires_grad_()]
        value = self.loss(parameters, torch.from_numpy(x), torch.from_numpy(z), torch.from_numpy(t))
        value.backward()
        return float(value), np.concatenate([p.grad.numpy().ravel() for p in parameters])


# ------------------------------------------------------------------------------------- measuring
def percentile(sorted_values: list[float], fraction: float) -> float:
    """The Swift benchmark's convention (see the module documentation)."""
    n = len(sorted_values)
    if fraction == 0.5 and n % 2 == 0:
        return 0.5 * (sorted_values[n // 2 - 1] + sorted_values[n // 2])
    return sorted_values[min(int(n * fraction), n - 1)]


def measure(step, steps: int, warmup: int) -> dict:
    started = time.perf_counter()
    step()  # compiles (JAX) or builds the optimizer state (PyTorch)
    compile_seconds = time.perf_counter() - started
    loss_first = step.loss_value()
    for _ in range(warmup):
        step()
    durations = []
    clock = time.perf_counter
    for _ in range(steps):
        begin = clock()
        step()
        durations.append((clock() - begin) * 1e3)
    durations.sort()
    return dict(median_ms=percentile(durations, 0.5), p10_ms=percentile(durations, 0.1),
                p90_ms=percentile(durations, 0.9), compile_s=compile_seconds,
                loss_first=loss_first, loss_last=step.loss_value())


def builders(frameworks: list[str], threads: int):
    """(name, factory) for every requested framework that imports."""
    available = []
    for framework in frameworks:
        if framework == "jax":
            try:
                import jax  # noqa: F401
                available.append(("jax", lambda configuration: JAXStep(configuration)))
            except ImportError:
                print("jax is not importable: skipped (pip install jax jaxlib)", file=sys.stderr)
        elif framework == "torch":
            try:
                import torch  # noqa: F401
                available.append(("torch", lambda configuration: TorchStep(configuration, threads)))
            except ImportError:
                print("torch is not importable: skipped (optional; pip install torch)",
                      file=sys.stderr)
        else:
            sys.exit(f"unknown framework '{framework}'; use jax and/or torch")
    return available


def check(frameworks: list[str], threads: int) -> None:
    """Each framework's loss against float64 NumPy, its gradient against a float64 central difference along
    a random direction, and (with both frameworks) the two gradients against each other."""
    import numpy as np
    available = builders(frameworks, threads)
    for configuration in (Configuration(2, 256, 256), Configuration(64, 1024, 256)):
        generator = np.random.default_rng(7)
        weights = initial_weights(configuration)
        x = data_batch(configuration)
        z = generator.standard_normal((configuration.B, configuration.D)).astype(np.float32)
        t = np.clip(np.exp(LOG_T_MEAN + LOG_T_STD * generator.standard_normal((configuration.B, 1))), T_MIN, T_MAX).astype(np.float32)
        reference = numpy_loss(weights, x, z, t, configuration)
        # Directional derivative of the float64 loss; the target pass is held fixed (stop-gradient) by
        # perturbing only the online network: L(θ + h·d) with the target evaluated at θ.
        direction = [(generator.standard_normal(w.shape), generator.standard_normal(b.shape)) for w, b in weights]
        step = 1e-4

        def shifted(sign):
            return [(w.astype(np.float64) + sign * step * dw, b.astype(np.float64) + sign * step * db)
                    for (w, b), (dw, db) in zip(weights, direction)]

        directional = (numpy_loss(shifted(+1), x, z, t, configuration, target_weights=weights)
                       - numpy_loss(shifted(-1), x, z, t, configuration, target_weights=weights)) / (2 * step)
        flat_direction = np.concatenate([a.ravel() for pair in direction for a in pair])
        gradients = {}
        for name, build in available:
            value, gradient = build(configuration).gradient_check(weights, x, z, t)
            gradients[name] = gradient
            projected = float(gradient.astype(np.float64) @ flat_direction)
            print(f"check D={configuration.D} W={configuration.W} B={configuration.B} {name}: "
                  f"loss {value:.7g} vs float64 {reference:.7g} (rel. diff {abs(value - reference) / abs(reference):.1e}); "
                  f"g·d {projected:.7g} vs central difference {directional:.7g} "
                  f"(rel. diff {abs(projected - directional) / abs(directional):.1e})")
        if len(gradients) == 2:
            a, b = gradients.values()
            print(f"  gradient relative difference jax vs torch: {np.linalg.norm(a - b) / np.linalg.norm(b):.2e}")


def main(argv=None) -> None:
    arguments = parse_arguments(argv)
    cpus = restrict_threads(arguments.threads)
    frameworks = [name.strip() for name in arguments.frameworks.split(",") if name.strip()]
    if arguments.check:
        check(frameworks, arguments.threads)
        return
    grid = [Configuration(int(D), int(W), int(B))
            for D in arguments.D.split(",") for W in arguments.W.split(",") for B in arguments.B.split(",")]
    available = builders(frameworks, arguments.threads)
    if not available:
        sys.exit("no framework could be imported")
    print(f"# threads {arguments.threads} (CPUs {cpus}), steps {arguments.steps} after {arguments.warmup} warm-up, "
          f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}")
    print(f"{'fw':12s} {'D':>3s} {'W':>5s} {'B':>5s} {'median ms':>10s} {'p10 ms':>8s} {'p90 ms':>8s} {'GFLOP/s':>8s} "
          f"{'compile s':>9s} {'loss first → last':>22s}")
    for configuration in grid:
        for _, build in available:
            step = build(configuration)
            result = measure(step, arguments.steps, arguments.warmup)
            gflops = configuration.flop_per_step / (result["median_ms"] * 1e-3) * 1e-9
            print(f"{step.name:12s} {configuration.D:3d} {configuration.W:5d} {configuration.B:5d} "
                  f"{result['median_ms']:10.3f} {result['p10_ms']:8.3f} {result['p90_ms']:8.3f} {gflops:8.1f} "
                  f"{result['compile_s']:9.2f} {result['loss_first']:10.4g} → {result['loss_last']:<10.4g}", flush=True)
            record = dict(fw=step.name, D=configuration.D, W=configuration.W, B=configuration.B, threads=arguments.threads,
                          median_ms=result["median_ms"], p10_ms=result["p10_ms"], p90_ms=result["p90_ms"], gflops=gflops,
                          version=step.version, compile_s=result["compile_s"], loss_first=result["loss_first"],
                          loss_last=result["loss_last"], flop_per_step=configuration.flop_per_step)
            if arguments.json:
                with open(arguments.json, "a") as stream:
                    stream.write(json.dumps(record) + "\n")
            del step


if __name__ == "__main__":
    main()
