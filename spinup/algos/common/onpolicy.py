"""Everything of VPG that is not framework code: the argument check, the canonical initial
parameters, the training loop, and the docstring both entry points share.

A backend provides a *learner* with
``step(obs) -> (a, v, logp)``, ``value(obs) -> v``, ``update(batch) -> dict of floats``,
``act(obs, deterministic)``, ``get_params()``/``set_params()``, ``sync()``, ``save(dir)`` and
``load(dir)``. Data crosses that seam as NumPy arrays.
"""
import math
import os.path as osp
import time

import numpy as np

from spinup.algos.common import checks, envs
from spinup.algos.common.gae_buffer import GAEBuffer
from spinup.algos.common.nets import init_mlp
from spinup.utils.logx import EpochLogger
from spinup.utils.profiling import PhaseTimer, Profiler
from spinup.utils.progress import ProgressBar

VPG_DEFAULT_HIDDEN = (64, 64)
VPG_DEFAULT_ACTIVATION = "tanh"
# What update() returns, in the order SpinningUp logs it.
VPG_UPDATE_KEYS = ("LossPi", "LossV", "DeltaLossPi", "DeltaLossV", "Entropy", "KL")

VPG_DOC = """
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

        profile (str): 'none', 'update' (cProfile the update calls) or 'epoch' (cProfile
            whole epochs). The profile lands in ``<output_dir>/profile/<mode>.prof``.

        profile_warmup (int): Number of epochs to run before profiling starts, so that
            compilation and warm-up stay out of the profile. Must be < epochs.

        device (str, PyTorch only): 'cpu', 'cuda' or 'cuda:N'; None picks 'cuda' when it is
            available, else 'cpu'.

    Logs per epoch: Epoch, EpRet (avg/std/min/max), EpLen, VVals (avg/std/min/max),
    TotalEnvInteracts, LossPi, LossV (both before the update), DeltaLossPi, DeltaLossV
    (after minus before), Entropy (before; per action dimension for a Box, as
    SpinningUp), KL (between the policy that collected the data and
    the policy after its step), TimeEnv, TimeAct, TimeUpdate, TimeTest, TimeEpoch (seconds
    this epoch) and Time (seconds since the start).

    Returns the learner, whose ``act(obs, deterministic=True)`` runs the trained policy.
    """

def check_vpg_args(env, kwargs):
    """Check every VPG argument (``env`` already made from env_fn); return them normalised.
    Raises InputError naming the bad value and what is accepted."""
    kw = dict(kwargs)
    envs.space_kind(env.action_space)
    envs.obs_dim(env.observation_space)
    kw["ac_kwargs"] = checks.ac_kwargs(kw.get("ac_kwargs"), VPG_DEFAULT_HIDDEN,
                                       VPG_DEFAULT_ACTIVATION)
    kw["seed"] = checks.nonneg_int("seed", kw.get("seed", 0))
    for name in ("steps_per_epoch", "epochs", "train_v_iters", "max_ep_len", "save_freq"):
        kw[name] = checks.positive_int(name, kw.get(name))
    for name in ("gamma", "lam"):
        kw[name] = checks.number_in(name, kw.get(name), 0.0, 1.0)
    for name in ("pi_lr", "vf_lr"):
        kw[name] = checks.positive_number(name, kw.get(name))
    kw["logger_kwargs"] = checks.logger_kwargs(kw.get("logger_kwargs"))
    kw["profile"], kw["profile_warmup"] = checks.profile_args(
        kw.get("profile", "none"), kw.get("profile_warmup", 1), kw["epochs"])
    if "device" in kw:
        kw["device"] = checks.device(kw["device"])
    return kw


def init_vpg_params(obs_space, act_space, hidden_sizes, seed):
    """Canonical initial parameters of the actor ('pi/...') and critic ('v/...'), drawn with
    NumPy so that both backends start from the same networks for the same seed."""
    rng = np.random.default_rng(seed)
    obs_dim = envs.obs_dim(obs_space)
    if envs.space_kind(act_space) == "box":
        act_dim = int(np.prod(act_space.shape))
        params = init_mlp(rng, "pi", [obs_dim, *hidden_sizes, act_dim])
        params["pi/log_std"] = np.full(act_dim, -0.5, dtype=np.float32)
    else:
        params = init_mlp(rng, "pi", [obs_dim, *hidden_sizes, int(act_space.n)])
    params.update(init_mlp(rng, "v", [obs_dim, *hidden_sizes, 1]))
    return params


def learner_kwargs(args):
    """The learner's share of the checked arguments."""
    return dict(**args["ac_kwargs"], pi_lr=args["pi_lr"], vf_lr=args["vf_lr"],
                train_v_iters=args["train_v_iters"], seed=args["seed"])


