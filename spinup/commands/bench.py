"""Speed of the update functions, PyTorch against JAX, side by side in one process.

    python -m spinup.run bench [vpg ppo trpo ddpg td3 sac] [--quick] [--device D]
                               [--no_compile] [--json PATH] [--plot PATH]
    python -m spinup.commands.bench [ALGO ...] [--quick] [--json PATH] [--plot PATH]
    python -m spinup.run bench --runs | --peers | --population ...   (see main)

One function per family (``bench_on_policy``, ``bench_off_policy``), each returning a dict of
measurements. The contenders (PyTorch eager, PyTorch compiled, on CUDA PyTorch with CUDA
graphs, JAX) are timed alternately, block after block, so a change in machine load hits all
alike; the first call of each (compilation for JAX and compiled PyTorch) is reported apart,
and the headline ratio is JAX against the best PyTorch measured. Every timed call
ends with the learner's ``sync()``, so asynchronous work is inside the clock.
"""
import argparse
import os
import sys

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import numpy as np  # noqa: E402

from spinup.commands.bench_common import (LABELS, _alternate, _learners, _median,  # noqa: E402
                                          _spec, _spread, _td3_blocks, _timed, _vpg_batch,
                                          add_ratios, all_algos, contenders, env_spaces,
                                          on_policy, write_json)


def _fwd_first(batch_size):
    """(forward FLOPs of an MLP of widths ``sizes``, FLOPs of its first layer) at a batch."""
    def fwd(sizes):
        return 2 * batch_size * sum(i * o for i, o in zip(sizes[:-1], sizes[1:]))

    def first(sizes):  # the first layer needs no gradient w.r.t. its input
        return 2 * batch_size * sizes[0] * sizes[1]
    return fwd, first


def td3_update_flops(obs_dim, act_dim, hidden_sizes, batch_size, policy_delay=2):
    """Matmul FLOPs of one TD3 update, averaged over the policy-delay schedule (elementwise
    work and the optimizer are left out: they are a few percent)."""
    fwd, first = _fwd_first(batch_size)
    pi = [obs_dim, *hidden_sizes, act_dim]
    q = [obs_dim + act_dim, *hidden_sizes, 1]
    target = fwd(pi) + 2 * fwd(q)
    q_step = target + 2 * (fwd(q) + 2 * fwd(q) - first(q))
    # Policy step: pi and Q1 forward; backward through Q1 to the action (input gradients
    # only), then through pi (weight and input gradients).
    pi_step = fwd(pi) + fwd(q) + fwd(q) + 2 * fwd(pi) - first(pi)
    return q_step + pi_step / policy_delay


def ddpg_update_flops(obs_dim, act_dim, hidden_sizes, batch_size, policy_delay=None):
    """Matmul FLOPs of one DDPG update: a Q step on the target's forward passes, then a
    policy step through Q to the action (as TD3's with one critic and no delay)."""
    fwd, first = _fwd_first(batch_size)
    pi, q = [obs_dim, *hidden_sizes, act_dim], [obs_dim + act_dim, *hidden_sizes, 1]
    q_step = fwd(pi) + fwd(q) + 3 * fwd(q) - first(q)
    pi_step = fwd(pi) + 2 * fwd(q) + 2 * fwd(pi) - first(pi)
    return q_step + pi_step


def sac_update_flops(obs_dim, act_dim, hidden_sizes, batch_size, policy_delay=None):
    """Matmul FLOPs of one SAC update: the next action sampled and both target critics for
    the backup, a step on both critics, then a policy step through both critics (the actor:
    a body and two heads)."""
    fwd, first = _fwd_first(batch_size)
    body, q = [obs_dim, *hidden_sizes], [obs_dim + act_dim, *hidden_sizes, 1]
    pi_fwd = fwd(body) + 2 * fwd([hidden_sizes[-1], act_dim])
    q_step = pi_fwd + 2 * fwd(q) + 2 * (3 * fwd(q) - first(q))
    pi_step = pi_fwd + 4 * fwd(q) + 2 * pi_fwd - first(body)
    return q_step + pi_step


