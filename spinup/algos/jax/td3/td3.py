"""TD3 (Fujimoto et al. 2018) in JAX (Haiku + Optax): the learner and the entry point. The
loop, the replay buffer, the exploration noise and the checks are shared with the PyTorch
backend (spinup.algos.common.td3); what every off-policy learner does beside its losses and
updates is in spinup.algos.jax.off_policy."""
import os
from typing import NamedTuple

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax import lax  # noqa: E402

from spinup.algos.common.nets import init_deterministic_actor_critic  # noqa: E402
from spinup.algos.common.spec import make_entry_point  # noqa: E402
from spinup.algos.common.td3 import SPEC  # noqa: E402
from spinup.algos.jax.off_policy import OffPolicyLearner  # noqa: E402
from spinup.algos.jax.td3 import core  # noqa: E402


class TD3State(NamedTuple):
    """Everything an update changes, as one pytree."""
    ac: dict        # Haiku trees of the online nets: {'pi', 'q1', 'q2'}
    ac_targ: dict   # ... and of the target nets
    pi_opt: optax.OptState
    q_opt: optax.OptState  # one Adam over {'q1', 'q2'}
    key: jax.Array  # for the target-policy noise


class TD3Learner(OffPolicyLearner):
    """Actor, twin critics, their targets and optimizers. ``update`` runs one block of
    updates on minibatches shaped ``[n_updates, batch, ...]`` as one jitted ``lax.scan``."""

    NETS = ("pi", "q1", "q2")
    TARGET_NETS = ("pi", "q1", "q2")
    MODULES = core.MODULES

    def __init__(self, obs_space, act_space, hidden_sizes=(256, 256), activation="relu", *,
                 gamma, polyak, pi_lr, q_lr, act_noise, target_noise, noise_clip, policy_delay,
                 seed=0, dtype="float32"):
        super().__init__(obs_space, act_space, activation, seed, dtype)
        self.gamma, self.polyak, self.policy_delay = gamma, polyak, policy_delay
        self.act_noise, self.target_noise, self.noise_clip = act_noise, target_noise, noise_clip
        self.ac = core.MLPActorCritic(self.act_dim, self.act_limit, hidden_sizes, activation)
        self.pi_optimizer = optax.adam(pi_lr)
        self.q_optimizer = optax.adam(q_lr)
        ac, ac_targ = self.trees(init_deterministic_actor_critic(
            self.obs_dim, self.act_dim, hidden_sizes, seed, ("q1", "q2")))
        self.state = TD3State(ac, ac_targ, self.pi_optimizer.init(ac["pi"]),
                              self.q_optimizer.init(q_params(ac)), jax.random.PRNGKey(seed))

    # --- TD3's losses ----------------------------------------------------------------------

    def compute_targets(self, ac_targ, data, eps):
        """Bellman backup with target policy smoothing and clipped double-Q. ``eps`` holds
        standard-normal draws, one per sample and action dimension."""
        pi_targ = self.ac.pi(ac_targ["pi"], data["obs2"])
        epsilon = jnp.clip(self.target_noise * eps, -self.noise_clip, self.noise_clip)
        a2 = jnp.clip(pi_targ + epsilon, -self.act_limit, self.act_limit)
        q1_pi_targ = self.ac.q(ac_targ["q1"], data["obs2"], a2)
        q2_pi_targ = self.ac.q(ac_targ["q2"], data["obs2"], a2)
        q_pi_targ = jnp.minimum(q1_pi_targ, q2_pi_targ)
        return data["rew"] + self.gamma * (1 - data["done"]) * q_pi_targ

    def compute_loss_q(self, q, ac_targ, data, eps):
        """MSE of Q1 and Q2 against the (constant) backup; also Q1, Q2 for logging."""
        q1 = self.ac.q(q["q1"], data["obs"], data["act"])
        q2 = self.ac.q(q["q2"], data["obs"], data["act"])
        backup = lax.stop_gradient(self.compute_targets(ac_targ, data, eps))
        loss_q = ((q1 - backup) ** 2).mean() + ((q2 - backup) ** 2).mean()
        return loss_q, (q1, q2)

    def compute_loss_pi(self, pi, q1, data):
        """-Q1(s, pi(s)).mean()."""
        q1_pi = self.ac.q(q1, data["obs"], self.ac.pi(pi, data["obs"]))
        return -q1_pi.mean()

    # --- One update, and a block of them ---------------------------------------------------

    def update_q(self, state, data, eps):
        """One Adam step on both critics."""
        (loss_q, (q1, q2)), grads = jax.value_and_grad(self.compute_loss_q, has_aux=True)(
            q_params(state.ac), state.ac_targ, data, eps)
        updates, q_opt = self.q_optimizer.update(grads, state.q_opt)
        q = optax.apply_updates(q_params(state.ac), updates)
        return state._replace(ac={**state.ac, **q}, q_opt=q_opt), (loss_q, q1, q2)

    def update_pi(self, state, data):
        """One Adam step on the actor, the critics frozen."""
        # Only pi is differentiated; Q enters as a constant, so it is frozen by construction.
        loss_pi, grads = jax.value_and_grad(self.compute_loss_pi)(
            state.ac["pi"], state.ac["q1"], data)
        updates, pi_opt = self.pi_optimizer.update(grads, state.pi_opt)
        pi = optax.apply_updates(state.ac["pi"], updates)
        return state._replace(ac={**state.ac, "pi": pi}, pi_opt=pi_opt), loss_pi

    def update_one(self, state, j, data, eps):
        """Update j of a block: a Q step; when j % policy_delay == 0 also a policy step and
        the polyak update of all target networks."""
        state, (loss_q, q1, q2) = self.update_q(state, data, eps)

        def policy_step(state):
            state, loss_pi = self.update_pi(state, data)
            return self.update_targets(state), loss_pi

        def no_policy_step(state):
            return state, jnp.full((), jnp.nan, loss_q.dtype)

        state, loss_pi = lax.cond(j % self.policy_delay == 0, policy_step, no_policy_step, state)
        return state, (loss_q, q1, q2, loss_pi)

    def update_block(self, state, batches, noise):
        """All updates of a block in one ``lax.scan`` (``noise``: the target-noise draws).
        Returns LossQ ``[n]``, LossPi ``[ceil(n / policy_delay)]``, Q1Vals/Q2Vals
        ``[n, batch]``."""
        def body(state, x):
            j, data, eps_j = x
            return self.update_one(state, j, data, eps_j)
        js = jnp.arange(noise.shape[0])
        state, (loss_q, q1, q2, loss_pi) = lax.scan(body, state, (js, batches, noise))
        loss_pi = loss_pi[::self.policy_delay]  # policy steps only
        info = dict(LossQ=loss_q, LossPi=loss_pi, Q1Vals=q1, Q2Vals=q2)
        return state, info

    def draw_noise(self, key, n_updates, batch_size):
        """(next key, standard-normal target-noise draws ``[n_updates, batch_size,
        act_dim]``): independent per update, sample and action dimension; one key split per
        block."""
        return draw_normal(key, (n_updates, batch_size, self.act_dim), self.dtype)

    # --- Inspection (parity tests) ---------------------------------------------------------

    def diagnose(self, batch, eps):
        """From the current parameters, without updating: the Q targets, LossQ, LossPi and
        the gradients of both losses ('grad/q1/0/w', 'grad/pi/0/w', ...) for one minibatch."""
        data = {k: jnp.asarray(v, dtype=self.dtype) for k, v in batch.items()}
        eps, s = jnp.asarray(eps, dtype=self.dtype), self.state
        (loss_q, _), grads_q = jax.value_and_grad(self.compute_loss_q, has_aux=True)(
            q_params(s.ac), s.ac_targ, data, eps)
        loss_pi, grads_pi = jax.value_and_grad(self.compute_loss_pi)(s.ac["pi"], s.ac["q1"], data)
        out = dict(Targ=self.compute_targets(s.ac_targ, data, eps), LossQ=loss_q, LossPi=loss_pi)
        out = {k: np.asarray(v) for k, v in out.items()}
        grads = {**self.canonical(grads_q["q1"], "q1"), **self.canonical(grads_q["q2"], "q2"),
                 **self.canonical(grads_pi, "pi")}
        out.update({"grad/" + k: v for k, v in grads.items()})
        return out


def q_params(ac):
    """The parameters the Q optimizer owns."""
    return {"q1": ac["q1"], "q2": ac["q2"]}


def draw_normal(key, shape, dtype):
    """(next key, standard-normal draws of ``shape``)."""
    key, sub = jax.random.split(key)
    return key, jax.random.normal(sub, shape, dtype)


td3_jax = make_entry_point(SPEC, "jax", TD3Learner, __name__)
