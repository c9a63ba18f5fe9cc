"""VPG's networks in JAX (Haiku): a Gaussian or categorical actor and a value critic, as pure
functions of their parameters. Haiku modules: 'pi/linear_<i>' and 'pi' (leaf 'log_std') for
the actor, 'v/linear_<i>' for the critic (see spinup/algos/jax/nets.py for the canonical
names)."""
import os

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import haiku as hk  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from spinup.algos.common.envs import space_kind  # noqa: E402
from spinup.algos.jax.nets import mlp  # noqa: E402


class MLPCategoricalActor(hk.Module):
    """Logits of a categorical distribution over ``act_n`` actions."""

    def __init__(self, act_n, hidden_sizes, activation, name="pi"):
        super().__init__(name=name)
        self.sizes, self.activation = [*hidden_sizes, act_n], activation

    def __call__(self, obs):
        return mlp(obs, self.sizes, self.activation)  # logits


class MLPGaussianActor(hk.Module):
    """Mean of a diagonal Gaussian, and its state-independent ``log_std``."""

    def __init__(self, act_dim, hidden_sizes, activation, name="pi"):
        super().__init__(name=name)
        self.sizes, self.activation = [*hidden_sizes, act_dim], activation

    def __call__(self, obs):
        mu = mlp(obs, self.sizes, self.activation)
        # State-independent: exploration noise is learned, not predicted per state.
        log_std = hk.get_parameter("log_std", [self.sizes[-1]], init=hk.initializers.Constant(-0.5))
        return mu, log_std


class MLPCritic(hk.Module):
    """V(obs), squeezed to ``(batch,)``."""

    def __init__(self, hidden_sizes, activation, name="v"):
        super().__init__(name=name)
        self.sizes, self.activation = [*hidden_sizes, 1], activation

    def __call__(self, obs):
        return jnp.squeeze(mlp(obs, self.sizes, self.activation), -1)


# ----------------------------------------------------------------------------------------------
# Distributions over the actor's output
# ----------------------------------------------------------------------------------------------
class Categorical:
    """The distribution given the actor's logits."""

    # sample's randomness, ``noise(key, logits.shape, dtype)``: a sample is
    # argmax(logits + noise), which is how jax.random.categorical draws (the NumPy acting
    # path samples from these draws).
    noise = staticmethod(jax.random.gumbel)

    @staticmethod
    def sample(logits, key):
        """One action per row of logits."""
        return jax.random.categorical(key, logits)

    @staticmethod
    def log_prob(logits, act):
        """log pi(act) for integer actions."""
        logp_all = jax.nn.log_softmax(logits)
        return jnp.take_along_axis(logp_all, act[..., None].astype(jnp.int32), -1)[..., 0]

    @staticmethod
    def entropy(logits):
        """Entropy per row of logits."""
        logp_all = jax.nn.log_softmax(logits)
        return -jnp.sum(jnp.exp(logp_all) * logp_all, -1)

    @staticmethod
    def mode(logits):
        """The most likely action."""
        return jnp.argmax(logits, -1)


class DiagGaussian:
    """The distribution given the actor's ``(mu, log_std)``."""

    # sample's randomness, ``noise(key, mu.shape, dtype)``: a sample is mu + std * noise.
    noise = staticmethod(jax.random.normal)

    @staticmethod
    def sample(out, key):
        """mu + std * N(0, 1)."""
        mu, log_std = out
        return mu + jnp.exp(log_std) * DiagGaussian.noise(key, mu.shape, mu.dtype)

    @staticmethod
    def log_prob(out, act):
        """log pi(act), summed over the independent action dimensions."""
        mu, log_std = out
        z = (act - mu) * jnp.exp(-log_std)
        return jnp.sum(-0.5 * z ** 2 - log_std - 0.5 * jnp.log(2 * jnp.pi), -1)

    @staticmethod
    def entropy(out):
        """Entropy per action dimension (broadcast to the mean's shape)."""
        mu, log_std = out
        return jnp.broadcast_to(0.5 + 0.5 * jnp.log(2 * jnp.pi) + log_std, mu.shape)

    @staticmethod
    def mode(out):
        """The mean."""
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
        """(a ~ pi(.|obs), V(obs), logp(a))."""
        out = self.pi.apply(pi_params, obs)
        a = self.dist.sample(out, key)
        return a, self.v.apply(v_params, obs), self.dist.log_prob(out, a)

    def act(self, pi_params, obs, key, deterministic=False):
        """The mode of pi(.|obs) when ``deterministic``, else a sample."""
        out = self.pi.apply(pi_params, obs)
        return self.dist.mode(out) if deterministic else self.dist.sample(out, key)

    def logp_and_entropy(self, pi_params, obs, act):
        """log pi(act|obs) and the entropy of pi(.|obs), per sample (and dimension)."""
        out = self.pi.apply(pi_params, obs)
        return self.dist.log_prob(out, act), self.dist.entropy(out)

