"""Which XLA CPU flags make the JAX updates faster here? Each flag set runs in its own
process (XLA reads XLA_FLAGS once, at start-up), and the sets take turns over several rounds so
that drift in the machine's load falls on all of them alike.

Usage: python scripts/xla_flag_sweep.py [--rounds 3] [--blocks 20] [--algo td3|vpg|both]
Prints, per flag set, the median microseconds per TD3 update (one block of 50 updates in one
jitted call, batch 100, (256,256)) and milliseconds per VPG update (4000 samples, (64,32)).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

FLAG_SETS = {
    "default": "",
    "no thunk runtime": "--xla_cpu_use_thunk_runtime=false",
    "xnnpack": "--xla_cpu_use_xnnpack=true",
    "onednn": "--xla_cpu_use_onednn=true",
    "no multi-thread eigen": "--xla_cpu_multi_thread_eigen=false",
    "no fusion emitters": "--xla_cpu_use_fusion_emitters=false",
}

CHILD = r"""
import json, sys, time
import numpy as np
from spinup.commands import bench
algo, blocks = sys.argv[1], int(sys.argv[2])
out = {}
if algo in ("td3", "both"):
    learner = bench._td3_learners(["jax"], 17, 6, (256, 256), 2, 0)["jax"]
    data = bench._td3_blocks(4, 50, 100, 17, 6, 0)
    learner.update(data[0]); learner.sync()
    ts = []
    for i in range(blocks):
        t = time.perf_counter(); learner.update(data[i % 4]); learner.sync()
        ts.append((time.perf_counter() - t) / 50 * 1e6)
    out["td3_us"] = sorted(ts)[len(ts) // 2]
if algo in ("vpg", "both"):
    obs_space, act_space = bench.env_spaces()
    learner = bench._vpg_learners(["jax"], obs_space, act_space, (64, 32), 80, 0)["jax"]
    batch = bench._vpg_batch(4000, 17, 6, 0)
    learner.update(batch); learner.sync()
    ts = []
    for i in range(max(3, blocks // 4)):
        t = time.perf_counter(); learner.update(batch); learner.sync()
        ts.append((time.perf_counter() - t) * 1e3)
    out["vpg_ms"] = sorted(ts)[len(ts) // 2]
print(json.dumps(out))
"""


def run_one(flags, algo, blocks):
    env = dict(os.environ, XLA_FLAGS=flags, JAX_PLATFORMS="cpu")
    p = subprocess.run([sys.executable, "-c", CHILD, algo, str(blocks)], env=env,
                       capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "failed"}
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--blocks", type=int, default=20)
    ap.add_argument("--algo", choices=("td3", "vpg", "both"), default="both")
    ap.add_argument("--sets", nargs="*", default=list(FLAG_SETS),
                    help=f"flag sets to try, of {list(FLAG_SETS)}")
    args = ap.parse_args(argv)
    bad = [s for s in args.sets if s not in FLAG_SETS]
    if bad:
        ap.error(f"--sets {bad}: expected names from {list(FLAG_SETS)}")
    results = {name: [] for name in args.sets}
    for r in range(args.rounds):
        for name in args.sets:
            res = run_one(FLAG_SETS[name], args.algo, args.blocks)
            results[name].append(res)
            print(f"round {r + 1} {name:24s} {res}", flush=True)
    print(f"\n{'flags':24s} {'TD3 us/update':>14s} {'VPG ms/update':>14s}")
    for name, rs in results.items():
        ok = [x for x in rs if "error" not in x]
        if not ok:
            print(f"{name:24s} error: {rs[0]['error']}")
            continue
        cols = [statistics.median(x[k] for x in ok) if k in ok[0] else float("nan")
                for k in ("td3_us", "vpg_ms")]
        print(f"{name:24s} {cols[0]:14.0f} {cols[1]:14.1f}")


if __name__ == "__main__":
    main()
