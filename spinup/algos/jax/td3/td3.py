"""TD3 (Fujimoto et al. 2018) in JAX (Haiku + Optax): the learner and the entry point. The
loop, the replay buffer, the exploration noise and the checks are shared with the PyTorch
backend (spinup.algos.common.td3); what every off-policy learner does beside its losses and
updates is in spinup.algos.jax.off_policy."""
import functools
import operator
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
    ac: dict        # Haiku trees of the online nets: {'pi', 'q1', 'q2'} (DDPG: {'pi', 'q'})
    ac_targ: dict   # ... and of the target nets
    pi_opt: optax.OptState
    q_opt: optax.OptState  # one Adam over the critics
    key: jax.Array  # for the target-policy noise (DDPG's updates draw nothing)


class TD3Learner(OffPolicyLearner):
    """Actor, twin critics, their targets and optimizers. ``update`` runs one block of
    updates on minibatches shaped ``[n_updates, batch, ...]`` as one jitted ``lax.scan``.

    ``critics`` names the critics (their minimum is the target), ``target_noise`` None turns
    target policy smoothing off: with ``critics=('q',)``, no smoothing and ``policy_delay=1``
    this is DDPG (``spinup.algos.jax.ddpg.ddpg``)."""

    def __init__(self, obs_space, act_space, hidden_sizes=(256, 256), activation="relu", *,
                 gamma, polyak, pi_lr, q_lr, act_noise, target_noise, noise_clip, policy_delay,
                 critics=("q1", "q2"), seed=0, dtype="float32"):
        self.critics = tuple(critics)
        self.NETS = self.TARGET_NETS = ("pi", *self.critics)
        self.MODULES = core.modules(self.critics)
        super().__init__(obs_space, act_space, activation, seed, dtype)
        self.gamma, self.polyak, self.policy_delay = gamma, polyak, policy_delay
        self.act_noise, self.target_noise, self.noise_clip = act_noise, target_noise, noise_clip
        self.ac = core.MLPActorCritic(self.act_dim, self.act_limit, hidden_sizes, activation)
        self.pi_optimizer = optax.adam(pi_lr)
        self.q_optimizer = optax.adam(q_lr)
        ac, ac_targ = self.trees(init_deterministic_actor_critic(
            self.obs_dim, self.act_dim, hidden_sizes, seed, self.critics))
        self.state = TD3State(ac, ac_targ, self.pi_optimizer.init(ac["pi"]),
                              self.q_optimizer.init(self.q_params(ac)),
                              jax.random.PRNGKey(seed))

    def q_params(self, ac):
        """The parameters the Q optimizer owns: {'q1': ..., 'q2': ...}, or one critic's tree
        itself (so that DDPG's checkpoints keep their key paths)."""
        if len(self.critics) == 1:
            return ac[self.critics[0]]
        return {c: ac[c] for c in self.critics}

    def with_q_params(self, ac, q):
        """``ac`` with the critics replaced by ``q`` (shaped as ``q_params`` gives them)."""
        return {**ac, **(q if len(self.critics) > 1 else {self.critics[0]: q})}

    # --- TD3's losses ----------------------------------------------------------------------

    def compute_targets(self, ac_targ, data, eps):
        """Bellman backup with target policy smoothing and clipped double-Q. ``eps`` holds
        standard-normal draws, one per sample and action dimension (None: no smoothing)."""
        a2 = self.ac.pi(ac_targ["pi"], data["obs2"])
        if eps is not None:
            epsilon = jnp.clip(self.target_noise * eps, -self.noise_clip, self.noise_clip)
            a2 = jnp.clip(a2 + epsilon, -self.act_limit, self.act_limit)
        q_pi_targ = functools.reduce(jnp.minimum, [self.ac.q(ac_targ[c], data["obs2"], a2)
                                                   for c in self.critics])
        return data["rew"] + self.gamma * (1 - data["done"]) * q_pi_targ

    def compute_loss_q(self, q, ac_targ, data, eps):
        """The sum over the critics of their MSE against the (constant) backup; also each
        critic's Q values for logging."""
        ac = self.with_q_params({}, q)
        qs = [self.ac.q(ac[c], data["obs"], data["act"]) for c in self.critics]
        backup = lax.stop_gradient(self.compute_targets(ac_targ, data, eps))
        loss_q = functools.reduce(operator.add, [((q - backup) ** 2).mean() for q in qs])
        return loss_q, qs

    def compute_loss_pi(self, pi, q1, data):
        """-Q1(s, pi(s)).mean(): the first critic's."""
        q1_pi = self.ac.q(q1, data["obs"], self.ac.pi(pi, data["obs"]))
        return -q1_pi.mean()

    # --- One update, and a block of them ---------------------------------------------------

    def update_q(self, state, data, eps):
        """One Adam step on the critics."""
        (loss_q, qs), grads = jax.value_and_grad(self.compute_loss_q, has_aux=True)(
            self.q_params(state.ac), state.ac_targ, data, eps)
        updates, q_opt = self.q_optimizer.update(grads, state.q_opt)
        q = optax.apply_updates(self.q_params(state.ac), updates)
        return state._replace(ac=self.with_q_params(state.ac, q), q_opt=q_opt), (loss_q, qs)

    def update_pi(self, state, data):
        """One Adam step on the actor, the critics frozen."""
        # Only pi is differentiated; Q enters as a constant, so it is frozen by construction.
        loss_pi, grads = jax.value_and_grad(self.compute_loss_pi)(
            state.ac["pi"], state.ac[self.critics[0]], data)
        updates, pi_opt = self.pi_optimizer.update(grads, state.pi_opt)
        pi = optax.apply_updates(state.ac["pi"], updates)
        return state._replace(ac={**state.ac, "pi": pi}, pi_opt=pi_opt), loss_pi

    def update_one(self, state, j, data, eps):
        """Update j of a block: a Q step; when j % policy_delay == 0 also a policy step and
        the polyak update of all target networks."""
        state, (loss_q, qs) = self.update_q(state, data, eps)

        def policy_step(state):
            state, loss_pi = self.update_pi(state, data)
            return self.update_targets(state), loss_pi

        def no_policy_step(state):
            return state, jnp.full((), jnp.nan, loss_q.dtype)

        if self.policy_delay == 1:  # every update (DDPG): no branch in the compiled block
            state, loss_pi = policy_step(state)
        else:
            state, loss_pi = lax.cond(j % self.policy_delay == 0, policy_step, no_policy_step,
                                      state)
        return state, (loss_q, qs, loss_pi)

    def update_block(self, state, batches, noise):
        """All updates of a block in one ``lax.scan`` (``noise``: the target-noise draws, or
        None). Returns LossQ ``[n]``, LossPi ``[ceil(n / policy_delay)]`` and each critic's
        values ``[n, batch]`` (Q1Vals, Q2Vals; DDPG: QVals)."""
        def body(state, x):
            j, data, eps_j = x
            return self.update_one(state, j, data, eps_j)
        js = jnp.arange(batches["rew"].shape[0])
        state, (loss_q, qs, loss_pi) = lax.scan(body, state, (js, batches, noise))
        loss_pi = loss_pi[::self.policy_delay]  # policy steps only
        info = dict(LossQ=loss_q, LossPi=loss_pi)
        info.update({f"{c.upper()}Vals": q for c, q in zip(self.critics, qs)})
        return state, info

    def draw_noise(self, key, n_updates, batch_size):
        """(next key, standard-normal target-noise draws ``[n_updates, batch_size,
        act_dim]``): independent per update, sample and action dimension; one key split per
        block. Without smoothing: (``key``, None)."""
        if self.target_noise is None:
            return key, None
        return draw_normal(key, (n_updates, batch_size, self.act_dim), self.dtype)

    # --- Inspection (parity tests) ---------------------------------------------------------

    def diagnose(self, batch, eps=None):
        """From the current parameters, without updating: the Q targets, LossQ, LossPi and
        the gradients of both losses ('grad/q1/0/w', 'grad/pi/0/w', ...) for one minibatch."""
        data = {k: jnp.asarray(v, dtype=self.dtype) for k, v in batch.items()}
        eps, s = (None if eps is None else jnp.asarray(eps, dtype=self.dtype)), self.state
        (loss_q, _), grads_q = jax.value_and_grad(self.compute_loss_q, has_aux=True)(
            self.q_params(s.ac), s.ac_targ, data, eps)
        loss_pi, grads_pi = jax.value_and_grad(self.compute_loss_pi)(
            s.ac["pi"], s.ac[self.critics[0]], data)
        out = dict(Targ=self.compute_targets(s.ac_targ, data, eps), LossQ=loss_q, LossPi=loss_pi)
        out = {k: np.asarray(v) for k, v in out.items()}
        grads_q = self.with_q_params({}, grads_q)
        grads = {**{k: v for c in self.critics for k, v in self.canonical(grads_q[c], c).items()},
                 **self.canonical(grads_pi, "pi")}
        out.update({"grad/" + k: v for k, v in grads.items()})
        return out


def draw_normal(key, shape, dtype):
    """(next key, standard-normal draws of ``shape``)."""
    key, sub = jax.random.split(key)
    return key, jax.random.normal(sub, shape, dtype)


td3_jax = make_entry_point(SPEC, "jax", TD3Learner, __name__)