def gemm_gflops(n=1024, repeats=10, device="cpu"):
    """Best float32 matmul rate of this machine (GFLOP/s) over JAX (on its default device)
    and PyTorch (on ``device``), on n x n."""
    import jax
    import jax.numpy as jnp
    import torch

    rates = {}
    a = jnp.ones((n, n), jnp.float32)
    f = jax.jit(lambda x: x @ x)
    f(a).block_until_ready()
    rates["jax"] = min(_timed(lambda: f(a).block_until_ready()) for _ in range(repeats))
    b = torch.ones(n, n, device=device)
    sync = torch.cuda.synchronize if b.is_cuda else (lambda: None)
    b @ b
    sync()
    rates["pytorch"] = min(_timed(lambda: (b @ b, sync())) for _ in range(repeats))
    return {k: 2 * n ** 3 / v / 1e9 for k, v in rates.items()}


def chain_gflops(batch, width, length=200, repeats=5):
    """JAX's float32 rate (GFLOP/s) on the shapes a small-batch update is made of: a chain of
    ``length`` dependent [batch, width] @ [width, width] matmuls in one jitted scan (no
    dispatch in between)."""
    import jax
    import jax.numpy as jnp

    @jax.jit
    def chain(x, w):
        return jax.lax.scan(lambda c, _: (c @ w, None), x, None, length=length)[0]

    x, w = jnp.ones((batch, width), jnp.float32), jnp.eye(width, dtype=jnp.float32)
    chain(x, w).block_until_ready()
    t = min(_timed(lambda: chain(x, w).block_until_ready()) for _ in range(repeats))
    return 2 * batch * width * width * length / t / 1e9


def bench_off_policy(algo="td3", batch_size=100, hidden_sizes=(256, 256), n_blocks=20,
                     update_every=50, obs_dim=17, act_dim=6, policy_delay=2,
                     backends=None, seed=0, verbose=True, gemm=None, device="cpu"):
    """Time one update block of off-policy ``algo`` (ddpg, td3, sac) (``update_every`` updates) per backend, ``n_blocks`` times,
    alternating backends. Returns a dict: per backend ``<b>_us_per_update`` (median),
    ``<b>_us_per_update_min`` and ``<b>_first_call_s`` (compilation for JAX); and
    ``jax_over_pytorch`` (ratio of medians), ``flops_per_update``, ``gemm_gflops`` (best
    large-matmul rate here; pass ``gemm`` to reuse one measurement), ``floor_us_per_update``,
    ``jax_over_floor``, and ``<b>_gflops`` (achieved matmul rate)."""
    from gymnasium import spaces
    backends = contenders(device) if backends is None else tuple(backends)
    learners = _learners(algo, backends, spaces.Box(-np.inf, np.inf, (obs_dim,)),
                         spaces.Box(-1.0, 1.0, (act_dim,)), hidden_sizes, seed, device=device,
                         **({"policy_delay": policy_delay}
                            if "policy_delay" in _spec(algo).learner_args else {}))
    blocks = _td3_blocks(4, update_every, batch_size, obs_dim, act_dim, seed)
    out = dict(algo=algo, batch_size=batch_size, hidden_sizes=tuple(hidden_sizes), n_blocks=n_blocks,
               update_every=update_every, obs_dim=obs_dim, act_dim=act_dim,
               threads=os.cpu_count(), load_avg_1min=os.getloadavg()[0],
               contenders=list(backends))

    times = _alternate(learners, blocks, n_blocks, out)
    for name, ts in times.items():
        out[f"{name}_us_per_update"] = _median(ts) / update_every * 1e6
        q25, q75, lo, hi = _spread(ts)
        out[f"{name}_us_per_update_min"] = lo / update_every * 1e6
        out[f"{name}_us_per_update_max"] = hi / update_every * 1e6
        out[f"{name}_us_per_update_iqr"] = (q25 / update_every * 1e6, q75 / update_every * 1e6)
    add_ratios(out, "us_per_update")
    flops = OFF_POLICY_FLOPS.get(algo)  # an algorithm without a count: nan
    out["flops_per_update"] = float("nan") if flops is None else flops(
        obs_dim, act_dim, hidden_sizes, batch_size, policy_delay)
    # Two floors: at the best large-matmul rate (unreachable with 100-row matrices), and at the
    # rate JAX reaches on one chain of the update's own matmul shape.
    out["gemm_gflops"] = gemm if gemm is not None else max(gemm_gflops(device=device).values())
    for name in learners:
        out[f"{name}_gflops"] = out["flops_per_update"] / out[f"{name}_us_per_update"] / 1e3
    out["chain_gflops"] = chain_gflops(batch_size, max(hidden_sizes))
    out["floor_us_per_update"] = out["flops_per_update"] / (out["gemm_gflops"] * 1e9) * 1e6
    out["chain_floor_us_per_update"] = out["flops_per_update"] / (out["chain_gflops"] * 1e9) * 1e6
    if "jax" in learners:
        out["jax_over_floor"] = out["jax_us_per_update"] / out["floor_us_per_update"]
        out["jax_over_chain_floor"] = out["jax_us_per_update"] / out["chain_floor_us_per_update"]
    if verbose:
        print(format_off_policy(out))
    return out


