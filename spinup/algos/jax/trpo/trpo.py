"""Trust Region Policy Optimization (and NPG) in JAX (Haiku + Optax): the learner. The
networks, acting and checkpoints are shared with VPG and PPO (spinup.algos.jax.on_policy);
the loop, the buffer and the conjugate-gradient arithmetic with the PyTorch backend
(spinup.algos.common.trpo)."""
import os

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.flatten_util import ravel_pytree  # noqa: E402

from spinup.algos.common.spec import make_entry_point  # noqa: E402
from spinup.algos.common.trpo import (SPEC, TRPO_UPDATE_KEYS, cg_init, cg_step,  # noqa: E402
                                      step_scale)
from spinup.algos.jax import nets  # noqa: E402
from spinup.algos.jax.on_policy import (OnPolicyLearner, OnPolicyState,  # noqa: E402
                                        compute_loss_v)


# ----------------------------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------------------------
def compute_loss_pi(ac, pi_params, data):
    """The surrogate loss -mean(ratio * adv), ratio = pi(a|s) / pi_old(a|s) (its gradient at
    the data's policy is the policy gradient); also the log-probs and the entropy (averaged
    over samples and action dimensions, as SpinningUp logs it)."""
    logp, ent = ac.logp_and_entropy(pi_params, data["obs"], data["act"])
    loss_pi = -(jnp.exp(logp - data["logp"]) * data["adv"]).mean()
    return loss_pi, (logp, ent.mean())


def mean_kl(ac, old_out, pi_params, obs):
    """The mean over ``obs`` of KL(old || pi), ``old_out`` the data's policy's output."""
    return ac.dist.kl(old_out, ac.pi.apply(pi_params, obs)).mean()


