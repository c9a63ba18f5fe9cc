"""What a trained run's final policy earns, for judging its critic and its robustness (issue 31,
Swimmer-v4's DDPG and TD3): for each run folder, the mean return of a few 1000-step episodes
with clipped Gaussian noise of each given std added to every action (clipped at 0.5, as TD3's
target smoothing, then to the action bounds), and the mean discounted return (gamma 0.99) from
the states of the first half of each episode under the behaviour noise 0.1: the value the
critic's logged mean Q estimates, near enough (that mean is over replay-buffer pairs).

Usage: python scripts/policy_probe.py RUN_DIR [RUN_DIR ...] [--episodes 3] [--sigmas 0 0.1 0.2]
  e.g. python scripts/policy_probe.py data/benchmark/Swimmer-v4/swimmer_td3_jax/swimmer_td3_jax_s0
RUN_DIR is a run folder with a saved model (what `python -m spinup.run test_policy` loads).
"""
import argparse
import os.path as osp
import sys

import numpy as np

from spinup.utils.test_policy import load_policy_and_env

GAMMA, BEHAVIOUR_NOISE, NOISE_CLIP = 0.99, 0.1, 0.5


def episode_rewards(env, act, sigma, rng, seed, steps):
    o, _ = env.reset(seed=seed)
    low, high = env.action_space.low, env.action_space.high
    rewards = []
    for _ in range(steps):
        a = np.asarray(act(o))
        if sigma:
            a = np.clip(a + np.clip(sigma * rng.standard_normal(a.shape), -NOISE_CLIP, NOISE_CLIP),
                        low, high)
        o, r, terminated, truncated, _ = env.step(a)
        rewards.append(r)
        if terminated or truncated:
            break
    return np.array(rewards)


def discounted_from_each_state(rewards, first):
    disc = GAMMA ** np.arange(len(rewards))
    return [np.sum(rewards[t:] * disc[:len(rewards) - t]) for t in range(first)]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+")
    p.add_argument("--episodes", type=int, default=3)
    p.add_argument("--sigmas", type=float, nargs="+", default=[0.0, 0.1, 0.2])
    args = p.parse_args()
    missing = [r for r in args.runs if not osp.isfile(osp.join(r, "config.json"))]
    if missing:
        sys.exit(f"error: not a run folder (no config.json): {', '.join(missing)}")
    if args.episodes < 1:
        sys.exit(f"error: --episodes {args.episodes}: give 1 or more")
    for run in args.runs:
        env, act = load_policy_and_env(run)
        steps = env.spec.max_episode_steps or 1000
        returns = []
        for sigma in args.sigmas:
            rng = np.random.default_rng(0)
            rets = [episode_rewards(env, act, sigma, rng, 100 + ep, steps).sum()
                    for ep in range(args.episodes)]
            returns.append(f"noise {sigma:g}: {np.mean(rets):.1f}")
        rng = np.random.default_rng(0)
        values = []
        for ep in range(args.episodes):
            rewards = episode_rewards(env, act, BEHAVIOUR_NOISE, rng, 200 + ep, steps)
            values += discounted_from_each_state(rewards, len(rewards) // 2)
        print(f"{osp.basename(osp.normpath(run))}: return {' | '.join(returns)}; discounted return "
              f"from first-half states (noise {BEHAVIOUR_NOISE}): {np.mean(values):.2f}", flush=True)


if __name__ == "__main__":
    main()
