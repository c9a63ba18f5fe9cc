"""Vanilla Policy Gradient in JAX (Haiku + Optax): the learner and the entry point. The loop,
the buffer and the checks are shared with the PyTorch backend (spinup.algos.common.vpg)."""
import os
import os.path as osp
from typing import Any, NamedTuple

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from spinup.algos.common.learner import build_from_config, load_trained  # noqa: E402
from spinup.algos.common.envs import space_kind  # noqa: E402
from spinup.algos.common.numpy_policy import Mirror, VPGActorCritic  # noqa: E402
from spinup.algos.common.vpg import (VPG_UPDATE_KEYS, check_vpg_args,  # noqa: E402
                                     init_vpg_params, read_vpg_config, train_vpg)
from spinup.algos.jax import nets  # noqa: E402
from spinup.algos.jax.vpg import core  # noqa: E402
from spinup.utils.errors import RunFileError  # noqa: E402
from spinup.utils.serialization_utils import load_npz, save_npz  # noqa: E402

MODEL_FILE = "params.npz"
# The learner arguments config.json records beside ac_kwargs.
HYPERPARAMETERS = ("pi_lr", "vf_lr", "train_v_iters", "seed")
NETS = ("pi", "v")


class VPGState(NamedTuple):
    """Everything an update changes, as one pytree."""
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
    """Mean squared error of V(obs) against the rewards-to-go."""
    return ((ac.v.apply(v_params, data["obs"]) - data["ret"]) ** 2).mean()


