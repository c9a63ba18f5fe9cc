"""The Python steps of scripts/device_check.sh (run from the repository root):

    python scripts/device_check.py setup WHEELS_DIR OUT    # install what is missing, offline
    python scripts/device_check.py parity DEVICE OUT [ALGO ...]  # both backends there
    python scripts/device_check.py summarize OUT           # OUT/summary.md from the steps

``setup`` installs, from a folder of wheels made by scripts/device_wheels.sh, the packages
this project needs that the machine lacks (a GPU image brings CUDA builds of torch and jax,
not haiku, gymnasium or mujoco), with ``--no-index --no-deps`` so nothing is fetched and
nothing installed is replaced, then records the machine (GPU, versions, JAX devices).

``parity`` is the float64 parity check of every algorithm on the device: one PyTorch learner
on DEVICE and one JAX learner on JAX's default device (the GPU when jax has CUDA), the same
weights, minibatches and noise; after one update block (off-policy) or one epoch's update
(on-policy) every parameter must agree to 1e-5 relative, and the device's PyTorch result with
a CPU PyTorch learner's.
"""
import importlib.util
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.getcwd())  # the repository root: spinup without installing it

# module -> wheel (distribution) name, in an order pip can install with --no-deps
NEEDED = [("absl", "absl-py"), ("tabulate", "tabulate"), ("jmp", "jmp"),
          ("haiku", "dm-haiku"), ("optax", "optax"), ("cloudpickle", "cloudpickle"),
          ("typing_extensions", "typing-extensions"),
          ("farama_notifications", "farama-notifications"), ("gymnasium", "gymnasium"),
          ("glfw", "glfw"), ("imageio", "imageio"), ("mujoco", "mujoco mujoco-core"),
          ("pytest", "pytest pluggy iniconfig packaging pygments")]
RTOL = 1e-5