def _graphs(r, name):
    if f"{name}_graphs" not in r:
        return ""
    return f" ({r[f'{name}_graphs']} graphs, {r[f'{name}_graph_breaks']} breaks)"


def _ratio_lines(r):
    lines = []
    for name in ("pytorch_compiled", "pytorch_cudagraphs"):
        if f"{name}_over_eager" in r:
            lines.append(f"  {LABELS[name]} / eager: {r[f'{name}_over_eager']:.2f}x")
    if "jax_over_best_pytorch" in r:
        lines.append(f"  JAX / PyTorch eager: {r['jax_over_pytorch']:.2f}x;  JAX / best PyTorch "
                     f"({LABELS[r['best_pytorch']]}): {r['jax_over_best_pytorch']:.2f}x")
    return lines


def bench_td3(**kwargs):
    """``bench_off_policy`` of TD3."""
    return bench_off_policy("td3", **kwargs)


def format_off_policy(r):
    """An off-policy benchmark's results as a printable table."""
    lines = [f"{r['algo'].upper()} update, batch {r['batch_size']}, hidden {r['hidden_sizes']}, "
             f"{r['update_every']} updates per block, {r['n_blocks']} blocks per backend, "
             f"{r['threads']} CPU threads, 1-min load average at start {r['load_avg_1min']:.2f}"]
    for name in r.get("contenders", ("pytorch", "jax")):
        if f"{name}_us_per_update" in r:
            lines.append(f"  {LABELS[name]:20s} {r[f'{name}_us_per_update']:8.0f} us/update "
                         f"(median; min {r[f'{name}_us_per_update_min']:.0f}), first call "
                         f"{r[f'{name}_first_call_s']:.2f} s{_graphs(r, name)}, "
                         f"{r.get(f'{name}_gflops', float('nan')):.1f} GFLOP/s")
    lines += _ratio_lines(r)
    lines.append(f"  compute floor: {r['flops_per_update'] / 1e6:.0f} MFLOP/update (matmuls) at "
                 f"{r['gemm_gflops']:.0f} GFLOP/s (best large matmul here) = "
                 f"{r['floor_us_per_update']:.0f} us/update")
    lines.append(f"  shape floor:   the same at {r['chain_gflops']:.0f} GFLOP/s (JAX, chained "
                 f"[{r['batch_size']}, {max(r['hidden_sizes'])}] matmuls) = "
                 f"{r['chain_floor_us_per_update']:.0f} us/update")
    if "jax_over_floor" in r:
        lines.append(f"  JAX / compute floor: {r['jax_over_floor']:.2f}x;  JAX / shape floor: "
                     f"{r['jax_over_chain_floor']:.2f}x")
    return "\n".join(lines)


OFF_POLICY_FLOPS = {"ddpg": ddpg_update_flops, "td3": td3_update_flops, "sac": sac_update_flops}


# ---------------------------------------------------------------------------------------------
# VPG, PPO, TRPO
# ---------------------------------------------------------------------------------------------

