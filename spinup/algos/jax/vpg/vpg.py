"""Vanilla Policy Gradient in JAX (Haiku + Optax): the learner. The loop, the buffer, the checks
and the docstring are shared with the PyTorch backend (spinup.algos.common.onpolicy)."""
import os
import os.path as osp
from functools import partial
from typing import Any, NamedTuple

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from spinup.algos.common.envs import space_kind  # noqa: E402
from spinup.algos.common.onpolicy import (VPG_DOC, VPG_UPDATE_KEYS, check_vpg_args,  # noqa: E402
                                          init_vpg_params, learner_kwargs, read_run_config,
                                          train_vpg)
from spinup.algos.jax.vpg import core  # noqa: E402
from spinup.utils.serialization_utils import load_flat_npz, save_flat_npz  # noqa: E402

MODEL_FILE = "params.npz"


class VPGState(NamedTuple):
    pi_params: Any
    v_params: Any
    pi_opt_state: Any
    vf_opt_state: Any


# ----------------------------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------------------------
def compute_loss_pi(ac, pi_params, data):
    """Policy-gradient surrogate -(logp * adv).mean(); also the log-probs and the entropy
    (averaged over samples and action dimensions, as SpinningUp logs it)."""
    logp, ent = ac.logp_and_entropy(pi_params, data["obs"], data["act"])
    loss_pi = -(logp * data["adv"]).mean()
    return loss_pi, (logp, ent.mean())


def compute_loss_v(ac, v_params, data):
    return ((ac.v.apply(v_params, data["obs"]) - data["ret"]) ** 2).mean()


def update_step(ac, pi_optimizer, vf_optimizer, train_v_iters, state, data):
    """One policy step, then train_v_iters value steps (a lax.scan), on the whole batch: a
    pure function, jitted once, so an epoch's update is a single dispatch."""
    (loss_pi, (_, ent)), grads = jax.value_and_grad(compute_loss_pi, argnums=1, has_aux=True)(
        ac, state.pi_params, data)
    updates, pi_opt_state = pi_optimizer.update(grads, state.pi_opt_state, state.pi_params)
    pi_params = optax.apply_updates(state.pi_params, updates)
    # Measured after the step (SpinningUp measures before, where both are ~0).
    loss_pi_new, (logp_new, _) = compute_loss_pi(ac, pi_params, data)
    kl = (data["logp"] - logp_new).mean()

    def v_step(carry, _):
        v_params, vf_opt_state = carry
        loss_v, grads = jax.value_and_grad(compute_loss_v, argnums=1)(ac, v_params, data)
        updates, vf_opt_state = vf_optimizer.update(grads, vf_opt_state, v_params)
        return (optax.apply_updates(v_params, updates), vf_opt_state), loss_v

    (v_params, vf_opt_state), losses_v = jax.lax.scan(
        v_step, (state.v_params, state.vf_opt_state), None, length=train_v_iters)
    loss_v_old, loss_v_new = losses_v[0], compute_loss_v(ac, v_params, data)

    stats = jnp.stack([loss_pi, loss_v_old, loss_pi_new - loss_pi, loss_v_new - loss_v_old, ent,
                       kl])
    return VPGState(pi_params, v_params, pi_opt_state, vf_opt_state), stats


def step_fn(ac, pi_params, v_params, obs, key):
    """(a, V(obs), logp(a)) packed in one array, so the host fetches them in one transfer; the
    PRNG key is split here, on the device, not on the host."""
    key, sub = jax.random.split(key)
    a, v, logp = ac.step(pi_params, v_params, obs, sub)
    return key, jnp.concatenate([a.reshape(-1).astype(v.dtype), v.reshape(1),
                                 logp.reshape(1)])


def act_fn(ac, pi_params, obs, key, deterministic):
    key, sub = jax.random.split(key)
    return key, ac.act(pi_params, obs, sub, deterministic)


