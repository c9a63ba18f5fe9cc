"""Which XLA CPU flags make the JAX updates faster here? Each flag set runs in its own
process (XLA reads XLA_FLAGS once, at start-up), and the sets take turns over several rounds so
that drift in the machine's load falls on all of them alike.

Usage: python scripts/xla_flag_sweep.py [--rounds 3] [--blocks 20] [--algos td3 vpg ...]
         [--sets NAME ...]
Prints, per flag set, the median microseconds per off-policy update (DDPG, TD3, SAC: one block
of 50 updates in one jitted call, batch 100, (256,256)) and milliseconds per on-policy update
(VPG, PPO: 4000 samples, (64,32), 80 value steps; PPO also 80 policy steps).
"default" is XLA's own default; spinup's on an AVX-512 CPU is "512-bit vectors"
(``spinup.xla_cpu_defaults``), which every set here runs without.
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
    # XLA:CPU hands dots and elementwise ops to YNNPACK by default; these move them elsewhere.
    "no ynnpack": "--xla_cpu_experimental_ynn_fusion_type=",
    "xnnpack fusions": "--xla_cpu_experimental_ynn_fusion_type= "
                       "--xla_cpu_experimental_xnn_fusion_type=dot,eltwise",
    "onednn dot fusions": "--xla_cpu_experimental_onednn_fusion_type=dot",
    "xnn graph greedy": "--xla_cpu_experimental_xnn_graph_fusion_mode="
                        "XNN_GRAPH_FUSION_MODE_GREEDY",
    "512-bit vectors": "--xla_cpu_prefer_vector_width=512",
    "512-bit, no ynnpack": "--xla_cpu_prefer_vector_width=512 "
                           "--xla_cpu_experimental_ynn_fusion_type=",
}
from spinup.algos import registry  # noqa: E402

ALGOS = tuple(registry.ALGOS)
OFF_POLICY = tuple(registry.in_family("off_policy"))

CHILD = r"""
import json, sys, time
from gymnasium import spaces
import numpy as np
from spinup.commands import bench
blocks, out = int(sys.argv[1]), {}
for algo in sys.argv[2:]:
    if not bench.on_policy(algo):
        learner = bench._learners(algo, ["jax"], spaces.Box(-np.inf, np.inf, (17,)),
                                  spaces.Box(-1.0, 1.0, (6,)), (256, 256), 0)["jax"]
        data, reps, scale = bench._td3_blocks(4, 50, 100, 17, 6, 0), blocks, 1e6 / 50
    else:
        obs_space, act_space = bench.env_spaces()
        learner = bench._learners(algo, ["jax"], obs_space, act_space, (64, 32), 0,
                                  activation="tanh", train_v_iters=80,
                                  **bench._spec(algo).bench_hyper)["jax"]
        data = [bench._vpg_batch(4000, 17, 6, k) for k in range(2)]
        reps, scale = max(3, blocks // 4), 1e3
    learner.update(data[0]); learner.sync()
    ts = []
    for i in range(reps):
        t = time.perf_counter(); learner.update(data[i % len(data)]); learner.sync()
        ts.append((time.perf_counter() - t) * scale)
    out[algo] = sorted(ts)[len(ts) // 2]
print(json.dumps(out))
"""


def run_one(flags, algos, blocks):
    # exactly the set's flags: without the vector width spinup adds on AVX-512 CPUs
    env = dict(os.environ, XLA_FLAGS=flags, JAX_PLATFORMS="cpu", SPINUP_XLA_DEFAULTS="0")
    p = subprocess.run([sys.executable, "-c", CHILD, str(blocks), *algos], env=env,
                       capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "failed"}
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--blocks", type=int, default=20)
    ap.add_argument("--algos", nargs="+", default=["td3", "vpg"], metavar="ALGO",
                    help=f"updates to time, of {', '.join(ALGOS)} (default: td3 vpg)")
    ap.add_argument("--sets", nargs="*", default=list(FLAG_SETS),
                    help=f"flag sets to try, of {list(FLAG_SETS)}")
    args = ap.parse_args(argv)
    bad = [s for s in args.sets if s not in FLAG_SETS]
    if bad:
        ap.error(f"--sets {bad}: expected names from {list(FLAG_SETS)}")
    bad = [a for a in args.algos if a not in ALGOS]
    if bad:
        ap.error(f"--algos {bad[0]!r}: expected algorithms of {', '.join(ALGOS)}")
    results = {name: [] for name in args.sets}
    for r in range(args.rounds):
        for name in args.sets:
            res = run_one(FLAG_SETS[name], args.algos, args.blocks)
            results[name].append(res)
            print(f"round {r + 1} {name:24s} {res}", flush=True)
    units = [f"{a.upper()} {'us' if a in OFF_POLICY else 'ms'}/update" for a in args.algos]
    print(f"\n{'flags':24s}" + "".join(f"{u:>18s}" for u in units))
    for name, rs in results.items():
        ok = [x for x in rs if "error" not in x]
        if not ok:
            print(f"{name:24s} error: {rs[0]['error']}")
            continue
        cols = [statistics.median(x[a] for x in ok) for a in args.algos]
        print(f"{name:24s}" + "".join(f"{c:18.{0 if a in OFF_POLICY else 1}f}"
                                      for a, c in zip(args.algos, cols)))


if __name__ == "__main__":
    main()