def setup(wheels, out):
    missing = [dist for mod, dist in NEEDED if importlib.util.find_spec(mod) is None]
    dists = " ".join(missing).split()
    if dists:
        if not os.path.isdir(wheels):
            sys.exit(f"missing {', '.join(dists)} and no wheel folder {wheels!r}: make it with "
                     "bash scripts/device_wheels.sh and carry it with the tree")
        # The versions constraints.txt pins; mujoco-core at mujoco's (checked on import).
        with open("constraints.txt") as f:
            mujoco = [ln.strip().split("==")[1] for ln in f if ln.startswith("mujoco==")]
        dists = [f"mujoco-core=={mujoco[0]}" if d == "mujoco-core" and mujoco else d
                 for d in dists]
        cmd = [sys.executable, "-m", "pip", "install", "--no-index", "--no-deps",
               "--find-links", wheels, "-c", "constraints.txt", *dists]
        print(" ".join(cmd), flush=True)
        subprocess.run(cmd, check=True)
    info = dict(installed_offline=dists, python=sys.version.split()[0],
                date_utc=time.strftime("%Y-%m-%d %H:%M", time.gmtime()), cpu_count=os.cpu_count())
    import jax
    import torch
    info.update(torch=torch.__version__, jax=jax.__version__,
                jax_devices=[str(d) for d in jax.devices()],
                torch_cuda=torch.cuda.is_available())
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    try:
        info["nvidia_smi"] = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm",
             "--format=csv,noheader"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        info["nvidia_smi"] = None
    with open(os.path.join(out, "machine.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info, indent=1))


def _rel_err(a, b):
    import numpy as np
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


def _inputs(family, obs_dim, act_dim, seed=0, n=4, batch=64, steps=256):
    """Off-policy: ``n`` minibatches ``[n, batch, ...]``; on-policy: one epoch's batch."""
    import numpy as np
    rng = np.random.default_rng(seed)
    if family == "off_policy":
        shape = (n, batch)
        return dict(obs=rng.standard_normal(shape + (obs_dim,)),
                    act=rng.uniform(-1, 1, shape + (act_dim,)), rew=rng.standard_normal(shape),
                    obs2=rng.standard_normal(shape + (obs_dim,)),
                    done=(rng.uniform(size=shape) < 0.2).astype(np.float64))
    adv = rng.standard_normal(steps)
    return dict(obs=rng.standard_normal((steps, obs_dim)),
                act=rng.standard_normal((steps, act_dim)), ret=rng.standard_normal(steps),
                adv=(adv - adv.mean()) / adv.std(), logp=-rng.uniform(4, 8, steps))


def parity(device, out, *algos):
    import gymnasium as gym
    import jax
    import numpy as np

    from spinup.algos import registry
    obs_dim, act_dim = 5, 2
    obs = gym.spaces.Box(-np.inf, np.inf, (obs_dim,))
    act = gym.spaces.Box(-1.0, 1.0, (act_dim,))
    rows, ok = [], True
    with jax.enable_x64(True):
        for algo in algos or registry.ALGOS:
            family = registry.family(algo)
            kw = dict(hidden_sizes=(32, 32), dtype="float64")
            pt = registry.make_learner(f"{algo}_pytorch", obs, act, device=device, **kw)
            cpu = registry.make_learner(f"{algo}_pytorch", obs, act, device="cpu", **kw)
            jx = registry.make_learner(f"{algo}_jax", obs, act, **kw)
            params = jx.get_params()
            pt.set_params(params)
            cpu.set_params(params)
            data = _inputs(family, obs_dim, act_dim)
            if family == "off_policy":
                noise = cpu.draw_noise(*data["rew"].shape)
                if isinstance(noise, dict):
                    noise = {k: v.numpy() for k, v in noise.items()}
                elif noise is not None:
                    noise = noise.numpy()
                for learner in (pt, cpu, jx):
                    learner.update(data, noise)
            else:
                for learner in (pt, cpu, jx):
                    learner.update(data)
            a, c, b = pt.get_params(), cpu.get_params(), jx.get_params()
            err_jax = max(_rel_err(a[k], b[k]) for k in b)
            err_cpu = max(_rel_err(a[k], c[k]) for k in c)
            moved = max(float(np.max(np.abs(b[k] - params[k]))) for k in params)
            good = err_jax <= RTOL and err_cpu <= RTOL and moved > 1e-6
            ok &= good
            rows.append(dict(algo=algo, torch_device=str(pt.device),
                             jax_device=str(jax.devices()[0]), max_rel_err_vs_jax=err_jax,
                             max_rel_err_vs_torch_cpu=err_cpu, update_moved=moved, ok=good))
            print(f"{algo:5s} torch {pt.device} vs jax {jax.devices()[0]}: {err_jax:.1e}; vs "
                  f"torch cpu: {err_cpu:.1e}; update moved the weights by {moved:.1e} -> "
                  f"{'ok' if good else 'FAILED'}", flush=True)
    with open(os.path.join(out, "parity.json"), "w") as f:
        json.dump(rows, f, indent=1)
    return 0 if ok else 1


def summarize(out):
    """OUT/summary.md: what each step wrote, in the tables docs/speed.md takes."""
    from spinup.commands import bench, bench_population
    from spinup.utils import run_files
    lines = ["# device check", ""]
    path = os.path.join(out, "machine.json")
    if os.path.exists(path):
        with open(path) as f:
            m = json.load(f)
        lines += [f"Machine: {m.get('gpu') or 'no GPU'} ({m.get('nvidia_smi')}), "
                  f"{m['cpu_count']} CPUs, Python {m['python']}, torch {m['torch']}, jax "
                  f"{m['jax']} on {', '.join(m['jax_devices'])}; {m['date_utc']} UTC.", ""]
    steps = os.path.join(out, "steps.log")
    if os.path.exists(steps):
        with open(steps) as f:
            lines += ["```", f.read().rstrip(), "```", ""]
    path = os.path.join(out, "parity.json")
    if os.path.exists(path):
        with open(path) as f:
            lines += ["## Parity (float64)", "", "| algo | vs JAX | vs PyTorch CPU | ok |",
                      "|---|---:|---:|---|"]
            lines += [f"| {r['algo']} | {r['max_rel_err_vs_jax']:.1e} | "
                      f"{r['max_rel_err_vs_torch_cpu']:.1e} | {r['ok']} |" for r in json.load(f)]
            lines.append("")
    path = os.path.join(out, "bench.json")
    if os.path.exists(path):
        with open(path) as f:
            res = json.load(f)
        algos = {a: r for a, r in res.items() if a in bench.all_algos()}
        lines += ["## bench", "", "```", bench.format_table(algos), "```", ""]
    path = os.path.join(out, "population.json")
    if os.path.exists(path):
        with open(path) as f:
            res = json.load(f)
        lines += ["## Populations", "", "```"]
        lines += [bench_population.format_population(r) for r in res["algos"].values()]
        lines += ["```", ""]
    path = os.path.join(out, "torch_overhead.json")
    if os.path.exists(path):
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from torch_overhead import HEADER, format_row
        with open(path) as f:
            res = json.load(f)
        lines += [f"## PyTorch's update: Adam against fused Adam, operators and kernels "
                  f"({res['device']})", "", "```", HEADER]
        lines += [format_row(r) for r in res["results"]] + ["```", ""]
    runs = os.path.join(out, "runs")
    if os.path.isdir(runs):
        lines += ["## Short HalfCheetah runs (medians over the epochs after the first, seconds)",
                  "", "| run | env | act | update | test | epoch | env steps/s |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for run_dir in sorted(run_files.find_run_dirs(runs)):
            header, rows = run_files.read_progress(run_dir)
            col = {h: [float(r[i]) for r in rows[1:] or rows] for i, h in enumerate(header)}
            med = {k: sorted(v)[len(v) // 2] for k, v in col.items() if k.startswith("Time")}
            with open(os.path.join(run_dir, "config.json")) as f:
                steps_per_epoch = json.load(f)["steps_per_epoch"]
            lines.append(f"| {os.path.basename(run_dir)} | {med['TimeEnv']:.3f} | "
                         f"{med['TimeAct']:.3f} | {med['TimeUpdate']:.3f} | "
                         f"{med.get('TimeTest', 0):.3f} | {med['TimeEpoch']:.3f} | "
                         f"{steps_per_epoch / med['TimeEpoch']:.0f} |")
        lines.append("")
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    cmd, *rest = sys.argv[1:]
    if cmd == "setup":
        setup(*rest)
    elif cmd == "parity":
        sys.exit(parity(*rest))
    elif cmd == "summarize":
        sys.exit(summarize(*rest))
    else:
        sys.exit(f"unknown step {cmd!r}: expected setup, parity or summarize")
