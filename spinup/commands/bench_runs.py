"""Whole runs timed side by side: ``python -m spinup.run bench --runs [--quick] [--json PATH]``.

Short HalfCheetah-v4 runs of TD3 and VPG in each backend, a 3-seed JAX TD3 population against
one seed, VPG with 8 vectorised envs against 1, and the floor: stepping the env with random
actions. Each run is a fresh process started after the previous one ended (never two at
once: on a small machine they would slow each other unevenly). Figures are the median over
the epochs after the first (which holds compilation and warm-up) of the per-epoch phase times
the runs log in progress.txt.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from spinup.utils import run_files

ENV = "HalfCheetah-v4"
PHASES = ("TimeEnv", "TimeAct", "TimeUpdate", "TimeTest", "TimeEpoch")


def all_algos():
    """Every registered algorithm (spinup.algos.registry), in its order."""
    from spinup.algos import registry
    return list(registry.ALGOS)


def cases(quick):
    """(name, algo, flags, steps per epoch) of every run to time: each algorithm in PyTorch
    eager, PyTorch compiled (``--compile default``; its first epoch, which compiles, is left
    out of the medians as every run's is) and JAX (flags by family), plus 3-seed TD3
    populations in both backends and VPG with 8 envs."""
    from spinup.algos import registry
    off_epochs, on_epochs = ("2", "3") if quick else ("4", "6")
    flags = {"off_policy": ["--epochs", off_epochs, "--start_steps", "2000", "--update_after",
                            "1000", "--num_test_episodes", "2"],
             "on_policy": ["--epochs", on_epochs, "--hid", "(64,32)"]}
    pop = ["--seed", "0", "10", "20", "--population"]
    extra = {"td3": [("td3_jax x3 population", "td3_jax", pop),
                     ("td3_pytorch x3 population compiled", "td3_pytorch",
              pop + ["--compile", "default"])],
             "vpg": [("vpg_jax 8 envs", "vpg_jax", ["--num_envs", "8"])]}
    out = []
    for algo in sorted(registry.ALGOS, key=lambda a: registry.spec(a).family != "off_policy"):
        f = flags[registry.spec(algo).family]
        out += [(f"{algo}_pytorch", f"{algo}_pytorch", f, 4000),
                (f"{algo}_pytorch compiled", f"{algo}_pytorch", f + ["--compile", "default"],
                 4000),
                (f"{algo}_jax", f"{algo}_jax", f, 4000)]
        out += [(name, entry, f + more, 4000) for name, entry, more in extra.get(algo, [])]
    return out


def time_run(algo, flags, data_dir, name):
    """Run one case in a fresh process; returns (wall seconds, per-epoch phase medians of each
    run folder it wrote)."""
    exp = name.replace(" ", "_")
    cmd = [sys.executable, "-m", "spinup.run", algo, "--env", ENV, "--exp_name", exp,
           "--data_dir", data_dir, *flags]
    env = dict(os.environ, SPINUP_NO_PROGRESS="1")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    medians = []
    for run_dir in run_files.find_run_dirs(os.path.join(data_dir, exp)):
        header, rows = run_files.read_progress(run_dir)
        cols = {h: np.array([float(r[i]) for r in rows]) for i, h in enumerate(header)}
        medians.append({p: float(np.median(cols[p][1:])) for p in PHASES})
    return wall, medians


def env_floor(steps=4000, seed=0):
    """Seconds to step the env ``steps`` times with uniformly random actions (episode ends
    reset it): what an epoch costs with a free policy and no update."""
    import gymnasium as gym

    from spinup.utils import quiet
    quiet.quiet_libraries()  # MuJoCo's warnings: once, and no MUJOCO_LOG.TXT
    env = gym.make(ENV)
    env.reset(seed=seed)
    env.action_space.seed(seed)
    acts = [env.action_space.sample() for _ in range(steps)]
    t0 = time.perf_counter()
    for a in acts:
        _, _, term, trunc, _ = env.step(a)
        if term or trunc:
            env.reset()
    return time.perf_counter() - t0


def run_all(quick=False, data_dir=None, families=None):
    """Every case of the algorithm ``families``, one after the other; returns a dict of
    results."""
    data_dir = data_dir or tempfile.mkdtemp(prefix="spinup_bench_runs_")
    out = {"floor_seconds_per_4000_steps": env_floor(), "runs": {}}
    families = all_algos() if families is None else families
    for name, algo, flags, steps in cases(quick):
        if algo.rsplit("_", 1)[0] not in families:
            continue
        print(f"timing {name} ...", flush=True)
        wall, medians = time_run(algo, flags, data_dir, name)
        m = medians[0]
        out["runs"][name] = dict(wall=wall, members=len(medians), steps_per_epoch=steps,
                                 **m, steps_per_s=steps * len(medians) / m["TimeEpoch"],
                                 act_us_per_step=1e6 * m["TimeAct"] / steps)
    return out


def format_runs(res):
    """The results as a table, with the ratios the targets are stated in."""
    r, floor = res["runs"], res["floor_seconds_per_4000_steps"]
    w = max([24, *(len(name) + 1 for name in r)])
    lines = [f"{'run':<{w}}" + "".join(f"{p[4:]:>9}" for p in PHASES)
             + f"{'act us/step':>13}{'env steps/s':>13}{'wall s':>9}"]
    for name, x in r.items():
        lines.append(f"{name:<{w}}" + "".join(f"{x[p]:>9.3f}" for p in PHASES)
                     + f"{x['act_us_per_step']:>13.1f}{x['steps_per_s']:>13.0f}"
                     + f"{x['wall']:>9.1f}")
    lines.append(f"env floor: {floor:.3f} s per 4000 random-action steps")

    def ratio(a, b, key="TimeEpoch"):
        return r[a][key] / r[b][key] if a in r and b in r else None

    figures = [(f"{a.upper()} epoch, JAX / PyTorch:".ljust(39), ratio(f"{a}_jax", f"{a}_pytorch"))
               for a in all_algos()]
    figures += [(f"{a.upper()} epoch, PyTorch compiled / eager:".ljust(39),
                 ratio(f"{a}_pytorch compiled", f"{a}_pytorch")) for a in all_algos()]
    figures += [(f"{a.upper()} epoch, JAX / best PyTorch:".ljust(39),
                 max(x for x in (ratio(f"{a}_jax", f"{a}_pytorch"),
                                 ratio(f"{a}_jax", f"{a}_pytorch compiled")) if x is not None)
                 if f"{a}_jax" in r and f"{a}_pytorch" in r else None) for a in all_algos()]
    figures += [
        ("VPG JAX epoch / env floor:             ",
         r["vpg_jax"]["TimeEpoch"] / floor if "vpg_jax" in r else None),
        ("VPG JAX env steps/s, 8 envs / 1 env:   ",
         ratio("vpg_jax 8 envs", "vpg_jax", "steps_per_s")),
        ("TD3 JAX population of 3 / one seed, wall time per epoch: ",
         ratio("td3_jax x3 population", "td3_jax")),
        ("TD3 PyTorch population of 3 / one seed (both compiled), wall time per epoch: ",
         ratio("td3_pytorch x3 population compiled", "td3_pytorch compiled")),
    ]
    lines += [f"{label}{x:.2f}" for label, x in figures if x is not None]
    return "\n".join(lines)


def main(argv=None):
    """``bench --runs``: time whole runs, print the table, optionally write JSON."""
    p = argparse.ArgumentParser(prog="python -m spinup.run bench --runs")
    p.add_argument("algos", nargs="*", metavar="ALGO",
                   help=f"time only these algorithms' runs, of {', '.join(all_algos())} "
                        "(default: all)")
    p.add_argument("--quick", action="store_true", help="fewer epochs (a few minutes)")
    p.add_argument("--json", metavar="PATH", help="write the numbers here")
    p.add_argument("--data_dir", help="keep the runs here (default: a temporary folder)")
    args = p.parse_args(argv)
    known = all_algos()
    bad = [a for a in args.algos if a not in known]
    if bad:
        p.error(f"unknown algorithm {bad[0]!r} for bench --runs: expected one of "
                f"{', '.join(known)}")
    res = run_all(args.quick, args.data_dir, tuple(args.algos) or known)
    print(format_runs(res))
    if args.json:
        from spinup.commands.bench_common import write_json
        write_json(args.json, res)
    return 0
