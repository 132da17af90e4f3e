"""Seconds per outer LWGAN training iteration at the authors' swiss-roll recipe.

What it measures
----------------
The wall-clock cost of one steady-state *outer* training iteration of an LWGAN
(Qiu, Gao and Wang; docs/lwgan.md) for two implementations, run in the same process on the
same data, thread count and device:

* ``baseline``: a plain PyTorch loop written in the straightforward style of the
  authors' published implementation: rank codes concatenated to every layer's
  input, a fresh batch converted with ``torch.tensor`` for every step, separate
  forward passes for every term, encoder and generator frozen through
  ``requires_grad`` during the critic phase;
* ``latentspec``: :class:`latentspec.LWGANEstimator` at the same recipe.

The recipe (the authors' swiss roll): 10,000 points in R^2 from
:func:`latentspec.datasets.make_swiss_roll_2d`, ``latent_dim = 5``, batch 512;
per outer iteration one rank ``r`` drawn uniformly from 1..5, 20 critic updates,
then 5 encoder/generator updates; Adam with lr 2e-4; ``lambda_gp = 5``,
``lambda_mmd = 1``. Networks (the authors' MLP widths, struct_dim 64): encoder
hidden (512, 256, 128, 64), generator hidden (64, 128, 256, 512), critic hidden
(256, 128, 64).

How the iterations are timed
----------------------------
An outer iteration is timed from the end of the previous iteration's last
encoder/generator update to the end of its own last one, so it includes
everything the loop does in between (rank draw, batches, noise, the critic
phase, the encoder/generator phase, schedulers, loss logging).

``baseline``: a few untimed warm-up iterations, then every iteration is timed
with the clock (the device is synchronised around each on CUDA).

``latentspec``: ``fit`` also does things that are not outer iterations:
building the networks, phases before and after the adversarial loop, a warm-up
whose first iterations use 4x the critic steps, and the final rank scoring. The
script does not rely on how ``lwgan.py`` schedules these (it has changed before).
While ``fit`` runs, a global ``Optimizer.step`` hook stamps every optimizer step
(``time.perf_counter`` on the CPU, a CUDA event on the GPU, so nothing is
synchronised). The stamps split the fit into outer iterations (a run of critic
steps, then a run of encoder/generator steps); only iterations with exactly 20
critic and 5 encoder/generator steps that follow such an iteration count. Phases
that latentspec can switch off and that the recipe does not have (auto-encoder
warm-up, critic refit, if present) are switched off to save time; they would not
be counted anyway.

The two implementations alternate, block by block (``--repeats`` blocks of about
``--iters`` iterations each), so a load change on a shared machine hits both.
The table shows the mean wall-clock seconds per steady outer iteration over all
blocks (the headline ratio latentspec / baseline is of these means), the median,
the fastest iteration, and the mean process CPU time per iteration. Every steady
iteration does the same work, so on a machine that other jobs share the fastest
iteration and the CPU time (best with ``--threads 1``) are less disturbed than
the mean wall clock; the script prints the ratio of each.

Known differences that do not change the cost per iteration: latentspec uses one
hidden activation for all three networks, so its generator uses ReLU where the
authors' uses SiLU (same matrix products); latentspec's Adam uses betas
(0.5, 0.9), the baseline (0.5, 0.999) (same arithmetic).

A difference that does change the work: the baseline, like the authors' code,
draws a second data batch and noise for the gradient-penalty points and a
second data batch for the MMD; latentspec takes the penalty points between the
same reconstructions and generated samples that enter the critic gap, and the
MMD codes from the same batch as the reconstruction. The same estimators in
expectation, but latentspec's critic phase needs half the encoder/generator
forward passes and its encoder/generator step one encoder pass fewer.

Run it from the repository root::

    python benchmarks/speed_authors_recipe.py                 # CPU, 2 threads
    python benchmarks/speed_authors_recipe.py --device cuda   # on a GPU
    python benchmarks/speed_authors_recipe.py --iters 20 --repeats 3 --threads 1

The results also go to ``benchmarks/results/speed_authors_recipe.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _common import add_thread_option, apply_threads, environment, machine, results_path, write_results
from torch import nn
from torch.nn import functional as F
from torch.optim.optimizer import register_optimizer_step_post_hook

import latentspec
from latentspec import LWGANEstimator
from latentspec.datasets import make_swiss_roll_2d

# ----------------------------------------------------------------------- recipe
N_POINTS = 10_000
Z_DIM = 5
BATCH = 512
N_CRITIC = 20
N_GENERATOR = 5
LEARNING_RATE = 2e-4
BETAS = (0.5, 0.999)
LAMBDA_GP = 5.0
LAMBDA_MMD = 1.0
ENCODER_LAYERS = (512, 256, 128, 64)
GENERATOR_LAYERS = (64, 128, 256, 512)
CRITIC_LAYERS = (256, 128, 64)
IMQ_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)

BASELINE_WARMUP = 2
# latentspec phases outside the adversarial loop, switched off where they exist.
LATENTSPEC_OFF = {"n_warmup": 0, "n_critic_refit": 0}


# --------------------------------------------------------------------- baseline
class CodedMLP(nn.Module):
    """MLP whose every layer, the output layer included, gets a code concatenated to its input.

    Parameters
    ----------
    in_features : int
        Input width.
    hidden : tuple of int
        Hidden widths.
    out_features : int
        Output width.
    code_dim : int
        Length of the rank code.
    """

    def __init__(self, in_features: int, hidden: tuple[int, ...], out_features: int, code_dim: int):
        super().__init__()
        sizes = (in_features, *hidden, out_features)
        self.layers = nn.ModuleList(nn.Linear(a + code_dim, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """Apply the network to ``x`` with rank code ``code`` (one row per sample)."""
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer(torch.cat([x, code], dim=1))
            if i < last:
                x = F.relu(x)
        return x


def make_generator_net(z_dim: int, hidden: tuple[int, ...], out_features: int) -> nn.Sequential:
    """The authors' generator: a plain MLP with SiLU activations."""
    sizes = (z_dim, *hidden)
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b), nn.SiLU()]
    layers.append(nn.Linear(sizes[-1], out_features))
    return nn.Sequential(*layers)


