"""Vanilla Policy Gradient in JAX (Haiku + Optax): the learner and the entry point. The loop,
the buffer and the checks are shared with the PyTorch backend (spinup.algos.common.vpg); the
networks, acting and checkpoints with PPO (spinup.algos.jax.on_policy)."""
import os

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from spinup.algos.common.vpg import VPG_UPDATE_KEYS, SPEC  # noqa: E402
from spinup.algos.common.spec import make_entry_point  # noqa: E402
from spinup.algos.jax.on_policy import (OnPolicyLearner, OnPolicyState,  # noqa: E402
                                        compute_loss_v)


# ----------------------------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------------------------
def compute_loss_pi(ac, pi_params, data):
    """Policy-gradient surrogate -(logp * adv).mean(); also the log-probs and the entropy
    (averaged over samples and action dimensions, as SpinningUp logs it)."""
    logp, ent = ac.logp_and_entropy(pi_params, data["obs"], data["act"])
    loss_pi = -(logp * data["adv"]).mean()
    return loss_pi, (logp, ent.mean())


# ----------------------------------------------------------------------------------------------
# Learner
# ----------------------------------------------------------------------------------------------
class VPGLearner(OnPolicyLearner):
    """The actor-critic, its two Adam optimizers, and VPG's update (acting, parameters and
    checkpoints: OnPolicyLearner)."""

    def __init__(self, obs_space, act_space, hidden_sizes=(64, 64), activation="tanh", *,
                 pi_lr, vf_lr, train_v_iters, seed=0, dtype="float32"):
        super().__init__(obs_space, act_space, hidden_sizes, activation, pi_lr=pi_lr,
                         vf_lr=vf_lr, seed=seed, dtype=dtype)
        self.train_v_iters = train_v_iters
        self._update = jax.jit(self.update_step)

    # -- the update: a pure function, jitted once in __init__ ------------------------------
    def update_step(self, state, data):
        """One policy step, then train_v_iters value steps (a lax.scan), on the whole
        batch: a pure function, jitted once, so an epoch's update is a single dispatch."""
        (loss_pi, (_, ent)), grads = jax.value_and_grad(
            compute_loss_pi, argnums=1, has_aux=True)(self.ac, state.pi_params, data)
        updates, pi_opt_state = self.pi_optimizer.update(grads, state.pi_opt_state,
                                                         state.pi_params)
        pi_params = optax.apply_updates(state.pi_params, updates)
        # Measured after the step (SpinningUp measures before, where both are ~0).
        loss_pi_new, (logp_new, _) = compute_loss_pi(self.ac, pi_params, data)
        kl = (data["logp"] - logp_new).mean()

        v_params, vf_opt_state, losses_v = self.fit_value(state.v_params, state.vf_opt_state,
                                                          data)
        loss_v_old, loss_v_new = losses_v[0], compute_loss_v(self.ac, v_params, data)

        stats = jnp.stack([loss_pi, loss_v_old, loss_pi_new - loss_pi, loss_v_new - loss_v_old,
                           ent, kl])
        return OnPolicyState(pi_params, v_params, pi_opt_state, vf_opt_state), stats

    # -- learning --------------------------------------------------------------------------
    def update(self, batch):
        """One policy step, then train_v_iters value steps, on the whole batch."""
        self.state, stats = self._update(self.state, self._batch(batch))
        self.policy.stale()
        return dict(zip(VPG_UPDATE_KEYS, np.asarray(stats).tolist()))

    def losses_and_grads(self, batch):
        """For parity tests: log-probs, entropy, both losses at the current parameters, and
        the gradients of the two losses (canonical names), without changing anything."""
        data = self._batch(batch)
        (loss_pi, (logp, ent)), pi_grads = jax.value_and_grad(
            compute_loss_pi, argnums=1, has_aux=True)(self.ac, self.state.pi_params, data)
        loss_v, v_grads = jax.value_and_grad(compute_loss_v, argnums=1)(
            self.ac, self.state.v_params, data)
        grads = self._canonical(pi_grads, v_grads)
        return dict(logp=np.asarray(logp), Entropy=float(ent), LossPi=float(loss_pi),
                    LossV=float(loss_v)), grads


vpg_jax = make_entry_point(SPEC, "jax", VPGLearner, __name__)
