"""TD3's framework-free half: the argument check, the canonical initial parameters, the
exploration noise, and the training loop (act, step, store, update every ``update_every``
steps, test at each epoch end, save, log). The backends supply the learner
(``spinup/algos/<backend>/td3/td3.py``; contract in ``common/learner.py``), whose
``update(batches)`` runs one block of updates on minibatches shaped ``[n_updates, batch, ...]``
and whose ``act(obs, deterministic=False)`` adds the exploration noise drawn here, in NumPy,
so that both backends explore with the same numbers.
"""
import numpy as np

from spinup.algos.common import checks
from spinup.algos.common.checks import InputError
from spinup.algos.common.envs import (EnvBatch, obs_dim, read_run_config, require_box,
                                      rng_state, set_rng_state)
from spinup.algos.common.loop import RunContext, batched
from spinup.algos.common.nets import init_mlp
from spinup.algos.common.replay_buffer import ReplayBuffer
from spinup.utils import run_files

TD3_DEFAULT_HIDDEN = (256, 256)
TD3_DEFAULT_ACTIVATION = "relu"
# The test environment gets its own seed so that test episodes do not replay training ones.
TEST_SEED_OFFSET = 10_000


# ---------------------------------------------------------------------------------------------
# Arguments and initial parameters
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
    kw["ac_kwargs"] = checks.ac_kwargs(kw.get("ac_kwargs"), TD3_DEFAULT_HIDDEN,
                                       TD3_DEFAULT_ACTIVATION)
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
    kw["save_buffer"] = checks.boolean("save_buffer", kw.get("save_buffer", False))
    kw["num_envs"], kw["async_envs"] = checks.vector_envs(
        kw.get("num_envs", 1), kw.get("async_envs", False),
        steps_per_epoch=kw["steps_per_epoch"], update_every=kw["update_every"])
    if "device" in kw:
        kw["device"] = checks.device(kw["device"])
    return kw


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


def noise_rng(seed):
    """The exploration-noise stream of a learner (apart from every other stream)."""
    return np.random.default_rng((seed, 2))


def add_exploration_noise(a, act_noise, act_limit, rng):
    """TD3's exploration: ``clip(a + act_noise * N(0, 1), -act_limit, act_limit)``."""
    a = a + act_noise * rng.standard_normal(a.shape)
    return np.clip(a, -act_limit, act_limit).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------------------------
def train_td3(algo, env_fn, env, learner, args, resume=None):
    """TD3 as SpinningUp's pseudocode: uniform-random actions for ``start_steps`` steps, then
    the noisy policy; every ``update_every`` steps (once ``update_after`` steps are in the
    buffer) as many updates; at each epoch end save (every ``save_freq`` epochs and after
    the last), test, log. With ``num_envs`` envs, each step of the loop is one step of every
    env and stores ``num_envs`` transitions; updates still come one per env interaction.

    ``algo`` names the entry point ('td3_jax'), ``env`` is the env made from ``env_fn`` for
    the argument check (the test env is another copy), ``args`` the output of
    ``check_td3_args``, ``resume`` a checkpoint ``(arrays, meta)`` to continue from
    (``spinup.run resume``). Returns the learner."""
    member = TD3Member(algo, env_fn, env, learner, args, resume)
    run_td3_members([member], lambda blocks: [learner.update(blocks[0])], learner.sync)
    return learner


class TD3Member:
    """One run of the TD3 loop: its learner, envs, test env, replay buffer, episodes in
    progress and bookkeeping (a population trains several in lockstep, one per seed)."""

    def __init__(self, algo, env_fn, env, learner, args, resume=None):
        self.args, self.learner, seed = args, learner, args["seed"]
        self.run = RunContext(learner, args, dict(algo=algo, env_fn=env_fn, **args),
                              args["epochs"] * args["steps_per_epoch"], resume)
        self.envs = EnvBatch(env_fn, args["num_envs"], args["async_envs"], first_env=env)
        self.test_env = env_fn()
        self.replay = ReplayBuffer(obs_dim(env.observation_space), env.action_space.shape[0],
                                   args["replay_size"], seed=(seed, 1))
        self.episodes = start_td3_envs(self.envs, self.test_env, self.replay, self.run, seed)

    def end_epoch(self, epoch):
        """Save, test, log and checkpoint at the end of ``epoch``."""
        args, run = self.args, self.run
        save = (epoch + 1) % args["save_freq"] == 0 or epoch == args["epochs"] - 1
        if save:
            run.save_model(epoch + 1)
        with run.timer.phase("test"):
            test_agent(self.test_env, self.learner, run.logger, args["num_test_episodes"],
                       args["max_ep_len"])
        log_td3_epoch(run, epoch + 1, (epoch + 1) * args["steps_per_epoch"])
        run.end_epoch()
        if save:
            save_td3_checkpoint(self, epoch)

    def close(self):
        self.run.close()
        self.envs.close()
        self.test_env.close()


