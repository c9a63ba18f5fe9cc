"""Episodes that end, on a real env whose episodes end (Hopper-v4: the hopper falls), through
both loops with one env, two in step and two in subprocesses. A fall (gymnasium's
``terminated``) is a terminal state: no bootstrap, ``done = 1``. A time limit (gymnasium's
TimeLimit or the loop's ``max_ep_len``) is not: it bootstraps from the episode's true last
observation, which an autoresetting vector env returns apart from the next episode's first.

Each env of the loop is replayed alone, step by step, from its seed and the actions the loop
stored: the transitions (off-policy) and the paths and bootstraps (on-policy) must be that
env's own, bit for bit."""
import gymnasium as gym
import numpy as np
import pytest

from spinup.algos import registry
from spinup.algos.common.envs import EnvBatch, EnvFn
from spinup.algos.common.loop import RunContext
from spinup.algos.common.off_policy import OffPolicyRun
from spinup.algos.common.on_policy import collect_epoch, make_buffer

SEED = 3
# Random actions make the hopper fall after 7-20 steps, so a limit of 15 ends episodes both
# ways. Either gymnasium's TimeLimit ends them (truncated) or the loop's max_ep_len cuts them.
LIMITS = {"timelimit": dict(max_episode_steps=15, max_ep_len=1000),
          "max_ep_len": dict(max_episode_steps=1000, max_ep_len=15)}
ENVS = {"1": dict(num_envs=1), "2": dict(num_envs=2), "2-async": dict(num_envs=2,
                                                                         async_envs=True)}


class Reference:
    """Env ``i`` of a batch seeded with ``SEED``, alone: gym.make with the same limit, reset
    with ``SEED + i``, then reset without a seed after every end (as autoreset does)."""

    def __init__(self, i, max_episode_steps, max_ep_len):
        self.env = gym.make("Hopper-v4", max_episode_steps=max_episode_steps)
        self.max_ep_len = max_ep_len
        self.obs, self.len, self.ret = self.env.reset(seed=SEED + i)[0], 0, 0.0

    def step(self, act):
        """(obs, reward, obs2, terminated, ended): one step; ``ended`` gives (return, length)
        of an episode that ends here, by a fall or by either limit."""
        obs = self.obs
        obs2, r, term, trunc, _ = self.env.step(act)
        self.len, self.ret = self.len + 1, self.ret + r
        ended = None
        if term or trunc or self.len == self.max_ep_len:
            ended = (self.ret, self.len)
            self.obs, self.len, self.ret = self.env.reset()[0], 0, 0.0
        else:
            self.obs = obs2
        return obs, r, obs2, term, ended


def f32(x):
    return np.asarray(x, np.float32)


@pytest.mark.parametrize("envs", ENVS)
@pytest.mark.parametrize("limit", LIMITS)
def test_off_policy_stores_each_envs_own_transitions(limit, envs, tmp_path):
    lim, n = LIMITS[limit], ENVS[envs]["num_envs"]
    env_fn = EnvFn("Hopper-v4", max_episode_steps=lim["max_episode_steps"])
    env, steps = env_fn(), 600
    # Uniformly random actions throughout (start_steps), no update: the loop's env handling.
    args = registry.check_args("td3_jax", dict(
        steps_per_epoch=steps, epochs=1, start_steps=steps, update_after=steps, seed=SEED,
        replay_size=steps,
        max_ep_len=lim["max_ep_len"], logger_kwargs=dict(output_dir=str(tmp_path),
                                                         verbose=False), **ENVS[envs]), env)
    learner = registry.make_learner("td3_jax", env.observation_space, env.action_space)
    run = OffPolicyRun(registry.spec("td3_jax"), "td3_jax", env_fn, env, learner, args)
    try:
        for t in run.epoch_steps(0):
            run.step(t)
        logged = list(zip(run.logger.epoch_dict["EpRet"], run.logger.epoch_dict["EpLen"]))
    finally:
        run.close()
    rb = run.replay
    assert rb.size == steps
    refs = [Reference(i, **lim) for i in range(n)]
    ended, kinds = [], set()
    for k in range(steps):  # the loop stores env 0, 1, ... of each step in turn
        ref = refs[k % n]
        obs, r, obs2, term, end = ref.step(rb.act[k])
        np.testing.assert_array_equal(rb.obs[k], f32(obs), err_msg=f"obs of transition {k}")
        # The last observation of the episode, never the next episode's first.
        np.testing.assert_array_equal(rb.obs2[k], f32(obs2), err_msg=f"obs2 of transition {k}")
        assert rb.rew[k] == f32(r)
        assert rb.done[k] == float(term), f"transition {k}: done={rb.done[k]}, terminated={term}"
        if end is not None:
            ended.append(end)
            kinds.add("fall" if term else "limit")
    assert kinds == {"fall", "limit"}  # both kinds of end were met
    # A fall is Hopper's unhealthy state (height <= 0.7 or |angle| >= 0.2): done marks exactly
    # those transitions, and no other stored next state is unhealthy.
    unhealthy = (rb.obs2[:, 0] <= 0.7) | (np.abs(rb.obs2[:, 1]) >= 0.2)
    np.testing.assert_array_equal(rb.done.astype(bool), unhealthy)
    assert rb.done.sum() > 0
    # Every episode that ended was logged once, with its own return and length.
    assert [int(length) for _, length in logged] == [length for _, length in ended]
    np.testing.assert_allclose([ret for ret, _ in logged], [ret for ret, _ in ended],
                               rtol=1e-12)


