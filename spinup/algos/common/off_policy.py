"""The off-policy family's loop (DDPG, TD3, SAC), framework-free: act (uniformly at random
for ``start_steps``, then the learner's exploring policy), store each transition in the
replay buffer, every ``update_every`` steps run as many updates, test and log at each epoch
end. An algorithm brings its spec (``spinup.algos.common.spec``) and a learner (contract in
``common/learner.py``) whose ``update(batches)`` runs one block of updates on minibatches
shaped ``[n_updates, batch, ...]`` and whose ``act(obs, deterministic=False)`` explores.

``train`` is the single run, written as SpinningUp's pseudocode (``loop``). A JAX population
of seeds (``spinup/algos/jax/population.py``) runs the same ``loop`` over a ``Lockstep`` of
``OffPolicyRun``s and replaces only the update call.
"""
import numpy as np

from spinup.algos.common import checks
from spinup.algos.common.checks import InputError
from spinup.algos.common.envs import (EnvBatch, obs_dim, require_box, rng_state,
                                      set_rng_state)
from spinup.algos.common.loop import RunContext, batched, log_columns
from spinup.algos.common.replay_buffer import ReplayBuffer
from spinup.utils import run_files

# The test environment gets its own seed so that test episodes do not replay training ones.
TEST_SEED_OFFSET = 10_000


# ---------------------------------------------------------------------------------------------
# The arguments every off-policy algorithm takes
# ---------------------------------------------------------------------------------------------
ARG_DOCS = dict(
    env_fn="""\
env_fn : A function which creates a copy of the environment (gymnasium API), e.g.
    ``spinup.algos.common.envs.EnvFn('HalfCheetah-v4')``. Observations must be a flat Box;
    actions a bounded, symmetric Box.""",
    pi_lr="pi_lr (float): Learning rate for policy.",
    q_lr="q_lr (float): Learning rate for Q-networks.",
    act_noise="""\
act_noise (float): Stddev for Gaussian exploration noise added to policy at training
    time. (At test time, no noise is added.)""",
    replay_size="replay_size (int): Maximum length of replay buffer.",
    gamma="gamma (float): Discount factor. (Always between 0 and 1.)",
    polyak=r"""polyak (float): Interpolation factor in polyak averaging for target networks.
    Target networks are updated towards main networks according to:

    .. math:: \theta_{\text{targ}} \leftarrow
        \rho \theta_{\text{targ}} + (1-\rho) \theta

    where :math:`\rho` is polyak. (Always between 0 and 1, usually close to 1.)""",
    batch_size="""\
batch_size (int): Minibatch size for SGD. At most what the replay buffer holds at the
    first update.""",
    start_steps="""\
start_steps (int): Number of steps for uniform-random action selection, before running
    the real policy. Helps exploration.""",
    update_after="""\
update_after (int): Number of env interactions to collect before starting to do
    gradient descent updates. Ensures replay buffer is full enough for useful updates.""",
    update_every="""\
update_every (int): Number of env interactions that should elapse between gradient
    descent updates. Each time, update_every updates are made, each on its own minibatch,
    so the ratio of env steps to gradient steps stays 1.""",
    num_test_episodes="""\
num_test_episodes (int): Number of episodes to test the deterministic policy at the end
    of each epoch.""",
    max_ep_len="""\
max_ep_len (int): Maximum length of trajectory / episode / rollout. Reaching it is a
    time limit, not a terminal state: the Q target still bootstraps.""",
    save_freq="""\
save_freq (int): How often (in terms of gap between epochs) to save the current networks
    (and always at the last epoch), into ``<output_dir>/model/``. A checkpoint to resume
    from (``python -m spinup.run resume``) is written at the same epochs, into
    ``<output_dir>/checkpoint/``.""",
    save_buffer="""\
save_buffer (bool): Also checkpoint the replay buffer (compressed chunks of the
    transitions added since the last checkpoint), so that a resumed run continues exactly
    as if it had never stopped. Without it a resumed run starts with an empty buffer and
    pauses updates until it holds ``update_after`` transitions.""",
)

