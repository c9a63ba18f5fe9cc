"""The on-policy family's loop (VPG, PPO, TRPO), framework-free: collect an epoch with the current
policy, update once on it, save, log. An algorithm brings its spec
(``spinup.algos.common.spec``) and a learner (contract in ``common/learner.py``; on-policy
learners add ``sample_logp(obs) -> (a, logp)`` and ``value(obs)``); its ``update(batch)``
takes the whole epoch's batch and returns the statistics its spec logs."""
import numpy as np

from spinup.algos.common import checks
from spinup.algos.common.envs import EnvBatch, obs_dim, space_kind
from spinup.algos.common.gae_buffer import VecGAEBuffer
from spinup.algos.common.loop import RunContext, batched, log_columns


# ---------------------------------------------------------------------------------------------
# The arguments every on-policy algorithm takes
# ---------------------------------------------------------------------------------------------
ARG_DOCS = dict(
    env_fn="""\
env_fn : A function which creates a copy of the environment (gymnasium API), e.g.
    ``spinup.algos.common.envs.EnvFn('HalfCheetah-v4')``. Observations must be a flat Box;
    actions a Box (Gaussian policy) or Discrete (categorical policy).""",
    steps_per_epoch="""\
steps_per_epoch (int): Number of steps of interaction (state-action pairs) between the
    agent and the environment in each epoch, i.e. the batch of one update.""",
    ac_kwargs="""\
ac_kwargs (dict): Network shape for the actor and the critic: ``hidden_sizes`` (list of
    positive ints, default (64,64)) and ``activation`` (a name such as 'tanh' or 'relu', or
    a framework activation; default 'tanh'). The Gaussian actor has a state-independent
    ``log_std`` initialised to -0.5.""",
    pi_lr="pi_lr (float): Learning rate for the policy optimizer (Adam).",
    vf_lr="vf_lr (float): Learning rate for the value function optimizer (Adam).",
    train_v_iters="""\
train_v_iters (int): Number of gradient steps on the value function per epoch.""",
    gamma="gamma (float): Discount factor, in [0, 1].",
    lam="lam (float): Lambda for GAE-Lambda, in [0, 1].",
    max_ep_len="""\
max_ep_len (int): Maximum length of an episode; longer ones are cut and bootstrapped
    with V(s_last), as are episodes the environment truncates itself.""",
    save_freq="""\
save_freq (int): How often (in epochs) to save the model into ``<output_dir>/model/``
    (and a checkpoint to resume from into ``<output_dir>/checkpoint/``); both are also
    saved after the last epoch.""",
)


def check_args(spec, env, kwargs):
    """Check the family's arguments (``env`` already made from env_fn); the algorithm's own
    are its spec's ``check``. Raises InputError naming the bad value and what is accepted."""
    kw = dict(kwargs)
    space_kind(env.action_space)
    obs_dim(env.observation_space)
    kw["seed"] = checks.seed(kw["seed"])
    for name in ("steps_per_epoch", "epochs", "max_ep_len", "save_freq"):
        kw[name] = checks.positive_int(name, kw[name])
    for name in ("gamma", "lam"):
        kw[name] = checks.number_in(name, kw[name], 0.0, 1.0)
    kw["logger_kwargs"] = checks.logger_kwargs(kw["logger_kwargs"])
    kw["num_envs"], kw["async_envs"] = checks.vector_envs(
        kw["num_envs"], kw["async_envs"], steps_per_epoch=kw["steps_per_epoch"])
    kw["profile"], kw["profile_warmup"] = checks.profile_args(
        kw["profile"], kw["profile_warmup"], kw["epochs"])
    check_memory(env, kw)
    return kw


