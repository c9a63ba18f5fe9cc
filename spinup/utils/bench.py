"""Speed of the update functions, PyTorch against JAX, side by side in one process.

    python -m spinup.utils.bench td3 [--batch_size 100] [--hidden_sizes 256 256] ...

One function per algorithm (``bench_td3``, ...), each returning a dict of measurements. The
backends are timed alternately, block after block, so a change in machine load hits both
alike; the first call of each (JIT compilation for JAX) is reported apart. Every timed call
ends with the learner's ``sync()``, so asynchronous work is inside the clock.
"""
import argparse
import os
import sys
import time

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import numpy as np  # noqa: E402


def _median(xs):
    return float(np.median(np.asarray(xs)))


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------
# TD3
# ---------------------------------------------------------------------------------------------

def td3_update_flops(obs_dim, act_dim, hidden_sizes, batch_size, policy_delay=2):
    """Matmul FLOPs of one TD3 update, averaged over the policy-delay schedule (elementwise
    work and the optimizer are left out: they are a few percent)."""
    def fwd(sizes):
        return 2 * batch_size * sum(i * o for i, o in zip(sizes[:-1], sizes[1:]))

    def first(sizes):  # the first layer needs no gradient w.r.t. its input
        return 2 * batch_size * sizes[0] * sizes[1]

    pi = [obs_dim, *hidden_sizes, act_dim]
    q = [obs_dim + act_dim, *hidden_sizes, 1]
    target = fwd(pi) + 2 * fwd(q)
    q_step = target + 2 * (fwd(q) + 2 * fwd(q) - first(q))
    # Policy step: pi and Q1 forward; backward through Q1 to the action (input gradients
    # only), then through pi (weight and input gradients).
    pi_step = fwd(pi) + fwd(q) + fwd(q) + 2 * fwd(pi) - first(pi)
    return q_step + pi_step / policy_delay


def gemm_gflops(n=1024, repeats=10):
    """Best float32 matmul rate of this machine (GFLOP/s) over JAX and PyTorch, on n x n."""
    import jax
    import jax.numpy as jnp
    import torch

    rates = {}
    a = jnp.ones((n, n), jnp.float32)
    f = jax.jit(lambda x: x @ x)
    f(a).block_until_ready()
    rates["jax"] = min(_timed(lambda: f(a).block_until_ready()) for _ in range(repeats))
    b = torch.ones(n, n)
    b @ b
    rates["pytorch"] = min(_timed(lambda: b @ b) for _ in range(repeats))
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


def _td3_learners(backends, obs_dim, act_dim, hidden_sizes, policy_delay, seed):
    kw = dict(obs_dim=obs_dim, act_dim=act_dim, act_limit=np.ones(act_dim, np.float32),
              hidden_sizes=tuple(hidden_sizes), policy_delay=policy_delay, seed=seed)
    learners = {}
    for name in backends:
        if name == "pytorch":
            from spinup.algos.pytorch.td3.td3 import TD3Learner
            learners[name] = TD3Learner(**kw, device="cpu")
        elif name == "jax":
            from spinup.algos.jax.td3.td3 import TD3Learner
            learners[name] = TD3Learner(**kw)
        else:
            raise ValueError(f"backend {name!r}: expected 'pytorch' or 'jax'")
    return learners


def _td3_blocks(n, update_every, batch_size, obs_dim, act_dim, seed):
    """``n`` blocks of minibatches shaped like a replay buffer's (float32, HalfCheetah-like)."""
    rng = np.random.default_rng(seed)
    shape = (update_every, batch_size)
    return [dict(obs=rng.standard_normal(shape + (obs_dim,), np.float32),
                 act=rng.uniform(-1, 1, shape + (act_dim,)).astype(np.float32),
                 rew=rng.standard_normal(shape, np.float32),
                 obs2=rng.standard_normal(shape + (obs_dim,), np.float32),
                 done=(rng.uniform(size=shape) < 0.01).astype(np.float32))
            for _ in range(n)]


