"""VPG's framework-free half: the argument check, the canonical initial parameters, the
buffer, and the training loop (collect an epoch, update, save, log). The backends supply the
learner (``spinup/algos/<backend>/vpg/vpg.py``; contract in ``common/learner.py``; VPG's
learners add ``step(obs) -> (a, v, logp)`` and ``value(obs)``)."""
import numpy as np

from spinup.algos.common import checks, envs
from spinup.algos.common.gae_buffer import GAEBuffer
from spinup.algos.common.loop import RunContext, env_snapshot, restore_env
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


def make_vpg_buffer(env, steps_per_epoch, gamma, lam):
    """A GAE buffer for one epoch of ``env``'s observations and actions."""
    if envs.space_kind(env.action_space) == "box":
        act_shape, act_dtype = env.action_space.shape, np.float32
    else:
        act_shape, act_dtype = (), np.int64
    return GAEBuffer(envs.obs_dim(env.observation_space), act_shape, steps_per_epoch, gamma, lam,
                     act_dtype)


# ---------------------------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------------------------
def train_vpg(algo, env_fn, env, learner, args, resume=None):
    """VPG as SpinningUp's pseudocode: each epoch, collect ``steps_per_epoch`` steps with the
    current policy, update once, save every ``save_freq`` epochs (and after the last), log.

    ``algo`` names the entry point ('vpg_jax'), ``env`` is the env made from ``env_fn`` for
    the argument check, ``args`` the output of ``check_vpg_args``, ``resume`` a checkpoint
    ``(arrays, meta)`` to continue from (``spinup.run resume``). Returns the learner."""
    epochs, steps_per_epoch, seed = args["epochs"], args["steps_per_epoch"], args["seed"]
    run = RunContext(learner, args, dict(algo=algo, env_fn=env_fn, **args),
                     epochs * steps_per_epoch, resume)
    buf = make_vpg_buffer(env, steps_per_epoch, args["gamma"], args["lam"])
    o = start_vpg_env(env, seed, run.resume)
    try:
        for epoch in range(run.first_epoch(), epochs):
            with run.profiler.region("epoch", epoch):
                o = collect_vpg_epoch(env, learner, buf, run, o, epoch, args["max_ep_len"])
                update_vpg(learner, buf, run, epoch)
                save = (epoch + 1) % args["save_freq"] == 0 or epoch == epochs - 1
                if save:
                    run.save_model(epoch)
            log_vpg_epoch(run, epoch, steps_per_epoch)
            run.end_epoch()
            if save:
                arrays, meta = env_snapshot(env, "env")
                run.save_checkpoint(epoch, {**arrays, "env/obs": np.asarray(o)}, meta)
    finally:
        run.close()
        env.close()
    return learner


def start_vpg_env(env, seed, resume):
    """The first observation: a seeded reset, or the env as the checkpoint left it (each
    epoch ends with a reset, so a checkpoint always sits at the start of an episode)."""
    env.action_space.seed(seed)
    if resume is None:
        return env.reset(seed=seed)[0]
    arrays, meta = resume
    if restore_env(env, seed, "env", arrays, meta):
        return arrays["env/obs"]
    return env.reset()[0]


def collect_vpg_epoch(env, learner, buf, run, o, epoch, max_ep_len):
    """Fill ``buf`` with one epoch of experience from ``o`` on; returns the first observation
    of the next epoch (the epoch end starts a fresh episode, as in SpinningUp)."""
    timer, n = run.timer, buf.max_size
    ep_ret, ep_len = 0.0, 0
    for t in range(n):
        with timer.phase("act"):
            a, v, logp = learner.step(o)
        with timer.phase("env"):
            next_o, r, terminated, truncated, _ = env.step(a)
        ep_ret += r
        ep_len += 1
        buf.store(o, a, r, v, logp)
        o = next_o
        run.bar.update(epoch * n + t + 1)

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
                run.logger.store(EpRet=ep_ret, EpLen=ep_len)
            with timer.phase("env"):
                o, _ = env.reset()
            ep_ret, ep_len = 0.0, 0
    run.logger.store(VVals=buf.val_buf.copy())
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
    return envs.read_run_config(run_dir, VPG_DEFAULT_HIDDEN, VPG_DEFAULT_ACTIVATION)