# Columns every off-policy row starts with; the algorithm's update statistics follow.
LOGS = ("EpRet, TestEpRet (avg/std/min/max), EpLen, TestEpLen, TotalEnvInteracts")


def _count(name, v, lo):
    """An integer >= lo; an integral float such as 1e6 is accepted too."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return checks.int_at_least(name, v, lo)


def first_update_size(update_after, update_every, replay_size):
    """How many transitions the buffer holds when the first update block runs: the loop
    updates after step t when t >= update_after and t % update_every == 0 (t counts from 1)."""
    t = max(update_after, 1)
    t = -(-t // update_every) * update_every
    return min(t, replay_size)


def check_args(spec, env, kwargs):
    """Check the family's arguments (``env`` already made from env_fn); the algorithm's own
    are its spec's ``check``. Raises InputError naming the first bad value."""
    kw = dict(kwargs)
    algo = spec.name.upper()
    env_id = getattr(getattr(env, "spec", None), "id", None)
    require_box(env.action_space, algo, env_id)
    low, high = env.action_space.low, env.action_space.high
    if not np.allclose(low, -high):
        raise InputError(f"{algo} needs a symmetric action space (low == -high) since the "
                         f"actor is act_limit * tanh(...); {env_id or 'this env'} has "
                         f"low={low}, high={high}")
    obs_dim(env.observation_space)
    kw["seed"] = checks.seed(kw["seed"])
    for name in ("steps_per_epoch", "epochs", "batch_size", "update_every", "max_ep_len",
                 "save_freq", "replay_size"):
        kw[name] = _count(name, kw[name], 1)
    for name in ("start_steps", "update_after", "num_test_episodes"):
        kw[name] = _count(name, kw[name], 0)
    kw["gamma"] = checks.number_in("gamma", kw["gamma"], 0.0, 1.0)
    kw["polyak"] = checks.number_in("polyak", kw["polyak"], 0.0, 1.0)
    holds = first_update_size(kw["update_after"], kw["update_every"], kw["replay_size"])
    if kw["batch_size"] > holds:
        raise InputError(
            f"batch_size={kw['batch_size']}: the replay buffer holds only {holds} transitions "
            f"at the first update (update_after={kw['update_after']}, update_every="
            f"{kw['update_every']}, replay_size={kw['replay_size']}); expected batch_size <= "
            f"{holds}, or a larger update_after")
    kw["profile"], kw["profile_warmup"] = checks.profile_args(
        kw["profile"], kw["profile_warmup"], kw["epochs"])
    kw["logger_kwargs"] = checks.logger_kwargs(kw["logger_kwargs"])
    kw["save_buffer"] = checks.boolean("save_buffer", kw["save_buffer"])
    kw["num_envs"], kw["async_envs"] = checks.vector_envs(
        kw["num_envs"], kw["async_envs"],
        steps_per_epoch=kw["steps_per_epoch"], update_every=kw["update_every"])
    check_memory(env, kw)
    return kw


def check_memory(env, kw):
    """The replay buffer, the networks (actor and two critics, targets, Adam's moments) and
    a block's minibatches and activations must fit in memory (float32, estimated)."""
    o, a = obs_dim(env.observation_space), env.action_space.shape[0]
    hid, size = list(kw["ac_kwargs"]["hidden_sizes"]), kw["replay_size"]
    block = kw["update_every"] * kw["batch_size"]
    nets = checks.mlp_floats([o, *hid, a]) + 2 * checks.mlp_floats([o + a, *hid, 1])
    checks.fits_in_memory([
        (f"replay_size={size}: the replay buffer", 4 * size * (2 * o + a + 2)),
        (f"hidden_sizes={tuple(hid)}: the networks", 4 * 8 * nets),
        (f"update_every={kw['update_every']} x batch_size={kw['batch_size']}: a block of "
         "minibatches and its activations", 4 * block * (2 * o + a + 2 + 4 * sum(hid)))])


