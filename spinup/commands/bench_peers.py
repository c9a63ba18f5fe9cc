"""Speed against the libraries users would pick instead:
``python -m spinup.run bench --peers [ALGO ...] [--rounds N] [--smoke] [--json PATH]``.

The same algorithm with the same settings (SpinningUp's HalfCheetah benchmark settings, one
table per algorithm below) in this project's two backends and in Stable-Baselines3 (PyTorch)
and SBX (JAX), whichever of the two is installed (``pip install -e ".[peers]" -c
constraints.txt``). Off-policy: HalfCheetah-v4, (256, 256) networks, batch 100, 50 updates
every 50 env steps (one update per step; SB3 and SBX: ``train_freq=50, gradient_steps=50``).
PPO: 4000 steps per epoch, (64, 32) tanh, 80 full-batch policy iterations and 80 value
iterations (SB3 and SBX: ``n_epochs=80`` on one minibatch of 4000, policy and value in one
loss); the KL early stop is off in all, so every contender does all the work.

Each run is a fresh process; the contenders take turns within a round (the order rotated
every round) and never run at once, so machine load hits all alike. A run records the wall
clock at every ``chunk`` env steps; env steps/s is taken over the learning phase only: the
first chunks (off-policy: the random-action phase and the first learning chunk, which holds
JIT compilation; PPO: the first epoch) are left out. The table gives the median over rounds
and the rate of each contender's fastest measured chunk: on a shared virtual machine other
tenants' load comes and goes within a run, and the fastest chunk is the least disturbed.
"""
import argparse
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass

import numpy as np

from spinup.commands.bench_common import write_json

ENV = "HalfCheetah-v4"
ALGOS = ("td3", "sac", "ddpg", "ppo")  # the order they are timed in
OURS = ("spinup_jax", "spinup_pytorch", "spinup_pytorch_compiled")
PEERS = {"sb3": "stable_baselines3", "sbx": "sbx"}  # contender -> module
NAMES = {"spinup_jax": "spinup JAX", "spinup_pytorch": "spinup PyTorch",
         "spinup_pytorch_compiled": "spinup PyTorch comp.",
         "sb3": "Stable-Baselines3", "sbx": "SBX"}

# The settings every contender runs with.
_OFF = dict(hidden=(256, 256), activation="relu", batch_size=100, gamma=0.99, polyak=0.995,
            lr=1e-3, replay_size=1_000_000, update_every=50, random_steps=1000)
SETTINGS = {
    "td3": dict(_OFF, act_noise=0.1, target_noise=0.2, noise_clip=0.5, policy_delay=2),
    "sac": dict(_OFF, alpha=0.2),
    "ddpg": dict(_OFF, act_noise=0.1),
    "ppo": dict(hidden=(64, 32), activation="tanh", steps_per_epoch=4000, gamma=0.99,
                lam=0.97, clip_ratio=0.2, pi_lr=3e-4, vf_lr=1e-3, train_iters=80),
}
# The smoke mode (CI): the same code paths on tiny sizes.
SMOKE = {
    "td3": dict(SETTINGS["td3"], hidden=(32, 32), batch_size=32, update_every=50,
                random_steps=100),
    "ppo": dict(SETTINGS["ppo"], hidden=(16,), steps_per_epoch=200, train_iters=2),
}
for _a in ("sac", "ddpg"):
    SMOKE[_a] = dict(SETTINGS[_a], **{k: SMOKE["td3"][k] for k in
                                      ("hidden", "batch_size", "random_steps")})


@dataclass
class Size:
    """How long a run is: ``chunks`` chunks of ``chunk`` env steps, of which the first
    ``skip`` are left out of the rate."""
    chunk: int
    chunks: int
    skip: int


def sizes(algo, smoke=False):
    """The run length of ``algo``: off-policy, a 1000-step random phase, a first learning
    chunk and 3 measured chunks of 1000 steps; PPO, 4 epochs of which the first is left out."""
    if algo == "ppo":
        return Size(200, 3, 1) if smoke else Size(4000, 4, 1)
    return Size(100, 3, 2) if smoke else Size(1000, 5, 2)


