"""VPG's framework-free half: the argument check, the canonical initial parameters, the
buffer, and the training loop (collect an epoch, update, save, log). The backends supply the
learner (``spinup/algos/<backend>/vpg/vpg.py``; contract in ``common/learner.py``; VPG's
learners add ``step(obs) -> (a, v, logp)`` and ``value(obs)``)."""
import numpy as np

from spinup.algos.common import checks
from spinup.algos.common.envs import EnvBatch, obs_dim, read_run_config, space_kind
from spinup.algos.common.gae_buffer import VecGAEBuffer
from spinup.algos.common.loop import RunContext, batched
from spinup.algos.common.nets import init_mlp

VPG_DEFAULT_HIDDEN = (64, 64)
VPG_DEFAULT_ACTIVATION = "tanh"
# What update() returns, in the order SpinningUp logs it.
VPG_UPDATE_KEYS = ("LossPi", "LossV", "DeltaLossPi", "DeltaLossV", "Entropy", "KL")


# ---------------------------------------------------------------------------------------------
# Arguments and initial parameters
# ---------------------------------------------------------------------------------------------
def check_vpg_args(env, kwargs):
    """Check every VPG argument (``env`` already made from env_fn); return them normalised.
    Raises InputError naming the bad value and what is accepted."""
    kw = dict(kwargs)
    space_kind(env.action_space)
    obs_dim(env.observation_space)
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
    kw["num_envs"], kw["async_envs"] = checks.vector_envs(
        kw.get("num_envs", 1), kw.get("async_envs", False),
        steps_per_epoch=kw["steps_per_epoch"])
    kw["profile"], kw["profile_warmup"] = checks.profile_args(
        kw.get("profile", "none"), kw.get("profile_warmup", 1), kw["epochs"])
    if "device" in kw:
        kw["device"] = checks.device(kw["device"])
    return kw


def init_vpg_params(obs_space, act_space, hidden_sizes, seed):
    """Canonical initial parameters of the actor ('pi/...') and critic ('v/...'), drawn with
    NumPy so that both backends start from the same networks for the same seed."""
    rng = np.random.default_rng(seed)
    n_obs = obs_dim(obs_space)
    if space_kind(act_space) == "box":
        act_dim = int(np.prod(act_space.shape))
        params = init_mlp(rng, "pi", [n_obs, *hidden_sizes, act_dim])
        params["pi/log_std"] = np.full(act_dim, -0.5, dtype=np.float32)
    else:
        params = init_mlp(rng, "pi", [n_obs, *hidden_sizes, int(act_space.n)])
    params.update(init_mlp(rng, "v", [n_obs, *hidden_sizes, 1]))
    return params


def make_vpg_buffer(env_batch, steps_per_epoch, gamma, lam):
    """A GAE buffer for one epoch of an EnvBatch's observations and actions (the steps split
    evenly over its envs, each env's paths kept apart)."""
    space = env_batch.action_space
    if space_kind(space) == "box":
        act_shape, act_dtype = space.shape, np.float32
    else:
        act_shape, act_dtype = (), np.int64
    return VecGAEBuffer(env_batch.num_envs, obs_dim(env_batch.observation_space),
                        act_shape, steps_per_epoch, gamma, lam, act_dtype)


# ---------------------------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------------------------
def train_vpg(algo, env_fn, env, learner, args, resume=None):
    """VPG as SpinningUp's pseudocode: each epoch, collect ``steps_per_epoch`` steps with the
    current policy (spread over ``num_envs`` envs stepped together), update once, save every
    ``save_freq`` epochs (and after the last), log.

    ``algo`` names the entry point ('vpg_jax'), ``env`` is the env made from ``env_fn`` for
    the argument check, ``args`` the output of ``check_vpg_args``, ``resume`` a checkpoint
    ``(arrays, meta)`` to continue from (``spinup.run resume``). Returns the learner."""
    epochs, steps_per_epoch, seed = args["epochs"], args["steps_per_epoch"], args["seed"]
    run = RunContext(learner, args, dict(algo=algo, env_fn=env_fn, **args),
                     epochs * steps_per_epoch, resume)
    envs = EnvBatch(env_fn, args["num_envs"], args["async_envs"], first_env=env)
    buf = make_vpg_buffer(envs, steps_per_epoch, args["gamma"], args["lam"])
    o = start_vpg_envs(envs, seed, run.resume)
    try:
        for epoch in range(run.first_epoch(), epochs):
            with run.profiler.region("epoch", epoch):
                o = collect_vpg_epoch(envs, learner, buf, run, o, epoch, args["max_ep_len"])
                update_vpg(learner, buf, run, epoch)
                save = (epoch + 1) % args["save_freq"] == 0 or epoch == epochs - 1
                if save:
                    run.save_model(epoch)
            log_vpg_epoch(run, epoch, steps_per_epoch)
            run.end_epoch()
            if save:
                arrays, meta = envs.snapshot()
                run.save_checkpoint(epoch, {**arrays, "obs": np.asarray(o)}, meta)
    finally:
        run.close()
        envs.close()
    return learner