# ---------------------------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------------------------
def train(spec, algo, env_fn, env, learner, args, resume=None):
    """SpinningUp's off-policy pseudocode: uniform-random actions for ``start_steps`` steps,
    then the exploring policy; every ``update_every`` steps (once ``update_after`` steps are
    in the buffer) as many updates, each on its own minibatch; at each epoch end save (every
    ``save_freq`` epochs and after the last), test, log. With ``num_envs`` envs, each step of
    the loop is one step of every env and stores ``num_envs`` transitions; updates still come
    one per env interaction.

    ``algo`` names the entry point ('td3_jax'), ``env`` is the env made from ``env_fn`` for
    the argument check (the test env is another copy), ``args`` the output of
    ``spec.check_args``, ``resume`` a checkpoint ``(arrays, meta)`` to continue from
    (``spinup.run resume``). Returns the learner."""
    run = OffPolicyRun(spec, algo, env_fn, env, learner, args, resume)
    loop(run, learner)
    return learner


def loop(run, learner):
    """The loop of ``train`` over ``run``'s parts (an ``OffPolicyRun``; for a population of
    seeds, a ``Lockstep`` of them and the population's joint update as ``learner``)."""
    try:
        for epoch in range(run.first_epoch(), run.args["epochs"]):
            with run.profiler.region("epoch", epoch):
                for t in run.epoch_steps(epoch):
                    run.step(t)
                    if run.update_due(t):
                        batches = run.sample_batches()
                        with run.timer.phase("update", sync=learner.sync), \
                                run.profiler.region("update", epoch):
                            info = learner.update(batches)
                        run.record_update(info, epoch, t)
                    run.bar.update(t)
                run.end_epoch(epoch)
    finally:
        run.close()


class Episodes:
    """The training episode in progress in each env: last observations ``[num_envs, ...]``,
    returns and lengths."""

    def __init__(self, obs, ret=None, length=None):
        self.obs = obs
        self.ret = np.zeros(len(obs)) if ret is None else np.asarray(ret, np.float64)
        self.len = np.zeros(len(obs), np.int64) if length is None else np.asarray(length)