def vpg_update_flops(obs_dim, act_dim, hidden_sizes, steps, train_v_iters=80,
                     train_pi_iters=1):
    """Matmul FLOPs of one VPG update on ``steps`` samples, as the learners do it: the policy
    step (forward, backward; PPO: ``train_pi_iters`` of them), one more policy forward for
    the KL/loss after the step(s), then
    ``train_v_iters`` value steps (forward, backward) and one last value forward. Elementwise
    work (tanh, log-probs, Adam) is left out."""
    fwd, first = _fwd_first(steps)
    pi = [obs_dim, *hidden_sizes, act_dim]
    v = [obs_dim, *hidden_sizes, 1]
    pi_part = train_pi_iters * (fwd(pi) + 2 * fwd(pi) - first(pi)) + fwd(pi)
    v_part = train_v_iters * (fwd(v) + 2 * fwd(v) - first(v)) + fwd(v)
    return pi_part + v_part


def trpo_update_flops(obs_dim, act_dim, hidden_sizes, steps, train_v_iters=80, cg_iters=10):
    """Matmul FLOPs of one TRPO update on ``steps`` samples, counting as the learners work:
    the surrogate's gradient (forward, backward), the KL's gradient (forward, backward),
    ``cg_iters + 1`` Fisher-vector products (each differentiates that gradient again: about
    twice a forward and backward), one line-search try (two policy forwards: KL and loss;
    the search usually accepts its first), then the value phase as VPG's."""
    fwd, first = _fwd_first(steps)
    pi = [obs_dim, *hidden_sizes, act_dim]
    grad = fwd(pi) + 2 * fwd(pi) - first(pi)
    pi_part = 2 * grad + (cg_iters + 1) * 2 * grad + 2 * fwd(pi)
    return pi_part + vpg_update_flops(obs_dim, act_dim, hidden_sizes, steps, train_v_iters,
                                      train_pi_iters=0)


def bench_on_policy(algo="vpg", hidden_sizes=(64, 32), steps=4000, train_v_iters=80,
                    n_reps=10, env_id="HalfCheetah-v4", backends=None, seed=0,
                    verbose=True, gemm=None, device="cpu"):
    """Time ``learner.update(batch)`` + ``learner.sync()`` (one epoch's update: a policy step,
    for PPO all ``train_pi_iters`` = 80 of them (target_kl is set out of reach, so that the
    work does not depend on when the early stop fires), for TRPO the natural-gradient step
    with its CG and line search, and ``train_v_iters`` value steps on ``steps`` samples) of
    on-policy ``algo`` (vpg, ppo, trpo) per contender (as ``bench_off_policy``), ``n_reps``
    times, alternating. Returns a dict: per contender ``<b>_ms_per_update`` (median),
    ``<b>_ms_per_update_iqr`` (25th, 75th percentile), ``_min``, ``_max``, ``<b>_first_call_s``
    (compilation for JAX) and ``<b>_gflops`` (achieved matmul rate); the ratios as
    ``bench_off_policy``'s, ``flops_per_update`` and ``gemm_gflops`` (best large-matmul
    rate)."""
    backends = contenders(device) if backends is None else tuple(backends)
    obs_space, act_space = env_spaces(env_id)
    obs_dim, act_dim = obs_space.shape[0], act_space.shape[0]
    # The spec's bench_hyper fixes what would make the work depend on the data (PPO: all
    # train_pi_iters = 80 policy steps, target_kl out of reach).
    hyper = dict(train_v_iters=train_v_iters, activation="tanh", **_spec(algo).bench_hyper)
    pi_iters = hyper.get("train_pi_iters", 1)
    learners = _learners(algo, backends, obs_space, act_space, hidden_sizes, seed,
                         device=device, **hyper)
    batches = [_vpg_batch(steps, obs_dim, act_dim, seed + k) for k in range(2)]
    out = dict(algo=algo, env_id=env_id, steps=steps, hidden_sizes=tuple(hidden_sizes),
               train_v_iters=train_v_iters, n_reps=n_reps, obs_dim=obs_dim, act_dim=act_dim,
               threads=os.cpu_count(), load_avg_1min=os.getloadavg()[0],
               contenders=list(backends))

    times = _alternate(learners, batches, n_reps, out)
    if algo == "trpo":
        out["flops_per_update"] = trpo_update_flops(obs_dim, act_dim, hidden_sizes, steps,
                                                    train_v_iters)
    else:
        out["flops_per_update"] = vpg_update_flops(obs_dim, act_dim, hidden_sizes, steps,
                                                   train_v_iters, pi_iters)
    for name, ts in times.items():
        q25, q75, lo, hi = _spread(ts)
        out[f"{name}_ms_per_update"] = _median(ts) * 1e3
        out[f"{name}_ms_per_update_iqr"] = (q25 * 1e3, q75 * 1e3)
        out[f"{name}_ms_per_update_min"] = lo * 1e3
        out[f"{name}_ms_per_update_max"] = hi * 1e3
        out[f"{name}_gflops"] = out["flops_per_update"] / _median(ts) / 1e9
    add_ratios(out, "ms_per_update")
    out["gemm_gflops"] = gemm if gemm is not None else max(gemm_gflops(device=device).values())
    if verbose:
        print(format_on_policy(out))
    return out


