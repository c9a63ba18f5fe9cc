"""Direct tests of the framework-free helpers: argument checks, environment helpers, and the
validated, atomic file I/O of run folders."""
import json
import os

import gymnasium as gym
import numpy as np
import pytest

import spinup
from spinup.algos.common import checks, envs
from spinup.algos.common.checks import InputError
from spinup.utils import run_files, serialization_utils as su
from spinup.utils.errors import RunFileError, RunWriteError


# ---------------------------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn,args,named", [
    (checks.positive_int, ("epochs", 0), "epochs=0"),
    (checks.positive_int, ("epochs", True), "epochs=True"),
    (checks.positive_int, ("epochs", 2.0), "epochs=2.0"),
    (checks.nonneg_int, ("seed", -1), "seed=-1"),
    (checks.number_in, ("gamma", 1.5, 0.0, 1.0), "gamma=1.5"),
    (checks.number_in, ("gamma", float("nan"), 0.0, 1.0), "gamma=nan"),
    (checks.positive_number, ("pi_lr", 0.0), "pi_lr=0.0"),
    (checks.one_of, ("profile", "all", ("none", "epoch")), "'none', 'epoch'"),
    (checks.boolean, ("save_buffer", "yes"), "save_buffer='yes'"),
    (checks.hidden_sizes, ((64, -1),), "hidden_sizes=(64, -1)"),
    (checks.activation, ("swish",), "activation='swish'"),
    (checks.device, ("gpu",), "device='gpu'"),
    (checks.logger_kwargs, ("data",), "logger_kwargs='data'"),
])
def test_checks_name_the_value(fn, args, named):
    with pytest.raises(InputError) as e:
        fn(*args)
    assert named in str(e.value) and "\n" not in str(e.value)


def test_checks_normalise_good_values():
    assert checks.positive_int("n", np.int64(3)) == 3
    assert checks.number_in("g", 1, 0.0, 1.0) == 1.0
    assert checks.boolean("b", 1) is True
    assert checks.hidden_sizes(64) == (64,) and checks.hidden_sizes([]) == ()
    assert checks.activation("torch.nn.ReLU") == "relu"
    assert checks.activation("nn.LeakyReLU") == "leaky_relu"
    import jax
    assert checks.activation(jax.nn.relu) == "relu"
    assert checks.ac_kwargs(None, (8,), "tanh") == dict(hidden_sizes=(8,), activation="tanh")
    with pytest.raises(InputError, match="unknown key"):
        checks.ac_kwargs(dict(hidden=(8,)), (8,), "tanh")
    assert checks.profile_args("none", -5, 3) == ("none", -5)  # not profiling: not checked
    with pytest.raises(InputError, match="profile_warmup=3"):
        checks.profile_args("epoch", 3, 3)


# ---------------------------------------------------------------------------------------------
# envs
# ---------------------------------------------------------------------------------------------
def test_env_ids_are_checked_with_a_suggestion():
    with pytest.raises(InputError, match="did you mean HalfCheetah-v4"):
        envs.check_env_id("HalfCheetahh-v4")
    with pytest.raises(InputError, match="env_name=3"):
        envs.check_env_id(3)


def test_env_fn_round_trips_through_config():
    fn = envs.EnvFn("Pendulum-v1", max_episode_steps=50)
    cfg = json.loads(json.dumps({"env_fn": su.convert_json(fn)}))
    again = envs.env_fn_from_config(cfg)
    assert again.env_id == "Pendulum-v1" and again.make_kwargs == {"max_episode_steps": 50}
    assert again().spec.max_episode_steps == 50
    assert envs.env_fn_from_config({"env_name": "CartPole-v1"}).env_id == "CartPole-v1"
    with pytest.raises(InputError, match="which environment"):
        envs.env_fn_from_config({})


def test_spaces():
    assert envs.space_kind(gym.spaces.Discrete(3)) == "discrete"
    with pytest.raises(InputError, match="MultiBinary"):
        envs.space_kind(gym.spaces.MultiBinary(2))
    with pytest.raises(InputError, match="bounded"):
        envs.require_box(gym.spaces.Box(-np.inf, np.inf, (2,)), "TD3")
    with pytest.raises(InputError, match="flat Box"):
        envs.obs_dim(gym.spaces.Box(0, 1, (2, 2)))
    assert envs.obs_dim(gym.spaces.Box(0, 1, (5,))) == 5


@pytest.mark.parametrize("env_id", ["HalfCheetah-v4", "HalfCheetah-v5", "Pendulum-v1",
                                    "CartPole-v1"])
def test_physics_state_continues_an_episode_exactly(env_id):
    a, b = gym.make(env_id), gym.make(env_id)
    a.reset(seed=1)
    a.action_space.seed(0)
    for _ in range(7):
        a.step(a.action_space.sample())
    state, rng = envs.physics_state(a), envs.rng_state(a)
    b.reset(seed=99)
    envs.set_physics_state(b, state)
    envs.set_rng_state(b, rng)
    for _ in range(5):
        act = a.action_space.sample()
        oa, ob = a.step(act)[0], b.step(act)[0]
        np.testing.assert_array_equal(oa, ob)
    np.testing.assert_array_equal(a.reset()[0], b.reset()[0])


