"""TD3 (Fujimoto et al. 2018) in JAX (Haiku + Optax): the learner and the entry point. The
loop, the replay buffer, the exploration noise and the checks are shared with the PyTorch
backend (spinup.algos.common.td3)."""
import os
import os.path as osp
from typing import NamedTuple

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax import lax  # noqa: E402

from spinup.algos.common.learner import build_from_config, load_trained  # noqa: E402
from spinup.algos.common.numpy_policy import Mirror, TD3Actor  # noqa: E402
from spinup.algos.common.td3 import (add_exploration_noise, check_td3_args,  # noqa: E402
                                     init_td3_params, noise_rng, read_td3_config, train_td3)
from spinup.algos.jax import nets  # noqa: E402
from spinup.algos.jax.td3 import core  # noqa: E402
from spinup.utils.errors import RunFileError  # noqa: E402
from spinup.utils.serialization_utils import (generator_state, load_npz,  # noqa: E402
                                              save_npz, set_generator_state)

MODEL_FILE = "params.npz"
# The learner arguments config.json records beside ac_kwargs.
HYPERPARAMETERS = ("gamma", "polyak", "pi_lr", "q_lr", "act_noise", "target_noise",
                  "noise_clip", "policy_delay", "seed")
NETS = ("pi", "q1", "q2")


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

    def __init__(self, obs_space, act_space, hidden_sizes=(256, 256), activation="relu",
                 gamma=0.99, polyak=0.995, pi_lr=1e-3, q_lr=1e-3, act_noise=0.1,
                 target_noise=0.2, noise_clip=0.5, policy_delay=2, seed=0, dtype="float32"):
        obs_dim, act_dim = obs_space.shape[0], act_space.shape[0]
        self.gamma, self.polyak, self.policy_delay = gamma, polyak, policy_delay
        self.act_noise, self.target_noise, self.noise_clip = act_noise, target_noise, noise_clip
        self.dtype = nets.check_dtype(dtype)
        self.act_limit_np = np.asarray(act_space.high, dtype=np.float32)
        self.act_limit = np.asarray(act_space.high, dtype=self.dtype)
        self.activation = activation
        self.ac = core.MLPActorCritic(act_dim, self.act_limit, hidden_sizes, activation)
        self.pi_optimizer = optax.adam(pi_lr)
        self.q_optimizer = optax.adam(q_lr)
        ac, ac_targ = self._trees(init_td3_params(obs_dim, act_dim, hidden_sizes, seed))
        self.state = TD3State(ac, ac_targ, self.pi_optimizer.init(ac["pi"]),
                              self.q_optimizer.init(q_params(ac)), jax.random.PRNGKey(seed))
        self.noise_rng = noise_rng(seed)  # exploration noise (NumPy: the same in both backends)
        self._update_block = jax.jit(self.update_block)
        self._draw_normal = jax.jit(draw_normal, static_argnums=(1, 2))
        # Acting runs in NumPy on a copy of the actor: a jitted call per env step would cost
        # several times the forward pass. Whatever changes the actor marks the copy stale.
        self.actor = Mirror(self.numpy_actor)

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

    def update_targets(self, state):
        """Polyak averaging of all target networks."""
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
        self.actor.stale()
        return jax.device_get(info)

    def sample_eps(self, shape):
        """Fresh standard-normal target-noise draws for a block (independent per update,
        sample and action dimension); one key split per block, inside jitted code."""
        key, eps = self._draw_normal(self.state.key, tuple(shape), self.dtype)
        self.state = self.state._replace(key=key)
        return eps

    # --- Acting ----------------------------------------------------------------------------

    def act(self, obs, deterministic=True):
        """``pi(obs)`` (one observation or a batch) as NumPy, computed in NumPy; with
        ``deterministic=False`` plus TD3's exploration noise."""
        a = self.actor.get()(np.asarray(obs, dtype=self.dtype))
        if deterministic:
            return a
        return add_exploration_noise(a, self.act_noise, self.act_limit_np, self.noise_rng)

    def numpy_actor(self):
        """The actor in NumPy, from the current parameters (what ``act`` runs)."""
        return TD3Actor(self._canonical(self.state.ac["pi"], "pi"), self.activation,
                        self.act_limit)

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
        grads = {**self._canonical(grads_q["q1"], "q1"), **self._canonical(grads_q["q2"], "q2"),
                 **self._canonical(grads_pi, "pi")}
        out.update({"grad/" + k: v for k, v in grads.items()})
        return out

    # --- Parameters, checkpoints, saving ---------------------------------------------------

    def get_params(self):
        """Online and target networks as canonical NumPy arrays ('pi/0/w', 'q1_targ/1/b'...)."""
        params = {}
        for net in NETS:
            params.update(self._canonical(self.state.ac[net], net))
            params.update(self._canonical(self.state.ac_targ[net], net, "_targ"))
        return params

    def set_params(self, params):
        """Load canonical parameters (online and target nets); optimizer states are kept."""
        ac, ac_targ = self._trees(params)
        self.state = self.state._replace(ac=ac, ac_targ=ac_targ)
        self.actor.stale()

    def state_dict(self):
        """The whole TD3State (networks, targets, optimizer states, target-noise key) and the
        exploration-noise stream."""
        state = {f"state/{k}": v for k, v in nets.flatten_state(self.state).items()}
        state["rng/noise"] = generator_state(self.noise_rng)
        return state

    def load_state_dict(self, state):
        """The inverse of ``state_dict``."""
        flat = {k[6:]: v for k, v in state.items() if k.startswith("state/")}
        self.state = nets.unflatten_state(self.state, flat, "checkpoint")
        self.actor.stale()
        set_generator_state(self.noise_rng, state["rng/noise"])

    def sync(self):
        """Block until queued device work is done (so timers charge it to the right phase)."""
        jax.block_until_ready(self.state)

    def save(self, model_dir):
        """``<model_dir>/params.npz``: the whole TD3State (networks, targets, optimizer
        states, key) flattened by key path, written atomically."""
        return save_npz(osp.join(model_dir, MODEL_FILE), nets.flatten_state(self.state))

    def load(self, model_dir):
        """Read what ``save`` wrote; returns the learner."""
        path = osp.join(model_dir, MODEL_FILE)
        try:
            self.state = nets.unflatten_state(self.state, load_npz(path, "saved model"),
                                              "saved model")
        except (KeyError, ValueError) as e:
            raise RunFileError(f"{path}: saved model does not match the run's networks "
                               f"({str(e).splitlines()[0]})") from None
        self.actor.stale()
        return self

    def _trees(self, params):
        """(online, target) Haiku trees from canonical arrays."""
        ac = {net: nets.from_canonical(params, net, core.MODULES[net], dtype=self.dtype)
              for net in NETS}
        ac_targ = {net: nets.from_canonical(params, net, core.MODULES[net], "_targ", self.dtype)
                   for net in NETS}
        return ac, ac_targ

    @staticmethod
    def _canonical(tree, net, suffix=""):
        return nets.to_canonical(tree, net, core.MODULES[net], suffix)


