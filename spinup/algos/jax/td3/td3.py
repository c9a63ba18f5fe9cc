"""TD3 (Fujimoto et al. 2018), JAX learner (Haiku + Optax). The training loop is shared:
spinup.algos.common.offpolicy.train_td3."""
import os
import os.path as osp
from typing import NamedTuple

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax import lax  # noqa: E402

from spinup.algos.common.checks import InputError  # noqa: E402
from spinup.algos.common.offpolicy import (TD3_DOC, Policy, check_td3_args,  # noqa: E402
                                           init_td3_params, learner_kwargs, load_run_config,
                                           td3_config, train_td3)
from spinup.algos.jax.td3 import core  # noqa: E402
from spinup.utils.serialization_utils import load_flat_npz, save_flat_npz  # noqa: E402


class TD3State(NamedTuple):
    """Everything an update changes, as one pytree."""
    ac: dict        # Haiku trees of the online nets: {'pi', 'q1', 'q2'}
    ac_targ: dict   # ... and of the target nets
    pi_opt: optax.OptState
    q_opt: optax.OptState  # one Adam over {'q1', 'q2'}
    key: jax.Array  # for the target-policy noise


class TD3Learner:
    """Actor, twin critics, their targets and optimizers. ``update`` runs one block of
    updates on minibatches shaped ``[n_updates, batch, ...]`` as one jitted ``lax.scan``."""

    def __init__(self, obs_dim, act_dim, act_limit, hidden_sizes=(256, 256), activation="relu",
                 gamma=0.99, polyak=0.995, pi_lr=1e-3, q_lr=1e-3, target_noise=0.2,
                 noise_clip=0.5, policy_delay=2, seed=0, dtype="float32"):
        self.gamma, self.polyak, self.policy_delay = gamma, polyak, policy_delay
        self.target_noise, self.noise_clip = target_noise, noise_clip
        self.dtype = check_dtype(dtype)
        self.act_limit = np.asarray(act_limit, dtype=self.dtype)
        self.ac = core.MLPActorCritic(obs_dim, act_dim, self.act_limit, hidden_sizes, activation)
        self.pi_optimizer = optax.adam(pi_lr)
        self.q_optimizer = optax.adam(q_lr)
        params = init_td3_params(obs_dim, act_dim, hidden_sizes, seed)
        ac, ac_targ = self._trees(params)
        self.state = TD3State(ac, ac_targ, self.pi_optimizer.init(ac["pi"]),
                              self.q_optimizer.init(q_params(ac)), jax.random.PRNGKey(seed))
        self._update_block = jax.jit(self.update_block)
        self._draw_normal = jax.jit(draw_normal, static_argnums=(1, 2))
        self._act = jax.jit(self.ac.pi)

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
        q1 = self.ac.q(q["q1"], data["obs"], data["act"])
        q2 = self.ac.q(q["q2"], data["obs"], data["act"])
        backup = lax.stop_gradient(self.compute_targets(ac_targ, data, eps))
        loss_q = ((q1 - backup) ** 2).mean() + ((q2 - backup) ** 2).mean()
        return loss_q, (q1, q2)

    def compute_loss_pi(self, pi, q1, data):
        q1_pi = self.ac.q(q1, data["obs"], self.ac.pi(pi, data["obs"]))
        return -q1_pi.mean()

    # --- One update, and a block of them ---------------------------------------------------

    def update_q(self, state, data, eps):
        (loss_q, (q1, q2)), grads = jax.value_and_grad(self.compute_loss_q, has_aux=True)(
            q_params(state.ac), state.ac_targ, data, eps)
        updates, q_opt = self.q_optimizer.update(grads, state.q_opt)
        q = optax.apply_updates(q_params(state.ac), updates)
        return state._replace(ac={**state.ac, **q}, q_opt=q_opt), (loss_q, q1, q2)

    def update_pi(self, state, data):
        # Only pi is differentiated; Q enters as a constant, so it is frozen by construction.
        loss_pi, grads = jax.value_and_grad(self.compute_loss_pi)(
            state.ac["pi"], state.ac["q1"], data)
        updates, pi_opt = self.pi_optimizer.update(grads, state.pi_opt)
        pi = optax.apply_updates(state.ac["pi"], updates)
        return state._replace(ac={**state.ac, "pi": pi}, pi_opt=pi_opt), loss_pi

    def update_targets(self, state):
        # targ <- polyak * targ + (1 - polyak) * online: the target moves slowly.
        ac_targ = jax.tree.map(lambda t, o: self.polyak * t + (1 - self.polyak) * o,
                               state.ac_targ, state.ac)
        return state._replace(ac_targ=ac_targ)

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

    def update_block(self, state, batches, eps):
        """All updates of a block in one ``lax.scan`` (jitted once in ``__init__``)."""
        def body(state, x):
            j, data, eps_j = x
            return self.update_one(state, j, data, eps_j)
        js = jnp.arange(eps.shape[0])
        state, (loss_q, q1, q2, loss_pi) = lax.scan(body, state, (js, batches, eps))
        loss_pi = loss_pi[::self.policy_delay]  # policy steps only
        info = dict(LossQ=loss_q, LossPi=loss_pi, Q1Vals=q1, Q2Vals=q2)
        return state, info

    def update(self, batches, eps=None):
        """Run ``n`` updates on ``batches`` (arrays ``[n, batch, ...]``). ``eps``: optional
        standard-normal target-noise draws ``[n, batch, act_dim]``, drawn here if None.
        Returns LossQ ``[n]``, LossPi ``[ceil(n / policy_delay)]``, Q1Vals/Q2Vals
        ``[n, batch]`` as NumPy arrays."""
        data = {k: np.asarray(v, dtype=self.dtype) for k, v in batches.items()}
        eps = self.sample_eps(data["act"].shape) if eps is None else np.asarray(eps, self.dtype)
        self.state, info = self._update_block(self.state, data, eps)
        return jax.device_get(info)

    def sample_eps(self, shape):
        """Fresh standard-normal target-noise draws for a block (independent per update,
        sample and action dimension); one key split per block, inside jitted code."""
        key, eps = self._draw_normal(self.state.key, tuple(shape), self.dtype)
        self.state = self.state._replace(key=key)
        return eps

    # --- Acting ----------------------------------------------------------------------------

    def act(self, obs):
        """The deterministic action ``pi(obs)`` as a NumPy array."""
        return np.asarray(self._act(self.state.ac["pi"], np.asarray(obs, dtype=self.dtype)))

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
        grads = {**core.from_haiku(grads_q["q1"], "q1"), **core.from_haiku(grads_q["q2"], "q2"),
                 **core.from_haiku(grads_pi, "pi")}
        out.update({"grad/" + k: v for k, v in grads.items()})
        return out

    # --- Parameters, saving ----------------------------------------------------------------

    def get_params(self):
        """Online and target networks as canonical NumPy arrays ('pi/0/w', 'q1_targ/1/b'...)."""
        params = {}
        for net in ("pi", "q1", "q2"):
            params.update(core.from_haiku(self.state.ac[net], net))
            params.update(core.from_haiku(self.state.ac_targ[net], net, "_targ"))
        return params

    def set_params(self, params):
        ac, ac_targ = self._trees(params)
        self.state = self.state._replace(ac=ac, ac_targ=ac_targ)

    def sync(self):
        jax.block_until_ready(self.state)

    def save(self, model_dir):
        """``<model_dir>/params.npz``: the whole TD3State (networks, targets, optimizer
        states, key) flattened by key path. Written to a temporary file first so a crash
        never leaves a broken model in place of the last good one."""
        os.makedirs(model_dir, exist_ok=True)
        leaves = jax.tree_util.tree_flatten_with_path(self.state)[0]
        flat = {_keystr(path): np.asarray(leaf) for path, leaf in leaves}
        tmp = osp.join(model_dir, "params.tmp.npz")
        save_flat_npz(tmp, flat)
        os.replace(tmp, osp.join(model_dir, "params.npz"))

    def load(self, model_dir):
        flat = load_flat_npz(osp.join(model_dir, "params.npz"))
        leaves, treedef = jax.tree_util.tree_flatten_with_path(self.state)
        new = [jnp.asarray(flat[_keystr(path)], dtype=leaf.dtype) for path, leaf in leaves]
        self.state = jax.tree_util.tree_unflatten(treedef, new)

    def _trees(self, params):
        """(online, target) Haiku trees from canonical arrays."""
        ac = {net: core.to_haiku(params, net, dtype=self.dtype) for net in ("pi", "q1", "q2")}
        ac_targ = {net: core.to_haiku(params, net, "_targ", dtype=self.dtype)
                   for net in ("pi", "q1", "q2")}
        return ac, ac_targ


