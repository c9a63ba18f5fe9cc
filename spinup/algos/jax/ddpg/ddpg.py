"""DDPG (Lillicrap et al. 2016, as SpinningUp writes it) in JAX (Haiku + Optax): the learner.
The loop, the replay buffer and the exploration noise are the off-policy family's, shared with
the PyTorch backend; what every off-policy learner does beside its losses and updates is in
spinup.algos.jax.off_policy."""
import os
from typing import NamedTuple

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax import lax  # noqa: E402

from spinup.algos.common.ddpg import SPEC  # noqa: E402
from spinup.algos.common.nets import init_deterministic_actor_critic  # noqa: E402
from spinup.algos.common.spec import make_entry_point  # noqa: E402
from spinup.algos.jax.ddpg import core  # noqa: E402
from spinup.algos.jax.off_policy import OffPolicyLearner  # noqa: E402


class DDPGState(NamedTuple):
    """Everything an update changes, as one pytree."""
    ac: dict        # Haiku trees of the online nets: {'pi', 'q'}
    ac_targ: dict   # ... and of the target nets
    pi_opt: optax.OptState
    q_opt: optax.OptState
    key: jax.Array  # DDPG's updates draw nothing; kept so that every learner's state has one


class DDPGLearner(OffPolicyLearner):
    """Actor, critic, their targets and optimizers. ``update`` runs one block of updates on
    minibatches shaped ``[n_updates, batch, ...]`` as one jitted ``lax.scan``."""

    NETS = ("pi", "q")
    TARGET_NETS = ("pi", "q")
    MODULES = core.MODULES

    def __init__(self, obs_space, act_space, hidden_sizes=(256, 256), activation="relu", *,
                 gamma, polyak, pi_lr, q_lr, act_noise, seed=0, dtype="float32"):
        super().__init__(obs_space, act_space, activation, seed, dtype)
        self.gamma, self.polyak, self.act_noise = gamma, polyak, act_noise
        self.ac = core.MLPActorCritic(self.act_dim, self.act_limit, hidden_sizes, activation)
        self.pi_optimizer = optax.adam(pi_lr)
        self.q_optimizer = optax.adam(q_lr)
        ac, ac_targ = self.trees(init_deterministic_actor_critic(
            self.obs_dim, self.act_dim, hidden_sizes, seed, ("q",)))
        self.state = DDPGState(ac, ac_targ, self.pi_optimizer.init(ac["pi"]),
                               self.q_optimizer.init(ac["q"]), jax.random.PRNGKey(seed))

    # --- DDPG's losses ---------------------------------------------------------------------

    def compute_targets(self, ac_targ, data):
        """Bellman backup through the target actor and critic."""
        pi_targ = self.ac.pi(ac_targ["pi"], data["obs2"])
        q_pi_targ = self.ac.q(ac_targ["q"], data["obs2"], pi_targ)
        return data["rew"] + self.gamma * (1 - data["done"]) * q_pi_targ

    def compute_loss_q(self, q, ac_targ, data):
        """MSE of Q against the (constant) backup; also Q for logging."""
        q_val = self.ac.q(q, data["obs"], data["act"])
        backup = lax.stop_gradient(self.compute_targets(ac_targ, data))
        loss_q = ((q_val - backup) ** 2).mean()
        return loss_q, q_val

    def compute_loss_pi(self, pi, q, data):
        """-Q(s, pi(s)).mean()."""
        q_pi = self.ac.q(q, data["obs"], self.ac.pi(pi, data["obs"]))
        return -q_pi.mean()

    # --- One update, and a block of them ---------------------------------------------------

    def update_q(self, state, data):
        """One Adam step on the critic."""
        (loss_q, q), grads = jax.value_and_grad(self.compute_loss_q, has_aux=True)(
            state.ac["q"], state.ac_targ, data)
        updates, q_opt = self.q_optimizer.update(grads, state.q_opt)
        q_params = optax.apply_updates(state.ac["q"], updates)
        return state._replace(ac={**state.ac, "q": q_params}, q_opt=q_opt), (loss_q, q)

    def update_pi(self, state, data):
        """One Adam step on the actor, the critic frozen."""
        # Only pi is differentiated; Q enters as a constant, so it is frozen by construction.
        loss_pi, grads = jax.value_and_grad(self.compute_loss_pi)(
            state.ac["pi"], state.ac["q"], data)
        updates, pi_opt = self.pi_optimizer.update(grads, state.pi_opt)
        pi = optax.apply_updates(state.ac["pi"], updates)
        return state._replace(ac={**state.ac, "pi": pi}, pi_opt=pi_opt), loss_pi

    def update_one(self, state, data):
        """One update: a Q step, a policy step, then the polyak update of both targets."""
        state, (loss_q, q) = self.update_q(state, data)
        state, loss_pi = self.update_pi(state, data)
        return self.update_targets(state), (loss_q, q, loss_pi)

    def update_block(self, state, batches, noise):
        """All updates of a block in one ``lax.scan`` (DDPG draws no noise: ``noise`` is
        None). Returns LossQ ``[n]``, LossPi ``[n]``, QVals ``[n, batch]``."""
        state, (loss_q, q, loss_pi) = lax.scan(self.update_one, state, batches)
        info = dict(LossQ=loss_q, LossPi=loss_pi, QVals=q)
        return state, info

    def draw_noise(self, key, n_updates, batch_size):
        """(``key``, None): DDPG's updates are deterministic."""
        return key, None

    # --- Inspection (parity tests) ---------------------------------------------------------

    def diagnose(self, batch):
        """From the current parameters, without updating: the Q targets, LossQ, LossPi and
        the gradients of both losses ('grad/q/0/w', 'grad/pi/0/w', ...) for one minibatch."""
        data, s = {k: jnp.asarray(v, dtype=self.dtype) for k, v in batch.items()}, self.state
        (loss_q, _), grads_q = jax.value_and_grad(self.compute_loss_q, has_aux=True)(
            s.ac["q"], s.ac_targ, data)
        loss_pi, grads_pi = jax.value_and_grad(self.compute_loss_pi)(s.ac["pi"], s.ac["q"], data)
        out = dict(Targ=self.compute_targets(s.ac_targ, data), LossQ=loss_q, LossPi=loss_pi)
        out = {k: np.asarray(v) for k, v in out.items()}
        grads = {**self.canonical(grads_q, "q"), **self.canonical(grads_pi, "pi")}
        out.update({"grad/" + k: v for k, v in grads.items()})
        return out


ddpg_jax = make_entry_point(SPEC, "jax", DDPGLearner, __name__)
