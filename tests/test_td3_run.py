"""TD3 end to end: a short CLI-equivalent run per backend (config, progress, model, load),
bad input, a NaN loss, and same seed -> same log."""
import json
import os
import re

import gymnasium as gym
import numpy as np
import pytest

from spinup.algos import registry, runs
from spinup.algos.common.checks import InputError
from spinup.algos.common.envs import EnvFn
from spinup.algos.common.td3 import init_td3_params

BACKENDS = ["pytorch", "jax"]

COLUMNS = ["Epoch", "AverageEpRet", "StdEpRet", "MaxEpRet", "MinEpRet", "AverageTestEpRet",
           "StdTestEpRet", "MaxTestEpRet", "MinTestEpRet", "EpLen", "TestEpLen",
           "TotalEnvInteracts", "AverageQ1Vals", "StdQ1Vals", "MaxQ1Vals", "MinQ1Vals",
           "AverageQ2Vals", "StdQ2Vals", "MaxQ2Vals", "MinQ2Vals", "LossPi", "LossQ",
           "TimeEnv", "TimeAct", "TimeUpdate", "TimeTest", "TimeEpoch", "Time"]
TIME_COLUMNS = [c for c in COLUMNS if c.startswith("Time")]

# Small and short, but every part of the loop runs: random then policy actions, episodes cut
# by max_ep_len, two update blocks per epoch, test episodes, saving, profiling.
SHORT_RUN = dict(ac_kwargs=dict(hidden_sizes=(32, 32)), steps_per_epoch=100, epochs=2,
                 start_steps=50, update_after=50, update_every=25, batch_size=32, max_ep_len=60,
                 num_test_episodes=1, profile="update", profile_warmup=1)


def td3(backend):
    """(entry point, load) of a backend."""
    return registry.entry_point(f"td3_{backend}"), runs.load


def read_progress(path):
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [line.rstrip("\n").split("\t") for line in f]
    return header, rows


def quiet(out_dir):
    return dict(output_dir=str(out_dir), verbose=False)


@pytest.mark.parametrize("backend", BACKENDS)
def test_halfcheetah_run_writes_logs_and_a_model_that_loads(backend, tmp_path):
    fn, load = td3(backend)
    fn(EnvFn("HalfCheetah-v4"), seed=3, logger_kwargs=quiet(tmp_path), **SHORT_RUN)

    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["algo"] == f"td3_{backend}" and cfg["env_fn"]["env_id"] == "HalfCheetah-v4"
    assert cfg["ac_kwargs"] == dict(hidden_sizes=[32, 32], activation="relu")
    assert cfg["polyak"] == 0.995 and cfg["seed"] == 3

    header, rows = read_progress(tmp_path / "progress.txt")
    assert header == COLUMNS and len(rows) == 2
    col = {name: [float(r[i]) for r in rows] for i, name in enumerate(header)}
    assert col["Epoch"] == [1, 2] and col["TotalEnvInteracts"] == [100, 200]
    assert col["EpLen"] == [60, 60] and col["TestEpLen"] == [60, 60]
    assert all(np.isfinite(col[c]).all() for c in COLUMNS)
    assert (tmp_path / "profile" / "update.prof").exists()

    model = tmp_path / "model" / "weights.npz"  # one format for both backends
    assert model.exists() and not list((tmp_path / "model").glob("*tmp*"))
    policy = load(str(tmp_path))
    # The loaded actor replays the last test episode exactly: same start state (the test env
    # was seeded with seed + 10000, then reset once per test episode), same return.
    env = gym.make("HalfCheetah-v4")
    env.reset(seed=3 + 10_000)
    env.reset()
    obs, _ = env.reset()
    ret = 0.0
    for _ in range(60):
        a = policy.act(obs, deterministic=True)
        assert a.shape == (6,) and np.all(np.abs(a) <= 1)
        obs, r, _, _, _ = env.step(a)
        ret += r
    assert ret == pytest.approx(col["AverageTestEpRet"][-1], rel=1e-4, abs=1e-4)
    # Training moved the weights away from their initial values.
    init = init_td3_params(17, 6, (32, 32), 3)
    assert not np.allclose(policy.get_params()["pi/0/w"], init["pi/0/w"])