def q_params(ac):
    """The parameters the Q optimizer owns."""
    return {"q1": ac["q1"], "q2": ac["q2"]}


def draw_normal(key, shape, dtype):
    key, sub = jax.random.split(key)
    return key, jax.random.normal(sub, shape, dtype)


def check_dtype(dtype):
    """'float32', or 'float64' inside ``with jax.enable_x64(True):`` (parity tests)."""
    if dtype == "float64" and not jax.config.jax_enable_x64:
        raise InputError("dtype='float64' needs 64-bit JAX: build and use the learner inside "
                         "`with jax.enable_x64(True):`")
    if dtype not in ("float32", "float64"):
        raise InputError(f"dtype={dtype!r}: expected 'float32' or 'float64'")
    return np.dtype(dtype)


def _keystr(path):
    return jax.tree_util.keystr(path, simple=True, separator="/")


def td3_jax(env_fn, ac_kwargs=dict(), seed=0, steps_per_epoch=4000, epochs=100,
            replay_size=int(1e6), gamma=0.99, polyak=0.995, pi_lr=1e-3, q_lr=1e-3,
            batch_size=100, start_steps=10000, update_after=1000, update_every=50,
            act_noise=0.1, target_noise=0.2, noise_clip=0.5, policy_delay=2,
            num_test_episodes=10, max_ep_len=1000, logger_kwargs=dict(), save_freq=1,
            profile="none", profile_warmup=1):
    args = {k: v for k, v in locals().items() if k != "env_fn"}
    env = env_fn()
    try:
        args = check_td3_args(env, args)
    except InputError:
        env.close()
        raise
    learner = TD3Learner(**learner_kwargs(args, env))
    train_td3(env_fn, env, learner, td3_config("td3_jax", env_fn, args), **args)


td3_jax.__doc__ = TD3_DOC


def load(run_dir):
    """The policy of a saved run: ``load(run_dir).act(obs, deterministic=True)``."""
    cfg, env = load_run_config(run_dir)
    learner = TD3Learner(**learner_kwargs(cfg, env))
    learner.load(osp.join(run_dir, "model"))
    policy = Policy(learner, env.action_space, cfg.get("act_noise", 0.1), cfg.get("seed", 0))
    env.close()
    return policy
