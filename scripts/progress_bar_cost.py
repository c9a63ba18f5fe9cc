"""Cost of one progress-bar update (the loops call it once per env step): the bar drawn by
spinup's own code (as it was at commit f456b69, read from git) against the tqdm-based one in
spinup/utils/progress.py, each on and off. Run from the repository root:

    python scripts/progress_bar_cost.py > /dev/null

The bar writes to stdout, so send stdout away; the figures go to stderr."""
import subprocess
import sys
import time
import types

from spinup.utils import progress as tqdm_bar

N, ROUNDS = 200_000, 5


def own_drawing_code():
    src = subprocess.run(["git", "show", "f456b69:spinup/utils/progress.py"],
                         capture_output=True, text=True, check=True).stdout
    mod = types.ModuleType("own_progress")
    exec(compile(src, "own_progress.py", "exec"), mod.__dict__)
    return mod


def ns_per_update(mod, enabled):
    bar = mod.ProgressBar(N, enabled=enabled)
    t0 = time.perf_counter()
    for n in range(1, N + 1):
        bar.update(n)
    dt = time.perf_counter() - t0
    bar.clear()
    return dt / N * 1e9


def main():
    mods = {"own drawing code": own_drawing_code(), "tqdm": tqdm_bar}
    res = {}
    for _ in range(ROUNDS):  # alternate, so that load changes hit both alike
        for name, mod in mods.items():
            for enabled in (True, False):
                res.setdefault((name, enabled), []).append(ns_per_update(mod, enabled))
    for (name, enabled), v in res.items():
        v.sort()
        print(f"{name:17s} {'on ' if enabled else 'off'}  median {v[len(v) // 2]:6.0f} ns "
              f"per update (min {v[0]:.0f})", file=sys.stderr)


if __name__ == "__main__":
    main()
