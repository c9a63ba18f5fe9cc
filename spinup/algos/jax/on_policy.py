"""What the on-policy learners (VPG, PPO, TRPO) share in JAX (Haiku + Optax): the networks (a
Gaussian or categorical actor ``pi`` and a value critic ``v``, as pure functions of their
parameters; Haiku modules 'pi/linear_<i>' and 'pi' (leaf 'log_std') for the actor, 'v/linear_<i>'
for the critic, see spinup/algos/jax/nets.py for the canonical names), their distributions, and
``OnPolicyLearner``: the family's framework-free base (``spinup.algos.common.on_policy_learner``:
acting, parameters, checkpoints) with its JAX adapter (the networks, their two Adam
optimizers, the value phase, the sampling key). The PyTorch twin is
spinup/algos/pytorch/on_policy.py."""
import os
from typing import Any, NamedTuple

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import haiku as hk  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from spinup.algos.common.envs import obs_dim, space_kind  # noqa: E402
from spinup.algos.common.nets import init_stochastic_actor_critic  # noqa: E402
from spinup.algos.common.on_policy_learner import OnPolicyLearnerBase  # noqa: E402
from spinup.algos.jax import nets  # noqa: E402
from spinup.algos.jax.adapter import JaxAdapter  # noqa: E402
from spinup.algos.jax.nets import mlp  # noqa: E402


# ----------------------------------------------------------------------------------------------
# Networks
# ----------------------------------------------------------------------------------------------
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

    @staticmethod
    def kl(old, new):
        """KL(old || new) per row of logits."""
        logp_old, logp_new = jax.nn.log_softmax(old), jax.nn.log_softmax(new)
        return jnp.sum(jnp.exp(logp_old) * (logp_old - logp_new), -1)


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

    @staticmethod
    def kl(old, new):
        """KL(old || new), summed over the independent action dimensions."""
        (mu0, log_std0), (mu1, log_std1) = old, new
        ratio = jnp.exp(2 * (log_std0 - log_std1))  # var0 / var1
        z = (mu0 - mu1) * jnp.exp(-log_std1)
        return jnp.sum(0.5 * (ratio + z ** 2 - 1) - (log_std0 - log_std1), -1)


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



# ----------------------------------------------------------------------------------------------
# Learner
# ----------------------------------------------------------------------------------------------
def compute_loss_v(ac, v_params, data):
    """Mean squared error of V(obs) against the rewards-to-go."""
    return ((ac.v.apply(v_params, data["obs"]) - data["ret"]) ** 2).mean()


class OnPolicyState(NamedTuple):
    """Everything an update changes, as one pytree."""
    pi_params: Any
    v_params: Any
    pi_opt_state: Any
    vf_opt_state: Any


class OnPolicyLearner(JaxAdapter, OnPolicyLearnerBase):
    """The family's framework-free base (acting, parameters, checkpoints) with its JAX
    adapter: the actor-critic, its two Adam optimizers (``pi_lr``, ``vf_lr``; no policy
    optimizer for ``pi_lr`` None), the state
    ``OnPolicyState``, the value phase and the action-sampling key. A subclass adds its
    losses, ``update(batch)`` and ``losses_and_grads(batch)``."""

    def __init__(self, obs_space, act_space, hidden_sizes, activation, *, pi_lr, vf_lr, seed,
                 dtype):
        self.dtype = nets.check_dtype(dtype)  # float64 for parity tests
        super().__init__(act_space, activation, self.dtype)
        self.ac = MLPActorCritic(obs_space, act_space, hidden_sizes, activation)
        params = init_stochastic_actor_critic(obs_dim(obs_space), act_space, hidden_sizes, seed)
        pi_params = nets.from_canonical(params, "pi", dtype=self.dtype)
        v_params = nets.from_canonical(params, "v", dtype=self.dtype)
        # pi_lr None: the algorithm steps the policy itself (TRPO), with no optimizer state.
        self.pi_optimizer = None if pi_lr is None else optax.adam(pi_lr)
        self.vf_optimizer = optax.adam(vf_lr)
        self.state = OnPolicyState(
            pi_params, v_params, () if pi_lr is None else self.pi_optimizer.init(pi_params),
            self.vf_optimizer.init(v_params))
        # Action sampling splits the key once per call, as Categorical/DiagGaussian.sample
        # would in jitted code; the noise is drawn a block of calls at a time.
        self.noise = nets.NoiseStream(jax.random.PRNGKey(seed), self.ac.dist.noise, self.dtype)

    # -- the value phase, the same in every on-policy algorithm ------------------------------
    def fit_value(self, v_params, vf_opt_state, data):
        """``train_v_iters`` full-batch Adam steps on the value loss, in one lax.scan (pure;
        inside the subclass's jitted update). Returns the new parameters and optimizer state,
        and the loss before each step."""
        def v_step(carry, _):
            v_params, vf_opt_state = carry
            loss_v, grads = jax.value_and_grad(compute_loss_v, argnums=1)(self.ac, v_params,
                                                                          data)
            updates, vf_opt_state = self.vf_optimizer.update(grads, vf_opt_state, v_params)
            return (optax.apply_updates(v_params, updates), vf_opt_state), loss_v

        (v_params, vf_opt_state), losses_v = jax.lax.scan(
            v_step, (v_params, vf_opt_state), None, length=self.train_v_iters)
        return v_params, vf_opt_state, losses_v

    # -- the adapter: sampling, canonical parameters <-> the state --------------------------
    def sample_noise(self, shape):
        """The draws of one sample of shape ``shape``, from the key stream."""
        return self.noise.next(shape)

    def net_params(self, net, suffix=""):
        return nets.to_canonical(getattr(self.state, f"{net}_params"), net)

    def load_nets(self, params):
        self.state = self.state._replace(
            pi_params=nets.from_canonical(params, "pi", dtype=self.dtype),
            v_params=nets.from_canonical(params, "v", dtype=self.dtype))

    def framework_state(self):
        """Parameters, both optimizers' states and the action-sampling PRNG key."""
        return {**super().framework_state(), "rng/key": np.asarray(self.noise.key)}

    def load_framework_state(self, state):
        super().load_framework_state(state)
        self.noise.reset(state["rng/key"])

    # An older run's params.npz held the actor and the critic by Haiku key path.
    def legacy_tree(self):
        return {"pi": self.state.pi_params, "v": self.state.v_params}

    def set_legacy_tree(self, tree):
        self.state = self.state._replace(pi_params=tree["pi"], v_params=tree["v"])

    # -- conversions -----------------------------------------------------------------------
    def _canonical(self, pi_tree, v_tree):
        """Haiku trees of the actor and the critic (parameters or gradients) by canonical
        name."""
        return {**nets.to_canonical(pi_tree, "pi"), **nets.to_canonical(v_tree, "v")}

    def _batch(self, batch):
        return {k: np.asarray(v, self.dtype) if v.dtype.kind == "f" else v
                for k, v in batch.items()}