def bench_td3(batch_size=100, hidden_sizes=(256, 256), n_blocks=20, update_every=50,
              obs_dim=17, act_dim=6, policy_delay=2, backends=("pytorch", "jax"), seed=0,
              verbose=True):
    """Time one TD3 update block (``update_every`` updates) per backend, ``n_blocks`` times,
    alternating backends. Returns a dict: per backend ``<b>_us_per_update`` (median),
    ``<b>_us_per_update_min`` and ``<b>_first_call_s`` (compilation for JAX); and
    ``jax_over_pytorch`` (ratio of medians), ``flops_per_update``, ``gemm_gflops`` (best
    large-matmul rate here), ``floor_us_per_update`` and ``jax_over_floor``."""
    learners = _td3_learners(backends, obs_dim, act_dim, hidden_sizes, policy_delay, seed)
    blocks = _td3_blocks(4, update_every, batch_size, obs_dim, act_dim, seed)
    out = dict(batch_size=batch_size, hidden_sizes=tuple(hidden_sizes), n_blocks=n_blocks,
               update_every=update_every, obs_dim=obs_dim, act_dim=act_dim,
               threads=os.cpu_count(), load_avg_1min=os.getloadavg()[0])

    def run(name, i):
        learner = learners[name]
        return _timed(lambda: (learner.update(blocks[i % len(blocks)]), learner.sync()))

    for name in learners:
        out[f"{name}_first_call_s"] = run(name, 0)
    times = {name: [] for name in learners}
    for i in range(n_blocks):
        # Swap the order every block so neither backend always runs right after the other.
        order = list(learners) if i % 2 == 0 else list(learners)[::-1]
        for name in order:
            times[name].append(run(name, i + 1))
    for name, ts in times.items():
        out[f"{name}_us_per_update"] = _median(ts) / update_every * 1e6
        out[f"{name}_us_per_update_min"] = min(ts) / update_every * 1e6
    if "jax" in learners and "pytorch" in learners:
        out["jax_over_pytorch"] = out["jax_us_per_update"] / out["pytorch_us_per_update"]
    out["flops_per_update"] = td3_update_flops(obs_dim, act_dim, hidden_sizes, batch_size,
                                               policy_delay)
    # Two floors: at the best large-matmul rate (unreachable with 100-row matrices), and at the
    # rate JAX reaches on one chain of the update's own matmul shape.
    out["gemm_gflops"] = max(gemm_gflops().values())
    out["chain_gflops"] = chain_gflops(batch_size, max(hidden_sizes))
    out["floor_us_per_update"] = out["flops_per_update"] / (out["gemm_gflops"] * 1e9) * 1e6
    out["chain_floor_us_per_update"] = out["flops_per_update"] / (out["chain_gflops"] * 1e9) * 1e6
    if "jax" in learners:
        out["jax_over_floor"] = out["jax_us_per_update"] / out["floor_us_per_update"]
        out["jax_over_chain_floor"] = out["jax_us_per_update"] / out["chain_floor_us_per_update"]
    if verbose:
        print(format_td3(out))
    return out


def format_td3(r):
    lines = [f"TD3 update, batch {r['batch_size']}, hidden {r['hidden_sizes']}, "
             f"{r['update_every']} updates per block, {r['n_blocks']} blocks per backend, "
             f"{r['threads']} CPU threads, 1-min load average at start {r['load_avg_1min']:.2f}"]
    for name in ("pytorch", "jax"):
        if f"{name}_us_per_update" in r:
            lines.append(f"  {name:8s} {r[f'{name}_us_per_update']:8.0f} us/update (median; min "
                         f"{r[f'{name}_us_per_update_min']:.0f}), first call "
                         f"{r[f'{name}_first_call_s']:.2f} s")
    if "jax_over_pytorch" in r:
        lines.append(f"  JAX / PyTorch: {r['jax_over_pytorch']:.2f}x")
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


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def _td3_parser(sub):
    p = sub.add_parser("td3", help="time TD3 update blocks, PyTorch vs JAX")
    p.add_argument("--batch_size", type=int, default=100)
    p.add_argument("--hidden_sizes", type=int, nargs="+", default=[256, 256])
    p.add_argument("--n_blocks", type=int, default=20)
    p.add_argument("--update_every", type=int, default=50)
    p.add_argument("--obs_dim", type=int, default=17)
    p.add_argument("--act_dim", type=int, default=6)
    p.add_argument("--backends", nargs="+", default=["pytorch", "jax"])
    p.set_defaults(func=lambda a: bench_td3(
        batch_size=a.batch_size, hidden_sizes=tuple(a.hidden_sizes), n_blocks=a.n_blocks,
        update_every=a.update_every, obs_dim=a.obs_dim, act_dim=a.act_dim,
        backends=tuple(a.backends)))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m spinup.utils.bench",
                                     description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="algo", required=True)
    _td3_parser(sub)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main(sys.argv[1:])