def bench_vpg(**kwargs):
    """``bench_on_policy`` of VPG."""
    return bench_on_policy("vpg", **kwargs)


def format_on_policy(r):
    """An on-policy benchmark's results as a printable table."""
    lines = [f"{r['algo'].upper()} update, {r['steps']} steps, hidden {r['hidden_sizes']}, "
             f"{r['train_v_iters']} value iterations, {r['n_reps']} updates per backend, "
             f"{r['threads']} CPU threads, 1-min load average at start {r['load_avg_1min']:.2f}"]
    for name in r.get("contenders", ("pytorch", "jax")):
        if f"{name}_ms_per_update" in r:
            q25, q75 = r[f"{name}_ms_per_update_iqr"]
            lines.append(f"  {LABELS[name]:20s} {r[f'{name}_ms_per_update']:8.1f} ms/update "
                         f"(median; IQR {q25:.1f}-{q75:.1f}, min "
                         f"{r[f'{name}_ms_per_update_min']:.1f}), first call "
                         f"{r[f'{name}_first_call_s']:.2f} s{_graphs(r, name)}, "
                         f"{r[f'{name}_gflops']:.1f} GFLOP/s")
    lines += _ratio_lines(r)
    lines.append(f"  {r['flops_per_update'] / 1e6:.0f} MFLOP/update (matmuls); best large "
                 f"matmul here {r['gemm_gflops']:.0f} GFLOP/s")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

# Which algorithms there are, and each one's family, come from spinup.algos.registry; what
# is timed comes from the family: the headline configurations (SpinningUp's HalfCheetah
# benchmark settings) and the repetitions (quick, full), unless the spec says otherwise
# (``bench_reps``). The scaling sweeps: (sweep name, kwargs).
HEADLINE = {"off_policy": dict(batch_size=100, hidden_sizes=(256, 256)),
            "on_policy": dict(steps=4000, hidden_sizes=(64, 32), train_v_iters=80)}
REPS = {"off_policy": (dict(n_blocks=3, update_every=20), dict(n_blocks=20, update_every=50)),
        "on_policy": (dict(n_reps=3), dict(n_reps=10))}


def headline(algo):
    return HEADLINE[_spec(algo).family]


def reps(algo, quick):
    sp = _spec(algo)
    return (sp.bench_reps or REPS[sp.family])[0 if quick else 1]


SWEEPS = {
    "td3": [("batch", [dict(batch_size=b, hidden_sizes=(256, 256)) for b in (100, 500, 1000)]),
            ("depth", [dict(batch_size=100, hidden_sizes=h)
                       for h in ((256, 256), (256, 256, 256), (256, 256, 256, 256))])],
    "vpg": [("hidden", [dict(steps=4000, hidden_sizes=h, train_v_iters=80)
                        for h in ((64, 32), (64, 64), (128, 128, 128))]),
            ("steps", [dict(steps=n, hidden_sizes=(64, 32), train_v_iters=80)
                       for n in (3000, 4000, 10000)])],
}
def _key(cfg):
    return tuple(sorted((k, tuple(v) if isinstance(v, (list, tuple)) else v)
                        for k, v in cfg.items()))


def _label(algo, cfg):
    h = "x".join(map(str, cfg["hidden_sizes"]))
    return f"{cfg['steps']} steps, {h}" if on_policy(algo) else f"batch {cfg['batch_size']}, {h}"


