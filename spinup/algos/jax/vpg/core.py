"""VPG's networks in JAX (Haiku): a Gaussian or categorical actor and a value critic, as pure
functions of their parameters.

Parameters cross the backend seam in canonical form (see spinup.algos.common.nets):
'pi/<i>/w' shaped (in, out), 'pi/<i>/b', 'pi/log_std', 'v/<i>/w', 'v/<i>/b'. In Haiku they
live at module 'pi/linear_<i>' (leaves 'w', 'b') and module 'pi' (leaf 'log_std').
"""
import os
import re
from functools import partial

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import haiku as hk  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from spinup.algos.common.envs import space_kind  # noqa: E402

ACTIVATIONS = dict(relu=jax.nn.relu, tanh=jnp.tanh, elu=jax.nn.elu,
                   gelu=partial(jax.nn.gelu, approximate=False),  # torch's nn.GELU is exact
                   sigmoid=jax.nn.sigmoid, softplus=jax.nn.softplus,
                   leaky_relu=jax.nn.leaky_relu, selu=jax.nn.selu, identity=lambda x: x)


def mlp(x, sizes, activation):
    for j, size in enumerate(sizes):
        x = hk.Linear(size, name=f"linear_{j}")(x)
        if j < len(sizes) - 1:
            x = ACTIVATIONS[activation](x)
    return x


class MLPCategoricalActor(hk.Module):
    def __init__(self, act_n, hidden_sizes, activation, name="pi"):
        super().__init__(name=name)
        self.sizes, self.activation = [*hidden_sizes, act_n], activation

    def __call__(self, obs):
        return mlp(obs, self.sizes, self.activation)  # logits


class MLPGaussianActor(hk.Module):
    def __init__(self, act_dim, hidden_sizes, activation, name="pi"):
        super().__init__(name=name)
        self.sizes, self.activation = [*hidden_sizes, act_dim], activation

    def __call__(self, obs):
        mu = mlp(obs, self.sizes, self.activation)
        # State-independent: exploration noise is learned, not predicted per state.
        log_std = hk.get_parameter("log_std", [self.sizes[-1]], init=hk.initializers.Constant(-0.5))
        return mu, log_std


class MLPCritic(hk.Module):
    def __init__(self, hidden_sizes, activation, name="v"):
        super().__init__(name=name)
        self.sizes, self.activation = [*hidden_sizes, 1], activation

    def __call__(self, obs):
        return jnp.squeeze(mlp(obs, self.sizes, self.activation), -1)


# ----------------------------------------------------------------------------------------------
# Distributions over the actor's output
# ----------------------------------------------------------------------------------------------
class Categorical:
    @staticmethod
    def sample(logits, key):
        return jax.random.categorical(key, logits)

    @staticmethod
    def log_prob(logits, act):
        logp_all = jax.nn.log_softmax(logits)
        return jnp.take_along_axis(logp_all, act[..., None].astype(jnp.int32), -1)[..., 0]

    @staticmethod
    def entropy(logits):
        logp_all = jax.nn.log_softmax(logits)
        return -jnp.sum(jnp.exp(logp_all) * logp_all, -1)

    @staticmethod
    def mode(logits):
        return jnp.argmax(logits, -1)


class DiagGaussian:
    @staticmethod
    def sample(out, key):
        mu, log_std = out
        return mu + jnp.exp(log_std) * jax.random.normal(key, mu.shape, mu.dtype)

    @staticmethod
    def log_prob(out, act):
        mu, log_std = out
        z = (act - mu) * jnp.exp(-log_std)
        return jnp.sum(-0.5 * z ** 2 - log_std - 0.5 * jnp.log(2 * jnp.pi), -1)

    @staticmethod
    def entropy(out):
        mu, log_std = out
        return jnp.broadcast_to(0.5 + 0.5 * jnp.log(2 * jnp.pi) + log_std, mu.shape)

    @staticmethod
    def mode(out):
        return out[0]


class MLPActorCritic:
    """Haiku-transformed actor ``pi`` and critic ``v`` (pure ``apply(params, obs)``) and the
    actor's distribution ``dist``."""

    def __init__(self, obs_space, act_space, hidden_sizes=(64, 64), activation="tanh"):
        hidden_sizes = tuple(hidden_sizes)
        if space_kind(act_space) == "box":
            act_dim = int(np.prod(act_space.shape))
            self.dist = DiagGaussian
            pi_fn = lambda obs: MLPGaussianActor(act_dim, hidden_sizes, activation)(obs)  # noqa
        else:
            self.dist = Categorical
            pi_fn = lambda obs: MLPCategoricalActor(int(act_space.n), hidden_sizes,  # noqa
                                                    activation)(obs)
        self.pi = hk.without_apply_rng(hk.transform(pi_fn))
        self.v = hk.without_apply_rng(hk.transform(
            lambda obs: MLPCritic(hidden_sizes, activation)(obs)))

    def step(self, pi_params, v_params, obs, key):
        out = self.pi.apply(pi_params, obs)
        a = self.dist.sample(out, key)
        return a, self.v.apply(v_params, obs), self.dist.log_prob(out, a)

    def act(self, pi_params, obs, key, deterministic=False):
        out = self.pi.apply(pi_params, obs)
        return self.dist.mode(out) if deterministic else self.dist.sample(out, key)

    def logp_and_entropy(self, pi_params, obs, act):
        out = self.pi.apply(pi_params, obs)
        return self.dist.log_prob(out, act), self.dist.entropy(out)


_LINEAR = re.compile(r"^(\w+)/linear_(\d+)$")


def to_canonical(hk_params):
    """Haiku parameters (one network or several) -> canonical dict of NumPy arrays."""
    params = {}
    for module, leaves in hk_params.items():
        m = _LINEAR.match(module)
        prefix = f"{m[1]}/{m[2]}" if m else module
        for name, value in leaves.items():
            params[f"{prefix}/{name}"] = np.asarray(value)
    return params


def from_canonical(params, net, dtype=jnp.float32):
    """The canonical entries of network ``net`` ('pi' or 'v') -> Haiku parameters."""
    hk_params = {}
    for key, value in params.items():
        parts = key.split("/")
        if parts[0] != net:
            continue
        module = f"{net}/linear_{parts[1]}" if len(parts) == 3 else net
        hk_params.setdefault(module, {})[parts[-1]] = jnp.asarray(value, dtype)
    return hk_params