def imq_mmd_unbiased(a: torch.Tensor, b: torch.Tensor, z_dim: int) -> torch.Tensor:
    """Unbiased MMD with the sum of IMQ kernels ``C / (C + ||u - v||^2)``, ``C = 2 z_dim s``.

    Parameters
    ----------
    a, b : tensor of shape (n, z_dim)
        Encoded codes and prior draws.
    z_dim : int
        Latent dimension (sets the kernel scales).

    Returns
    -------
    tensor
        The MMD estimate (a scalar).
    """
    n = a.shape[0]
    norms_a = a.pow(2).sum(1, keepdim=True)
    norms_b = b.pow(2).sum(1, keepdim=True)
    dist_aa = norms_a + norms_a.t() - 2.0 * a @ a.t()
    dist_bb = norms_b + norms_b.t() - 2.0 * b @ b.t()
    dist_ab = norms_a + norms_b.t() - 2.0 * a @ b.t()
    off_diagonal = 1.0 - torch.eye(n, device=a.device)
    stat = torch.zeros((), device=a.device)
    for scale in IMQ_SCALES:
        c = 2.0 * z_dim * scale
        within = (c / (c + dist_aa) + c / (c + dist_bb)) * off_diagonal
        cross = c / (c + dist_ab)
        stat = stat + within.sum() / (n * (n - 1)) - 2.0 * cross.sum() / (n * n)
    return stat