def _time_unit(algo):
    return ("ms", "ms_per_update") if on_policy(algo) else ("us", "us_per_update")


def machine_info(gemm, device="cpu"):
    """What the figures were measured on: CPU, cores, GPU, library versions."""
    import platform

    import jax
    import torch
    info = dict(cpu_count=os.cpu_count(), platform=platform.platform(),
                python=platform.python_version(), torch=torch.__version__,
                jax=jax.__version__, jax_devices=[str(d) for d in jax.devices()],
                torch_threads=torch.get_num_threads(), load_avg_1min=os.getloadavg()[0],
                gemm_gflops=gemm, torch_device=str(device))
    if str(device).startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    try:
        with open("/proc/cpuinfo") as f:
            names = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
        info["cpu_model"] = names[0] if names else platform.processor()
    except OSError:
        info["cpu_model"] = platform.processor()
    return info


def format_table(results):
    """One line per measured configuration."""
    names = [n for n in ("pytorch", "pytorch_compiled", "pytorch_cudagraphs", "jax")
             if any(n in r.get("contenders", ("pytorch", "jax"))
                    for res in results.values() for r in res["runs"])]
    head = {"pytorch": "PT eager", "pytorch_compiled": "PT compiled",
            "pytorch_cudagraphs": "PT CUDA graphs", "jax": "JAX"}
    rows = [("algo", "config", *(head[n] for n in names), "compiled/eager", "JAX/eager",
             "JAX/best PT")]
    for algo, res in results.items():
        unit, key = _time_unit(algo)
        for r in res["runs"]:
            times = [f"{r[n + '_' + key]:.1f} {unit}" if f"{n}_{key}" in r else "-"
                     for n in names]
            rows.append((algo, r["label"], *times,
                         f"{r['pytorch_compiled_over_eager']:.2f}"
                         if "pytorch_compiled_over_eager" in r else "-",
                         f"{r['jax_over_pytorch']:.2f}" if "jax_over_pytorch" in r else "-",
                         f"{r['jax_over_best_pytorch']:.2f}"
                         if "jax_over_best_pytorch" in r else "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(row, widths))) for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def plot_sweeps(results, path):
    """Time per update of each backend along each scaling sweep (log scale), ratio annotated."""
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(algo, name, idx) for algo, res in results.items()
              for name, idx in res.get("sweeps", {}).items()]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.2), squeeze=False)
    for ax, (algo, name, idx) in zip(axes[0], panels):
        runs = [results[algo]["runs"][i] for i in idx]
        unit, key = _time_unit(algo)
        x = np.arange(len(runs))
        for backend, marker in (("pytorch", "o"), ("pytorch_compiled", "^"),
                                ("pytorch_cudagraphs", "v"), ("jax", "s")):
            if all(f"{backend}_{key}" in r for r in runs):
                ax.plot(x, [r[f"{backend}_{key}"] for r in runs], marker=marker,
                        label=LABELS[backend])
        for xi, r in zip(x, runs):
            ax.annotate(f"{r['jax_over_best_pytorch']:.2f}x", (xi, r[f"jax_{key}"]),
                        textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.margins(x=0.15, y=0.15)
        ax.set_xticks(x)
        ax.set_xticklabels([r["label"].replace(", ", "\n") for r in runs], fontsize=7)
        ax.set_title(f"{algo.upper()}: {name}", fontsize=9)
        ax.set_ylabel(f"{unit} per update", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.legend(fontsize=7)
    fig.suptitle("Update time, PyTorch (eager, compiled) vs JAX (JAX / best PyTorch at the JAX "
                 "points)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def run_bench(algos=None, quick=False, verbose=True, device="cpu", compiled=True):
    """Measure the headline configs of ``algos`` (plus the scaling sweeps unless ``quick``),
    PyTorch's learners on ``device`` (eager, and with ``compiled`` its compiled modes), JAX's
    on its default device.
    Returns {"machine": ..., "quick": ..., algo: {"headline": i, "sweeps": {name: [i, ...]},
    "runs": [result dicts]}}; indices point into ``runs`` (a config is measured once)."""
    gemm = max(gemm_gflops(repeats=3 if quick else 10, device=device).values())
    out = {"machine": machine_info(gemm, device), "quick": bool(quick)}
    for algo in all_algos() if algos is None else algos:
        bench = bench_on_policy if on_policy(algo) else bench_off_policy
        rep = reps(algo, quick)
        runs, seen = [], {}

        def measure(cfg):
            k = _key(cfg)
            if k not in seen:
                r = bench(algo, **cfg, **rep, gemm=gemm, verbose=verbose, device=device,
                          backends=contenders(device, compiled))
                r["label"] = _label(algo, cfg)
                seen[k] = len(runs)
                runs.append(r)
            return seen[k]

        res = {"headline": measure(headline(algo)), "runs": runs}
        if not quick and algo in SWEEPS:
            res["sweeps"] = {name: [measure(c) for c in cfgs] for name, cfgs in SWEEPS[algo]}
        out[algo] = res
    return out


def main(argv=None):
    """``python -m spinup.run bench [ALGO ...] [--quick] [--device D] [--json PATH] [--plot
    PATH]``; ``bench --runs`` for whole runs (bench_runs.py), ``bench --peers`` against other
    libraries (bench_peers.py), ``bench --population`` for seed populations
    (bench_population.py)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--runs" in argv:
        from spinup.commands import bench_runs
        return bench_runs.main([a for a in argv if a != "--runs"])
    if "--peers" in argv:
        from spinup.commands import bench_peers
        return bench_peers.main([a for a in argv if a != "--peers"])
    if "--population" in argv:
        from spinup.commands import bench_population
        return bench_population.main([a for a in argv if a != "--population"])

    from spinup.algos.common.checks import InputError

    parser = argparse.ArgumentParser(prog="python -m spinup.run bench",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("algos", nargs="*", metavar="ALGO",
                        help=f"algorithms to time, of {', '.join(all_algos())} (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="headline configs only, few repetitions (seconds)")
    parser.add_argument("--json", metavar="PATH", help="write all numbers here")
    parser.add_argument("--plot", metavar="PATH",
                        help="write a PNG of the scaling sweeps (not with --quick)")
    parser.add_argument("--runs", action="store_true",
                        help="time whole short runs instead (see bench_runs.py)")
    parser.add_argument("--peers", action="store_true",
                        help="env steps/s against Stable-Baselines3 and SBX instead (see "
                             "bench_peers.py; bench --peers --help)")
    parser.add_argument("--population", action="store_true",
                        help="time per update block of JAX seed populations instead (see "
                             "bench_population.py; bench --population --help)")
    parser.add_argument("--device", default="cpu",
                        help="PyTorch's device: 'cpu' (default) or 'cuda' (JAX uses its "
                             "default device)")
    parser.add_argument("--no_compile", action="store_true",
                        help="time PyTorch eager and JAX only (compiling PyTorch costs tens "
                             "of seconds per algorithm)")
    args = parser.parse_args(argv)
    known = all_algos()
    for name in args.algos:
        if name not in known:
            raise InputError(f"unknown algorithm {name!r} for bench: expected one of "
                             f"{', '.join(known)}")
    chosen = [a for a in known if a in args.algos] if args.algos else known

    from spinup.algos.common.checks import device as check_device
    check_device(args.device)
    if not args.no_compile:
        from spinup.algos.pytorch.compiled import check_compile
        check_compile("default", args.device)
    results = run_bench(chosen, quick=args.quick, device=args.device,
                        compiled=not args.no_compile)
    m = results["machine"]
    print(f"\n{m['cpu_count']} CPUs ({m['cpu_model']}), torch {m['torch']} on {m['torch_device']}"
          + (f" ({m['gpu']})" if "gpu" in m else "") + f", jax {m['jax']} on "
          f"{', '.join(m['jax_devices'])}, best large matmul {m['gemm_gflops']:.0f} GFLOP/s"
          + (", quick mode" if args.quick else ""))
    print(format_table({a: results[a] for a in chosen}))
    if args.json:
        write_json(args.json, results)
    if args.plot:
        if args.quick:
            print("--plot skipped: --quick measures no scaling sweep")
        elif plot_sweeps({a: results[a] for a in chosen}, args.plot):
            print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