# ----------------------------------------------------------------------------------------------
# Learner
# ----------------------------------------------------------------------------------------------
class VPGLearner:
    """The actor-critic, its two Adam optimizers, and VPG's update."""

    def __init__(self, obs_space, act_space, hidden_sizes=(64, 64), activation="tanh",
                 pi_lr=3e-4, vf_lr=1e-3, train_v_iters=80, seed=0, dtype="float32"):
        self.dtype = np.dtype(dtype)  # float64 for parity tests, inside jax.enable_x64(True)
        if self.dtype == np.float64 and not jax.config.jax_enable_x64:
            raise ValueError("dtype='float64' needs 64-bit JAX: build and use the learner "
                             "inside `with jax.enable_x64(True):`")
        self.discrete = space_kind(act_space) == "discrete"
        self.act_shape = () if self.discrete else act_space.shape
        self.train_v_iters = train_v_iters
        self.key = jax.random.PRNGKey(seed)  # action sampling
        self.ac = core.MLPActorCritic(obs_space, act_space, hidden_sizes, activation)
        params = init_vpg_params(obs_space, act_space, hidden_sizes, seed)
        pi_params = core.from_canonical(params, "pi", self.dtype)
        v_params = core.from_canonical(params, "v", self.dtype)
        self.pi_optimizer = optax.adam(pi_lr)
        self.vf_optimizer = optax.adam(vf_lr)
        self.state = VPGState(pi_params, v_params, self.pi_optimizer.init(pi_params),
                              self.vf_optimizer.init(v_params))
        self._step = jax.jit(partial(step_fn, self.ac))
        self._value = jax.jit(self.ac.v.apply)
        self._act = jax.jit(partial(act_fn, self.ac), static_argnames="deterministic")
        self._update = jax.jit(partial(update_step, self.ac, self.pi_optimizer,
                                       self.vf_optimizer, train_v_iters))

    def _obs(self, obs):
        return np.asarray(obs, dtype=self.dtype)

    def _action(self, a):
        return a.astype(np.int64).reshape(()) if self.discrete else a.reshape(self.act_shape)

    # -- acting ----------------------------------------------------------------------------
    def step(self, obs):
        """Sample a ~ pi(.|obs); return (a, V(obs), logp(a)) as NumPy, in one device transfer."""
        self.key, out = self._step(self.state.pi_params, self.state.v_params, self._obs(obs),
                                   self.key)
        out = np.asarray(out)
        return self._action(out[:-2]), out[-2], out[-1]

    def value(self, obs):
        return np.asarray(self._value(self.state.v_params, self._obs(obs)))

    def act(self, obs, deterministic=True):
        """The action for ``obs``: the mean (Box) or the most likely action (Discrete) when
        ``deterministic``, else a sample."""
        self.key, a = self._act(self.state.pi_params, self._obs(obs), self.key,
                                deterministic=bool(deterministic))
        return self._action(np.asarray(a))

    # -- learning --------------------------------------------------------------------------
    def update(self, batch):
        """One policy step, then train_v_iters value steps, on the whole batch."""
        self.state, stats = self._update(self.state, self._batch(batch))
        return dict(zip(VPG_UPDATE_KEYS, np.asarray(stats).tolist()))

    def losses_and_grads(self, batch):
        """For parity tests: log-probs, entropy, both losses at the current parameters, and
        the gradients of the two losses (canonical names), without changing anything."""
        data = self._batch(batch)
        (loss_pi, (logp, ent)), pi_grads = jax.value_and_grad(
            compute_loss_pi, argnums=1, has_aux=True)(self.ac, self.state.pi_params, data)
        loss_v, v_grads = jax.value_and_grad(compute_loss_v, argnums=1)(
            self.ac, self.state.v_params, data)
        grads = {**core.to_canonical(pi_grads), **core.to_canonical(v_grads)}
        return dict(logp=np.asarray(logp), Entropy=float(ent), LossPi=float(loss_pi),
                    LossV=float(loss_v)), grads

    def _batch(self, batch):
        return {k: np.asarray(v, self.dtype) if v.dtype.kind == "f" else v
                for k, v in batch.items()}

    # -- parameters ------------------------------------------------------------------------
    def get_params(self):
        return {**core.to_canonical(self.state.pi_params),
                **core.to_canonical(self.state.v_params)}

    def set_params(self, params):
        expected = self.get_params()
        if set(params) != set(expected):
            raise KeyError(f"parameter names {sorted(params)} do not match the network's "
                           f"{sorted(expected)}")
        for key, value in params.items():
            if np.shape(value) != expected[key].shape:
                raise ValueError(f"{key}: shape {np.shape(value)}, the network expects "
                                 f"{expected[key].shape}")
        self.state = self.state._replace(pi_params=core.from_canonical(params, "pi", self.dtype),
                                         v_params=core.from_canonical(params, "v", self.dtype))

    def sync(self):
        """Block until queued device work is done (so timers charge it to the right phase)."""
        jax.block_until_ready(self.state)

    def save(self, model_dir):
        os.makedirs(model_dir, exist_ok=True)
        tmp = osp.join(model_dir, "params.tmp.npz")
        save_flat_npz(tmp, flatten({"pi": self.state.pi_params, "v": self.state.v_params}))
        os.replace(tmp, osp.join(model_dir, MODEL_FILE))  # never a half-written model

    def load(self, model_dir):
        tree = {"pi": self.state.pi_params, "v": self.state.v_params}
        tree = unflatten(tree, load_flat_npz(osp.join(model_dir, MODEL_FILE)))
        self.state = self.state._replace(pi_params=tree["pi"], v_params=tree["v"])
        return self


