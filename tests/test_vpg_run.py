"""VPG runs end to end: argument checks, outputs (config, progress, model, profile), load(),
same-seed determinism, bootstrapping of cut paths, and a diverging run stopping cleanly."""
import importlib
import json
import math

import gymnasium as gym
import numpy as np
import pytest

from spinup.algos import registry, runs
from spinup.algos.common.checks import InputError
from spinup.algos.common.envs import EnvBatch, EnvFn
from spinup.algos.common.loop import RunContext
from spinup.algos.common.on_policy import collect_epoch, make_buffer
from spinup.commands.test_policy import load_policy

BACKENDS = ["pytorch", "jax"]
COLUMNS = ["Epoch", "AverageEpRet", "StdEpRet", "MaxEpRet", "MinEpRet", "EpLen", "AverageVVals",
           "StdVVals", "MaxVVals", "MinVVals", "TotalEnvInteracts", "LossPi", "LossV",
           "DeltaLossPi", "DeltaLossV", "Entropy", "KL", "TimeEnv", "TimeAct", "TimeUpdate",
           "TimeTest", "TimeEpoch", "Time"]


def algo(backend):
    return importlib.import_module(f"spinup.algos.{backend}.vpg.vpg")


def run(backend, env_fn, out, **kwargs):
    if backend == "pytorch":
        kwargs.setdefault("device", "cpu")
    return getattr(algo(backend), f"vpg_{backend}")(
        env_fn, logger_kwargs=dict(output_dir=str(out), verbose=False), **kwargs)


def read_progress(path):
    with open(path) as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    return rows[0], rows[1:]


# ----------------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------------
BAD = [
    (dict(steps_per_epoch=0), "steps_per_epoch=0"),
    (dict(epochs=0), "epochs=0"),
    (dict(ac_kwargs=dict(hidden_sizes=[64, 0])), "hidden_sizes=[64, 0]"),
    (dict(ac_kwargs=dict(hidden_sizes="64")), "hidden_sizes='64'"),
    (dict(ac_kwargs=dict(activation="swishy")), "activation='swishy'"),
    (dict(gamma=1.5), "gamma=1.5"),
    (dict(lam=-0.1), "lam=-0.1"),
    (dict(pi_lr=0.0), "pi_lr=0.0"),
    (dict(vf_lr=-1e-3), "vf_lr=-0.001"),
    (dict(train_v_iters=0), "train_v_iters=0"),
    (dict(max_ep_len=0), "max_ep_len=0"),
    (dict(save_freq=0), "save_freq=0"),
    (dict(profile="all"), "profile='all'"),
    (dict(profile="update", epochs=3, profile_warmup=3), "profile_warmup=3"),
    (dict(profile="epoch", profile_warmup=-1), "profile_warmup=-1"),
    (dict(device="gpu"), "device='gpu'"),
]


@pytest.mark.parametrize("kwargs,named", BAD, ids=[b[1] for b in BAD])
def test_bad_input_is_named(kwargs, named):
    env = gym.make("CartPole-v1")
    with pytest.raises(InputError) as e:
        registry.check_args("vpg_pytorch", kwargs, env)
    assert named in str(e.value) and "\n" not in str(e.value)


def test_unsupported_action_space():
    env = gym.make("CartPole-v1")
    env.action_space = gym.spaces.MultiBinary(2)
    with pytest.raises(InputError, match="MultiBinary"):
        registry.check_args("vpg_jax", {}, env)


@pytest.mark.parametrize("backend", BACKENDS)
def test_entry_point_checks_before_any_work(backend, tmp_path):
    with pytest.raises(InputError, match="gamma=2"):
        run(backend, EnvFn("CartPole-v1"), tmp_path / "run", gamma=2)
    assert not (tmp_path / "run").exists()  # no logger, no networks


def test_good_input_is_normalised():
    args = registry.check_args("vpg_jax", dict(ac_kwargs=dict(hidden_sizes=[64, 32])),
                               gym.make("CartPole-v1"))
    assert args["ac_kwargs"] == dict(hidden_sizes=(64, 32), activation="tanh")
    assert args["epochs"] == 50 and args["steps_per_epoch"] == 4000


