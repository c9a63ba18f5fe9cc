"""SAC (Haarnoja et al. 2018, SpinningUp's version) in JAX (Haiku + Optax): the learner. The
loop, the replay buffer and the checks are shared with the PyTorch backend (the off-policy
family); what every off-policy learner does around its updates is in
spinup/algos/jax/off_policy.py."""
import os
from typing import NamedTuple, Optional

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax import lax  # noqa: E402

from spinup.algos.common.nets import init_squashed_gaussian_actor_critic  # noqa: E402
from spinup.algos.common.numpy_policy import SquashedGaussianActor  # noqa: E402
from spinup.algos.common.sac import SPEC  # noqa: E402
from spinup.algos.common.spec import make_entry_point  # noqa: E402
from spinup.algos.jax.off_policy import OffPolicyLearner  # noqa: E402
from spinup.algos.jax.sac import core  # noqa: E402

NOISE = ("eps_targ", "eps_pi")  # the two reparameterisation draws of each update


class SACState(NamedTuple):
    """Everything an update changes, as one pytree."""
    ac: dict        # Haiku trees of the online nets: {'pi', 'q1', 'q2'} (+ 'alpha' if learned)
    ac_targ: dict   # ... and of the target nets {'q1', 'q2'}
    pi_opt: optax.OptState
    q_opt: optax.OptState  # one Adam over {'q1', 'q2'}
    alpha_opt: Optional[optax.OptState]  # None: alpha fixed
    key: jax.Array  # for the reparameterisation draws of the updates