def _path_name(path):
    return "/".join(str(getattr(k, "key", k)) for k in path)


def flatten(tree):
    """A parameter tree -> {key path: NumPy array}, e.g. 'pi/pi/linear_0/w'."""
    return {_path_name(path): np.asarray(leaf)
            for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]}


def unflatten(template, flat):
    """The inverse of ``flatten``, shaped like ``template``; names and shapes must match."""
    leaves, treedef = jax.tree_util.tree_flatten_with_path(template)
    missing = [_path_name(p) for p, _ in leaves if _path_name(p) not in flat]
    if missing or len(flat) != len(leaves):
        raise KeyError(f"saved parameters {sorted(flat)} do not match the network's "
                       f"{sorted(_path_name(p) for p, _ in leaves)}")
    new = []
    for path, leaf in leaves:
        value = flat[_path_name(path)]
        if value.shape != leaf.shape:
            raise ValueError(f"{_path_name(path)}: saved shape {value.shape}, network expects "
                             f"{leaf.shape}")
        new.append(jnp.asarray(value, leaf.dtype))
    return jax.tree_util.tree_unflatten(treedef, new)


def load(run_dir):
    """Rebuild the trained policy of a run from ``<run_dir>/config.json`` and its model."""
    cfg, env = read_run_config(run_dir)
    learner = VPGLearner(env.observation_space, env.action_space, **cfg["ac_kwargs"],
                         seed=cfg.get("seed", 0))
    env.close()
    return learner.load(osp.join(run_dir, "model"))


# ----------------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------------
def vpg_jax(env_fn, ac_kwargs=dict(), seed=0, steps_per_epoch=4000, epochs=50, gamma=0.99,
            pi_lr=3e-4, vf_lr=1e-3, train_v_iters=80, lam=0.97, max_ep_len=1000,
            logger_kwargs=dict(), save_freq=10, profile="none", profile_warmup=1):
    kwargs = dict(locals())
    env_fn = kwargs.pop("env_fn")
    env = env_fn()
    try:
        args = check_vpg_args(env, kwargs)
        learner = VPGLearner(env.observation_space, env.action_space, **learner_kwargs(args))
        # config.json: the checked arguments, and what load() needs to rebuild the run.
        config = dict(algo="vpg_jax", env_fn=env_fn, **args)
        return train_vpg(env, learner, args, config)
    finally:
        env.close()


vpg_jax.__doc__ = VPG_DOC