# ----------------------------------------------------------------------------------------------
# Learner
# ----------------------------------------------------------------------------------------------
class VPGLearner:
    """The actor-critic, its two Adam optimizers, and VPG's update."""

    def __init__(self, obs_space, act_space, hidden_sizes=(64, 64), activation="tanh",
                 pi_lr=3e-4, vf_lr=1e-3, train_v_iters=80, seed=0, dtype="float32"):
        self.dtype = nets.check_dtype(dtype)  # float64 for parity tests
        self.discrete = space_kind(act_space) == "discrete"
        self.act_shape = () if self.discrete else act_space.shape
        self.train_v_iters, self.activation = train_v_iters, activation
        self.ac = core.MLPActorCritic(obs_space, act_space, hidden_sizes, activation)
        params = init_vpg_params(obs_space, act_space, hidden_sizes, seed)
        pi_params = nets.from_canonical(params, "pi", dtype=self.dtype)
        v_params = nets.from_canonical(params, "v", dtype=self.dtype)
        self.pi_optimizer = optax.adam(pi_lr)
        self.vf_optimizer = optax.adam(vf_lr)
        self.state = VPGState(pi_params, v_params, self.pi_optimizer.init(pi_params),
                              self.vf_optimizer.init(v_params))
        self._update = jax.jit(self.update_step)
        # Acting runs in NumPy on a copy of the networks (a jitted call per env step would
        # cost several times the forward pass); whatever changes them marks the copy stale.
        # Action sampling splits the key once per call, as Categorical/DiagGaussian.sample
        # would in jitted code; the noise is drawn a block of calls at a time.
        self.actor_critic = Mirror(self.numpy_actor_critic)
        self.noise = nets.NoiseStream(jax.random.PRNGKey(seed), self.ac.dist.noise, self.dtype)

    # -- pure functions, jitted once in __init__ -------------------------------------------
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

        def v_step(carry, _):
            v_params, vf_opt_state = carry
            loss_v, grads = jax.value_and_grad(compute_loss_v, argnums=1)(self.ac, v_params,
                                                                          data)
            updates, vf_opt_state = self.vf_optimizer.update(grads, vf_opt_state, v_params)
            return (optax.apply_updates(v_params, updates), vf_opt_state), loss_v

        (v_params, vf_opt_state), losses_v = jax.lax.scan(
            v_step, (state.v_params, state.vf_opt_state), None, length=self.train_v_iters)
        loss_v_old, loss_v_new = losses_v[0], compute_loss_v(self.ac, v_params, data)

        stats = jnp.stack([loss_pi, loss_v_old, loss_pi_new - loss_pi, loss_v_new - loss_v_old,
                           ent, kl])
        return VPGState(pi_params, v_params, pi_opt_state, vf_opt_state), stats

    # -- acting ----------------------------------------------------------------------------
    def step(self, obs):
        """Sample a ~ pi(.|obs); return (a, V(obs), logp(a)) as NumPy (with a leading N for a
        batch of observations ``[N, obs_dim]``), computed in NumPy."""
        obs, ac = self._obs(obs), self.actor_critic.get()
        a, v, logp = ac.step(obs, self.noise.next(ac.noise_shape(obs)))
        return self._action(a), v, logp

    def sample_logp(self, obs):
        """``step`` without V(obs): (a, logp(a)), from the same draw of the noise stream. The
        training loop takes this one and computes the values of a whole path at once."""
        obs, ac = self._obs(obs), self.actor_critic.get()
        a, logp = ac.sample_logp(obs, self.noise.next(ac.noise_shape(obs)))
        return self._action(a), logp

    def value(self, obs):
        """V(obs) as NumPy."""
        return np.asarray(self.actor_critic.get().value(self._obs(obs)))

    def act(self, obs, deterministic=True):
        """The action for ``obs``: the mean (Box) or the most likely action (Discrete) when
        ``deterministic``, else a sample."""
        obs, ac = self._obs(obs), self.actor_critic.get()
        # The key is split in both cases, as it always was, so acting keeps the stream's place.
        noise = self.noise.next(ac.noise_shape(obs))
        return self._action(ac.act(obs, None if deterministic else noise))

    def numpy_actor_critic(self):
        """The actor and critic in NumPy, from the current parameters (what acting runs)."""
        return VPGActorCritic(self.get_params(), self.activation, self.discrete)

    # -- learning --------------------------------------------------------------------------
    def update(self, batch):
        """One policy step, then train_v_iters value steps, on the whole batch."""
        self.state, stats = self._update(self.state, self._batch(batch))
        self.actor_critic.stale()
        return dict(zip(VPG_UPDATE_KEYS, np.asarray(stats).tolist()))

    def losses_and_grads(self, batch):
        """For parity tests: log-probs, entropy, both losses at the current parameters, and
        the gradients of the two losses (canonical names), without changing anything."""
        data = self._batch(batch)
        (loss_pi, (logp, ent)), pi_grads = jax.value_and_grad(
            compute_loss_pi, argnums=1, has_aux=True)(self.ac, self.state.pi_params, data)
        loss_v, v_grads = jax.value_and_grad(compute_loss_v, argnums=1)(
            self.ac, self.state.v_params, data)
        grads = {**nets.to_canonical(pi_grads, "pi"), **nets.to_canonical(v_grads, "v")}
        return dict(logp=np.asarray(logp), Entropy=float(ent), LossPi=float(loss_pi),
                    LossV=float(loss_v)), grads

    # -- parameters, checkpoints, saving ---------------------------------------------------
    def get_params(self):
        """Actor and critic as canonical NumPy arrays ('pi/0/w', 'pi/log_std', 'v/0/w'...)."""
        return {**nets.to_canonical(self.state.pi_params, "pi"),
                **nets.to_canonical(self.state.v_params, "v")}

    def set_params(self, params):
        """Load canonical parameters (names and shapes must match); optimizer states are kept."""
        expected = self.get_params()
        if set(params) != set(expected):
            raise KeyError(f"parameter names {sorted(params)} do not match the network's "
                           f"{sorted(expected)}")
        for key, value in params.items():
            if np.shape(value) != expected[key].shape:
                raise ValueError(f"{key}: shape {np.shape(value)}, the network expects "
                                 f"{expected[key].shape}")
        self.state = self.state._replace(
            pi_params=nets.from_canonical(params, "pi", dtype=self.dtype),
            v_params=nets.from_canonical(params, "v", dtype=self.dtype))
        self.actor_critic.stale()

    def state_dict(self):
        """Parameters, both optimizers' states and the action-sampling PRNG key."""
        state = {f"state/{k}": v for k, v in nets.flatten_state(self.state).items()}
        state["rng/key"] = np.asarray(self.noise.key)
        return state

    def load_state_dict(self, state):
        """The inverse of ``state_dict``."""
        flat = {k[6:]: v for k, v in state.items() if k.startswith("state/")}
        self.state = nets.unflatten_state(self.state, flat, "checkpoint")
        self.actor_critic.stale()
        self.noise.reset(state["rng/key"])

    def sync(self):
        """Block until queued device work is done (so timers charge it to the right phase)."""
        jax.block_until_ready(self.state)

    def save(self, model_dir):
        """``<model_dir>/params.npz``: actor and critic by Haiku key path, written atomically."""
        tree = {"pi": self.state.pi_params, "v": self.state.v_params}
        return save_npz(osp.join(model_dir, MODEL_FILE), nets.flatten_state(tree))

    def load(self, model_dir):
        """Read what ``save`` wrote; returns the learner."""
        path = osp.join(model_dir, MODEL_FILE)
        tree = {"pi": self.state.pi_params, "v": self.state.v_params}
        try:
            tree = nets.unflatten_state(tree, load_npz(path, "saved model"), "saved model")
        except (KeyError, ValueError) as e:
            raise RunFileError(f"{path}: saved model does not match the run's networks "
                               f"({str(e).splitlines()[0]})") from None
        self.state = self.state._replace(pi_params=tree["pi"], v_params=tree["v"])
        self.actor_critic.stale()
        return self

    # -- conversions -----------------------------------------------------------------------
    def _obs(self, obs):
        return np.asarray(obs, dtype=self.dtype)

    def _action(self, a):
        if self.discrete:
            return np.asarray(a, dtype=np.int64)
        return a.reshape(*a.shape[:-1], *self.act_shape)

    def _batch(self, batch):
        return {k: np.asarray(v, self.dtype) if v.dtype.kind == "f" else v
                for k, v in batch.items()}


def learner_from_config(cfg, env):
    """A fresh learner built with a saved run's networks and hyperparameters (its config.json
    and env), before any training."""
    return build_from_config(VPGLearner, HYPERPARAMETERS, cfg, env)