class SACLearner(OffPolicyLearner):
    """Squashed Gaussian actor, twin critics, their targets, the optimizers and (with
    ``alpha='auto'``) the learned temperature. ``update`` runs one block of updates on
    minibatches shaped ``[n_updates, batch, ...]`` as one jitted ``lax.scan``.

    ``alpha``: the entropy temperature, a number > 0 (fixed, as SpinningUp) or 'auto' (learned
    as CleanRL and Stable-Baselines3 do: 'alpha/log_alpha' from 0, its own Adam with rate
    ``lr``, towards the target entropy ``-act_dim``)."""

    NETS = ("pi", "q1", "q2")  # and 'alpha' with a learned temperature
    TARGET_NETS = ("q1", "q2")  # no actor target: a' is sampled from the current policy
    NUMPY_ACTOR = SquashedGaussianActor  # acting: its mean action, or a sample
    DETERMINISTIC_ACTOR = False
    MODULES = core.MODULES

    def __init__(self, obs_space, act_space, hidden_sizes=(256, 256), activation="relu", *,
                 gamma, polyak, lr, alpha, seed=0, dtype="float32"):
        super().__init__(obs_space, act_space, activation, seed, dtype)
        self.gamma, self.polyak = gamma, polyak
        self.auto_alpha = isinstance(alpha, str) and alpha == "auto"
        self.alpha = None if self.auto_alpha else float(alpha)
        self.target_entropy = -float(self.act_dim)
        params = init_squashed_gaussian_actor_critic(self.obs_dim, self.act_dim, hidden_sizes,
                                                     seed)
        if self.auto_alpha:
            self.NETS = (*self.NETS, "alpha")
            params["alpha/log_alpha"] = np.zeros((), np.float32)  # alpha = 1 at the start
        self.ac = core.MLPActorCritic(self.act_dim, self.act_limit, hidden_sizes, activation)
        self.pi_optimizer, self.q_optimizer = optax.adam(lr), optax.adam(lr)
        self.alpha_optimizer = optax.adam(lr) if self.auto_alpha else None
        ac, ac_targ = self.trees(params)
        self.state = SACState(
            ac, ac_targ, self.pi_optimizer.init(ac["pi"]), self.q_optimizer.init(q_params(ac)),
            self.alpha_optimizer.init(ac["alpha"]) if self.auto_alpha else None,
            jax.random.PRNGKey(seed))

    # --- SAC's losses ----------------------------------------------------------------------

    def compute_targets(self, ac, ac_targ, data, eps, alpha):
        """Entropy-regularised Bellman backup with clipped double-Q; ``a'`` is sampled from
        the current policy at ``s'`` with the standard-normal draws ``eps``."""
        a2, logp_a2 = self.ac.pi(ac["pi"], data["obs2"], eps)
        q1_pi_targ = self.ac.q(ac_targ["q1"], data["obs2"], a2)
        q2_pi_targ = self.ac.q(ac_targ["q2"], data["obs2"], a2)
        q_pi_targ = jnp.minimum(q1_pi_targ, q2_pi_targ)
        return data["rew"] + self.gamma * (1 - data["done"]) * (q_pi_targ - alpha * logp_a2)

    def compute_loss_q(self, q, ac, ac_targ, data, eps, alpha):
        """MSE of Q1 and Q2 against the (constant) backup; also Q1, Q2 for logging."""
        q1 = self.ac.q(q["q1"], data["obs"], data["act"])
        q2 = self.ac.q(q["q2"], data["obs"], data["act"])
        backup = lax.stop_gradient(self.compute_targets(ac, ac_targ, data, eps, alpha))
        loss_q = ((q1 - backup) ** 2).mean() + ((q2 - backup) ** 2).mean()
        return loss_q, (q1, q2)

    def compute_loss_pi(self, pi, q, data, eps, alpha):
        """mean(alpha * logp(a|s) - min(Q1, Q2)(s, a)), a ~ pi(.|s) reparameterised with
        ``eps``; also logp (a constant) for logging and the temperature step."""
        a, logp = self.ac.pi(pi, data["obs"], eps)
        q_pi = jnp.minimum(self.ac.q(q["q1"], data["obs"], a), self.ac.q(q["q2"], data["obs"], a))
        return (alpha * logp - q_pi).mean(), lax.stop_gradient(logp)

    def compute_loss_alpha(self, alpha, logp):
        """-(log_alpha * (logp + target_entropy)).mean() with ``logp`` a constant: raises
        alpha while the policy's entropy is below the target, lowers it above."""
        log_alpha = alpha["alpha"]["log_alpha"]
        return -(log_alpha * (lax.stop_gradient(logp) + self.target_entropy)).mean()

    def current_alpha(self, state):
        """The temperature the next update uses (a constant of that update)."""
        if self.auto_alpha:
            return core.temperature(state.ac["alpha"])
        return jnp.asarray(self.alpha, self.dtype)

    # --- One update, and a block of them ---------------------------------------------------

    def update_q(self, state, data, eps, alpha):
        """One Adam step on both critics."""
        (loss_q, (q1, q2)), grads = jax.value_and_grad(self.compute_loss_q, has_aux=True)(
            q_params(state.ac), state.ac, state.ac_targ, data, eps, alpha)
        updates, q_opt = self.q_optimizer.update(grads, state.q_opt)
        q = optax.apply_updates(q_params(state.ac), updates)
        return state._replace(ac={**state.ac, **q}, q_opt=q_opt), (loss_q, q1, q2)

    def update_pi(self, state, data, eps, alpha):
        """One Adam step on the actor, the critics frozen."""
        # Only pi is differentiated; Q enters as a constant, so it is frozen by construction.
        (loss_pi, logp), grads = jax.value_and_grad(self.compute_loss_pi, has_aux=True)(
            state.ac["pi"], q_params(state.ac), data, eps, alpha)
        updates, pi_opt = self.pi_optimizer.update(grads, state.pi_opt)
        pi = optax.apply_updates(state.ac["pi"], updates)
        return state._replace(ac={**state.ac, "pi": pi}, pi_opt=pi_opt), (loss_pi, logp)

    def update_alpha(self, state, logp):
        """One Adam step on log_alpha, with the policy step's logp."""
        loss_alpha, grads = jax.value_and_grad(self.compute_loss_alpha)(state.ac["alpha"], logp)
        updates, alpha_opt = self.alpha_optimizer.update(grads, state.alpha_opt)
        alpha = optax.apply_updates(state.ac["alpha"], updates)
        return state._replace(ac={**state.ac, "alpha": alpha}, alpha_opt=alpha_opt), loss_alpha

    def update_one(self, state, data, noise):
        """One SAC update: a Q step, a policy step, (auto) a temperature step, then polyak
        averaging of the Q targets."""
        alpha = self.current_alpha(state)
        state, (loss_q, q1, q2) = self.update_q(state, data, noise["eps_targ"], alpha)
        state, (loss_pi, logp) = self.update_pi(state, data, noise["eps_pi"], alpha)
        info = dict(LossQ=loss_q, LossPi=loss_pi, Q1Vals=q1, Q2Vals=q2, LogPi=logp,
                    Alpha=alpha)
        if self.auto_alpha:
            state, info["LossAlpha"] = self.update_alpha(state, logp)
        return self.update_targets(state), info

    def update_block(self, state, batches, noise):
        """All updates of a block in one ``lax.scan`` (jitted once in ``__init__``): LossQ,
        LossPi, Alpha ``[n]``, Q1Vals, Q2Vals, LogPi ``[n, batch]`` (and LossAlpha ``[n]``
        with alpha='auto'). ``noise``: ``draw_noise``'s, or the same arrays given to
        ``update``."""
        def body(state, x):
            data, noise_j = x
            return self.update_one(state, data, noise_j)
        return lax.scan(body, state, (batches, {k: noise[k] for k in NOISE}))

    def draw_noise(self, key, n_updates, batch_size):
        """(next key, fresh standard-normal draws for a block: ``eps_targ`` (a' at s') and
        ``eps_pi`` (a at s), each ``[n_updates, batch_size, act_dim]``); pure."""
        key, *subs = jax.random.split(key, 1 + len(NOISE))
        shape = (n_updates, batch_size, self.act_dim)
        return key, {k: jax.random.normal(sub, shape, self.dtype) for k, sub in zip(NOISE, subs)}

    # --- Inspection (parity tests) ---------------------------------------------------------

    def diagnose(self, batch, noise):
        """From the current parameters, without updating: the Q targets, LossQ, LossPi, LogPi,
        (auto) LossAlpha, and the gradients of the losses ('grad/q1/0/w', 'grad/pi/0/w', ...,
        'grad/alpha/log_alpha') for one minibatch."""
        data = {k: jnp.asarray(v, dtype=self.dtype) for k, v in batch.items()}
        eps_targ, eps_pi = (jnp.asarray(noise[k], dtype=self.dtype) for k in NOISE)
        s = self.state
        alpha = self.current_alpha(s)
        (loss_q, _), grads_q = jax.value_and_grad(self.compute_loss_q, has_aux=True)(
            q_params(s.ac), s.ac, s.ac_targ, data, eps_targ, alpha)
        (loss_pi, logp), grads_pi = jax.value_and_grad(self.compute_loss_pi, has_aux=True)(
            s.ac["pi"], q_params(s.ac), data, eps_pi, alpha)
        out = dict(Targ=self.compute_targets(s.ac, s.ac_targ, data, eps_targ, alpha),
                   LossQ=loss_q, LossPi=loss_pi, LogPi=logp)
        grads = {**self.canonical(grads_q["q1"], "q1"), **self.canonical(grads_q["q2"], "q2"),
                 **self.canonical(grads_pi, "pi")}
        if self.auto_alpha:
            out["LossAlpha"], grads_alpha = jax.value_and_grad(self.compute_loss_alpha)(
                s.ac["alpha"], logp)
            grads.update(self.canonical(grads_alpha, "alpha"))
        return {**{k: np.asarray(v) for k, v in out.items()},
                **{"grad/" + k: v for k, v in grads.items()}}


def q_params(ac):
    """The parameters the Q optimizer owns."""
    return {"q1": ac["q1"], "q2": ac["q2"]}


sac_jax = make_entry_point(SPEC, "jax", SACLearner, __name__)
