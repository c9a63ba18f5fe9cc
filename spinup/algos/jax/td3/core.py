"""TD3's networks in JAX (Haiku): actor ``act_limit * tanh(mlp(obs))`` and critics
``mlp(concat(obs, act))`` squeezed to ``(batch,)``, as pure functions of their parameters.
Haiku modules: 'pi/linear_<i>' for the actor, 'q/linear_<i>' for every critic (Q1, Q2 and
their targets share one transform; see spinup/algos/jax/nets.py for the canonical names)."""
import os

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import haiku as hk  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from spinup.algos.jax.nets import mlp  # noqa: E402

# Haiku module of each canonical net.
MODULES = dict(pi="pi", q1="q", q2="q")


class MLPActor(hk.Module):
    """``act_limit * tanh(mlp(obs))``."""

    def __init__(self, act_dim, hidden_sizes, activation, act_limit, name="pi"):
        super().__init__(name=name)
        self.sizes, self.activation = [*hidden_sizes, act_dim], activation
        self.act_limit = act_limit

    def __call__(self, obs):
        return self.act_limit * mlp(obs, self.sizes, self.activation, jnp.tanh)


class MLPQFunction(hk.Module):
    """``Q(obs, act)``, squeezed to ``(batch,)``."""

    def __init__(self, hidden_sizes, activation, name="q"):
        super().__init__(name=name)
        self.sizes, self.activation = [*hidden_sizes, 1], activation

    def __call__(self, obs, act):
        x = jnp.concatenate([obs, act], axis=-1)
        return jnp.squeeze(mlp(x, self.sizes, self.activation), -1)


class MLPActorCritic:
    """The pure apply functions ``pi(params, obs)`` and ``q(params, obs, act)`` (the same
    ``q`` serves Q1, Q2 and their targets, with different parameters)."""

    def __init__(self, act_dim, act_limit, hidden_sizes=(256, 256), activation="relu"):
        act_limit = np.asarray(act_limit)
        hidden_sizes = tuple(hidden_sizes)
        self.pi = hk.without_apply_rng(hk.transform(
            lambda obs: MLPActor(act_dim, hidden_sizes, activation, act_limit)(obs))).apply
        self.q = hk.without_apply_rng(hk.transform(
            lambda obs, act: MLPQFunction(hidden_sizes, activation)(obs, act))).apply