def start_vpg_envs(envs, seed, resume):
    """The first observations: a seeded reset, or the envs as the checkpoint left them (each
    epoch ends with fresh episodes, so a checkpoint always sits at episode starts)."""
    envs.seed_actions(seed)
    if resume is None:
        return envs.reset(seed=seed)
    arrays, meta = resume
    restored = envs.restore(seed, arrays, meta)
    return envs.reset_some(~restored, arrays["obs"])


def collect_vpg_epoch(envs, learner, buf, run, o, epoch, max_ep_len):
    """Fill ``buf`` with one epoch of experience from observations ``o`` on; returns the
    first observations of the next epoch (the epoch end starts fresh episodes, as in
    SpinningUp)."""
    timer, n, steps = run.timer, envs.num_envs, buf.steps_per_env
    ep_ret, ep_len = np.zeros(n), np.zeros(n, np.int64)
    no_values = np.zeros(n)  # V(s) of a path is computed in one call when the path closes
    for t in range(steps):
        with timer.phase("act"):
            a, logp = batched(learner.sample_logp, o)
        with timer.phase("env"):
            next_o, r, terminated, truncated, final = envs.step(a)
        ep_ret += r
        ep_len += 1
        buf.store(o, a, r, no_values, logp)
        o = next_o
        run.bar.update((epoch * steps + t + 1) * n)

        timeout = truncated | (ep_len == max_ep_len)
        close = terminated | timeout | (t == steps - 1)
        if not close.any():
            continue
        # V of each closing path's observations in one call; a cut path (time limit, epoch
        # end) continues beyond what we saw, so V of its last observation bootstraps it.
        cut = close & ~terminated
        with timer.phase("act"):
            for i in np.flatnonzero(close):
                path = buf.path_obs(i)
                v = learner.value(np.concatenate([path, final[i][None]]) if cut[i] else path)
                buf.finish_path(i, float(v[-1]) if cut[i] else 0.0, v[:len(path)])
        for i in np.flatnonzero(terminated | timeout):
            run.logger.store(EpRet=ep_ret[i], EpLen=ep_len[i])
        # Ended episodes were reset by the step; paths cut here need a fresh episode too.
        with timer.phase("env"):
            o = envs.reset_some(close & ~(terminated | truncated), o)
        ep_ret[close], ep_len[close] = 0.0, 0
    run.logger.store(VVals=buf.values())
    return o


def update_vpg(learner, buf, run, epoch):
    """One policy step and train_v_iters value steps on the epoch's batch; stops the run
    before a non-finite loss can reach a saved model."""
    with run.timer.phase("update", sync=learner.sync), run.profiler.region("update", epoch):
        stats = learner.update(buf.get())
    run.check_finite(stats, epoch, "the epoch's update",
                     "Causes: NaN/inf rewards or observations from the environment, or "
                     "learning rates too large.")
    run.logger.store(**stats)


def log_vpg_epoch(run, epoch, steps_per_epoch):
    """SpinningUp's VPG columns (Epoch counts from 0), then the time columns."""
    logger = run.logger
    logger.log_tabular("Epoch", epoch)
    logger.log_tabular("EpRet", with_min_and_max=True)
    logger.log_tabular("EpLen", average_only=True)
    logger.log_tabular("VVals", with_min_and_max=True)
    logger.log_tabular("TotalEnvInteracts", (epoch + 1) * steps_per_epoch)
    for key in VPG_UPDATE_KEYS:
        logger.log_tabular(key, average_only=True)
    run.log_time()


# ---------------------------------------------------------------------------------------------
# Loading a run
# ---------------------------------------------------------------------------------------------
def read_vpg_config(run_dir):
    """(config, env) of a saved VPG run: what ``load(run_dir)`` needs to rebuild the learner."""
    return read_run_config(run_dir, VPG_DEFAULT_HIDDEN, VPG_DEFAULT_ACTIVATION)