def _bad_cases():
    cases = [dict(polyak=1.5), dict(polyak=-0.1), dict(policy_delay=0), dict(epochs=0),
             dict(steps_per_epoch=0), dict(replay_size=0), dict(update_every=0),
             dict(start_steps=-1), dict(update_after=-5), dict(pi_lr=0.0), dict(q_lr=-1e-3),
             dict(gamma=1.01), dict(act_noise=-0.1), dict(target_noise=-1.0),
             dict(noise_clip=-0.5), dict(batch_size=0), dict(profile="all")]
    out = [(kw, "%s=%r" % next(iter(kw.items()))) for kw in cases]
    out += [
        # batch larger than the buffer holds at the first update
        (dict(batch_size=2000), "batch_size=2000"),
        (dict(replay_size=50, batch_size=100), "batch_size=100"),
        (dict(profile="update", epochs=3, profile_warmup=3), "profile_warmup=3"),
        (dict(profile="epoch", profile_warmup=-1), "profile_warmup=-1"),
        (dict(ac_kwargs=dict(hidden_sizes=[0])), "hidden_sizes=[0]"),
    ]
    return out


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kwargs,named", _bad_cases(), ids=lambda x: str(x))
def test_bad_input_is_an_input_error_naming_the_value(backend, kwargs, named):
    env = gym.make("Pendulum-v1")
    with pytest.raises(InputError, match=re.escape(named)):
        registry.check_args(f"td3_{backend}", kwargs, env)


def test_bad_device_is_an_input_error():
    with pytest.raises(InputError, match="device='tpu'"):
        registry.check_args("td3_pytorch", dict(device="tpu"), gym.make("Pendulum-v1"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_non_box_action_space_is_refused_before_any_work(backend, tmp_path):
    fn, _ = td3(backend)
    out = tmp_path / "run"
    with pytest.raises(InputError, match="Box"):
        fn(EnvFn("CartPole-v1"), logger_kwargs=quiet(out))
    assert not out.exists()  # the check comes before the logger


@pytest.mark.parametrize("backend", BACKENDS)
def test_nan_loss_stops_the_run_and_keeps_the_last_good_model(backend, tmp_path):
    """Epoch 1 has no updates and saves the initial model; the first block of epoch 2, with
    an absurd Q learning rate, overflows the critics."""
    fn, load = td3(backend)
    with pytest.raises(FloatingPointError, match=r"Loss(Q|Pi) is (nan|inf|-inf) at epoch 2.*"
                                                 r"last good model \(epoch 1\)"):
        fn(EnvFn("Pendulum-v1"), ac_kwargs=dict(hidden_sizes=(16,)), steps_per_epoch=100,
           epochs=3, start_steps=100, update_after=101, update_every=50, batch_size=32,
           q_lr=1e30, num_test_episodes=1, logger_kwargs=quiet(tmp_path))
    params = load(str(tmp_path)).get_params()
    init = init_td3_params(3, 1, (16,), 0)
    for k, v in init.items():
        np.testing.assert_array_equal(params[k], v, err_msg=k)


@pytest.mark.parametrize("backend", BACKENDS)
def test_same_seed_same_progress(backend, tmp_path):
    """On CPU, equal seeds give equal logs (time columns aside)."""
    fn, _ = td3(backend)
    run = dict(ac_kwargs=dict(hidden_sizes=(32,)), steps_per_epoch=150, epochs=2,
               start_steps=100, update_after=50, update_every=50, batch_size=32,
               max_ep_len=100, num_test_episodes=1, seed=7)
    logs = []
    for i in range(2):
        fn(EnvFn("Pendulum-v1"), logger_kwargs=quiet(tmp_path / str(i)), **run)
        header, rows = read_progress(tmp_path / str(i) / "progress.txt")
        keep = [j for j, c in enumerate(header) if c not in TIME_COLUMNS]
        logs.append([[r[j] for j in keep] for r in rows])
    assert logs[0] == logs[1]
    assert os.path.exists(tmp_path / "0" / "model")