class RecordingLearner:
    """VPG's JAX learner, keeping the observations of every V(s) call the loop makes to close
    a path (the path's observations, and after them the bootstrap observation of a cut
    path)."""

    def __init__(self, env):
        self.inner = registry.make_learner("vpg_jax", env.observation_space, env.action_space,
                                           hidden_sizes=(16,))
        self.calls = []

    def sample_logp(self, obs):
        return self.inner.sample_logp(obs)

    def value(self, obs):
        self.calls.append(np.array(obs))
        return self.inner.value(obs)

    def sync(self):
        self.inner.sync()


@pytest.mark.parametrize("envs", ENVS)
@pytest.mark.parametrize("limit", LIMITS)
def test_on_policy_bootstraps_cut_paths_from_their_last_observation(limit, envs, tmp_path):
    lim, n, gamma, steps = LIMITS[limit], ENVS[envs]["num_envs"], 0.9, 400
    env_fn = EnvFn("Hopper-v4", max_episode_steps=lim["max_episode_steps"])
    batch = EnvBatch(env_fn, first_env=env_fn(), **ENVS[envs])
    learner, buf = RecordingLearner(batch), make_buffer(batch, steps, gamma, 0.8)
    args = dict(logger_kwargs=dict(output_dir=str(tmp_path), verbose=False), profile="none",
                profile_warmup=0)
    run = RunContext(learner, args, {}, steps)
    try:
        batch.seed_actions(SEED)
        collect_epoch(batch, learner, buf, run, batch.reset(seed=SEED), 0, lim["max_ep_len"])
        logged = list(zip(run.logger.epoch_dict["EpRet"], run.logger.epoch_dict["EpLen"]))
    finally:
        run.close()
        batch.close()
    # Replay each env alone from the actions its buffer kept; the paths close in the loop's
    # order (step by step, env 0 first), so the V calls are expected in that order.
    refs = [Reference(i, **lim) for i in range(n)]
    per_env = steps // n
    paths = [[] for _ in range(n)]
    expected_calls, ends, kinds = [], [], set()
    for t in range(per_env):
        for i in range(n):
            b = buf.bufs[i]
            obs, r, obs2, term, end = refs[i].step(b.act_buf[t])
            np.testing.assert_array_equal(b.obs_buf[t], f32(obs), err_msg=f"env {i}, step {t}")
            assert b.rew_buf[t] == f32(r)
            paths[i].append(f32(obs))
            if end is None and t < per_env - 1:
                continue
            if end is not None:
                ends.append(end)
                kinds.add("fall" if term else "limit")
            # A fall: V of the path alone, return = reward at the end. Cut (a limit or the
            # epoch end): V of the path and then of the true last observation, which the
            # return at the end bootstraps from.
            call = np.stack(paths[i])
            if not term:
                call = np.concatenate([call, np.asarray(obs2)[None]])
            expected_calls.append((i, t, call, term, r))
            paths[i] = []
    assert kinds == {"fall", "limit"}
    assert len(learner.calls) == len(expected_calls)
    for got, (i, t, call, term, r) in zip(learner.calls, expected_calls):
        np.testing.assert_array_equal(got, call, err_msg=f"V call closing env {i} at step {t}")
        ret = buf.bufs[i].ret_buf[t]
        if term:
            assert ret == f32(r)
        else:
            v_last = float(learner.inner.value(call)[-1])
            assert ret == pytest.approx(r + gamma * v_last, rel=1e-5)
    assert [int(length) for _, length in logged] == [length for _, length in ends]
    np.testing.assert_allclose([ret for ret, _ in logged], [ret for ret, _ in ends], rtol=1e-12)