def make_buffer(env, steps_per_epoch, gamma, lam):
    if envs.space_kind(env.action_space) == "box":
        act_shape, act_dtype = env.action_space.shape, np.float32
    else:
        act_shape, act_dtype = (), np.int64
    return GAEBuffer(envs.obs_dim(env.observation_space), act_shape, steps_per_epoch, gamma, lam,
                     act_dtype)


def collect_epoch(env, learner, buf, logger, timer, bar, o, t_start, max_ep_len):
    """Fill ``buf`` with one epoch of experience; returns the first observation of the next."""
    ep_ret, ep_len = 0.0, 0
    n = buf.max_size
    for t in range(n):
        with timer.phase("act"):
            a, v, logp = learner.step(o)
        with timer.phase("env"):
            next_o, r, terminated, truncated, _ = env.step(a)
        ep_ret += r
        ep_len += 1
        buf.store(o, a, r, v, logp)
        o = next_o
        bar.update(t_start + t + 1)

        timeout = truncated or ep_len == max_ep_len
        epoch_ended = t == n - 1
        if terminated or timeout or epoch_ended:
            # A cut path (time limit, epoch end) continues beyond what we saw: bootstrap it.
            if terminated:
                last_val = 0.0
            else:
                with timer.phase("act"):
                    last_val = learner.value(o)
            buf.finish_path(last_val)
            if terminated or timeout:
                logger.store(EpRet=ep_ret, EpLen=ep_len)
            # As in SpinningUp, the epoch end also starts a fresh episode.
            with timer.phase("env"):
                o, _ = env.reset()
            ep_ret, ep_len = 0.0, 0
    logger.store(VVals=buf.val_buf.copy())
    return o


def check_finite(stats, epoch, model_dir, last_saved_epoch):
    """Stop a diverged run before its NaN model can overwrite the last good one."""
    bad = [k for k, v in stats.items() if not math.isfinite(v)]
    if not bad:
        return
    where = (f"the last good model (epoch {last_saved_epoch}) is kept in {model_dir}"
             if last_saved_epoch is not None else "no model had been saved yet")
    raise FloatingPointError(
        f"{bad[0]}={stats[bad[0]]} at epoch {epoch} (non-finite: {', '.join(bad)}); training "
        f"stopped and {where}. Causes: NaN/inf rewards or observations from the environment, "
        "or learning rates too large.")


def log_epoch(logger, timer, epoch, steps_per_epoch, start_time):
    logger.log_tabular("Epoch", epoch)
    logger.log_tabular("EpRet", with_min_and_max=True)
    logger.log_tabular("EpLen", average_only=True)
    logger.log_tabular("VVals", with_min_and_max=True)
    logger.log_tabular("TotalEnvInteracts", (epoch + 1) * steps_per_epoch)
    for key in VPG_UPDATE_KEYS:
        logger.log_tabular(key, average_only=True)
    timer.log_epoch(logger)
    logger.log_tabular("Time", time.time() - start_time)


def train_vpg(env, learner, args, config):
    """The VPG loop (SpinningUp's pseudocode): collect an epoch, update, save, log.

    ``args`` is the output of ``check_vpg_args``; ``config`` goes to config.json so that
    ``load(run_dir)`` can rebuild the run."""
    logger = EpochLogger(**args["logger_kwargs"])
    logger.save_config(config)
    epochs, steps_per_epoch, seed = args["epochs"], args["steps_per_epoch"], args["seed"]
    buf = make_buffer(env, steps_per_epoch, args["gamma"], args["lam"])
    timer = PhaseTimer()
    profiler = Profiler(args["profile"], args["profile_warmup"], logger.output_dir,
                        sync=learner.sync)
    bar = ProgressBar(epochs * steps_per_epoch)
    model_dir, last_saved_epoch = osp.join(logger.output_dir, "model"), None

    start_time = time.time()
    env.action_space.seed(seed)
    o, _ = env.reset(seed=seed)
    for epoch in range(epochs):
        with profiler.region("epoch", epoch):
            o = collect_epoch(env, learner, buf, logger, timer, bar, o, epoch * steps_per_epoch,
                              args["max_ep_len"])
            with timer.phase("update", sync=learner.sync), profiler.region("update", epoch):
                stats = learner.update(buf.get())
            check_finite(stats, epoch, model_dir, last_saved_epoch)
            logger.store(**stats)
            if (epoch + 1) % args["save_freq"] == 0 or epoch == epochs - 1:
                learner.save(model_dir)
                last_saved_epoch = epoch
        log_epoch(logger, timer, epoch, steps_per_epoch, start_time)
        bar.clear()
        logger.dump_tabular()
    profiler.dump(logger.log)
    logger.close()
    return learner


def read_run_config(run_dir):
    """(config, env) of a saved VPG run: what ``load(run_dir)`` needs to rebuild the learner."""
    return envs.read_run_config(run_dir, VPG_DEFAULT_HIDDEN, VPG_DEFAULT_ACTIVATION)