def available_peers():
    """{contender: version} of the peer libraries importable here, and {contender: why not}
    of the others (not installed, or failing to import)."""
    found, missing = {}, {}
    for name, module in PEERS.items():
        if importlib.util.find_spec(module) is None:
            missing[name] = "not installed"
            continue
        try:
            found[name] = importlib.import_module(module).__version__
        except Exception as e:  # a broken install is reported, not fatal
            missing[name] = f"import failed: {type(e).__name__}: {str(e).splitlines()[0]}"
    return found, missing


# ---------------------------------------------------------------------------------------------
# One run of this project: ``python -m spinup.run`` in a fresh process
# ---------------------------------------------------------------------------------------------
def our_flags(algo, s, size):
    """The command-line flags of this project's run at settings ``s``."""
    hid = "(" + ",".join(map(str, s["hidden"])) + ",)"
    flags = ["--env", ENV, "--hid", hid, "--act", s["activation"], "--gamma", str(s["gamma"]),
             "--steps_per_epoch", str(size.chunk), "--epochs", str(size.chunks),
             "--save_freq", str(size.chunks)]
    if algo == "ppo":
        return flags + ["--lam", str(s["lam"]), "--clip_ratio", str(s["clip_ratio"]),
                        "--pi_lr", str(s["pi_lr"]), "--vf_lr", str(s["vf_lr"]),
                        "--train_pi_iters", str(s["train_iters"]),
                        "--train_v_iters", str(s["train_iters"]), "--target_kl", "1e9"]
    flags += ["--batch_size", str(s["batch_size"]), "--polyak", str(s["polyak"]),
              "--replay_size", str(s["replay_size"]), "--update_every", str(s["update_every"]),
              "--start_steps", str(s["random_steps"]), "--update_after", str(s["random_steps"]),
              "--num_test_episodes", "0"]
    if algo == "sac":
        return flags + ["--lr", str(s["lr"]), "--alpha", str(s["alpha"])]
    flags += ["--pi_lr", str(s["lr"]), "--q_lr", str(s["lr"]), "--act_noise", str(s["act_noise"])]
    if algo == "td3":
        flags += ["--target_noise", str(s["target_noise"]), "--noise_clip",
                  str(s["noise_clip"]), "--policy_delay", str(s["policy_delay"])]
    return flags


