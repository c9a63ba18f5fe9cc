"""The exploration noise of the deterministic actors (DDPG, TD3), drawn in NumPy so that both
backends explore with the same numbers: ``clip(pi(o) + act_noise * N(0, 1), -act_limit,
act_limit)``, from a stream of its own."""
import numpy as np


def noise_rng(seed):
    """The exploration-noise stream of a learner (apart from every other stream)."""
    return np.random.default_rng((seed, 2))


def add_exploration_noise(a, act_noise, act_limit, rng):
    """``clip(a + act_noise * N(0, 1), -act_limit, act_limit)`` as float32."""
    a = a + act_noise * rng.standard_normal(a.shape)
    return np.clip(a, -act_limit, act_limit).astype(np.float32)
