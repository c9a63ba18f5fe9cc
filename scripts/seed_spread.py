"""How far apart an algorithm's benchmark runs are, for judging a shortfall against a published
figure (issue 31): per run, the return along the way (10-epoch means at each million steps),
the spread of its last 50 epochs, and the mean change from one epoch to the next; then, per
backend, the mean +- std of the last-epoch returns, the two backends' Welch t-test, and
the mean over all of the env's runs of the algorithm; the off-policy runs also say in how many
of their last 50 epochs a test episode ended early (a mean test length under the longest), and
each backend its seed-mean curve's best point within 1M steps (Tianshou's measure). Where one
backend has a single run (the off-policy PyTorch seed 0 on Hopper-v4), that run is set against
the other backend's seeds: on each of three measures (the last epoch, the mean of the last 10,
the mean over the whole run) whether it lies in their 95% prediction interval for one more run.

Usage: python scripts/seed_spread.py ENV ALGO     e.g. python scripts/seed_spread.py Hopper-v4 ppo
Reads the committed run folders through scripts/results.py (load_runs), every seed there.
"""
import argparse
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import results  # noqa: E402  (scripts/results.py: where the runs are, which column is the return)
from spinup.utils import run_files  # noqa: E402


MEASURES = {"last epoch": lambda r: r[-1], "mean of last 10": lambda r: r[-10:].mean(),
            "whole-run mean": lambda r: r.mean()}


def prediction_interval(values, level=0.95):
    """The interval that holds one more draw from the distribution of ``values`` with
    probability ``level`` (normal model: mean +- t * sd * sqrt(1 + 1/n), n - 1 degrees of
    freedom); needs at least 2 values."""
    from scipy import stats
    v = np.asarray(values, float)
    if v.size < 2:
        raise ValueError(f"a prediction interval needs at least 2 values, got {v.size}")
    half = stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) * np.sqrt(1 + 1 / v.size)
    return v.mean() - half, v.mean() + half


def lone_run_lines(lone_name, lone, others_name, others):
    """One line per measure: the lone run's value against the prediction interval of the
    other backend's runs (``lone``: a return curve; ``others``: a list of them)."""
    lines = []
    for label, f in MEASURES.items():
        x, vals = f(lone), [f(r) for r in others]
        lo, hi = prediction_interval(vals)
        sd = np.std(vals, ddof=1)
        z = f"z = {(x - np.mean(vals)) / sd:+.2f}" if sd > 0 else "no spread"
        lines.append(f"  {lone_name}'s {label} {x:.0f} against {others_name}'s "
                     f"{np.mean(vals):.0f}, sd (n-1) {sd:.0f} over {len(vals)}: {z}, "
                     f"95% prediction interval {lo:.0f} to {hi:.0f}, "
                     f"{'inside' if lo <= x <= hi else 'OUTSIDE'}")
    return lines


def early_ends(cols, max_ep_len, last=50):
    """For a run with test episodes: in how many of its last ``last`` epochs a test episode
    ended before ``max_ep_len`` (the epoch's mean test length is under it)."""
    if "TestEpLen" not in cols:
        return ""
    k = int((cols["TestEpLen"][-last:] < max_ep_len).sum())
    return f"; a test episode ended early in {k} of them"


def best_of_mean_curve(curves, steps, within=1_000_000):
    """(the highest point of the seeds' mean curve up to ``within`` steps, its step), or None
    if no epoch ends by then: the measure of Tianshou's off-policy tables (the best average
    over its 10 seeds within 1M). Over fewer seeds the mean curve is noisier, so its highest
    point is higher: compare with that in mind."""
    n = min(len(r) for r in curves)
    mean = np.mean([r[:n] for r in curves], axis=0)
    k = int(np.searchsorted(steps[:n], within, side="right"))
    if k == 0:
        return None
    i = int(mean[:k].argmax())
    return mean[i], int(steps[i])


def config(env, algo, backend, seed):
    """A committed run's config.json (read as every command reads it)."""
    return run_files.read_config(osp.join(results.runs_dir(env), f"{algo}_{backend}_s{seed}"))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("env", choices=results.ENVS)
    p.add_argument("algo", choices=results.ALGOS)
    a = p.parse_args(argv)
    metric = results.METRIC[a.algo]
    runs = results.load_runs(a.env)
    last, curves = {}, {}
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
                  f"{np.abs(np.diff(tail)).mean():.0f}"
                  + early_ends(cols, config(a.env, a.algo, backend, seed)["max_ep_len"]))
            last.setdefault(backend, []).append(r[-1])
            curves.setdefault(backend, []).append((seed, r))
    if not last:
        sys.exit(f"error: no {a.algo} runs of {a.env} under {results.runs_dir(a.env)}")
    for backend, v in last.items():
        print(f"  {backend}: last-epoch return {np.mean(v):.0f} +- {np.std(v):.0f} over {len(v)}")
    every = np.concatenate(list(last.values()))
    if len(every) > 1:
        print(f"  all {len(every)} runs: {every.mean():.0f} +- {every.std():.0f}; standard error "
              f"of a 3-run mean {every.std(ddof=1) / np.sqrt(3):.0f}")
    target = results.SPINNINGUP[a.env].get(a.algo)
    for backend, c in curves.items():
        best = best_of_mean_curve([r for _, r in c],
                                  runs[(a.algo, backend)][c[0][0]]["TotalEnvInteracts"])
        if a.algo not in results.ON_POLICY and best is not None:
            print(f"  {backend}: best point of the {len(c)}-seed mean curve within 1M steps "
                  f"(Tianshou's measure, over 10 seeds there): {best[0]:.0f} at step {best[1]}")
        if target is not None and len(c) >= 2:
            from scipy import stats
            t = stats.ttest_1samp(last[backend], target)
            print(f"  {backend} against SpinningUp's {target}, one-sample t-test on last-epoch "
                  f"returns: t = {t.statistic:.2f}, p = {t.pvalue:.2f} ({len(c) - 1} degrees "
                  f"of freedom; the figure's own uncertainty not counted)")
    if len(last) == 2 and min(len(v) for v in last.values()) >= 2:
        from scipy import stats
        t = stats.ttest_ind(last["jax"], last["pytorch"], equal_var=False)
        print(f"  JAX against PyTorch, Welch's t-test on last-epoch returns: t = "
              f"{t.statistic:.2f}, p = {t.pvalue:.2f}")
    sizes = {b: len(c) for b, c in curves.items()}
    if len(sizes) == 2 and min(sizes.values()) == 1 and max(sizes.values()) >= 2:
        lone_b = min(sizes, key=sizes.get)
        other_b = max(sizes, key=sizes.get)
        seed, lone = curves[lone_b][0]
        print("\n".join(lone_run_lines(f"{lone_b} s{seed}", lone, other_b,
                                        [r for _, r in curves[other_b]])))
    if target is not None:
        print(f"  SpinningUp's figure: {target}")


if __name__ == "__main__":
    main()