def test_both_backends_document_every_argument_alike():
    """Each entry point carries the full docstring (help(vpg_jax) reads alone); the two say
    the same, apart from PyTorch's device and compile mode."""
    import inspect
    docs = {b: getattr(algo(b), f"vpg_{b}").__doc__ for b in BACKENDS}
    for backend, doc in docs.items():
        for arg in inspect.signature(getattr(algo(backend), f"vpg_{backend}")).parameters:
            assert f"{arg} (" in doc or f"{arg} :" in doc, (backend, arg)
    own = docs["pytorch"]
    for arg in ("device", "compile"):
        par = own[own.index(f"        {arg} (str)"):]
        own = own.replace(par[:par.index("\n\n") + 2], "")
    assert own == docs["jax"]


# ----------------------------------------------------------------------------------------------
# A short HalfCheetah run: outputs, model, load()
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend,profile", [("pytorch", "update"), ("jax", "epoch")])
def test_halfcheetah_run_saves_and_loads(backend, profile, tmp_path):
    learner = run(backend, EnvFn("HalfCheetah-v4"), tmp_path, epochs=2, steps_per_epoch=600,
                  max_ep_len=300, train_v_iters=5, ac_kwargs=dict(hidden_sizes=(16, 8)),
                  profile=profile, profile_warmup=1)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["env_fn"]["env_id"] == "HalfCheetah-v4" and config["epochs"] == 2
    assert config["algo"] == f"vpg_{backend}"
    assert config["ac_kwargs"] == dict(hidden_sizes=[16, 8], activation="tanh")
    header, rows = read_progress(tmp_path / "progress.txt")
    assert header == COLUMNS and len(rows) == 2
    assert [r[header.index("TotalEnvInteracts")] for r in rows] == ["600", "1200"]
    assert float(rows[1][header.index("EpLen")]) == 300  # max_ep_len cuts the episodes
    assert (tmp_path / "profile" / f"{profile}.prof").stat().st_size > 0

    assert (tmp_path / "model" / "weights.npz").is_file()  # one format for both backends
    restored = runs.load(str(tmp_path))
    for key, value in learner.get_params().items():
        np.testing.assert_array_equal(restored.get_params()[key], value, err_msg=key)
    obs, _ = gym.make("HalfCheetah-v4").reset(seed=0)
    a = restored.act(obs, deterministic=True)
    assert a.shape == (6,) and np.all(np.isfinite(a))
    np.testing.assert_array_equal(a, learner.act(obs, deterministic=True))
    agent, env_fn = load_policy(str(tmp_path))  # what `spinup.run test_policy` does
    np.testing.assert_array_equal(agent.act(obs, deterministic=True), a)


# ----------------------------------------------------------------------------------------------
# Same seed, same run
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_same_seed_same_progress(backend, tmp_path):
    """Everything but the Time* columns. Found to hold for PyTorch on CPU too, without
    torch.use_deterministic_algorithms."""
    tables = []
    for i in range(2):
        run(backend, EnvFn("CartPole-v1"), tmp_path / str(i), seed=7, epochs=2,
            steps_per_epoch=500, train_v_iters=10)
        header, rows = read_progress(tmp_path / str(i) / "progress.txt")
        keep = [j for j, h in enumerate(header) if not h.startswith("Time")]
        tables.append([[r[j] for j in keep] for r in rows])
    assert tables[0] == tables[1]


# ----------------------------------------------------------------------------------------------
# The loop's bootstrapping
# ----------------------------------------------------------------------------------------------
class RecordingLearner:
    """The JAX learner, remembering the observations of each V(s) call the loop makes to
    close a path: the path's observations, plus the last one when the path was cut (its
    bootstrap)."""

    def __init__(self, env):
        self.inner = registry.make_learner("vpg_jax", env.observation_space, env.action_space)
        self.calls = []  # (number of observations, V of the last one)

    def step(self, obs):
        return self.inner.step(obs)

    def sample_logp(self, obs):
        return self.inner.sample_logp(obs)

    def value(self, obs):
        v = self.inner.value(obs)
        self.calls.append((len(obs), float(v[-1])))
        return v

    def sync(self):
        self.inner.sync()


