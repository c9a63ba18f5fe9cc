"""The off-policy training loop (TD3), its argument checks and its docstring, framework-free.

Each backend supplies a *learner* (``spinup/algos/<backend>/td3/td3.py``) with

- ``act(obs) -> np.ndarray``: the deterministic action ``pi(obs)``;
- ``update(batches, eps=None) -> dict``: one block of updates on minibatches shaped
  ``[n_updates, batch, ...]`` (``eps``: optional standard-normal draws for the target noise,
  shaped ``[n_updates, batch, act_dim]``), returning LossQ, LossPi, Q1Vals, Q2Vals as arrays;
- ``get_params()`` / ``set_params(dict)`` in canonical names, ``sync()``, ``save(dir)``,
  ``load(dir)``.

Everything else (exploration, replay buffer, episodes, tests, logging, timing, saving) is here,
once, so the two backends differ only in their learners.
"""
import os.path as osp
import time

import numpy as np

from spinup.algos.common import checks
from spinup.algos.common.checks import InputError
from spinup.algos.common.envs import obs_dim, read_run_config, require_box
from spinup.algos.common.nets import init_mlp
from spinup.algos.common.replay_buffer import ReplayBuffer
from spinup.utils.logx import EpochLogger
from spinup.utils.profiling import PhaseTimer, Profiler
from spinup.utils.progress import ProgressBar

TD3_DOC = """
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

            .. math:: \\theta_{\\text{targ}} \\leftarrow
                \\rho \\theta_{\\text{targ}} + (1-\\rho) \\theta

            where :math:`\\rho` is polyak. (Always between 0 and 1, usually close to 1.)

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

        profile (str): 'none', 'update' (cProfile the update calls) or 'epoch' (cProfile
            whole epochs); the profile is saved as ``<output_dir>/profile/<mode>.prof``.

        profile_warmup (int): Number of epochs left out of the profile (JIT compilation and
            warm-up happen there). Must be less than epochs when profiling.
"""

TD3_DEVICE_DOC = """
        device (str or None): PyTorch device, e.g. 'cpu', 'cuda', 'cuda:1'. None picks
            'cuda' when available, else 'cpu'.
"""

# The test environment gets its own seed so that test episodes do not replay training ones.
TEST_SEED_OFFSET = 10_000


# ---------------------------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------------------------

def _count(name, v, lo):
    """An integer >= lo; an integral float such as 1e6 is accepted too."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return checks.int_at_least(name, v, lo)


def _first_update_size(update_after, update_every, replay_size):
    """How many transitions the buffer holds when the first update block runs: the loop
    updates after step t when t >= update_after and t % update_every == 0 (t counts from 1)."""
    t = max(update_after, 1)
    t = -(-t // update_every) * update_every
    return min(t, replay_size)


def check_td3_args(env, kwargs):
    """Check every TD3 argument (signature defaults filled in, env_fn already made into
    ``env``); return them normalised. Raises InputError naming the first bad value."""
    kw = dict(kwargs)
    require_box(env.action_space, "TD3")
    low, high = env.action_space.low, env.action_space.high
    if not np.allclose(low, -high):
        raise InputError(f"TD3 needs a symmetric action space (low == -high) since the actor "
                         f"is act_limit * tanh(...); this env has low={low}, high={high}")
    obs_dim(env.observation_space)
    kw["ac_kwargs"] = checks.ac_kwargs(kw.get("ac_kwargs"), (256, 256), "relu")
    kw["seed"] = checks.nonneg_int("seed", kw["seed"])
    for name in ("steps_per_epoch", "epochs", "batch_size", "update_every", "policy_delay",
                 "max_ep_len", "save_freq", "replay_size"):
        kw[name] = _count(name, kw[name], 1)
    for name in ("start_steps", "update_after", "num_test_episodes"):
        kw[name] = _count(name, kw[name], 0)
    kw["gamma"] = checks.number_in("gamma", kw["gamma"], 0.0, 1.0)
    kw["polyak"] = checks.number_in("polyak", kw["polyak"], 0.0, 1.0)
    for name in ("pi_lr", "q_lr"):
        kw[name] = checks.positive_number(name, kw[name])
    for name in ("act_noise", "target_noise", "noise_clip"):
        kw[name] = checks.number_in(name, kw[name], 0.0)
    holds = _first_update_size(kw["update_after"], kw["update_every"], kw["replay_size"])
    if kw["batch_size"] > holds:
        raise InputError(
            f"batch_size={kw['batch_size']}: the replay buffer holds only {holds} transitions "
            f"at the first update (update_after={kw['update_after']}, update_every="
            f"{kw['update_every']}, replay_size={kw['replay_size']}); expected batch_size <= "
            f"{holds}, or a larger update_after")
    kw["profile"], kw["profile_warmup"] = checks.profile_args(
        kw["profile"], kw["profile_warmup"], kw["epochs"])
    kw["logger_kwargs"] = checks.logger_kwargs(kw.get("logger_kwargs"))
    if "device" in kw:
        kw["device"] = checks.device(kw["device"])
    return kw


# ---------------------------------------------------------------------------------------------
# Shared pieces of the learners: initial parameters and their hyperparameters
# ---------------------------------------------------------------------------------------------

def init_td3_params(obs_dim, act_dim, hidden_sizes, seed):
    """Canonical initial parameters: actor 'pi', critics 'q1', 'q2', and target copies
    'pi_targ', 'q1_targ', 'q2_targ' equal to them (drawn in NumPy: the same in both
    backends)."""
    rng = np.random.default_rng(seed)
    params = init_mlp(rng, "pi", [obs_dim, *hidden_sizes, act_dim])
    params.update(init_mlp(rng, "q1", [obs_dim + act_dim, *hidden_sizes, 1]))
    params.update(init_mlp(rng, "q2", [obs_dim + act_dim, *hidden_sizes, 1]))
    params.update({k.replace("/", "_targ/", 1): v.copy() for k, v in params.items()})
    return params


def learner_kwargs(args, env):
    """The learner's constructor arguments, from checked TD3 arguments and the env."""
    return dict(obs_dim=obs_dim(env.observation_space),
                act_dim=int(env.action_space.shape[0]),
                act_limit=np.asarray(env.action_space.high, dtype=np.float32),
                hidden_sizes=args["ac_kwargs"]["hidden_sizes"],
                activation=args["ac_kwargs"]["activation"],
                gamma=args["gamma"], polyak=args["polyak"], pi_lr=args["pi_lr"],
                q_lr=args["q_lr"], target_noise=args["target_noise"],
                noise_clip=args["noise_clip"], policy_delay=args["policy_delay"],
                seed=args["seed"])