def run_ours(backend, algo, s, size, seed, device, workdir, threads=None, compile="none"):
    """Time one run of ``<algo>_<backend>`` (PyTorch: in ``compile`` mode; compilation falls
    in the skipped chunks, as JAX's does); returns the seconds of each chunk (an epoch of
    ``size.chunk`` steps: its ``TimeEpoch``, which tiles the wall clock)."""
    from spinup.utils import run_files
    flags = our_flags(algo, s, size) + ["--seed", str(seed), "--exp_name", "run",
                                        "--data_dir", workdir]
    if backend == "pytorch":
        flags += ["--device", device, "--compile", compile]
    cmd = [sys.executable, "-m", "spinup.run", f"{algo}_{backend}", *flags]
    proc = subprocess.run(cmd, env=child_env(device, threads), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    run_dir = run_files.find_run_dirs(os.path.join(workdir, "run"))[0]
    header, rows = run_files.read_progress(run_dir)
    return [float(r[header.index("TimeEpoch")]) for r in rows]


# ---------------------------------------------------------------------------------------------
# One run of a peer library, in this process (the child of ``time_run``)
# ---------------------------------------------------------------------------------------------
def peer_model(lib, algo, env, s, seed, device):
    """Stable-Baselines3's or SBX's ``algo`` on ``env`` at settings ``s``."""
    module = importlib.import_module(PEERS[lib])
    if lib == "sb3":
        import torch.nn as nn
        act_fn = {"relu": nn.ReLU, "tanh": nn.Tanh}[s["activation"]]
    else:
        import flax.linen as nn
        act_fn = {"relu": nn.relu, "tanh": nn.tanh}[s["activation"]]
    hid = list(s["hidden"])
    if algo == "ppo":
        # One Adam on the joint loss (their design) at the policy's rate; SpinningUp clips no
        # gradients, so the clip is set out of reach.
        kw = dict(n_steps=s["steps_per_epoch"], batch_size=s["steps_per_epoch"],
                  n_epochs=s["train_iters"], gamma=s["gamma"], gae_lambda=s["lam"],
                  clip_range=s["clip_ratio"], learning_rate=s["pi_lr"], ent_coef=0.0,
                  target_kl=None, max_grad_norm=1e9,
                  policy_kwargs=dict(net_arch=dict(pi=hid, vf=hid), activation_fn=act_fn))
    else:
        from stable_baselines3.common.noise import NormalActionNoise
        kw = dict(learning_rate=s["lr"], buffer_size=s["replay_size"],
                  learning_starts=s["random_steps"], batch_size=s["batch_size"],
                  tau=1 - s["polyak"], gamma=s["gamma"], train_freq=(s["update_every"], "step"),
                  gradient_steps=s["update_every"],
                  policy_kwargs=dict(net_arch=hid, activation_fn=act_fn))
        if lib == "sbx" and algo == "ddpg":
            kw["qf_learning_rate"] = s["lr"]  # SBX's DDPG has its own critic rate
        if algo in ("td3", "ddpg"):
            n = env.action_space.shape[0]
            kw["action_noise"] = NormalActionNoise(np.zeros(n), s["act_noise"] * np.ones(n))
        if algo == "td3":
            kw.update(policy_delay=s["policy_delay"], target_policy_noise=s["target_noise"],
                      target_noise_clip=s["noise_clip"])
        if algo == "sac":
            kw["ent_coef"] = s["alpha"]
    return getattr(module, algo.upper())("MlpPolicy", env, seed=seed, device=device,
                                         verbose=0, **kw)


def run_peer(lib, algo, s, size, seed, device):
    """Train ``algo`` of peer ``lib`` for ``size``; returns the seconds of each chunk."""
    import gymnasium as gym
    from stable_baselines3.common.callbacks import BaseCallback

    class ChunkClock(BaseCallback):
        """The wall clock at the start and after every ``chunk`` env steps (off-policy), or
        at the start of every rollout (PPO: an epoch is its rollout and the training on it,
        as this project's epochs are)."""

        def _on_training_start(self):
            self.marks = [] if algo == "ppo" else [time.perf_counter()]

        def _on_rollout_start(self):
            if algo == "ppo":
                self.marks.append(time.perf_counter())

        def _on_step(self):
            if algo != "ppo" and self.num_timesteps % size.chunk == 0:
                self.marks.append(time.perf_counter())
            return True

    from spinup.utils import quiet
    quiet.quiet_libraries()  # MuJoCo's warnings: once, and no MUJOCO_LOG.TXT
    model = peer_model(lib, algo, gym.make(ENV), s, seed, device)
    clock = ChunkClock()
    model.learn(total_timesteps=size.chunk * size.chunks, callback=clock)
    if algo == "ppo":
        clock.marks.append(time.perf_counter())  # the end of the last epoch's training
    return list(np.diff(clock.marks))


def child_env(device, threads=None, peer=False):
    """The environment of every timed process: one BLAS thread for NumPy (what spinup sets
    for itself, given to the peers alike), on the CPU JAX kept there, and with ``threads``
    PyTorch's OpenMP and MKL thread counts (always set together). A ``peer`` runs without the
    XLA flag spinup adds for itself (``spinup.xla_cpu_defaults``): a peer's user gets XLA's
    defaults; a flag the user set stays."""
    import spinup
    env = dict(os.environ, SPINUP_NO_PROGRESS="1")
    if peer:
        env["SPINUP_XLA_DEFAULTS"] = "0"
        if spinup.XLA_FLAG_ADDED:
            env["XLA_FLAGS"] = env.get("XLA_FLAGS", "").replace(spinup.XLA_FLAG_ADDED, "").strip()
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    if device == "cpu":
        env["JAX_PLATFORMS"] = "cpu"
    if threads:
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    return env


def time_run(contender, algo, s, size, seed=0, device="cpu", threads=None):
    """One timed run in a fresh process; returns its record: chunk seconds and the rate."""
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="spinup_peers_") as tmp:
        if contender in OURS:
            chunks = run_ours(contender.split("_")[1], algo, s, size, seed, device, tmp,
                              threads, "default" if contender.endswith("_compiled") else "none")
        else:
            out = os.path.join(tmp, "chunks.json")
            cmd = [sys.executable, "-m", "spinup.commands.bench_peers", "--child", contender,
                   algo, "--child_args", json.dumps(dict(settings=s, size=asdict(size),
                                                         seed=seed, device=device, out=out))]
            proc = subprocess.run(cmd, env=child_env(device, threads, peer=True),
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"{contender} {algo} failed:\n{proc.stderr[-3000:]}")
            with open(out) as f:
                chunks = json.load(f)
    if len(chunks) != size.chunks:
        raise RuntimeError(f"{contender} {algo}: {len(chunks)} chunk times, expected "
                           f"{size.chunks}")
    measured = chunks[size.skip:]
    return dict(chunk_seconds=chunks, steps_per_s=len(measured) * size.chunk / sum(measured),
                best_chunk_steps_per_s=size.chunk / min(measured),
                wall_s=time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# Rounds, table, command line
# ---------------------------------------------------------------------------------------------
def run_rounds(algos, rounds, smoke=False, device="cpu", peers=None, threads=None,
               verbose=True):
    """Every contender of every algorithm ``rounds`` times, the contenders of an algorithm
    taking turns (order rotated each round). Returns the results as a dict."""
    found, missing = available_peers()
    if peers is not None:
        found = {k: v for k, v in found.items() if k in peers}
    contenders = [*OURS, *found]
    out = dict(smoke=bool(smoke), device=device, rounds=rounds, threads=threads, peers=found,
               missing_peers=missing, machine=_machine(), algos={})
    for algo in algos:
        s, size = (SMOKE if smoke else SETTINGS)[algo], sizes(algo, smoke)
        runs = {c: [] for c in contenders}
        for r in range(rounds):
            k = r % len(contenders)
            for c in contenders[k:] + contenders[:k]:
                rec = time_run(c, algo, s, size, seed=r, device=device, threads=threads)
                runs[c].append(rec)
                if verbose:
                    print(f"{algo} round {r + 1}/{rounds} {NAMES[c]:<18} "
                          f"{rec['steps_per_s']:7.1f} env steps/s  ({rec['wall_s']:.0f} s)",
                          flush=True)
        out["algos"][algo] = dict(
            settings=s, size=asdict(size), runs=runs,
            steps_per_s={c: float(np.median([x["steps_per_s"] for x in v]))
                         for c, v in runs.items()},
            best_chunk_steps_per_s={c: max(x["best_chunk_steps_per_s"] for x in v)
                                    for c, v in runs.items()})
    return out


def _machine():
    import platform
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")),
                       platform.processor())
    except OSError:
        cpu = platform.processor()
    return dict(cpu=cpu, cpu_count=os.cpu_count(), python=platform.python_version(),
                load_avg_1min=os.getloadavg()[0],
                date_utc=time.strftime("%Y-%m-%d %H:%M", time.gmtime()))


