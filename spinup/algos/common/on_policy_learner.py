"""The framework-free half of the on-policy learners (VPG, PPO, TRPO): acting in NumPy
(``numpy_policy.VPGActorCritic``) with the framework's random draws, and the parameter round
trip and checkpoint framing (``LearnerBase``). Nothing here imports torch or jax.

A learner is ``class VPGLearner(<backend>.OnPolicyLearner)``: the backend's class
(``spinup/algos/{pytorch,jax}/on_policy.py``) is this base with its adapter (the networks,
the two Adam optimizers, the value phase, ``sample_noise``), and the algorithm adds its
losses, ``update(batch)`` and, for the parity tests, ``losses_and_grads(batch)``.
"""
import numpy as np

from spinup.algos.common.envs import space_kind
from spinup.algos.common.learner import LearnerBase
from spinup.algos.common.numpy_policy import Mirror, VPGActorCritic


class OnPolicyLearnerBase(LearnerBase):
    """Acting, parameters and checkpoints of an on-policy learner: the actor 'pi' (Gaussian
    for a Box, categorical for Discrete) and the critic 'v'. The adapter supplies
    ``sample_noise(shape)``: the draws one sample of the framework's distribution would take
    from the learner's generator (standard normals, or Gumbel noise for a categorical)."""

    NETS = ("pi", "v")

    def __init__(self, act_space, activation, dtype):
        self.np_dtype = np.dtype(dtype)  # float64 for parity tests
        self.discrete = space_kind(act_space) == "discrete"
        self.act_shape = () if self.discrete else act_space.shape
        self.activation = activation
        # Acting runs in NumPy on a copy of the networks (a framework call per env step would
        # cost several times the forward pass); whatever changes them marks the copy stale.
        self.policy = Mirror(self.numpy_actor_critic)

    def step(self, obs):
        """Sample a ~ pi(.|obs); return (a, V(obs), logp(a)) as NumPy (with a leading N for a
        batch of observations ``[N, obs_dim]``), computed in NumPy."""
        obs, ac = self._obs(obs), self.policy.get()
        a, v, logp = ac.step(obs, self.sample_noise(ac.noise_shape(obs)))
        return self._action(a), v, logp

    def sample_logp(self, obs):
        """``step`` without V(obs): (a, logp(a)), from the same draw of the noise stream. The
        training loop takes this one and computes the values of a whole path at once."""
        obs, ac = self._obs(obs), self.policy.get()
        a, logp = ac.sample_logp(obs, self.sample_noise(ac.noise_shape(obs)))
        return self._action(a), logp

    def value(self, obs):
        """V(obs) as NumPy."""
        return np.asarray(self.policy.get().value(self._obs(obs)))

    def act(self, obs, deterministic=True):
        """The action for ``obs``: the mean (Box) or the most likely action (Discrete) when
        ``deterministic`` (drawing nothing), else a sample."""
        obs, ac = self._obs(obs), self.policy.get()
        noise = None if deterministic else self.sample_noise(ac.noise_shape(obs))
        return self._action(ac.act(obs, noise))

    def numpy_actor_critic(self):
        """The actor and critic in NumPy, from the current parameters (what acting runs)."""
        return VPGActorCritic(self.get_params(), self.activation, self.discrete)

    def _obs(self, obs):
        return np.asarray(obs, dtype=self.np_dtype)

    def _action(self, a):
        if self.discrete:
            return np.asarray(a, dtype=np.int64)
        return a.reshape(*a.shape[:-1], *self.act_shape)