class OffPolicyRun(RunContext):
    """One off-policy run beside its learner: the envs, the test env, the replay buffer, the
    episodes in progress, and the bookkeeping of ``RunContext`` (logger, timers, profiler,
    checkpoints). A population trains several in lockstep, one per seed."""

    def __init__(self, spec, algo, env_fn, env, learner, args, resume=None, extra_config=None):
        super().__init__(learner, args, dict(algo=algo, env_fn=env_fn, **args,
                                             **(extra_config or {})),
                         args["epochs"] * args["steps_per_epoch"], resume)
        self.spec, self.args, seed = spec, args, args["seed"]
        self.envs = EnvBatch(env_fn, args["num_envs"], args["async_envs"], first_env=env)
        self.test_env = env_fn()
        self.replay = ReplayBuffer(obs_dim(env.observation_space), env.action_space.shape[0],
                                   args["replay_size"], seed=(seed, 1))
        self.episodes = self._start_envs(seed)
        # Always reached in an uninterrupted run; after a resume without a saved buffer,
        # updates wait until the buffer holds what the first update of a fresh run had.
        self.refill = min(max(args["update_after"], args["batch_size"]), args["replay_size"])

    def epoch_steps(self, epoch):
        """The values of ``t`` in ``epoch``: env interactions counted from 1 (all envs
        together), ``num_envs`` at a time, so TotalEnvInteracts is exact."""
        steps, n = self.args["steps_per_epoch"], self.args["num_envs"]
        return range(epoch * steps + n, (epoch + 1) * steps + 1, n)

    def step(self, t):
        """One step of every env: act (uniformly at random during the first start_steps,
        else the exploring policy), step, store the transitions, close ended episodes."""
        envs, episodes, n = self.envs, self.episodes, self.args["num_envs"]
        with self.timer.phase("act"):
            if t - n < self.args["start_steps"]:
                a = envs.sample_actions()
            else:
                a = batched(self.learner.act, episodes.obs, False)
        with self.timer.phase("env"):
            o2, r, terminated, truncated, final = envs.step(a)
        episodes.ret += r
        episodes.len += 1
        # Only a true termination stops the bootstrap; a time limit (gymnasium's or
        # max_ep_len) is not a terminal state.
        for i in range(envs.num_envs):
            self.replay.store(episodes.obs[i], a[i], r[i], final[i], float(terminated[i]))
        cut = ~(terminated | truncated) & (episodes.len == self.args["max_ep_len"])
        if cut.any():
            o2 = envs.reset_some(cut, o2)
        for i in np.flatnonzero(terminated | truncated | cut):
            self.logger.store(EpRet=episodes.ret[i], EpLen=episodes.len[i])
            episodes.ret[i], episodes.len[i] = 0.0, 0
        episodes.obs = o2

    def update_due(self, t):
        """Whether an update block follows interaction ``t``."""
        args = self.args
        return (t >= args["update_after"] and t % args["update_every"] == 0
                and len(self.replay) >= self.refill)

    def sample_batches(self):
        """``update_every`` minibatches at once, shaped ``[update_every, batch, ...]`` (the
        buffer does not change during a block, so this is exactly one update per step)."""
        return self.replay.sample_batches(self.args["update_every"], self.args["batch_size"])

    def record_update(self, info, epoch, t):
        """Stop a diverged run, else keep the block's statistics for the epoch's row."""
        self.check_update(self.spec, info, epoch + 1, f"update block ending at env step {t}")
        self.logger.store(**info)

    def end_epoch(self, epoch):
        """Save, test, log and checkpoint at the end of ``epoch``."""
        args = self.args
        save = (epoch + 1) % args["save_freq"] == 0 or epoch == args["epochs"] - 1
        if save:
            self.save_model(epoch + 1)
        with self.timer.phase("test"):
            test_agent(self.test_env, self.learner, self.logger, args["num_test_episodes"],
                       args["max_ep_len"])
        self._log_epoch(epoch + 1, (epoch + 1) * args["steps_per_epoch"])
        super().end_epoch()
        if save:
            self._save_checkpoint(epoch)

    def close(self):
        super().close()
        self.envs.close()
        self.test_env.close()

    # --- what end_epoch and __init__ use -------------------------------------------------

    def _log_epoch(self, epoch, t):
        """SpinningUp's off-policy columns (Epoch counts from 1), the algorithm's update
        statistics, then the time columns."""
        logger = self.logger
        logger.log_tabular("Epoch", epoch)
        logger.log_tabular("EpRet", with_min_and_max=True)
        logger.log_tabular("TestEpRet", with_min_and_max=True)
        logger.log_tabular("EpLen", average_only=True)
        logger.log_tabular("TestEpLen", average_only=True)
        logger.log_tabular("TotalEnvInteracts", t)
        log_columns(logger, self.spec.columns(self.args))
        self.log_time()

    def _start_envs(self, seed):
        """Seed the envs and the replay buffer, or bring them back to a checkpoint's state;
        returns the episodes in progress."""
        envs, replay = self.envs, self.replay
        envs.seed_actions(seed)
        self.test_env.reset(seed=seed + TEST_SEED_OFFSET)
        if self.resume is None:
            return Episodes(envs.reset(seed=seed))
        arrays, meta = self.resume
        set_rng_state(self.test_env, meta["test_env_rng"])
        replay.rng.bit_generator.state = meta["replay_rng"]
        if meta["buffer_saved"]:
            total = meta["replay_total"]
            first = max(0, total - replay.max_size)
            for start, chunk in run_files.load_buffer_chunks(self.output_dir, first, total,
                                                             replay.chunk_shapes()):
                replay.load_chunk(start, chunk)
            replay.set_total(total)
            run_files.prune_buffer_chunks(self.output_dir, replay.oldest(), total)
        restored = envs.restore(seed, arrays, meta)
        episodes = Episodes(arrays["obs"], np.where(restored, arrays["ep_ret"], 0.0),
                            np.where(restored, arrays["ep_len"], 0))
        if not restored.all():  # env kinds that cannot be captured mid-episode start afresh
            episodes.obs = envs.reset_some(~restored, episodes.obs)
        return episodes

    def _save_checkpoint(self, epoch):
        """Checkpoint after ``epoch``'s row: the learner, the envs (random generators, the
        episodes in progress), the replay buffer's stream and, with ``save_buffer``, its new
        transitions as a compressed chunk (older chunks are kept while the buffer holds
        them)."""
        replay, episodes, out = self.replay, self.episodes, self.output_dir
        save_buffer = self.args["save_buffer"]
        arrays, meta = self.envs.snapshot()
        arrays.update(obs=np.asarray(episodes.obs), ep_ret=episodes.ret, ep_len=episodes.len)
        meta.update(test_env_rng=rng_state(self.test_env),
                    replay_rng=replay.rng.bit_generator.state, replay_total=replay.total,
                    buffer_saved=bool(save_buffer))
        if save_buffer:
            chunks = run_files.buffer_chunks(out)
            first = max(chunks[-1][1] if chunks else 0, replay.oldest())
            if replay.total > first:
                with self.writing(run_files.buffer_dir(out)):
                    run_files.save_buffer_chunk(out, first, replay.chunk(first, replay.total))
        self.save_checkpoint(epoch, arrays, meta)
        if save_buffer:
            run_files.prune_buffer_chunks(out, replay.oldest(), replay.total)