def format_table(res):
    """Env steps/s per algorithm and contender (median over rounds; and at the fastest chunk
    of any round, the one least disturbed by other load on a shared machine), against spinup
    JAX, and the ratios the targets of issue 21 are stated in."""
    lines = [f"{'algo':<6}{'contender':<22}{'env steps/s':>12}  {'JAX / this':>10}  "
             f"{'best chunk':>10}  {'JAX / this':>10}  rounds"]
    for algo, a in res["algos"].items():
        ours, best_of = a["steps_per_s"]["spinup_jax"], a["best_chunk_steps_per_s"]
        for c, v in a["steps_per_s"].items():
            each = ", ".join(f"{x['steps_per_s']:.0f}" for x in a["runs"][c])
            lines.append(f"{algo:<6}{NAMES[c]:<22}{v:>12.1f}  {ours / v:>10.2f}  "
                         f"{best_of[c]:>10.1f}  {best_of['spinup_jax'] / best_of[c]:>10.2f}  "
                         f"{each}")
        peers = {c: v for c, v in a["steps_per_s"].items() if c not in OURS}
        if peers:
            best = max(peers, key=peers.get)
            fastest = max(peers, key=best_of.get)
            lines.append(f"{'':<6}spinup JAX / fastest peer: {ours / peers[best]:.2f}x "
                         f"({NAMES[best]}, medians); {best_of['spinup_jax'] / best_of[fastest]:.2f}x"
                         f" ({NAMES[fastest]}, best chunks)")
    versions = ", ".join(f"{NAMES[c]} {v}" for c, v in res["peers"].items()) or "none"
    lines.append(f"peers: {versions}")
    for c, why in res["missing_peers"].items():
        lines.append(f"not timed: {NAMES[c]} ({why})")
    return "\n".join(lines)


