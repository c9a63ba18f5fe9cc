"""Seed populations against one seed, in each backend: ``python -m spinup.run bench
--population [ALGO] [--sizes 1 4 16 64] [--blocks N] [--backends jax pytorch
pytorch_compiled] [--device D] [--json PATH]``.

The claim of Flajolet et al. (2022): stacking the states of K agents and ``vmap``-ing their
updates runs K on one device at nearly the cost of one while a single agent leaves the
hardware idle. For each size K this times one update block of a population of K learners
(JAX: ``spinup.algos.jax.population.Population``, the K blocks stacked, one jitted call, the
members' states handed back; PyTorch: ``spinup.algos.pytorch.population.TorchPopulation``,
each update one ``torch.func.vmap``, eager or compiled), after a first call that holds
compilation, and puts it beside the block of one learner alone (its own ``update``, in the
same backend and mode). A block is ``update_every``
updates on minibatches shaped like a replay buffer's (HalfCheetah-v4 sizes by default).
"""
import argparse
import os
import sys
import time

import numpy as np

from spinup.commands.bench_common import (CONTENDERS, LABELS, _learners, _median, _td3_blocks,
                                          _timed, write_json)



def all_algos():
    """The off-policy algorithms of spinup.algos.registry: those with populations."""
    from spinup.algos import registry
    return registry.in_family("off_policy")


def bench_population(algo="td3", sizes=(1, 4, 16, 64), n_blocks=5, update_every=50,
                     batch_size=100, hidden_sizes=(256, 256), obs_dim=17, act_dim=6,
                     verbose=True, backend="jax", device="cpu"):
    """Time one update block per population size of ``sizes``, and of one learner alone, in
    ``backend`` (a contender of ``bench_common.CONTENDERS``: 'jax', 'pytorch' eager,
    'pytorch_compiled'; PyTorch on ``device``). Returns a dict: ``single_ms_per_block`` (one
    learner's block, median), and per size K ``ms_per_block``, ``first_call_s``
    (compilation), ``over_single`` (a population block / one learner's block: K at the cost
    of one would be 1), ``per_member_ms``, and for JAX ``vmapped_call_ms`` (the jitted calls
    alone, see ``vmapped_call``)."""
    from gymnasium import spaces

    from spinup.algos.common.population import population_class

    obs_space = spaces.Box(-np.inf, np.inf, (obs_dim,))
    act_space = spaces.Box(-1.0, 1.0, (act_dim,))
    Population = population_class(f"{algo}_{CONTENDERS[backend][0]}")

    def learner(seed):
        return _learners(algo, (backend,), obs_space, act_space, hidden_sizes, seed,
                         device=device)[backend]

    def blocks(k, i):
        return [_td3_blocks(1, update_every, batch_size, obs_dim, act_dim, 1000 * i + m)[0]
                for m in range(k)]

    out = dict(algo=algo, backend=backend, sizes=list(sizes), n_blocks=n_blocks,
               update_every=update_every, batch_size=batch_size,
               hidden_sizes=list(hidden_sizes), runs={})
    alone = learner(0)
    one = blocks(1, 0)[0]
    alone.update(one), alone.sync()  # compilation
    out["single_ms_per_block"] = 1e3 * _median(
        [_timed(lambda: (alone.update(one), alone.sync())) for _ in range(n_blocks)])
    for k in sizes:
        pop = Population([learner(m) for m in range(k)])
        data = [blocks(k, i) for i in range(2)]
        first = _timed(lambda: (pop.update(data[0]), pop.sync()))
        times = [_timed(lambda: (pop.update(data[i % 2]), pop.sync()))
                 for i in range(n_blocks)]
        ms = 1e3 * _median(times)
        core = float("nan")
        if backend == "jax":
            step = vmapped_call(pop, data[0])
            core = 1e3 * _median([_timed(step) for _ in range(n_blocks)])
        out["runs"][str(k)] = dict(ms_per_block=ms, first_call_s=first,
                                   over_single=ms / out["single_ms_per_block"],
                                   per_member_ms=ms / k, vmapped_call_ms=core)
        if verbose:
            print(f"{algo} ({LABELS[backend]}) population of {k:>3}: {ms:9.1f} ms per block "
                  f"({ms / out['single_ms_per_block']:6.2f}x one seed alone; first call "
                  f"{first:.1f} s)", flush=True)
    return out