def check_memory(env, kw):
    """The epoch's buffer, the networks (with Adam's moments) and the full-batch update's
    activations must fit in memory (float32, estimated)."""
    o = obs_dim(env.observation_space)
    space = env.action_space
    a = int(np.prod(space.shape)) if space_kind(space) == "box" else int(space.n)
    hid, steps = list(kw["ac_kwargs"]["hidden_sizes"]), kw["steps_per_epoch"]
    nets = checks.mlp_floats([o, *hid, a]) + checks.mlp_floats([o, *hid, 1])
    checks.fits_in_memory([
        (f"steps_per_epoch={steps}: the epoch's buffer", 4 * steps * (o + a + 6)),
        (f"hidden_sizes={tuple(hid)}: the networks", 4 * 4 * nets),
        (f"steps_per_epoch={steps} with hidden_sizes={tuple(hid)}: the update's activations",
         4 * 4 * steps * sum(hid))])


def make_buffer(env_batch, steps_per_epoch, gamma, lam):
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
def train(spec, algo, env_fn, env, learner, args, resume=None):
    """SpinningUp's on-policy pseudocode: each epoch, collect ``steps_per_epoch`` steps with
    the current policy (spread over ``num_envs`` envs stepped together), update once, save
    every ``save_freq`` epochs (and after the last), log.

    ``algo`` names the entry point ('ppo_jax'), ``env`` is the env made from ``env_fn`` for
    the argument check, ``args`` the output of ``spec.check_args``, ``resume`` a checkpoint
    ``(arrays, meta)`` to continue from (``spinup.run resume``). Returns the learner."""
    epochs, steps_per_epoch, seed = args["epochs"], args["steps_per_epoch"], args["seed"]
    run = RunContext(learner, args, dict(algo=algo, env_fn=env_fn, **args),
                     epochs * steps_per_epoch, resume)
    envs = EnvBatch(env_fn, args["num_envs"], args["async_envs"], first_env=env)
    buf = make_buffer(envs, steps_per_epoch, args["gamma"], args["lam"])
    o = start_envs(envs, seed, run.resume)
    try:
        for epoch in range(run.first_epoch(), epochs):
            with run.profiler.region("epoch", epoch):
                o = collect_epoch(envs, learner, buf, run, o, epoch, args["max_ep_len"])
                update(spec, learner, buf, run, epoch)
                save = (epoch + 1) % args["save_freq"] == 0 or epoch == epochs - 1
                if save:
                    run.save_model(epoch)
            log_epoch(spec, args, run, epoch, steps_per_epoch)
            run.end_epoch()
            if save:
                arrays, meta = envs.snapshot()
                run.save_checkpoint(epoch, {**arrays, "obs": np.asarray(o)}, meta)
    finally:
        run.close()
        envs.close()
    return learner


def start_envs(envs, seed, resume):
    """The first observations: a seeded reset, or the envs as the checkpoint left them (each
    epoch ends with fresh episodes, so a checkpoint always sits at episode starts)."""
    envs.seed_actions(seed)
    if resume is None:
        return envs.reset(seed=seed)
    arrays, meta = resume
    restored = envs.restore(seed, arrays, meta)
    return envs.reset_some(~restored, arrays["obs"])


def collect_epoch(envs, learner, buf, run, o, epoch, max_ep_len):
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


def update(spec, learner, buf, run, epoch):
    """The algorithm's update on the epoch's batch; stops the run before a non-finite
    statistic can reach a saved model."""
    with run.timer.phase("update", sync=learner.sync), run.profiler.region("update", epoch):
        stats = learner.update(buf.get())
    run.check_update(spec, stats, epoch, "the epoch's update")
    run.logger.store(**stats)


def log_epoch(spec, args, run, epoch, steps_per_epoch):
    """SpinningUp's on-policy columns (Epoch counts from 0), the algorithm's update
    statistics, then the time columns."""
    logger = run.logger
    logger.log_tabular("Epoch", epoch)
    logger.log_tabular("EpRet", with_min_and_max=True)
    logger.log_tabular("EpLen", average_only=True)
    logger.log_tabular("VVals", with_min_and_max=True)
    logger.log_tabular("TotalEnvInteracts", (epoch + 1) * steps_per_epoch)
    log_columns(logger, spec.columns(args))
    run.log_time()

