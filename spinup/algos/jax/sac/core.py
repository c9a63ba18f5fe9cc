"""SAC's networks in JAX (Haiku, SpinningUp): a squashed Gaussian actor and twin critics
``mlp(concat(obs, act))`` squeezed to ``(batch,)``, as pure functions of their parameters.
The actor's body has the activation after every layer; its linear heads give the mean and
the log-std (clamped to [-20, 2]). Haiku modules: 'pi/linear_<i>' for the actor (body
0..L-1, mean L, log-std L+1), 'q/linear_<i>' for every critic (Q1, Q2 and their targets share
one transform), and 'alpha' holding 'log_alpha' for a learned temperature; see
spinup/algos/jax/nets.py for the canonical names. The critic is the off-policy family's
(spinup/algos/jax/off_policy.py)."""
import os

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import haiku as hk  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import jax.scipy.stats  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402

from spinup.algos.common.numpy_policy import LOG_STD_MAX, LOG_STD_MIN  # noqa: E402
from spinup.algos.jax.nets import ACTIVATIONS, mlp  # noqa: E402
from spinup.algos.jax.off_policy import MLPQFunction  # noqa: E402

__all__ = ["SquashedGaussianMLPActor", "MLPQFunction", "temperature", "MLPActorCritic", "MODULES"]

# Haiku module of each canonical net.
MODULES = dict(pi="pi", q1="q", q2="q", alpha="alpha")


class SquashedGaussianMLPActor(hk.Module):
    """``a = act_limit * tanh(u)``, ``u ~ N(mu(obs), std(obs))`` reparameterised."""

    def __init__(self, act_dim, hidden_sizes, activation, act_limit, name="pi"):
        super().__init__(name=name)
        self.act_dim, self.hidden_sizes = act_dim, hidden_sizes
        self.activation, self.act_limit = activation, act_limit

    def __call__(self, obs, eps=None):
        """(a, logp(a|obs)) with ``u = mu + std * eps`` for standard-normal ``eps``; without
        ``eps`` the mean action ``act_limit * tanh(mu)`` and no logp."""
        n = len(self.hidden_sizes)
        h = obs  # an empty body (hidden_sizes=()) leaves the observation as it is
        if n:
            h = mlp(obs, self.hidden_sizes, self.activation, ACTIVATIONS[self.activation])
        mu = hk.Linear(self.act_dim, name=f"linear_{n}")(h)
        if eps is None:
            return self.act_limit * jnp.tanh(mu), None
        log_std = jnp.clip(hk.Linear(self.act_dim, name=f"linear_{n + 1}")(h),
                           LOG_STD_MIN, LOG_STD_MAX)
        std = jnp.exp(log_std)
        u = mu + std * eps
        # The Gaussian log-prob of u, then the change of variables through tanh:
        # log(1 - tanh(u)^2) = 2 * (log 2 - u - softplus(-2u)), stable for large |u|.
        logp = jax.scipy.stats.norm.logpdf(u, mu, std).sum(-1)
        logp = logp - (2 * (np.log(2) - u - jax.nn.softplus(-2 * u))).sum(-1)
        return self.act_limit * jnp.tanh(u), logp


def temperature(alpha):
    """The learned entropy temperature ``alpha = exp(log_alpha)`` from its tree ('alpha'
    module), a constant of the update that reads it."""
    return jnp.exp(lax.stop_gradient(alpha["alpha"]["log_alpha"]))


class MLPActorCritic:
    """The pure apply functions ``pi(params, obs, eps=None)`` and ``q(params, obs, act)``
    (the same ``q`` serves Q1, Q2 and their targets, with different parameters)."""

    def __init__(self, act_dim, act_limit, hidden_sizes=(256, 256), activation="relu"):
        act_limit = np.asarray(act_limit)
        hidden_sizes = tuple(hidden_sizes)
        self.pi = hk.without_apply_rng(hk.transform(
            lambda obs, eps=None: SquashedGaussianMLPActor(act_dim, hidden_sizes, activation,
                                                           act_limit)(obs, eps))).apply
        self.q = hk.without_apply_rng(hk.transform(
            lambda obs, act: MLPQFunction(hidden_sizes, activation)(obs, act))).apply
