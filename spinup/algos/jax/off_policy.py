"""The off-policy family (DDPG, TD3, SAC) in JAX (Haiku + Optax): the deterministic actor
``act_limit * tanh(mlp(obs))``, the Q function ``mlp(concat(obs, act))`` and
``OffPolicyLearner``, the family's framework-free base
(``spinup.algos.common.off_policy_learner``: acting, the update wrapper, parameters,
checkpoints) with its JAX adapter: where the nets live in the state, jitting, polyak
averaging. An algorithm's learner keeps only its losses and its updates.

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

from spinup.algos.common.off_policy_learner import OffPolicyLearnerBase  # noqa: E402
from spinup.algos.jax import nets  # noqa: E402
from spinup.algos.jax.adapter import JaxAdapter  # noqa: E402


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
# The family's learner: the common base and its JAX adapter
# ---------------------------------------------------------------------------------------------
class OffPolicyLearner(JaxAdapter, OffPolicyLearnerBase):
    """The training state ``self.state`` (online nets ``state.ac[net]`` for the nets of
    ``NETS``, targets ``state.ac_targ[net]`` for those of ``TARGET_NETS``, optimizer states,
    ``state.key``) and what JAX does around the update.

    A subclass sets ``NETS``, ``TARGET_NETS`` and ``MODULES`` (the Haiku module of each net);
    its ``__init__`` calls ``super().__init__``, sets its hyperparameters (``polyak``, and
    ``act_noise`` for a deterministic actor), its apply functions ``self.ac`` (``self.ac.pi``
    at least) and its initial ``self.state`` (``self.trees`` gives the online and target
    trees of canonical parameters). It defines the pure ``draw_noise(key, n_updates,
    batch_size)`` and ``update_block(state, batches, noise)`` and, for the parity tests,
    ``diagnose``."""

    MODULES = {}      # net -> Haiku module name (the critics share one transform, 'q')

    def __init__(self, obs_space, act_space, activation, seed, dtype):
        self.dtype = nets.check_dtype(dtype)  # float64 for the parity tests
        super().__init__(obs_space, act_space, activation, seed, self.dtype)
        self.act_limit = np.asarray(act_space.high, dtype=self.dtype)
        self._update_block = jax.jit(self.update_block)
        self._draw_noise = jax.jit(self.draw_noise, static_argnums=(1, 2))

    # --- What each algorithm defines -------------------------------------------------------

    def draw_noise(self, key, n_updates, batch_size):
        """(next key, the random numbers a block of ``n_updates`` updates on minibatches of
        ``batch_size`` needs: a pytree, or None); pure, jitted once in ``__init__``."""
        raise NotImplementedError

    def update_block(self, state, batches, noise):
        """(state after a block of updates on ``batches`` ``[n, batch, ...]``, arrays to
        log); pure, jitted once in ``__init__``."""
        raise NotImplementedError

    # --- The update wrapper's framework half -----------------------------------------------

    def to_framework(self, arrays):
        """NumPy arrays (a dict of them, or None) in the learner's dtype."""
        return jax.tree.map(lambda x: np.asarray(x, self.dtype), arrays)

    def next_noise(self, n_updates, batch_size):
        """The block's random draws, from the state's key (which moves on)."""
        key, noise = self._draw_noise(self.state.key, n_updates, batch_size)
        self.state = self.state._replace(key=key)
        return noise

    def run_block(self, data, noise):
        self.state, info = self._update_block(self.state, data, noise)
        return info

    def to_numpy(self, info):
        return jax.device_get(info)

    def update_targets(self, state):
        """Polyak averaging of the target networks."""
        # targ <- polyak * targ + (1 - polyak) * online: the target moves slowly.
        online = {net: state.ac[net] for net in self.TARGET_NETS}
        ac_targ = jax.tree.map(lambda t, o: self.polyak * t + (1 - self.polyak) * o,
                               state.ac_targ, online)
        return state._replace(ac_targ=ac_targ)

    # --- Canonical parameters <-> the state ------------------------------------------------

    def net_params(self, net, suffix=""):
        """One net's parameters (``suffix`` '_targ': its target copy), canonical, as NumPy."""
        return self.canonical((self.state.ac_targ if suffix else self.state.ac)[net], net,
                              suffix)

    def load_nets(self, params):
        ac, ac_targ = self.trees(params)
        self.state = self.state._replace(ac=ac, ac_targ=ac_targ)

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

    # An older run's params.npz held the whole training state.
    def legacy_tree(self):
        return self.state

    def set_legacy_tree(self, tree):
        self.state = tree