def q_params(ac):
    """The parameters the Q optimizer owns."""
    return {"q1": ac["q1"], "q2": ac["q2"]}


def draw_normal(key, shape, dtype):
    """(next key, standard-normal draws of ``shape``)."""
    key, sub = jax.random.split(key)
    return key, jax.random.normal(sub, shape, dtype)


def learner_from_config(cfg, env):
    """A fresh learner built with a saved run's networks and hyperparameters (its config.json
    and env), before any training."""
    return build_from_config(TD3Learner, HYPERPARAMETERS, cfg, env)


def load(run_dir):
    """The trained learner of a saved run: ``load(run_dir).act(obs, deterministic=True)``."""
    return load_trained(read_td3_config, learner_from_config, run_dir)


def td3_jax(env_fn, ac_kwargs=dict(), seed=0, steps_per_epoch=4000, epochs=100,
            replay_size=int(1e6), gamma=0.99, polyak=0.995, pi_lr=1e-3, q_lr=1e-3,
            batch_size=100, start_steps=10000, update_after=1000, update_every=50,
            act_noise=0.1, target_noise=0.2, noise_clip=0.5, policy_delay=2,
            num_test_episodes=10, max_ep_len=1000, logger_kwargs=dict(), save_freq=1,
            save_buffer=False, num_envs=1, async_envs=False,
            profile="none", profile_warmup=1):
    r"""
    Twin Delayed Deep Deterministic Policy Gradient (TD3)

    Args:
        env_fn : A function which creates a copy of the environment (e.g.
            ``spinup.algos.common.envs.EnvFn('HalfCheetah-v4')``). The environment must
            satisfy the gymnasium API and have a bounded, symmetric Box action space.

        ac_kwargs (dict): The actor and critics: ``hidden_sizes`` (default (256, 256)) and
            ``activation`` (default 'relu'; a name such as 'tanh', or a framework's
            activation). The actor is ``act_limit * tanh(mlp(obs))``; the critics Q1, Q2 are
            MLPs on ``concat(obs, act)``.

        seed (int): Seed for the initial networks (drawn in NumPy, so the same in both
            backends), the replay buffer, the exploration noise, the target noise and the
            environments.

        steps_per_epoch (int): Number of steps of interaction (state-action pairs) for the
            agent and the environment in each epoch.

        epochs (int): Number of epochs to run and train agent.

        replay_size (int): Maximum length of replay buffer.

        gamma (float): Discount factor. (Always between 0 and 1.)

        polyak (float): Interpolation factor in polyak averaging for target networks.
            Target networks are updated towards main networks according to:

            .. math:: \theta_{\text{targ}} \leftarrow
                \rho \theta_{\text{targ}} + (1-\rho) \theta

            where :math:`\rho` is polyak. (Always between 0 and 1, usually close to 1.)

        pi_lr (float): Learning rate for policy.

        q_lr (float): Learning rate for Q-networks.

        batch_size (int): Minibatch size for SGD. At most what the replay buffer holds at
            the first update.

        start_steps (int): Number of steps for uniform-random action selection, before
            running real policy. Helps exploration.

        update_after (int): Number of env interactions to collect before starting to do
            gradient descent updates. Ensures replay buffer is full enough for useful
            updates.

        update_every (int): Number of env interactions that should elapse between gradient
            descent updates. Each time, update_every updates are made, each on its own
            minibatch, so the ratio of env steps to gradient steps stays 1.

        act_noise (float): Stddev for Gaussian exploration noise added to policy at
            training time. (At test time, no noise is added.)

        target_noise (float): Stddev for smoothing noise added to target policy (drawn per
            sample and per action dimension).

        noise_clip (float): Limit for absolute value of target policy smoothing noise.

        policy_delay (int): Policy will only be updated once every policy_delay times for
            each update of the Q-networks (update j of a block updates the policy and the
            target networks when j % policy_delay == 0).

        num_test_episodes (int): Number of episodes to test the deterministic policy at the
            end of each epoch.

        max_ep_len (int): Maximum length of trajectory / episode / rollout. Reaching it is a
            time limit, not a terminal state: the Q target still bootstraps.

        logger_kwargs (dict): Keyword args for EpochLogger (output_dir, exp_name).

        save_freq (int): How often (in terms of gap between epochs) to save the current
            networks (and always at the last epoch), into ``<output_dir>/model/``.
            A checkpoint to resume from (``python -m spinup.run resume``) is written at
            the same epochs, into ``<output_dir>/checkpoint/``.

        save_buffer (bool): Also checkpoint the replay buffer (compressed chunks of the
            transitions added since the last checkpoint), so that a resumed run continues
            exactly as if it had never stopped. Without it a resumed run starts with an
            empty buffer and pauses updates until it holds ``update_after`` transitions.

        num_envs (int): Number of copies of the environment stepped together, with one
            batched policy call per step (gymnasium's vector API when > 1). Each step of the
            loop is then num_envs interactions; steps_per_epoch must be a multiple of it.
            1 (default) is the plain environment.

        async_envs (bool): Step the num_envs environments in subprocesses
            (AsyncVectorEnv) rather than in this process (SyncVectorEnv). Pays off when an
            env step costs much more than the inter-process round trip.

        profile (str): 'none', 'update' (cProfile the update calls) or 'epoch' (cProfile
            whole epochs); the profile is saved as ``<output_dir>/profile/<mode>.prof``.

        profile_warmup (int): Number of epochs left out of the profile (JIT compilation and
            warm-up happen there). Must be less than epochs when profiling.

    Logs per epoch (Epoch counts from 1): EpRet, TestEpRet (avg/std/min/max), EpLen,
    TestEpLen, TotalEnvInteracts, Q1Vals, Q2Vals (avg/std/min/max), LossPi, LossQ, TimeEnv,
    TimeAct, TimeUpdate, TimeTest, TimeEpoch (seconds this epoch) and Time (since the start).

    Returns the learner, whose ``act(obs, deterministic=True)`` runs the trained policy.
    """
    env = env_fn()
    try:
        args = check_td3_args(env, dict(
            ac_kwargs=ac_kwargs, seed=seed, steps_per_epoch=steps_per_epoch, epochs=epochs,
            replay_size=replay_size, gamma=gamma, polyak=polyak, pi_lr=pi_lr, q_lr=q_lr,
            batch_size=batch_size, start_steps=start_steps, update_after=update_after,
            update_every=update_every, act_noise=act_noise, target_noise=target_noise,
            noise_clip=noise_clip, policy_delay=policy_delay,
            num_test_episodes=num_test_episodes, max_ep_len=max_ep_len,
            logger_kwargs=logger_kwargs, save_freq=save_freq, save_buffer=save_buffer,
            num_envs=num_envs, async_envs=async_envs, profile=profile,
            profile_warmup=profile_warmup))
        learner = TD3Learner(env.observation_space, env.action_space,
                             hidden_sizes=args["ac_kwargs"]["hidden_sizes"],
                             activation=args["ac_kwargs"]["activation"], gamma=args["gamma"],
                             polyak=args["polyak"], pi_lr=args["pi_lr"], q_lr=args["q_lr"],
                             act_noise=args["act_noise"], target_noise=args["target_noise"],
                             noise_clip=args["noise_clip"], policy_delay=args["policy_delay"],
                             seed=args["seed"])
    except BaseException:
        env.close()
        raise
    return train_td3("td3_jax", env_fn, env, learner, args)