# ----------------------------------------------------------------------------------------------
# Learner
# ----------------------------------------------------------------------------------------------
class TRPOLearner(OnPolicyLearner):
    """The actor-critic, the value function's Adam optimizer, and TRPO's update (acting,
    parameters and checkpoints: OnPolicyLearner).

    The hyperparameters have no defaults here: they live once, in TRPO's spec. The policy's
    step works on its parameters raveled into one vector: the gradient g of the surrogate
    loss, x from ``cg_iters`` CG iterations on ``(H + damping_coeff I) x = g`` (H v by
    forward-over-reverse differentiation of the mean KL), the full step
    ``sqrt(2 delta / x.Hx) * x``, and for ``variant`` 'trpo' the backtracking line search."""

    def __init__(self, obs_space, act_space, hidden_sizes=(64, 64), activation="tanh", *,
                 delta, vf_lr, train_v_iters, damping_coeff, cg_iters, backtrack_iters,
                 backtrack_coeff, variant, seed=0, dtype="float32"):
        super().__init__(obs_space, act_space, hidden_sizes, activation, pi_lr=None,
                         vf_lr=vf_lr, seed=seed, dtype=dtype)
        self.delta, self.damping_coeff, self.cg_iters = delta, damping_coeff, cg_iters
        self.backtrack_iters, self.backtrack_coeff = backtrack_iters, backtrack_coeff
        self.variant, self.train_v_iters = variant, train_v_iters
        self._update = jax.jit(self.update_step)
        self._policy_step = jax.jit(self.policy_step)

    # -- the update: pure functions, jitted once in __init__ -------------------------------
    def policy_step(self, pi_params, data):
        """The natural-gradient step and its line search (pure). Returns the new parameters
        and what the parity tests compare: the losses before and after, the entropy, the
        gradient g, the CG solution x, the full step, the KL and the accepted try."""
        flat, unravel = ravel_pytree(pi_params)
        old_out = jax.lax.stop_gradient(self.ac.pi.apply(pi_params, data["obs"]))

        def loss(f):
            return compute_loss_pi(self.ac, unravel(f), data)

        def kl(f):
            return mean_kl(self.ac, old_out, unravel(f), data["obs"])

        def Hx(v):  # (H + damping I) v, H the Hessian of the mean KL at the data's policy
            return jax.jvp(jax.grad(kl), (flat,), (v,))[1] + self.damping_coeff * v

        (loss_old, (_, ent)), g = jax.value_and_grad(loss, has_aux=True)(flat)
        x = jax.lax.fori_loop(0, self.cg_iters, lambda i, s: cg_step(Hx, s), cg_init(g))[0]
        full_step = step_scale(x, Hx(x), self.delta) * x

        def evaluate(j):  # the j-th try, coeff**j times the full step
            f = flat - jnp.asarray(self.backtrack_coeff, flat.dtype) ** j * full_step
            return f, kl(f), loss(f)[0]

        if self.variant == "npg":
            new, kl_new, loss_new = evaluate(0)
            tries = jnp.array(0)
        else:
            def accepted(carry):
                _, _, kl_j, loss_j = carry
                return (kl_j <= self.delta) & (loss_j <= loss_old)

            def go_on(carry):
                return ~accepted(carry) & (carry[0] < self.backtrack_iters - 1)

            def next_try(carry):
                j = carry[0] + 1
                return (j, *evaluate(j))

            last = jax.lax.while_loop(go_on, next_try, (jnp.array(0), *evaluate(0)))
            # None accepted: the policy stays where it was, and BacktrackIters says so.
            failed = ~accepted(last)
            tries = jnp.where(failed, self.backtrack_iters, last[0])
            new = jnp.where(failed, flat, last[1])
            kl_new = jnp.where(failed, kl(flat), last[2])
            loss_new = jnp.where(failed, loss_old, last[3])
        info = dict(LossPi=loss_old, DeltaLossPi=loss_new - loss_old, Entropy=ent, KL=kl_new,
                    BacktrackIters=tries, g=g, x=x, full_step=full_step)
        return unravel(new), info

    def update_step(self, state, data):
        """The policy's step, then train_v_iters value steps (a lax.scan), on the whole batch:
        a pure function, jitted once, so an epoch's update is a single dispatch."""
        pi_params, info = self.policy_step(state.pi_params, data)
        v_params, vf_opt_state, losses_v = self.fit_value(state.v_params, state.vf_opt_state,
                                                          data)
        loss_v_old, loss_v_new = losses_v[0], compute_loss_v(self.ac, v_params, data)
        info = dict(info, LossV=loss_v_old, DeltaLossV=loss_v_new - loss_v_old)
        stats = jnp.stack([info[k].astype(loss_v_old.dtype) for k in TRPO_UPDATE_KEYS])
        return OnPolicyState(pi_params, v_params, (), vf_opt_state), stats

    # -- learning --------------------------------------------------------------------------
    def update(self, batch):
        """The policy's step, then train_v_iters value steps, on the whole batch (``obs, act,
        ret, adv, logp``). Returns LossPi, LossV and Entropy before the update, Delta* (after
        minus before), the KL of the policy it ends with and, for 'trpo', BacktrackIters."""
        self.state, stats = self._update(self.state, self._batch(batch))
        self.policy.stale()
        out = dict(zip(TRPO_UPDATE_KEYS, np.asarray(stats).tolist()))
        if self.variant == "npg":
            del out["BacktrackIters"]
        return out

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

    def fisher_product(self, batch, vector):
        """For parity tests: (H + damping I) v at the current policy, ``vector`` and the
        result by canonical name."""
        data = self._batch(batch)
        pi_params = self.state.pi_params
        flat, unravel = ravel_pytree(pi_params)
        v = ravel_pytree(self._from_canonical_pi(vector))[0]
        old_out = self.ac.pi.apply(pi_params, data["obs"])
        hv = jax.jvp(jax.grad(lambda f: mean_kl(self.ac, old_out, unravel(f), data["obs"])),
                     (flat,), (v,))[1] + self.damping_coeff * v
        return self._canonical_pi(unravel(hv))

    def step_details(self, batch):
        """For parity tests: what the policy's step computes (g, x and the full step by
        canonical name; losses, KL, BacktrackIters), without changing anything."""
        _, info = self._policy_step(self.state.pi_params, self._batch(batch))
        unravel = ravel_pytree(self.state.pi_params)[1]
        return {k: (self._canonical_pi(unravel(v)) if k in ("g", "x", "full_step")
                    else float(v)) for k, v in info.items()}

    def _canonical_pi(self, tree):
        return nets.to_canonical(tree, "pi")

    def _from_canonical_pi(self, canonical):
        return nets.from_canonical(canonical, "pi", dtype=self.dtype)


trpo_jax = make_entry_point(SPEC, "jax", TRPOLearner, __name__)
