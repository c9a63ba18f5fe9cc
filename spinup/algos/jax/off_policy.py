"""What the off-policy learners (DDPG, TD3, SAC) share in JAX (Haiku + Optax): the
deterministic actor ``act_limit * tanh(mlp(obs))``, the Q function ``mlp(concat(obs, act))``
and the base class ``OffPolicyLearner`` (parameters, checkpoints, saving, the update wrapper,
polyak averaging and, for a deterministic actor, acting with Gaussian exploration noise). An
algorithm's learner keeps only its losses and its updates: one step, and a block of them.

The learner's whole training state is ``self.state``, one pytree (a NamedTuple with at least
``ac``, ``ac_targ`` and a PRNG ``key``), and its block of updates is a pure function
``update_block(state, batches, noise) -> (state, info)`` fed by the pure
``draw_noise(key, n_updates, batch_size) -> (key, noise)``: a population of seeds stacks the
states and ``vmap``s both.
"""
import os

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import haiku as hk  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from spinup.algos.common.exploration import add_exploration_noise, noise_rng  # noqa: E402
from spinup.algos.common.learner import SavesWeights, check_params  # noqa: E402
from spinup.algos.common.numpy_policy import DeterministicActor, Mirror  # noqa: E402
from spinup.algos.jax import nets  # noqa: E402
from spinup.utils.errors import RunFileError  # noqa: E402
from spinup.utils.serialization_utils import (generator_state, load_npz,  # noqa: E402
                                              set_generator_state)


# ---------------------------------------------------------------------------------------------
# The deterministic actor and the Q function
# ---------------------------------------------------------------------------------------------
class MLPActor(hk.Module):
    """``act_limit * tanh(mlp(obs))``."""

    def __init__(self, act_dim, hidden_sizes, activation, act_limit, name="pi"):
        super().__init__(name=name)
        self.sizes, self.activation = [*hidden_sizes, act_dim], activation
        self.act_limit = act_limit

    def __call__(self, obs):
        return self.act_limit * nets.mlp(obs, self.sizes, self.activation, jnp.tanh)


class MLPQFunction(hk.Module):
    """``Q(obs, act)``, squeezed to ``(batch,)``."""

    def __init__(self, hidden_sizes, activation, name="q"):
        super().__init__(name=name)
        self.sizes, self.activation = [*hidden_sizes, 1], activation

    def __call__(self, obs, act):
        x = jnp.concatenate([obs, act], axis=-1)
        return jnp.squeeze(nets.mlp(x, self.sizes, self.activation), -1)


class MLPActorCritic:
    """The pure apply functions ``pi(params, obs)`` and ``q(params, obs, act)`` (one ``q``
    serves every critic and its target, with different parameters)."""

    def __init__(self, act_dim, act_limit, hidden_sizes=(256, 256), activation="relu"):
        act_limit = np.asarray(act_limit)
        hidden_sizes = tuple(hidden_sizes)
        self.pi = hk.without_apply_rng(hk.transform(
            lambda obs: MLPActor(act_dim, hidden_sizes, activation, act_limit)(obs))).apply
        self.q = hk.without_apply_rng(hk.transform(
            lambda obs, act: MLPQFunction(hidden_sizes, activation)(obs, act))).apply


