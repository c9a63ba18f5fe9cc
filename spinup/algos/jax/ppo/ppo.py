"""Proximal Policy Optimization (PPO-Clip, with early stopping on the approximate KL) in JAX
(Haiku + Optax): the learner. The networks, acting and checkpoints are shared with VPG
(spinup.algos.jax.on_policy); the loop and the buffer with the PyTorch backend."""
import os

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from spinup.algos.common.ppo import PPO_UPDATE_KEYS, SPEC  # noqa: E402
from spinup.algos.common.spec import make_entry_point  # noqa: E402
from spinup.algos.jax.on_policy import (OnPolicyLearner, OnPolicyState,  # noqa: E402
                                        compute_loss_v)


# ----------------------------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------------------------
def compute_loss_pi(ac, pi_params, data, clip_ratio):
    """PPO-Clip's surrogate -mean(min(ratio * adv, clip(ratio, 1-clip_ratio, 1+clip_ratio) *
    adv)), ratio = pi(a|s) / pi_old(a|s): a pessimistic bound that gains nothing from moving
    the ratio out of the clip range. Also the log-probs, the entropy (averaged over samples
    and action dimensions, as SpinningUp logs it), the approximate KL mean(logp_old - logp)
    and the fraction of samples whose ratio is clipped."""
    logp, ent = ac.logp_and_entropy(pi_params, data["obs"], data["act"])
    ratio = jnp.exp(logp - data["logp"])
    clip_adv = jnp.clip(ratio, 1 - clip_ratio, 1 + clip_ratio) * data["adv"]
    loss_pi = -(jnp.minimum(ratio * data["adv"], clip_adv)).mean()
    kl = (data["logp"] - logp).mean()
    clipped = (ratio > 1 + clip_ratio) | (ratio < 1 - clip_ratio)
    clip_frac = clipped.astype(ratio.dtype).mean()
    return loss_pi, (logp, ent.mean(), kl, clip_frac)


# ----------------------------------------------------------------------------------------------
# Learner
# ----------------------------------------------------------------------------------------------
class PPOLearner(OnPolicyLearner):
    """The actor-critic, its two Adam optimizers, and PPO's update (acting, parameters and
    checkpoints: OnPolicyLearner).

    The hyperparameters have no defaults here: they live once, in PPO's spec. The update, on
    the whole batch: up to ``train_pi_iters`` policy steps, each preceded by a check of the
    approximate KL between the policy that collected the data and the current one; when it
    exceeds ``1.5 * target_kl`` the policy phase stops before stepping. Then
    ``train_v_iters`` value steps.

    StopIter is the number of policy steps taken: i when the check before step i stopped the
    phase (what SpinningUp logs then too), ``train_pi_iters`` when it never did. (SpinningUp
    logs its loop index, ``train_pi_iters - 1`` both without a stop and with a stop before
    the last step.)"""

    def __init__(self, obs_space, act_space, hidden_sizes=(64, 64), activation="tanh", *,
                 clip_ratio, pi_lr, vf_lr, train_pi_iters, train_v_iters, target_kl, seed=0,
                 dtype="float32"):
        super().__init__(obs_space, act_space, hidden_sizes, activation, pi_lr=pi_lr,
                         vf_lr=vf_lr, seed=seed, dtype=dtype)
        self.clip_ratio, self.target_kl = clip_ratio, target_kl
        self.train_pi_iters, self.train_v_iters = train_pi_iters, train_v_iters
        self._update = jax.jit(self.update_step)

    # -- the update: a pure function, jitted once in __init__ ------------------------------
    def update_step(self, state, data):
        """The policy phase (a lax.while_loop, for its early stop), then train_v_iters value
        steps (a lax.scan), on the whole batch: a pure function, jitted once, so an epoch's
        update is a single dispatch."""
        loss_pi_old, (_, ent, _, _) = compute_loss_pi(self.ac, state.pi_params, data,
                                                      self.clip_ratio)
        loss_v_old = compute_loss_v(self.ac, state.v_params, data)

        def pi_continues(carry):
            i, _, _, stopped = carry
            return (i < self.train_pi_iters) & ~stopped

        def pi_step(carry):
            i, pi_params, pi_opt_state, _ = carry
            (_, (_, _, kl, _)), grads = jax.value_and_grad(
                compute_loss_pi, argnums=1, has_aux=True)(self.ac, pi_params, data,
                                                          self.clip_ratio)
            stop = kl > 1.5 * self.target_kl  # the policy left the region the data vouches for

            def adam_step(_):
                updates, opt_state = self.pi_optimizer.update(grads, pi_opt_state, pi_params)
                return optax.apply_updates(pi_params, updates), opt_state

            pi_params, pi_opt_state = jax.lax.cond(
                stop, lambda _: (pi_params, pi_opt_state), adam_step, None)
            return jnp.where(stop, i, i + 1), pi_params, pi_opt_state, stop

        stop_iter, pi_params, pi_opt_state, _ = jax.lax.while_loop(
            pi_continues, pi_step,
            (jnp.array(0), state.pi_params, state.pi_opt_state, jnp.array(False)))
        loss_pi_new, (_, _, kl, clip_frac) = compute_loss_pi(self.ac, pi_params, data,
                                                             self.clip_ratio)

        v_params, vf_opt_state, _ = self.fit_value(state.v_params, state.vf_opt_state, data)
        loss_v_new = compute_loss_v(self.ac, v_params, data)

        stats = jnp.stack([loss_pi_old, loss_v_old, loss_pi_new - loss_pi_old,
                           loss_v_new - loss_v_old, ent, kl, clip_frac,
                           stop_iter.astype(loss_pi_old.dtype)])
        return OnPolicyState(pi_params, v_params, pi_opt_state, vf_opt_state), stats

    # -- learning --------------------------------------------------------------------------
    def update(self, batch):
        """Policy steps until train_pi_iters or the KL check stops them, then train_v_iters
        value steps, on the whole batch (``obs, act, ret, adv, logp``). Returns LossPi, LossV
        and Entropy before the update, Delta* (after minus before), and KL and ClipFrac at
        the policy it ends with, and StopIter."""
        self.state, stats = self._update(self.state, self._batch(batch))
        self.policy.stale()
        return dict(zip(PPO_UPDATE_KEYS, np.asarray(stats).tolist()))

    def losses_and_grads(self, batch):
        """For parity tests: log-probs, entropy, both losses, the approximate KL and the clip
        fraction at the current parameters, and the gradients of the two losses (canonical
        names), without changing anything."""
        data = self._batch(batch)
        (loss_pi, (logp, ent, kl, clip_frac)), pi_grads = jax.value_and_grad(
            compute_loss_pi, argnums=1, has_aux=True)(self.ac, self.state.pi_params, data,
                                                      self.clip_ratio)
        loss_v, v_grads = jax.value_and_grad(compute_loss_v, argnums=1)(
            self.ac, self.state.v_params, data)
        grads = self._canonical(pi_grads, v_grads)
        return dict(logp=np.asarray(logp), Entropy=float(ent), LossPi=float(loss_pi),
                    LossV=float(loss_v), KL=float(kl), ClipFrac=float(clip_frac)), grads


ppo_jax = make_entry_point(SPEC, "jax", PPOLearner, __name__)
