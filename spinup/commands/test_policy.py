"""Run a saved policy: ``python -m spinup.run test_policy RUN_DIR [--episodes N] [--len L]``."""
import argparse
import json
import os.path as osp
import time

import numpy as np

from spinup.algos.common.checks import InputError


def run_info(run_dir):
    """(algorithm name such as 'td3_jax', config dict) of a run folder, or an InputError that
    says which file is missing."""
    cfg_path = osp.join(run_dir, "config.json")
    if not osp.isdir(run_dir):
        raise InputError(f"{run_dir!r} is not a folder; expected a run folder holding "
                         "config.json and model/")
    if not osp.exists(cfg_path):
        raise InputError(f"{run_dir!r} is not a run folder: config.json is missing")
    with open(cfg_path) as f:
        cfg = json.load(f)
    algo = cfg.get("algo")
    if algo is None:
        raise InputError(f"{cfg_path} does not name its algorithm (no 'algo' key)")
    return algo, cfg


def load_policy(run_dir):
    """The saved agent of a run (an object with ``act(obs, deterministic=True)``) and a factory
    for its environment."""
    import importlib

    from spinup.algos import registry
    from spinup.algos.common.envs import env_fn_from_config
    algo, cfg = run_info(run_dir)
    if not osp.isdir(osp.join(run_dir, "model")):
        raise InputError(f"{run_dir!r} has no saved model: model/ is missing")
    module = registry.ENTRY_POINTS[registry.resolve(algo)].split(":")[0]
    agent = importlib.import_module(module).load(run_dir)
    return agent, env_fn_from_config(cfg)


def run_policy(env, agent, max_ep_len=None, num_episodes=10, deterministic=True,
               render=False, seed=0):
    """Returns the (return, length) of each of ``num_episodes`` episodes."""
    episodes = []
    o, _ = env.reset(seed=seed)
    ep_ret, ep_len, n = 0.0, 0, 0
    while n < num_episodes:
        if render:
            env.render()
            time.sleep(1e-3)
        a = agent.act(np.asarray(o, dtype=np.float32), deterministic=deterministic)
        o, r, terminated, truncated, _ = env.step(a)
        ep_ret += float(r)
        ep_len += 1
        if terminated or truncated or (max_ep_len and ep_len == max_ep_len):
            episodes.append((ep_ret, ep_len))
            print("Episode %d \t EpRet %.3f \t EpLen %d" % (n, ep_ret, ep_len))
            o, _ = env.reset()
            ep_ret, ep_len, n = 0.0, 0, n + 1
    return episodes


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m spinup.run test_policy",
                                description="Run the saved policy of a run for some episodes.")
    p.add_argument("run_dir")
    p.add_argument("--len", "-l", type=int, default=0, help="max episode length (0: env's)")
    p.add_argument("--episodes", "-n", type=int, default=10)
    p.add_argument("--stochastic", action="store_true",
                   help="sample actions instead of the deterministic ones")
    p.add_argument("--render", action="store_true", help="open a window (needs a display)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.episodes < 1:
        raise InputError(f"--episodes {args.episodes}: expected an integer >= 1")
    if args.len < 0:
        raise InputError(f"--len {args.len}: expected 0 (the env's limit) or a positive integer")
    agent, env_fn = load_policy(args.run_dir)
    env = env_fn(render_mode="human") if args.render else env_fn()
    eps = np.array(run_policy(env, agent, args.len or None, args.episodes, not args.stochastic,
                              args.render, args.seed))
    print(f"AverageEpRet {eps[:, 0].mean():.3f} +- {eps[:, 0].std():.3f} over {len(eps)} "
          f"episodes; AverageEpLen {eps[:, 1].mean():.1f}")
    return 0