# ---------------------------------------------------------------------------------------------
# The base learner
# ---------------------------------------------------------------------------------------------
class OffPolicyLearner(SavesWeights):
    """The training state ``self.state`` (online nets ``state.ac[net]`` for the nets of
    ``NETS``, targets ``state.ac_targ[net]`` for those of ``TARGET_NETS``, optimizer states,
    ``state.key``) and everything around the update that does not depend on the algorithm.

    A subclass sets ``NETS``, ``TARGET_NETS`` and ``MODULES`` (the Haiku module of each net);
    its ``__init__`` calls ``super().__init__``, sets its hyperparameters (``polyak``, and
    ``act_noise`` for a deterministic actor), its apply functions ``self.ac`` (``self.ac.pi``
    at least) and its initial ``self.state`` (``self.trees`` gives the online and target
    trees of canonical parameters). It defines the pure ``draw_noise(key, n_updates,
    batch_size)`` and ``update_block(state, batches, noise)`` and, for the parity tests,
    ``diagnose``. A stochastic actor overrides ``act`` and ``numpy_actor``."""

    NETS = ()         # the online nets, e.g. ('pi', 'q1', 'q2')
    TARGET_NETS = ()  # the nets with a target copy '<net>_targ'
    MODULES = {}      # net -> Haiku module name (the critics share one transform, 'q')

    def __init__(self, obs_space, act_space, activation, seed, dtype):
        self.obs_dim, self.act_dim = obs_space.shape[0], act_space.shape[0]
        self.dtype = nets.check_dtype(dtype)  # float64 for the parity tests
        self.act_limit_np = np.asarray(act_space.high, dtype=np.float32)
        self.act_limit = np.asarray(act_space.high, dtype=self.dtype)
        self.activation = activation
        self.noise_rng = noise_rng(seed)  # exploration noise (NumPy: the same in both backends)
        self._update_block = jax.jit(self.update_block)
        self._draw_noise = jax.jit(self.draw_noise, static_argnums=(1, 2))
        # Acting runs in NumPy on a copy of the actor: a jitted call per env step would cost
        # several times the forward pass. Whatever changes the actor marks the copy stale.
        self.actor = Mirror(self.numpy_actor)

    # --- What each algorithm defines -------------------------------------------------------

    def draw_noise(self, key, n_updates, batch_size):
        """(next key, the random numbers a block of ``n_updates`` updates on minibatches of
        ``batch_size`` needs: a pytree, or None); pure, jitted once in ``__init__``."""
        raise NotImplementedError

    def update_block(self, state, batches, noise):
        """(state after a block of updates on ``batches`` ``[n, batch, ...]``, arrays to
        log); pure, jitted once in ``__init__``."""
        raise NotImplementedError

    # --- A block of updates ----------------------------------------------------------------

    def update(self, batches, noise=None):
        """Run ``n`` updates on ``batches`` (arrays ``[n, batch, ...]``) as one block.
        ``noise``: what ``draw_noise`` would give, drawn here if None. Returns the block's
        statistics as NumPy arrays."""
        data = {k: np.asarray(v, dtype=self.dtype) for k, v in batches.items()}
        if noise is None:
            n, batch = data["rew"].shape
            key, noise = self._draw_noise(self.state.key, n, batch)
            self.state = self.state._replace(key=key)
        else:
            noise = jax.tree.map(lambda x: np.asarray(x, self.dtype), noise)
        self.state, info = self._update_block(self.state, data, noise)
        self.actor.stale()
        return jax.device_get(info)

    def update_targets(self, state):
        """Polyak averaging of the target networks."""
        # targ <- polyak * targ + (1 - polyak) * online: the target moves slowly.
        online = {net: state.ac[net] for net in self.TARGET_NETS}
        ac_targ = jax.tree.map(lambda t, o: self.polyak * t + (1 - self.polyak) * o,
                               state.ac_targ, online)
        return state._replace(ac_targ=ac_targ)

    # --- Acting ----------------------------------------------------------------------------

    def act(self, obs, deterministic=True):
        """``pi(obs)`` (one observation or a batch) as NumPy, computed in NumPy; with
        ``deterministic=False`` plus Gaussian exploration noise of std ``act_noise``,
        clipped to the action limits."""
        a = self.actor.get()(np.asarray(obs, dtype=self.dtype))
        if deterministic:
            return a
        return add_exploration_noise(a, self.act_noise, self.act_limit_np, self.noise_rng)

    def numpy_actor(self):
        """The actor in NumPy, from the current parameters (what ``act`` runs)."""
        return DeterministicActor(self.canonical(self.state.ac["pi"], "pi"), self.activation,
                                  self.act_limit)

    # --- Parameters, checkpoints, saving ---------------------------------------------------

    def get_params(self):
        """Online and target networks as canonical NumPy arrays ('pi/0/w', 'q1_targ/1/b'...)."""
        params = {}
        for net in self.NETS:
            params.update(self.canonical(self.state.ac[net], net))
        for net in self.TARGET_NETS:
            params.update(self.canonical(self.state.ac_targ[net], net, "_targ"))
        return params

    def set_params(self, params):
        """Load canonical parameters (online and target nets; names and shapes must match);
        optimizer states are kept."""
        check_params(params, self.get_params())
        ac, ac_targ = self.trees(params)
        self.state = self.state._replace(ac=ac, ac_targ=ac_targ)
        self.actor.stale()

    def state_dict(self):
        """The whole training state (networks, targets, optimizer states, key) and the
        exploration-noise stream."""
        state = {f"state/{k}": v for k, v in nets.flatten_state(self.state).items()}
        state["rng/noise"] = generator_state(self.noise_rng)
        return state

    def load_state_dict(self, state):
        """The inverse of ``state_dict``."""
        flat = {k[6:]: v for k, v in state.items() if k.startswith("state/")}
        self.state = nets.unflatten_state(self.state, flat, "checkpoint")
        self.actor.stale()
        set_generator_state(self.noise_rng, state["rng/noise"])

    def sync(self):
        """Block until queued device work is done (so timers charge it to the right phase)."""
        jax.block_until_ready(self.state)

    # save, load: SavesWeights (model/weights.npz). Runs before format 2 saved params.npz.
    LEGACY_MODEL_FILE = "params.npz"

    def _load_legacy(self, path):
        """An older run's ``params.npz``: the whole training state (networks, targets,
        optimizer states, key) flattened by key path."""
        try:
            self.state = nets.unflatten_state(self.state, load_npz(path, "saved model"),
                                              "saved model")
        except (KeyError, ValueError) as e:
            raise RunFileError(f"{path}: saved model does not match the run's networks "
                               f"({str(e).splitlines()[0]})") from None
        self.actor.stale()
        return self

    def trees(self, params):
        """(online, target) Haiku trees, one per net, from canonical arrays."""
        ac = {net: nets.from_canonical(params, net, self.MODULES[net], dtype=self.dtype)
              for net in self.NETS}
        ac_targ = {net: nets.from_canonical(params, net, self.MODULES[net], "_targ", self.dtype)
                   for net in self.TARGET_NETS}
        return ac, ac_targ

    def canonical(self, tree, net, suffix=""):
        """The Haiku tree of ``net`` as canonical NumPy arrays."""
        return nets.to_canonical(tree, net, self.MODULES[net], suffix)