class Policy:
    """A learner's deterministic actor plus TD3's Gaussian exploration noise. The noise is
    drawn in NumPy so that both backends explore with the same numbers."""

    def __init__(self, learner, action_space, act_noise=0.1, seed=0):
        self.learner = learner
        self.act_limit = np.asarray(action_space.high, dtype=np.float32)
        self.act_noise = act_noise
        self.rng = np.random.default_rng((seed, 2))

    def act(self, obs, deterministic=True):
        a = self.learner.act(obs)
        if deterministic:
            return a
        a = a + self.act_noise * self.rng.standard_normal(a.shape)
        return np.clip(a, -self.act_limit, self.act_limit).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# The training loop
# ---------------------------------------------------------------------------------------------

def train_td3(env_fn, env, learner, config, *, seed, steps_per_epoch, epochs, replay_size,
              batch_size, start_steps, update_after, update_every, act_noise, num_test_episodes,
              max_ep_len, logger_kwargs, save_freq, profile, profile_warmup, **learner_args):
    """Run TD3 with ``learner`` on ``env`` (made by ``env_fn``), given the checked arguments
    (the learner's own, such as gamma, are already in the learner); ``config`` goes to
    config.json."""
    logger = EpochLogger(**logger_kwargs)
    logger.save_config(config)
    test_env = env_fn()
    replay = ReplayBuffer(obs_dim(env.observation_space), env.action_space.shape[0],
                          replay_size, seed=(seed, 1))
    policy = Policy(learner, env.action_space, act_noise, seed)
    env.action_space.seed(seed)
    timer, saver = PhaseTimer(), _Saver(learner, logger)
    profiler = Profiler(profile, profile_warmup, logger.output_dir, sync=learner.sync)
    bar = ProgressBar(steps_per_epoch * epochs)
    start_time = time.time()
    o, _ = env.reset(seed=seed)
    test_env.reset(seed=seed + TEST_SEED_OFFSET)
    ep_ret, ep_len = 0.0, 0

    try:
        for epoch in range(epochs):
            with profiler.region("epoch", epoch):
                # t counts env interactions from 1, so TotalEnvInteracts is exact.
                for t in range(epoch * steps_per_epoch + 1, (epoch + 1) * steps_per_epoch + 1):
                    # Uniform-random actions for the first start_steps, then the noisy policy.
                    with timer.phase("act"):
                        if t <= start_steps:
                            a = env.action_space.sample()
                        else:
                            a = policy.act(o, deterministic=False)
                    with timer.phase("env"):
                        o2, r, terminated, truncated, _ = env.step(a)
                    ep_ret += r
                    ep_len += 1

                    # Only a true termination stops the bootstrap; a time limit (gymnasium's
                    # or max_ep_len) is not a terminal state.
                    replay.store(o, a, r, o2, float(terminated))
                    o = o2

                    if terminated or truncated or ep_len == max_ep_len:
                        logger.store(EpRet=ep_ret, EpLen=ep_len)
                        o, _ = env.reset()
                        ep_ret, ep_len = 0.0, 0

                    # update_every updates, each on its own minibatch, sampled up front.
                    if t >= update_after and t % update_every == 0:
                        with timer.phase("update", sync=learner.sync), \
                                profiler.region("update", epoch):
                            info = learner.update(replay.sample_batches(update_every, batch_size))
                        saver.check_finite(info, epoch, t)
                        logger.store(**info)
                    bar.update(t)

                if (epoch + 1) % save_freq == 0 or epoch == epochs - 1:
                    saver.save(epoch)
                with timer.phase("test"):
                    test_agent(test_env, policy, logger, num_test_episodes, max_ep_len)

            log_epoch(logger, timer, epoch, t, start_time)
            bar.clear()
            logger.dump_tabular()
        profiler.dump(logger.log)
    finally:
        bar.clear()
        logger.close()
        env.close()
        test_env.close()


