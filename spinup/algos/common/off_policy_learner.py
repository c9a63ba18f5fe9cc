"""The framework-free half of the off-policy learners (DDPG, TD3, SAC): acting in NumPy
(``numpy_policy``) with the exploration noise drawn in NumPy, the update wrapper around an
algorithm's block of updates, the parameter round trip and checkpoint framing
(``LearnerBase``). Nothing here imports torch or jax.

A learner is ``class TD3Learner(<backend>.OffPolicyLearner)``: the backend's class
(``spinup/algos/{pytorch,jax}/off_policy.py``) is this base with its adapter, and the
algorithm adds its losses and two functions:

- ``draw_noise(n_updates, batch_size)`` (JAX: ``draw_noise(key, n_updates, batch_size)``, pure):
  the random numbers a block of updates needs, or None;
- ``update_block(data, noise)`` (JAX: ``update_block(state, batches, noise)``, pure): the
  block of updates on minibatches shaped ``[n_updates, batch, ...]``, returning what it logs.
"""
import numpy as np

from spinup.algos.common.exploration import add_exploration_noise, noise_rng
from spinup.algos.common.learner import LearnerBase
from spinup.algos.common.numpy_policy import DeterministicActor, Mirror
from spinup.utils.serialization_utils import generator_state, set_generator_state


class OffPolicyLearnerBase(LearnerBase):
    """Acting, the update wrapper, parameters and checkpoints of an off-policy learner.

    ``NUMPY_ACTOR`` is the actor in NumPy built from the canonical 'pi/...' parameters: the
    deterministic ``act_limit * tanh(mlp(obs))`` (DDPG, TD3; exploration adds Gaussian noise
    of std ``act_noise``), or a stochastic actor called ``actor(obs, eps)`` with
    standard-normal ``eps`` for a sample and ``actor(obs)`` for its mean action (SAC)."""

    NUMPY_ACTOR = DeterministicActor
    DETERMINISTIC_ACTOR = True

    def __init__(self, obs_space, act_space, activation, seed, dtype):
        self.obs_dim, self.act_dim = obs_space.shape[0], act_space.shape[0]
        self.np_dtype, self.activation = np.dtype(dtype), activation
        self.act_limit_np = np.asarray(act_space.high, dtype=np.float32)
        self.noise_rng = noise_rng(seed)  # exploration noise (NumPy: the same in both backends)
        # Acting runs in NumPy on a copy of the actor: a framework call per env step would
        # cost several times the forward pass. Whatever changes the actor marks the copy stale.
        self.policy = Mirror(self.numpy_actor)

    # --- A block of updates ----------------------------------------------------------------

    def update(self, batches, noise=None):
        """Run ``n`` updates on ``batches`` (arrays ``[n, batch, ...]``) as one block.
        ``noise``: what ``draw_noise`` would give, drawn here if None. Returns the block's
        statistics as NumPy arrays."""
        n, batch = np.shape(batches["rew"])
        data = self.to_framework(batches)
        noise = self.next_noise(n, batch) if noise is None else self.to_framework(noise)
        info = self.run_block(data, noise)
        self.policy.stale()
        return self.to_numpy(info)

    # --- Acting ----------------------------------------------------------------------------

    def act(self, obs, deterministic=True):
        """The policy's action for ``obs`` (one observation or a batch) as NumPy, computed in
        NumPy: ``pi(obs)`` (SAC: its mean action); with ``deterministic=False`` the exploring
        one (``pi(obs)`` plus Gaussian noise of std ``act_noise``, clipped to the action
        limits; SAC: a sample of the policy)."""
        obs, actor = np.asarray(obs, dtype=self.np_dtype), self.policy.get()
        if deterministic:
            return actor(obs)
        if self.DETERMINISTIC_ACTOR:
            return add_exploration_noise(actor(obs), self.act_noise, self.act_limit_np,
                                         self.noise_rng)
        return actor(obs, self.noise_rng.standard_normal(actor.noise_shape(obs),
                                                         dtype=self.np_dtype))

    def numpy_actor(self):
        """The actor in NumPy, from the current parameters (what ``act`` runs)."""
        return self.NUMPY_ACTOR(self.net_params("pi"), self.activation, self.act_limit_np)

    # --- Checkpoints -----------------------------------------------------------------------

    def host_state(self):
        """The exploration-noise stream."""
        return {"rng/noise": generator_state(self.noise_rng)}

    def load_host_state(self, state):
        set_generator_state(self.noise_rng, state["rng/noise"])