def main(argv=None):
    """``bench --peers``: time the contenders, print the table, optionally write JSON."""
    p = argparse.ArgumentParser(prog="python -m spinup.run bench --peers",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("algos", nargs="*", metavar="ALGO",
                   help=f"algorithms to time, of {', '.join(ALGOS)} (default: all; --smoke: td3)")
    p.add_argument("--rounds", type=int, default=None,
                   help="runs of each contender (default 2; --smoke: 1)")
    p.add_argument("--smoke", action="store_true",
                   help="tiny networks and runs: checks the harness in seconds, times nothing "
                        "worth reporting")
    p.add_argument("--device", default="cpu", help="'cpu' (default) or 'cuda' for every "
                   "contender (JAX on its default device unless 'cpu')")
    p.add_argument("--threads", type=int, default=None,
                   help="PyTorch's OpenMP/MKL threads in every run (default: the libraries' "
                        "own, all cores; --smoke: 1, as PyTorch stalls on a busy machine)")
    p.add_argument("--only", nargs="+", metavar="PEER", default=None,
                   help=f"only these installed peers, of {', '.join(PEERS)} (default: all "
                        "installed)")
    p.add_argument("--json", metavar="PATH", help="write all numbers here")
    p.add_argument("--child", nargs=2, metavar=("PEER", "ALGO"), help=argparse.SUPPRESS)
    p.add_argument("--child_args", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        a = json.loads(args.child_args)
        chunks = run_peer(*args.child, a["settings"], Size(**a["size"]), a["seed"], a["device"])
        with open(a["out"], "w") as f:
            json.dump([float(x) for x in chunks], f)
        return 0
    bad = [a for a in args.algos if a not in ALGOS] + \
        [x for x in (args.only or []) if x not in PEERS]
    if bad:
        p.error(f"unknown algorithm or peer {bad[0]!r}: expected algorithms of "
                f"{', '.join(ALGOS)} and peers of {', '.join(PEERS)}")
    algos = [a for a in ALGOS if a in args.algos] or (["td3"] if args.smoke else list(ALGOS))
    rounds = args.rounds or (1 if args.smoke else 2)
    if rounds < 1:
        p.error(f"--rounds {rounds}: expected at least 1")
    threads = args.threads or (1 if args.smoke else None)
    res = run_rounds(algos, rounds, args.smoke, args.device, args.only, threads)
    print(format_table(res))
    if args.json:
        write_json(args.json, res)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