class Lockstep:
    """Several runs of one algorithm (the same arguments but the seed) as one for ``loop``:
    every run steps its envs, one joint update block serves them all (``Population.update``
    takes and returns one item per run), and each run logs its own statistics and the joint
    block's time as its update time. The first run's timer, profiler and schedule lead."""

    def __init__(self, runs):
        self.runs, self.lead = list(runs), runs[0]
        self.args, self.timer, self.profiler = self.lead.args, self.lead.timer, \
            self.lead.profiler
        self.bar = _Bars(self.runs)

    def first_epoch(self):
        return self.lead.first_epoch()

    def epoch_steps(self, epoch):
        return self.lead.epoch_steps(epoch)

    def update_due(self, t):
        return self.lead.update_due(t)

    def step(self, t):
        for run in self.runs:
            run.step(t)

    def sample_batches(self):
        return [run.sample_batches() for run in self.runs]

    def record_update(self, infos, epoch, t):
        for run, info in zip(self.runs, infos):
            if run is not self.lead:
                run.timer.add("update", self.lead.timer.last)
            run.record_update(info, epoch, t)

    def end_epoch(self, epoch):
        for run in self.runs:
            run.end_epoch(epoch)

    def close(self):
        for run in self.runs:
            run.close()


class _Bars:
    """Every run's progress bar, moved together."""

    def __init__(self, runs):
        self.runs = runs

    def update(self, t):
        for run in self.runs:
            run.bar.update(t)


def test_agent(test_env, learner, logger, num_episodes, max_ep_len):
    """Deterministic episodes of the current policy on the separate test env (SAC: its mean
    action)."""
    for _ in range(num_episodes):
        o, _ = test_env.reset()
        ep_ret, ep_len, done = 0.0, 0, False
        while not done and ep_len < max_ep_len:
            o, r, terminated, truncated, _ = test_env.step(learner.act(o, deterministic=True))
            ep_ret += r
            ep_len += 1
            done = terminated or truncated
        logger.store(TestEpRet=ep_ret, TestEpLen=ep_len)