def vmapped_call(pop, blocks):
    """The population's jitted calls alone (noise draw and vmapped update block) on data
    already stacked on the device: what the device computes, without moving the blocks there
    and handing every member its state back."""
    import jax
    data = jax.device_put({k: np.stack([b[k] for b in blocks]).astype(pop.dtype)
                           for k in blocks[0]})
    n, batch = data["rew"].shape[1:3]

    def step():
        keys, noise = pop._draw(pop.stacked.key, n, batch)
        jax.block_until_ready(pop._update(pop.stacked._replace(key=keys), data, noise))
    return step


def format_population(r):
    """The sweep as a table."""
    lines = [f"{r['algo'].upper()} populations, {LABELS[r.get('backend', 'jax')]}: one block = "
             f"{r['update_every']} updates, batch "
             f"{r['batch_size']}, hidden {tuple(r['hidden_sizes'])}; one seed alone: "
             f"{r['single_ms_per_block']:.1f} ms per block",
             f"{'seeds':>6}{'ms/block':>11}{'x one seed':>12}{'ms/member':>11}"
             f"{'vmapped call ms':>17}{'compile s':>11}"]
    for k, x in r["runs"].items():
        lines.append(f"{k:>6}{x['ms_per_block']:>11.1f}{x['over_single']:>12.2f}"
                     f"{x['per_member_ms']:>11.2f}{x['vmapped_call_ms']:>17.1f}"
                     f"{x['first_call_s']:>11.1f}")
    return "\n".join(lines)


def main(argv=None):
    """``bench --population``: the sweep, printed and optionally written as JSON."""
    import jax
    p = argparse.ArgumentParser(prog="python -m spinup.run bench --population",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("algos", nargs="*", metavar="ALGO",
                   help=f"of {', '.join(all_algos())} (default: td3)")
    p.add_argument("--sizes", nargs="+", type=int, default=[1, 4, 16, 64],
                   help="population sizes (default: 1 4 16 64)")
    p.add_argument("--blocks", type=int, default=5, help="timed blocks per size (default 5)")
    p.add_argument("--hid", type=int, nargs="+", default=[256, 256],
                   help="hidden sizes (default: 256 256)")
    p.add_argument("--batch_size", type=int, default=100)
    p.add_argument("--update_every", type=int, default=50)
    p.add_argument("--backends", nargs="+", default=["jax", "pytorch"],
                   choices=["jax", "pytorch", "pytorch_compiled"],
                   help="whose populations to time (default: jax pytorch)")
    p.add_argument("--device", default="cpu", help="PyTorch's device (default cpu)")
    p.add_argument("--json", metavar="PATH", help="write the numbers here")
    args = p.parse_args(argv)
    bad = [a for a in args.algos if a not in all_algos()]
    if bad:
        p.error(f"unknown algorithm {bad[0]!r} for bench --population: expected one of "
                f"{', '.join(all_algos())}")
    if min(args.sizes) < 1 or args.blocks < 1:
        p.error(f"--sizes {args.sizes} --blocks {args.blocks}: expected values >= 1")
    res = dict(devices=[str(d) for d in jax.devices()], cpu_count=os.cpu_count(),
               date_utc=time.strftime("%Y-%m-%d %H:%M", time.gmtime()), algos={})
    from spinup.algos.common.checks import device as check_device
    check_device(args.device)
    if "pytorch_compiled" in args.backends:
        from spinup.algos.pytorch.compiled import check_compile
        check_compile("default", args.device)
    for algo in args.algos or ["td3"]:
        for backend in args.backends:  # one after the other, never at once
            r = bench_population(algo, args.sizes, args.blocks, args.update_every,
                                 args.batch_size, args.hid, backend=backend,
                                 device=args.device)
            res["algos"][algo if backend == "jax" else f"{algo}_{backend}"] = r
            print(format_population(r))
    if args.json:
        write_json(args.json, res)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