def collect(env, max_ep_len, steps, tmp_path, gamma=0.9):
    envs = EnvBatch(None, 1, first_env=env)  # one env: the plain env behind the batch API
    learner, buf = RecordingLearner(env), make_buffer(envs, steps, gamma, 0.8)
    args = dict(logger_kwargs=dict(output_dir=str(tmp_path), verbose=False), profile="none",
                profile_warmup=0)
    run = RunContext(learner, args, {}, steps)
    o = envs.reset(seed=0)
    collect_epoch(envs, learner, buf, run, o, 0, max_ep_len)
    return learner, buf.bufs[0], run.logger


def test_cut_paths_bootstrap_and_terminal_paths_do_not(tmp_path):
    gamma = 0.9
    # CartPole cannot fall within 5 steps: every path is cut, by max_ep_len or by the epoch end.
    learner, buf, logger = collect(gym.make("CartPole-v1"), 5, 23, tmp_path, gamma)
    # One V call per path, each with the path's observations and the bootstrap observation.
    assert [n for n, _ in learner.calls] == [6, 6, 6, 6, 4]
    ends = [4, 9, 14, 19, 22]
    for end, (_, v_last) in zip(ends, learner.calls):
        assert buf.ret_buf[end] == pytest.approx(buf.rew_buf[end] + gamma * v_last, rel=1e-5)
    # The stored V(s) are the learner's, computed per path in one call.
    np.testing.assert_allclose(buf.val_buf, learner.inner.value(buf.obs_buf), rtol=1e-5,
                               atol=1e-6)
    assert logger.epoch_dict["EpLen"] == [5] * 4  # the epoch-end cut is not an episode

    # With a long max_ep_len, CartPole falls: those paths end in a true terminal.
    learner, buf, logger = collect(gym.make("CartPole-v1"), 1000, 200, tmp_path / "b", gamma)
    lens = [int(n) for n in logger.epoch_dict["EpLen"]]
    assert len(lens) >= 2
    # Terminal paths ask V of their own observations only; the epoch-end cut adds one more.
    assert [n for n, _ in learner.calls] == lens + [200 - sum(lens) + 1]
    for end in np.cumsum(lens) - 1:
        assert buf.ret_buf[end] == buf.rew_buf[end] == 1.0


# ----------------------------------------------------------------------------------------------
# Divergence
# ----------------------------------------------------------------------------------------------
class NaNRewardsAfter:
    """CartPole whose rewards turn NaN after ``n`` steps (a real env, a broken reward)."""

    def __init__(self, n):
        self.n, self.count = n, 0

    def __call__(self):
        def reward(r):
            self.count += 1
            return math.nan if self.count > self.n else r
        return gym.wrappers.TransformReward(gym.make("CartPole-v1"), reward)


@pytest.mark.parametrize("backend", BACKENDS)
def test_nan_loss_stops_and_keeps_last_good_model(backend, tmp_path):
    with pytest.raises(FloatingPointError) as e:
        run(backend, NaNRewardsAfter(300), tmp_path, epochs=3, steps_per_epoch=200,
            train_v_iters=5, save_freq=1)
    msg = str(e.value)
    assert "nan" in msg and "epoch 1" in msg and "last good model (epoch 0)" in msg
    assert str(tmp_path / "model") in msg
    env = gym.make("CartPole-v1")
    learner = registry.make_learner(f"vpg_{backend}", env.observation_space, env.action_space)
    params = learner.load(str(tmp_path / "model")).get_params()
    assert all(np.all(np.isfinite(v)) for v in params.values())
    _, rows = read_progress(tmp_path / "progress.txt")
    assert len(rows) == 1  # epoch 0 logged, the diverged epoch not