# ---------------------------------------------------------------------------------------------
# File I/O
# ---------------------------------------------------------------------------------------------
def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path):
    path = str(tmp_path / "f.bin")
    su.atomic_write(path, lambda f: f.write(b"old"))

    def broken(f):
        f.write(b"half")
        raise OSError("disk full")
    with pytest.raises(RunWriteError, match="f.bin: could not be written"):
        su.atomic_write(path, broken)  # one line naming the file, its .tmp removed
    assert open(path, "rb").read() == b"old" and not os.path.exists(path + ".tmp")


def test_npz_round_trip_and_damage(tmp_path):
    path = str(tmp_path / "a.npz")
    su.save_npz(path, {"x/y": np.arange(3.0), "k": np.uint32([1, 2])}, compress=True)
    out = su.load_npz(path)
    assert out["x/y"].tolist() == [0.0, 1.0, 2.0] and out["k"].dtype == np.uint32
    data = open(path, "rb").read()
    open(path, "wb").write(data[:20])
    with pytest.raises(RunFileError, match=r"a\.npz: file is damaged or truncated"):
        su.load_npz(path)
    with pytest.raises(RunFileError, match="missing"):
        su.load_npz(str(tmp_path / "none.npz"), "checkpoint")
    with pytest.raises(TypeError, match="not a numeric array"):
        su.save_npz(path, {"o": np.array([object()])})


def test_torch_files_load_weights_only(tmp_path):
    import torch
    path = str(tmp_path / "m.pt")
    su.save_torch(path, {"w": torch.ones(2)})
    assert su.load_torch(path)["w"].tolist() == [1.0, 1.0]
    open(path, "wb").write(open(path, "rb").read()[:30])
    with pytest.raises(RunFileError, match="m.pt: file is damaged or truncated"):
        su.load_torch(path)
    import argparse
    torch.save({"not weights": argparse.Namespace(a=1)}, path)  # would need full unpickling
    with pytest.raises(RunFileError, match="m.pt: file is damaged"):
        su.load_torch(path)


def test_json_and_generators(tmp_path):
    path = str(tmp_path / "c.json")
    su.write_json(path, {"a": (1, 2), "f": np.float32(0.5)})
    assert su.read_json(path) == {"a": [1, 2], "f": 0.5}
    open(path, "w").write("[1, 2]")
    with pytest.raises(RunFileError, match="expected a JSON object"):
        su.read_json(path)
    rng = np.random.default_rng(3)
    saved = su.generator_state(rng)
    first = rng.standard_normal(4)
    np.testing.assert_array_equal(su.set_generator_state(rng, saved).standard_normal(4), first)


def test_run_files(tmp_path):
    run = tmp_path / "exp" / "exp_s0"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"algo": "vpg_jax", "spinup_format": 1}))
    (run / "progress.txt").write_text("Epoch\tX\n0\t1\n1\t2\n2\t3\n")
    assert run_files.find_run_dirs(str(tmp_path)) == [str(run)]
    assert run_files.read_config(str(run))["algo"] == "vpg_jax"
    assert run_files.truncate_progress(str(run), {"rows": 2}) == 1
    assert run_files.read_progress(str(run)) == (["Epoch", "X"], [["0", "1"], ["1", "2"]])
    with open(run / "progress.txt", "a") as f:
        f.write("2\t3\textra\n")
    with pytest.raises(RunFileError, match="line 4 has 3 fields"):
        run_files.read_progress(str(run))
    (run / "config.json").write_text(json.dumps({"algo": "vpg_jax", "spinup_format": 3}))
    with pytest.raises(RunFileError, match="newer spinup"):
        run_files.read_config(str(run))
    (run / "config.json").write_text(json.dumps({"epochs": 3}))
    with pytest.raises(RunFileError, match="no 'algo'"):
        run_files.read_config(str(run))
    with pytest.raises(InputError, match="config.json is missing"):
        run_files.read_config(str(tmp_path))
    run_files.save_checkpoint(str(run), {"x": np.ones(2)}, {"epoch": 4})
    arrays, meta = run_files.load_checkpoint(str(run))
    assert meta["epoch"] == 4 and arrays["x"].tolist() == [1.0, 1.0]
    assert not os.path.exists(run_files.checkpoint_path(str(run)) + ".tmp")


def test_numpy_blas_is_one_thread_unless_the_user_chose(tmp_path):
    """spinup sets OPENBLAS_NUM_THREADS=1 before NumPy loads (its spinning threads slowed the
    update that follows a batched V(s)), and keeps a value the user set."""
    import subprocess
    import sys
    code = "import spinup, numpy, os; print(os.environ.get('OPENBLAS_NUM_THREADS'))"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "1", out.stderr
    env["OPENBLAS_NUM_THREADS"] = "2"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "2", out.stderr


def test_code_version_names_the_checkout_or_what_a_launcher_shipped(monkeypatch):
    """config.json's spinup_code: this checkout's commit (the tests run from one), or the
    launcher's when it shipped spinup to a Ray node (SPINUP_CODE)."""
    import subprocess
    from spinup.utils.run_files import code_version
    monkeypatch.delenv("SPINUP_CODE", raising=False)
    here = code_version()
    root = os.path.dirname(os.path.dirname(os.path.abspath(spinup.__file__)))
    head = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    assert here["version"] == spinup.__version__ and here["commit"] == (head or None)
    shipped = {"version": "0.1.0", "commit": "f" * 40, "dirty": False}
    monkeypatch.setenv("SPINUP_CODE", json.dumps(shipped))
    assert code_version() == shipped
