"""How far apart an algorithm's benchmark runs are, for judging a shortfall against a published
figure (issue 31): per run, the return along the way (10-epoch means at each million steps),
the spread of its last 50 epochs, and the mean change from one epoch to the next; then, per
backend, the mean +- std of the last-epoch returns, the two backends' Welch t-test, and
the mean over all of the env's runs of the algorithm.

Usage: python scripts/seed_spread.py ENV ALGO     e.g. python scripts/seed_spread.py Hopper-v4 ppo
Reads the committed run folders through scripts/results.py (load_runs), every seed there.
"""
import argparse
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import results  # noqa: E402  (scripts/results.py: where the runs are, which column is the return)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("env", choices=results.ENVS)
    p.add_argument("algo", choices=results.ALGOS)
    a = p.parse_args(argv)
    metric = results.METRIC[a.algo]
    runs = results.load_runs(a.env)
    last = {}
    print(f"{a.env} {a.algo}: {metric}, runs under {osp.relpath(results.runs_dir(a.env))}")
    for backend in ("jax", "pytorch"):
        for seed, cols in sorted(runs.get((a.algo, backend), {}).items()):
            r, steps = cols[metric], cols["TotalEnvInteracts"]
            along = ", ".join(
                f"{m // 1_000_000}M {r[max(0, i - 10):i].mean():.0f}"
                for m in range(1_000_000, int(steps[-1]) + 1, 1_000_000)
                for i in [int(np.searchsorted(steps, m)) + 1])
            tail = r[-50:]
            print(f"  {backend:7s} s{seed:<2d}  last {r[-1]:6.0f}  10-epoch means: {along}  |  "
                  f"last 50 epochs: mean {tail.mean():.0f}, std {tail.std():.0f}, range "
                  f"{tail.min():.0f} to {tail.max():.0f}, mean epoch-to-epoch change "
                  f"{np.abs(np.diff(tail)).mean():.0f}")
            last.setdefault(backend, []).append(r[-1])
    if not last:
        sys.exit(f"error: no {a.algo} runs of {a.env} under {results.runs_dir(a.env)}")
    for backend, v in last.items():
        print(f"  {backend}: last-epoch return {np.mean(v):.0f} +- {np.std(v):.0f} over {len(v)}")
    every = np.concatenate(list(last.values()))
    if len(every) > 1:
        print(f"  all {len(every)} runs: {every.mean():.0f} +- {every.std():.0f}; standard error "
              f"of a 3-run mean {every.std(ddof=1) / np.sqrt(3):.0f}")
    if len(last) == 2 and min(len(v) for v in last.values()) >= 2:
        from scipy import stats
        t = stats.ttest_ind(last["jax"], last["pytorch"], equal_var=False)
        print(f"  JAX against PyTorch, Welch's t-test on last-epoch returns: t = "
              f"{t.statistic:.2f}, p = {t.pvalue:.2f}")
    target = results.SPINNINGUP[a.env].get(a.algo)
    if target is not None:
        print(f"  SpinningUp's figure: {target}")


if __name__ == "__main__":
    main()