def run_td3_members(members, update, sync):
    """The epochs of one or several runs in lockstep (the same arguments but the seed):
    ``update(blocks)`` takes one block of minibatches per member and returns their infos."""
    first = members[0]
    try:
        for epoch in range(first.run.first_epoch(), first.args["epochs"]):
            with first.run.profiler.region("epoch", epoch):
                collect_td3_epoch(members, update, sync, epoch)
                for m in members:
                    m.end_epoch(epoch)
    finally:
        for m in members:
            m.close()


class Episodes:
    """The training episode in progress in each env: last observations ``[num_envs, ...]``,
    returns and lengths."""

    def __init__(self, obs, ret=None, length=None):
        self.obs = obs
        self.ret = np.zeros(len(obs)) if ret is None else np.asarray(ret, np.float64)
        self.len = np.zeros(len(obs), np.int64) if length is None else np.asarray(length)


def start_td3_envs(envs, test_env, replay, run, seed):
    """Seed the envs and the replay buffer, or bring them back to a checkpoint's state;
    returns the episodes in progress."""
    envs.seed_actions(seed)
    if run.resume is None:
        test_env.reset(seed=seed + TEST_SEED_OFFSET)
        return Episodes(envs.reset(seed=seed))
    arrays, meta = run.resume
    test_env.reset(seed=seed + TEST_SEED_OFFSET)
    set_rng_state(test_env, meta["test_env_rng"])
    replay.rng.bit_generator.state = meta["replay_rng"]
    if meta["buffer_saved"]:
        total = meta["replay_total"]
        first = max(0, total - replay.max_size)
        for start, chunk in run_files.load_buffer_chunks(run.output_dir, first, total):
            replay.load_chunk(start, chunk)
        replay.set_total(total)
        run_files.prune_buffer_chunks(run.output_dir, replay.oldest(), total)
    restored = envs.restore(seed, arrays, meta)
    episodes = Episodes(arrays["obs"], np.where(restored, arrays["ep_ret"], 0.0),
                        np.where(restored, arrays["ep_len"], 0))
    if not restored.all():  # env kinds that cannot be captured mid-episode start afresh
        episodes.obs = envs.reset_some(~restored, episodes.obs)
    return episodes


def save_td3_checkpoint(member, epoch):
    """Checkpoint after ``epoch``'s row: the learner, the envs (random generators, the
    episodes in progress), the replay buffer's stream and, with ``save_buffer``, its new
    transitions as a compressed chunk (older chunks are kept while the buffer holds them)."""
    run, replay, episodes = member.run, member.replay, member.episodes
    save_buffer = member.args["save_buffer"]
    arrays, meta = member.envs.snapshot()
    arrays.update(obs=np.asarray(episodes.obs), ep_ret=episodes.ret, ep_len=episodes.len)
    meta.update(test_env_rng=rng_state(member.test_env),
                replay_rng=replay.rng.bit_generator.state, replay_total=replay.total,
                buffer_saved=bool(save_buffer))
    if save_buffer:
        chunks = run_files.buffer_chunks(run.output_dir)
        first = max(chunks[-1][1] if chunks else 0, replay.oldest())
        if replay.total > first:
            run_files.save_buffer_chunk(run.output_dir, first, replay.chunk(first, replay.total))
    run.save_checkpoint(epoch, arrays, meta)
    if save_buffer:
        run_files.prune_buffer_chunks(run.output_dir, replay.oldest(), replay.total)