def test_agent(test_env, policy, logger, num_episodes, max_ep_len):
    """Deterministic episodes on the separate test env."""
    for _ in range(num_episodes):
        o, _ = test_env.reset()
        ep_ret, ep_len, done = 0.0, 0, False
        while not done and ep_len < max_ep_len:
            o, r, terminated, truncated, _ = test_env.step(policy.act(o, deterministic=True))
            ep_ret += r
            ep_len += 1
            done = terminated or truncated
        logger.store(TestEpRet=ep_ret, TestEpLen=ep_len)


def log_epoch(logger, timer, epoch, t, start_time):
    logger.log_tabular("Epoch", epoch + 1)
    logger.log_tabular("EpRet", with_min_and_max=True)
    logger.log_tabular("TestEpRet", with_min_and_max=True)
    logger.log_tabular("EpLen", average_only=True)
    logger.log_tabular("TestEpLen", average_only=True)
    logger.log_tabular("TotalEnvInteracts", t)
    logger.log_tabular("Q1Vals", with_min_and_max=True)
    logger.log_tabular("Q2Vals", with_min_and_max=True)
    logger.log_tabular("LossPi", average_only=True)
    logger.log_tabular("LossQ", average_only=True)
    timer.log_epoch(logger)
    logger.log_tabular("Time", time.time() - start_time)


class _Saver:
    """Saves the learner into ``<output_dir>/model/`` and refuses to let a non-finite model
    replace the last good one."""

    def __init__(self, learner, logger):
        self.learner, self.logger = learner, logger
        self.model_dir = osp.join(logger.output_dir, "model")
        self.last_epoch = None

    def _where(self):
        if self.last_epoch is None:
            return "no model had been saved yet"
        return f"the last good model (epoch {self.last_epoch + 1}) is in {self.model_dir}"

    def check_finite(self, info, epoch, t):
        for key in ("LossQ", "LossPi"):
            vals = np.asarray(info[key])
            if not np.all(np.isfinite(vals)):
                bad = vals[~np.isfinite(vals)].ravel()[0]
                raise FloatingPointError(
                    f"{key} is {bad} at epoch {epoch + 1} (update block ending at env step "
                    f"{t}); training stopped, {self._where()}. Lower the learning rates "
                    "(pi_lr, q_lr) or check the environment's rewards.")

    def save(self, epoch):
        bad = [k for k, v in self.learner.get_params().items() if not np.all(np.isfinite(v))]
        if bad:
            raise FloatingPointError(
                f"parameters {bad[:3]} are not finite at epoch {epoch + 1}; not saved, "
                f"training stopped, {self._where()}.")
        self.learner.save(self.model_dir)
        self.last_epoch = epoch


# ---------------------------------------------------------------------------------------------
# Loading a run
# ---------------------------------------------------------------------------------------------

def load_run_config(run_dir):
    """(config, env) of a saved TD3 run."""
    return read_run_config(run_dir, (256, 256), "relu")


def td3_config(algo, env_fn, args):
    """What config.json records: the checked arguments, the env factory and the algorithm
    (so that a loader knows the backend)."""
    return dict(algo=algo, env_fn=env_fn, **args)


__all__ = ["TD3_DOC", "TD3_DEVICE_DOC", "check_td3_args", "init_td3_params", "learner_kwargs",
           "Policy", "train_td3", "test_agent", "load_run_config", "td3_config"]