def load(run_dir):
    """The trained learner of a saved run: ``load(run_dir).act(obs, deterministic=True)``."""
    return load_trained(read_vpg_config, learner_from_config, run_dir)


# ----------------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------------
def vpg_jax(env_fn, ac_kwargs=dict(), seed=0, steps_per_epoch=4000, epochs=50, gamma=0.99,
            pi_lr=3e-4, vf_lr=1e-3, train_v_iters=80, lam=0.97, max_ep_len=1000,
            logger_kwargs=dict(), save_freq=10, num_envs=1, async_envs=False,
            profile="none", profile_warmup=1):
    """
    Vanilla Policy Gradient (with GAE-Lambda advantage estimation).

    Each epoch collects ``steps_per_epoch`` steps with the current stochastic policy, takes ONE
    full-batch Adam step on the policy loss ``-(logp(a|s) * adv).mean()``, then
    ``train_v_iters`` full-batch Adam steps on the value loss ``((V(s) - ret)**2).mean()``.

    Args:
        env_fn : A function which creates a copy of the environment (gymnasium API), e.g.
            ``spinup.algos.common.envs.EnvFn('HalfCheetah-v4')``. Observations must be a flat
            Box; actions a Box (Gaussian policy) or Discrete (categorical policy).

        ac_kwargs (dict): Network shape for the actor and the critic:
            ``hidden_sizes`` (list of positive ints, default (64,64)) and ``activation``
            (a name such as 'tanh' or 'relu', or a framework activation; default 'tanh').
            The Gaussian actor has a state-independent ``log_std`` initialised to -0.5.

        seed (int): Seed for the initial weights (drawn with NumPy, so both backends start
            from the same networks), the sampling of actions, and the environment.

        steps_per_epoch (int): Number of steps of interaction (state-action pairs) between
            the agent and the environment in each epoch, i.e. the batch of one update.

        epochs (int): Number of epochs (policy updates) to run.

        gamma (float): Discount factor, in [0, 1].

        pi_lr (float): Learning rate for the policy optimizer (Adam).

        vf_lr (float): Learning rate for the value function optimizer (Adam).

        train_v_iters (int): Number of gradient steps on the value function per epoch.

        lam (float): Lambda for GAE-Lambda, in [0, 1].

        max_ep_len (int): Maximum length of an episode; longer ones are cut and bootstrapped
            with V(s_last), as are episodes the environment truncates itself.

        logger_kwargs (dict): Keyword args for EpochLogger (output_dir, exp_name, ...).

        save_freq (int): How often (in epochs) to save the model into
            ``<output_dir>/model/``; it is also saved after the last epoch.

        num_envs (int): Number of copies of the environment stepped together, with one
            batched policy call per step (gymnasium's vector API when > 1). Each step of the
            loop is then num_envs interactions; steps_per_epoch must be a multiple of it.
            1 (default) is the plain environment.

        async_envs (bool): Step the num_envs environments in subprocesses
            (AsyncVectorEnv) rather than in this process (SyncVectorEnv). Pays off when an
            env step costs much more than the inter-process round trip.

        profile (str): 'none', 'update' (cProfile the update calls) or 'epoch' (cProfile
            whole epochs). The profile lands in ``<output_dir>/profile/<mode>.prof``.

        profile_warmup (int): Number of epochs to run before profiling starts, so that
            compilation and warm-up stay out of the profile. Must be < epochs.

    Logs per epoch: Epoch, EpRet (avg/std/min/max), EpLen, VVals (avg/std/min/max),
    TotalEnvInteracts, LossPi, LossV (both before the update), DeltaLossPi, DeltaLossV
    (after minus before), Entropy (before; per action dimension for a Box, as
    SpinningUp), KL (between the policy that collected the data and
    the policy after its step), TimeEnv, TimeAct, TimeUpdate, TimeTest, TimeEpoch (seconds
    this epoch) and Time (seconds since the start).

    Returns the learner, whose ``act(obs, deterministic=True)`` runs the trained policy.
    """
    env = env_fn()
    try:
        args = check_vpg_args(env, dict(
            ac_kwargs=ac_kwargs, seed=seed, steps_per_epoch=steps_per_epoch, epochs=epochs,
            gamma=gamma, pi_lr=pi_lr, vf_lr=vf_lr, train_v_iters=train_v_iters, lam=lam,
            max_ep_len=max_ep_len, logger_kwargs=logger_kwargs, save_freq=save_freq,
            num_envs=num_envs, async_envs=async_envs, profile=profile,
            profile_warmup=profile_warmup))
        learner = VPGLearner(env.observation_space, env.action_space,
                             hidden_sizes=args["ac_kwargs"]["hidden_sizes"],
                             activation=args["ac_kwargs"]["activation"], pi_lr=args["pi_lr"],
                             vf_lr=args["vf_lr"], train_v_iters=args["train_v_iters"],
                             seed=args["seed"])
    except BaseException:
        env.close()
        raise
    return train_vpg("vpg_jax", env_fn, env, learner, args)