def collect_td3_epoch(members, update, sync, epoch):
    """One epoch of env steps of every member, with an update block every ``update_every``
    interactions once ``update_after`` are done. ``t`` counts interactions from 1 (all envs
    of a member together), so TotalEnvInteracts is exact."""
    args = members[0].args
    steps, n = args["steps_per_epoch"], args["num_envs"]
    # Always true in an uninterrupted run; after a resume without a saved buffer, updates
    # wait until the buffer holds what the first update of a fresh run would have.
    refill = min(max(args["update_after"], args["batch_size"]), args["replay_size"])
    for t in range(epoch * steps + n, (epoch + 1) * steps + 1, n):
        for m in members:
            td3_step(m, t - n < args["start_steps"], args["max_ep_len"])
        if t >= args["update_after"] and t % args["update_every"] == 0 \
                and len(members[0].replay) >= refill:
            update_td3(members, update, sync, epoch, t)
        for m in members:
            m.run.bar.update(t)


def td3_step(member, random_actions, max_ep_len):
    """One step of a member's envs: act (uniformly at random, or the noisy policy), step,
    store the transitions, close the episodes that ended."""
    envs, episodes, run = member.envs, member.episodes, member.run
    with run.timer.phase("act"):
        if random_actions:
            a = envs.sample_actions()
        else:
            a = batched(member.learner.act, episodes.obs, False)
    with run.timer.phase("env"):
        o2, r, terminated, truncated, final = envs.step(a)
    episodes.ret += r
    episodes.len += 1
    # Only a true termination stops the bootstrap; a time limit (gymnasium's or max_ep_len)
    # is not a terminal state.
    for i in range(envs.num_envs):
        member.replay.store(episodes.obs[i], a[i], r[i], final[i], float(terminated[i]))
    cut = ~(terminated | truncated) & (episodes.len == max_ep_len)
    if cut.any():
        o2 = envs.reset_some(cut, o2)
    for i in np.flatnonzero(terminated | truncated | cut):
        run.logger.store(EpRet=episodes.ret[i], EpLen=episodes.len[i])
        episodes.ret[i], episodes.len[i] = 0.0, 0
    episodes.obs = o2


def update_td3(members, update, sync, epoch, t):
    """``update_every`` updates per member, each on its own minibatch, sampled up front (the
    buffer does not change during a block, so this is exactly one update per step). In a
    population the members update together; each logs the joint update's time."""
    args, first = members[0].args, members[0].run
    blocks = [m.replay.sample_batches(args["update_every"], args["batch_size"])
              for m in members]
    with first.timer.phase("update", sync=sync), first.profiler.region("update", epoch):
        infos = update(blocks)
    for m, info in zip(members, infos):
        if m is not members[0]:
            m.run.timer.add("update", first.timer.last)
        m.run.check_finite({k: info[k] for k in ("LossQ", "LossPi")}, epoch + 1,
                           f"update block ending at env step {t}",
                           "Lower the learning rates (pi_lr, q_lr) or check the "
                           "environment's rewards.")
        m.run.logger.store(**info)


def test_agent(test_env, learner, logger, num_episodes, max_ep_len):
    """Deterministic episodes of the current policy on the separate test env."""
    for _ in range(num_episodes):
        o, _ = test_env.reset()
        ep_ret, ep_len, done = 0.0, 0, False
        while not done and ep_len < max_ep_len:
            o, r, terminated, truncated, _ = test_env.step(learner.act(o, deterministic=True))
            ep_ret += r
            ep_len += 1
            done = terminated or truncated
        logger.store(TestEpRet=ep_ret, TestEpLen=ep_len)


def log_td3_epoch(run, epoch, t):
    """SpinningUp's TD3 columns (Epoch counts from 1), then the time columns."""
    logger = run.logger
    logger.log_tabular("Epoch", epoch)
    logger.log_tabular("EpRet", with_min_and_max=True)
    logger.log_tabular("TestEpRet", with_min_and_max=True)
    logger.log_tabular("EpLen", average_only=True)
    logger.log_tabular("TestEpLen", average_only=True)
    logger.log_tabular("TotalEnvInteracts", t)
    logger.log_tabular("Q1Vals", with_min_and_max=True)
    logger.log_tabular("Q2Vals", with_min_and_max=True)
    logger.log_tabular("LossPi", average_only=True)
    logger.log_tabular("LossQ", average_only=True)
    run.log_time()


# ---------------------------------------------------------------------------------------------
# Loading a run
# ---------------------------------------------------------------------------------------------
def read_td3_config(run_dir):
    """(config, env) of a saved TD3 run: what ``load(run_dir)`` needs to rebuild the learner."""
    return read_run_config(run_dir, TD3_DEFAULT_HIDDEN, TD3_DEFAULT_ACTIVATION)