class AuthorsStyleLWGAN:
    """LWGAN training loop in the straightforward style of the authors' implementation.

    Parameters
    ----------
    data : ndarray of shape (n_samples, n_features)
        Training data (sampled with replacement for every step).
    device : torch.device
        Where the networks live.
    seed : int
        Seed of the baseline's random draws.
    """

    def __init__(self, data: np.ndarray, device: torch.device, seed: int = 0):
        torch.manual_seed(seed)
        self.data = data
        self.device = device
        self.rng = np.random.default_rng(seed)
        x_dim = data.shape[1]
        self.encoder = CodedMLP(x_dim, ENCODER_LAYERS, Z_DIM, Z_DIM).to(device)
        self.generator = make_generator_net(Z_DIM, GENERATOR_LAYERS, x_dim).to(device)
        self.critic = CodedMLP(x_dim, CRITIC_LAYERS, 1, Z_DIM).to(device)
        self.opt_encoder = torch.optim.Adam(self.encoder.parameters(), lr=LEARNING_RATE, betas=BETAS)
        self.opt_generator = torch.optim.Adam(self.generator.parameters(), lr=LEARNING_RATE, betas=BETAS)
        self.opt_critic = torch.optim.Adam(self.critic.parameters(), lr=LEARNING_RATE, betas=BETAS)

    # -- pieces ---------------------------------------------------------------------
    def _batch(self) -> torch.Tensor:
        rows = self.rng.integers(0, len(self.data), BATCH)
        return torch.tensor(self.data[rows], dtype=torch.float32, device=self.device)

    def _codes(self, r: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        one_hot = torch.zeros(BATCH, Z_DIM, device=self.device)
        one_hot[:, r - 1] = 1.0
        thermometer = torch.zeros(BATCH, Z_DIM, device=self.device)
        thermometer[:, : r - 1] = 1.0
        mask = torch.zeros(BATCH, Z_DIM, device=self.device)
        mask[:, :r] = 1.0
        return one_hot, thermometer, mask

    def _noise(self, mask: torch.Tensor) -> torch.Tensor:
        return torch.randn(BATCH, Z_DIM, device=self.device) * mask

    @staticmethod
    def _set_grad(net: nn.Module, flag: bool) -> None:
        for p in net.parameters():
            p.requires_grad = flag

    # -- one outer iteration ----------------------------------------------------------
    def iteration(self) -> None:
        """One outer iteration: a random rank, 20 critic updates, 5 encoder/generator updates."""
        r = int(self.rng.integers(1, Z_DIM + 1))
        one_hot, thermometer, mask = self._codes(r)
        Q, G, D = self.encoder, self.generator, self.critic

        self._set_grad(Q, False)
        self._set_grad(G, False)
        self._set_grad(D, True)
        for _ in range(N_CRITIC):
            x1, x2 = self._batch(), self._batch()
            fake = G(self._noise(mask))
            reconstructed = G(Q(x1, one_hot) * mask)
            fake_gp = G(self._noise(mask))
            reconstructed_gp = G(Q(x2, one_hot) * mask)
            alpha = torch.rand(BATCH, 1, device=self.device)
            between = fake_gp + alpha * (reconstructed_gp - fake_gp)
            between.requires_grad_(True)
            d_between = D(between, thermometer)
            (grad,) = torch.autograd.grad(
                d_between, between, grad_outputs=torch.ones_like(d_between), create_graph=True
            )
            penalty = ((grad.norm(2, dim=1) - 1.0) ** 2).mean()
            gap = D(reconstructed, thermometer).mean() - D(fake, thermometer).mean()
            loss = -gap + LAMBDA_GP * penalty
            self.opt_critic.zero_grad()
            loss.backward()
            self.opt_critic.step()

        self._set_grad(Q, True)
        self._set_grad(G, True)
        self._set_grad(D, False)
        for _ in range(N_GENERATOR):
            x1, x2 = self._batch(), self._batch()
            reconstructed = G(Q(x1, one_hot) * mask)
            fake = G(self._noise(mask))
            recon = (x1 - reconstructed).norm(2, dim=1).mean()
            gap = D(reconstructed, thermometer).mean() - D(fake, thermometer).mean()
            mmd = imq_mmd_unbiased(Q(x2, one_hot) * mask, self._noise(mask), Z_DIM)
            loss = recon + gap + LAMBDA_MMD * mmd
            self.opt_encoder.zero_grad()
            self.opt_generator.zero_grad()
            loss.backward()
            self.opt_encoder.step()
            self.opt_generator.step()
        self._set_grad(D, True)


# ------------------------------------------------------------------------ timing
def synchronise(device: torch.device) -> None:
    """Wait for queued device work, so the wall clock covers it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_baseline_block(model: AuthorsStyleLWGAN, iters: int) -> tuple[list[float], list[float]]:
    """Wall and process-CPU seconds of each of ``iters`` baseline outer iterations."""
    wall, cpu = [], []
    synchronise(model.device)
    for _ in range(iters):
        start, start_cpu = time.perf_counter(), time.process_time()
        model.iteration()
        synchronise(model.device)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


class StepStamps:
    """Stamps every ``Optimizer.step`` of any optimizer while active (a context manager).

    Parameters
    ----------
    device : torch.device
        On CUDA the wall-clock stamps are CUDA events (nothing is synchronised),
        else ``time.perf_counter`` readings. Process CPU time is stamped too.
    """

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.first_params: list[int] = []  # id of the first parameter of the optimizer that stepped
        self.wall: list[Any] = []
        self.cpu: list[float] = []
        self._handle: Any = None

    def __enter__(self) -> StepStamps:
        def hook(optimizer: torch.optim.Optimizer, *_: Any) -> None:
            if self.cuda:
                stamp = torch.cuda.Event(enable_timing=True)
                stamp.record()
            else:
                stamp = time.perf_counter()
            self.wall.append(stamp)
            self.cpu.append(time.process_time())
            self.first_params.append(id(optimizer.param_groups[0]["params"][0]))

        self._handle = register_optimizer_step_post_hook(hook)
        return self

    def __exit__(self, *_: Any) -> None:
        self._handle.remove()

    def wall_seconds(self) -> list[float]:
        """The wall-clock stamps as seconds since the first one."""
        if not self.cuda:
            return [t - self.wall[0] for t in self.wall]
        torch.cuda.synchronize()
        return [self.wall[0].elapsed_time(e) / 1000.0 for e in self.wall]


def steady_iterations(is_critic: list[bool], seconds: list[float]) -> list[float]:
    """Durations of the steady outer iterations in a sequence of optimizer steps.

    An outer iteration is a run of critic steps followed by a run of other
    (encoder/generator) steps; it is steady when it has exactly ``N_CRITIC`` and
    ``N_GENERATOR`` of them and directly follows a complete outer iteration. Its
    duration runs from the previous iteration's last step to its own last step.

    Parameters
    ----------
    is_critic : list of bool
        Whether each optimizer step updated the critic.
    seconds : list of float
        When each step ended (any clock).

    Returns
    -------
    list of float
        Seconds of every steady outer iteration.
    """
    runs: list[tuple[bool, int, int]] = []  # (critic?, length, index of the last step)
    for i, critic in enumerate(is_critic):
        if runs and runs[-1][0] == critic:
            runs[-1] = (critic, runs[-1][1] + 1, i)
        else:
            runs.append((critic, 1, i))
    durations = []
    for j in range(2, len(runs) - 1):
        (prev_c, _, _), (prev_g, _, prev_end), (crit, n_c, _), (gen, n_g, end) = runs[j - 2 : j + 2]
        if prev_c and not prev_g and crit and not gen and (n_c, n_g) == (N_CRITIC, N_GENERATOR):
            durations.append(seconds[end] - seconds[prev_end])
    return durations


def make_estimator(n_iter: int, device: torch.device, precision: str = "float32") -> LWGANEstimator:
    """latentspec's estimator at the authors' recipe."""
    params = {
        "precision": precision,
        "latent_dim": Z_DIM,
        "rank": "auto",
        "rank_sampling": "per_iteration",
        "n_iter": n_iter,
        "n_critic": N_CRITIC,
        "n_generator": N_GENERATOR,
        "batch_size": BATCH,
        "learning_rate": LEARNING_RATE,
        "lambda_gp": LAMBDA_GP,
        "lambda_mmd": LAMBDA_MMD,
        "encoder_layers": ENCODER_LAYERS,
        "generator_layers": GENERATOR_LAYERS,
        "critic_layers": CRITIC_LAYERS,
        "activation": "relu",
        "n_score_repeats": 1,
        "device": device,
        "n_threads": torch.get_num_threads(),  # the baseline's count (--threads)
        "random_state": 0,
    }
    available = LWGANEstimator().get_params()
    params.update({name: value for name, value in LATENTSPEC_OFF.items() if name in available})
    return LWGANEstimator(**params)


def time_latentspec_fit(
    data: np.ndarray, n_iter: int, device: torch.device, precision: str = "float32"
) -> tuple[list[float], list[float], float]:
    """Wall and CPU seconds of the steady outer iterations of one ``fit``, and the fit's wall time."""
    estimator = make_estimator(n_iter, device, precision)
    with StepStamps(device) as stamps:
        synchronise(device)
        start = time.perf_counter()
        estimator.fit(data)
        synchronise(device)
        fit_wall = time.perf_counter() - start
    critic_params = {id(p) for p in estimator.module_.critic.parameters()}
    is_critic = [first in critic_params for first in stamps.first_params]
    wall = steady_iterations(is_critic, stamps.wall_seconds())
    cpu = steady_iterations(is_critic, stamps.cpu)
    return wall, cpu, fit_wall


def source_fingerprint() -> str:
    """Short SHA-256 of latentspec's Python sources (the code that was timed)."""
    digest = hashlib.sha256()
    for path in sorted(Path(latentspec.__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# -------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=5, help="outer iterations timed per block and implementation")
    parser.add_argument("--repeats", type=int, default=3, help="alternating blocks per implementation")
    add_thread_option(parser, default=2, help="torch.set_num_threads (both)")
    parser.add_argument("--device", default="cpu", help='"cpu" (default) or "cuda"')
    parser.add_argument(
        "--precision", default="float32", choices=["float32", "bfloat16"],
        help="latentspec's precision parameter (the baseline always trains in float32)",
    )
    parser.add_argument(
        "--output", type=Path, default=results_path("speed_authors_recipe"), help="where to write the JSON results"
    )
    args = parser.parse_args(argv)
    if min(args.iters, args.repeats, args.threads) < 1:
        parser.error("--iters, --repeats and --threads must be >= 1")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the table and write the JSON results.

    Parameters
    ----------
    argv : list of str or None
        Command-line arguments (``None``: ``sys.argv``).

    Returns
    -------
    dict
        The results written to the JSON file.
    """
    args = parse_args(argv)
    apply_threads(args)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda asked for, but PyTorch sees no CUDA device")
    data = make_swiss_roll_2d(n_samples=N_POINTS, random_state=0)
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    wall_start = time.perf_counter()

    baseline = AuthorsStyleLWGAN(data, device)
    for _ in range(BASELINE_WARMUP):
        baseline.iteration()
    # Enough latentspec iterations for about ``iters`` steady ones: its first one has
    # no start stamp and its warm-up ones (a tenth, at most 10) have 4x critic steps.
    n_iter = args.iters + 1 + min(10, -(-args.iters // 9))
    names = ("baseline", "latentspec")
    wall: dict[str, list[list[float]]] = {name: [] for name in names}
    cpu: dict[str, list[list[float]]] = {name: [] for name in names}
    fit_walls = []
    for _ in range(args.repeats):
        block_wall, block_cpu = time_baseline_block(baseline, args.iters)
        wall["baseline"].append(block_wall)
        cpu["baseline"].append(block_cpu)
        block_wall, block_cpu, fit_wall = time_latentspec_fit(data, n_iter, device, args.precision)
        wall["latentspec"].append(block_wall)
        cpu["latentspec"].append(block_cpu)
        fit_walls.append(fit_wall)
    flat_wall = {name: [t for block in wall[name] for t in block] for name in names}
    flat_cpu = {name: [t for block in cpu[name] for t in block] for name in names}
    if not flat_wall["latentspec"]:
        raise SystemExit(
            "no steady latentspec outer iteration found: its fit no longer runs "
            f"{N_CRITIC} critic then {N_GENERATOR} encoder/generator steps per outer iteration"
        )
    mean = {name: statistics.fmean(flat_wall[name]) for name in names}
    median = {name: statistics.median(flat_wall[name]) for name in names}
    fastest = {name: min(flat_wall[name]) for name in names}
    cpu_mean = {name: statistics.fmean(flat_cpu[name]) for name in names}
    block_means = {name: [statistics.fmean(b) for b in wall[name] if b] for name in names}
    ratio = mean["latentspec"] / mean["baseline"]
    cpu_ratio = cpu_mean["latentspec"] / cpu_mean["baseline"]
    min_ratio = fastest["latentspec"] / fastest["baseline"]
    total_wall = time.perf_counter() - wall_start
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    if device.type == "cuda":
        device_name = torch.cuda.get_device_name(device)
    else:
        device_name = machine() or "cpu"
    fingerprint = source_fingerprint()
    print("LWGAN outer iteration (20 critic + 5 encoder/generator updates), authors' swiss-roll recipe")
    print(f"  z_dim={Z_DIM}, batch={BATCH}, n={N_POINTS}; {args.repeats} alternating blocks per implementation")
    print(
        f"  torch {torch.__version__}, latentspec {latentspec.__version__} (sources {fingerprint}), "
        f"threads {torch.get_num_threads()}, device {device} ({device_name}), latentspec precision {args.precision}"
    )
    print()
    header = f"{'implementation':<14}{'iters':>6}{'wall s/iter':>13}{'median':>9}{'min':>8}{'cpu s/iter':>12}"
    print(f"  {header}   block means (wall)")
    for name in names:
        means = ", ".join(f"{v:.3f}" for v in block_means[name])
        print(
            f"  {name:<14}{len(flat_wall[name]):>6}{mean[name]:>13.3f}{median[name]:>9.3f}"
            f"{fastest[name]:>8.3f}{cpu_mean[name]:>12.3f}   {means}"
        )
    print(
        f"  ratio latentspec / baseline: {ratio:.3f} (mean wall), {min_ratio:.3f} (fastest iteration), "
        f"{cpu_ratio:.3f} (mean process CPU time)"
    )
    print()
    print("  note: latentspec uses one activation for all nets: its generator is ReLU, the authors'")
    print("        SiLU (same matrix products); its Adam betas are (0.5, 0.9) (same cost). latentspec")
    print("        reuses the critic-gap samples for the penalty points and the reconstruction batch for")
    print("        the MMD, where the baseline (like the authors) draws fresh ones: less work per iteration.")
    print(
        f"  benchmark wall time {total_wall:.1f} s; 1-min load average {load_before:.2f} before, {load_after:.2f} after"
    )
    n_cpus = os.cpu_count() or 1
    if device.type == "cpu" and load_before + args.threads > n_cpus + 0.5:
        print(f"  WARNING: other processes were using the {n_cpus} CPUs (load {load_before:.2f} at the start);")
        print("           timings then swing widely, most with --threads > 1 (threads wait for each other).")
        print("           Compare with --threads 1, or rerun on an idle machine.")

    results = {
        "benchmark": "speed_authors_recipe",
        "recipe": {
            "n_points": N_POINTS,
            "z_dim": Z_DIM,
            "batch": BATCH,
            "n_critic": N_CRITIC,
            "n_generator": N_GENERATOR,
            "learning_rate": LEARNING_RATE,
            "lambda_gp": LAMBDA_GP,
            "lambda_mmd": LAMBDA_MMD,
            "encoder_layers": ENCODER_LAYERS,
            "generator_layers": GENERATOR_LAYERS,
            "critic_layers": CRITIC_LAYERS,
        },
        "iters_per_block": args.iters,
        "repeats": args.repeats,
        "latentspec_n_iter_per_fit": n_iter,
        "seconds_per_iteration_mean": mean,
        "seconds_per_iteration_median": median,
        "seconds_per_iteration_min": fastest,
        "cpu_seconds_per_iteration_mean": cpu_mean,
        "ratio_latentspec_over_baseline": ratio,
        "min_ratio_latentspec_over_baseline": min_ratio,
        "cpu_ratio_latentspec_over_baseline": cpu_ratio,
        "seconds_per_iteration_all": flat_wall,
        "cpu_seconds_per_iteration_all": flat_cpu,
        "latentspec_fit_wall_seconds": fit_walls,
        "latentspec_source_sha256_12": fingerprint,
        # The environment entries where the earlier results files have them.
        **environment("torch", "latentspec", "threads"),
        "device": str(device),
        "latentspec_precision": args.precision,
        "device_name": device_name,
        **environment("python"),
        "wall_seconds": total_wall,
        "load_average_1min_before": load_before,
        "load_average_1min_after": load_after,
        **environment("cpu_count"),
    }
    write_results(args.output, results)
    print(f"  results written to {args.output}")
    return results


if __name__ == "__main__":
    main()
