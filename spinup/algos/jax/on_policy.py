"""What the on-policy learners (VPG, PPO) share in JAX (Haiku + Optax): the networks (a
Gaussian or categorical actor ``pi`` and a value critic ``v``, as pure functions of their
parameters; Haiku modules 'pi/linear_<i>' and 'pi' (leaf 'log_std') for the actor, 'v/linear_<i>'
for the critic, see spinup/algos/jax/nets.py for the canonical names), their distributions, and
``OnPolicyLearner``, everything a learner does but its losses and its update: building the
networks and their two Adam optimizers, acting, parameters, checkpoints, saving. The PyTorch
twin is spinup/algos/pytorch/on_policy.py."""
import os
from typing import Any, NamedTuple

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import haiku as hk  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from spinup.algos.common.envs import obs_dim, space_kind  # noqa: E402
from spinup.algos.common.learner import SavesWeights, check_params  # noqa: E402
from spinup.algos.common.nets import init_stochastic_actor_critic  # noqa: E402
from spinup.algos.common.numpy_policy import Mirror, VPGActorCritic  # noqa: E402
from spinup.algos.jax import nets  # noqa: E402
from spinup.algos.jax.nets import mlp  # noqa: E402
from spinup.utils.errors import RunFileError  # noqa: E402
from spinup.utils.serialization_utils import load_npz  # noqa: E402


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


class OnPolicyLearner(SavesWeights):
    """The actor-critic, its two Adam optimizers (``pi_lr``, ``vf_lr``) and all but the
    update: a subclass adds its losses, ``update(batch)`` and ``losses_and_grads(batch)``."""

    def __init__(self, obs_space, act_space, hidden_sizes, activation, *, pi_lr, vf_lr, seed,
                 dtype):
        self.dtype = nets.check_dtype(dtype)  # float64 for parity tests
        self.discrete = space_kind(act_space) == "discrete"
        self.act_shape = () if self.discrete else act_space.shape
        self.activation = activation
        self.ac = MLPActorCritic(obs_space, act_space, hidden_sizes, activation)
        params = init_stochastic_actor_critic(obs_dim(obs_space), act_space, hidden_sizes, seed)
        pi_params = nets.from_canonical(params, "pi", dtype=self.dtype)
        v_params = nets.from_canonical(params, "v", dtype=self.dtype)
        self.pi_optimizer = optax.adam(pi_lr)
        self.vf_optimizer = optax.adam(vf_lr)
        self.state = OnPolicyState(pi_params, v_params, self.pi_optimizer.init(pi_params),
                                   self.vf_optimizer.init(v_params))
        # Acting runs in NumPy on a copy of the networks (a jitted call per env step would
        # cost several times the forward pass); whatever changes them marks the copy stale.
        # Action sampling splits the key once per call, as Categorical/DiagGaussian.sample
        # would in jitted code; the noise is drawn a block of calls at a time.
        self.actor_critic = Mirror(self.numpy_actor_critic)
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

    # -- acting ----------------------------------------------------------------------------
    def step(self, obs):
        """Sample a ~ pi(.|obs); return (a, V(obs), logp(a)) as NumPy (with a leading N for a
        batch of observations ``[N, obs_dim]``), computed in NumPy."""
        obs, ac = self._obs(obs), self.actor_critic.get()
        a, v, logp = ac.step(obs, self.noise.next(ac.noise_shape(obs)))
        return self._action(a), v, logp

    def sample_logp(self, obs):
        """``step`` without V(obs): (a, logp(a)), from the same draw of the noise stream. The
        training loop takes this one and computes the values of a whole path at once."""
        obs, ac = self._obs(obs), self.actor_critic.get()
        a, logp = ac.sample_logp(obs, self.noise.next(ac.noise_shape(obs)))
        return self._action(a), logp

    def value(self, obs):
        """V(obs) as NumPy."""
        return np.asarray(self.actor_critic.get().value(self._obs(obs)))

    def act(self, obs, deterministic=True):
        """The action for ``obs``: the mean (Box) or the most likely action (Discrete) when
        ``deterministic``, else a sample."""
        obs, ac = self._obs(obs), self.actor_critic.get()
        # The key is split in both cases, as it always was, so acting keeps the stream's place.
        noise = self.noise.next(ac.noise_shape(obs))
        return self._action(ac.act(obs, None if deterministic else noise))

    def numpy_actor_critic(self):
        """The actor and critic in NumPy, from the current parameters (what acting runs)."""
        return VPGActorCritic(self.get_params(), self.activation, self.discrete)

    # -- parameters, checkpoints, saving ---------------------------------------------------
    def get_params(self):
        """Actor and critic as canonical NumPy arrays ('pi/0/w', 'pi/log_std', 'v/0/w'...)."""
        return self._canonical(self.state.pi_params, self.state.v_params)

    def set_params(self, params):
        """Load canonical parameters; optimizer states are kept. Unknown or missing names
        (KeyError) and wrong shapes (ValueError) are refused before anything changes."""
        check_params(params, self.get_params())
        self.state = self.state._replace(
            pi_params=nets.from_canonical(params, "pi", dtype=self.dtype),
            v_params=nets.from_canonical(params, "v", dtype=self.dtype))
        self.actor_critic.stale()

    def state_dict(self):
        """Parameters, both optimizers' states and the action-sampling PRNG key."""
        state = {f"state/{k}": v for k, v in nets.flatten_state(self.state).items()}
        state["rng/key"] = np.asarray(self.noise.key)
        return state

    def load_state_dict(self, state):
        """The inverse of ``state_dict``."""
        flat = {k[6:]: v for k, v in state.items() if k.startswith("state/")}
        self.state = nets.unflatten_state(self.state, flat, "checkpoint")
        self.actor_critic.stale()
        self.noise.reset(state["rng/key"])

    def sync(self):
        """Block until queued device work is done (so timers charge it to the right phase)."""
        jax.block_until_ready(self.state)

    # save, load: SavesWeights (model/weights.npz). Runs before format 2 saved params.npz.
    LEGACY_MODEL_FILE = "params.npz"

    def _load_legacy(self, path):
        """An older run's ``params.npz``: actor and critic by Haiku key path."""
        tree = {"pi": self.state.pi_params, "v": self.state.v_params}
        try:
            tree = nets.unflatten_state(tree, load_npz(path, "saved model"), "saved model")
        except (KeyError, ValueError) as e:
            raise RunFileError(f"{path}: saved model does not match the run's networks "
                               f"({str(e).splitlines()[0]})") from None
        self.state = self.state._replace(pi_params=tree["pi"], v_params=tree["v"])
        self.actor_critic.stale()
        return self

    # -- conversions -----------------------------------------------------------------------
    def _canonical(self, pi_tree, v_tree):
        """Haiku trees of the actor and the critic (parameters or gradients) by canonical
        name."""
        return {**nets.to_canonical(pi_tree, "pi"), **nets.to_canonical(v_tree, "v")}

    def _obs(self, obs):
        return np.asarray(obs, dtype=self.dtype)

    def _action(self, a):
        if self.discrete:
            return np.asarray(a, dtype=np.int64)
        return a.reshape(*a.shape[:-1], *self.act_shape)

    def _batch(self, batch):
        return {k: np.asarray(v, self.dtype) if v.dtype.kind == "f" else v
                for k, v in batch.items()}
