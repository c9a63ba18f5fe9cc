"""A run folder never runs code: config.json may come from anyone (its checksum is no defence,
the sender recomputes it), so `test_policy` and `resume` make only envs that gymnasium's
registry holds, with the registry's own entry point, plain make arguments and gymnasium's own
wrappers. Each payload below would run a command if it were obeyed; each is refused with one
line before anything is imported or made, and the command's marker file never appears."""
import json
import os
import shutil
import subprocess
import sys

import gymnasium as gym
import pytest

from spinup.algos.common import envs
from spinup.algos.common.checks import InputError
from spinup.utils import run_files
from spinup.utils.serialization_utils import write_json

QUIET = dict(os.environ, SPINUP_NO_PROGRESS="1", OMP_NUM_THREADS="1")


def spinup_run(*args):
    return subprocess.run([sys.executable, "-m", "spinup.run", *args], env=QUIET, text=True,
                          capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A real run (VPG, CartPole, one short epoch) to tamper with."""
    data = tmp_path_factory.mktemp("safety")
    proc = spinup_run("vpg_jax", "--env", "CartPole-v1", "--epochs", "1", "--steps_per_epoch",
                      "200", "--hid", "(8,)", "--train_v_iters", "2", "--exp_name", "safe",
                      "--data_dir", str(data))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return data / "safe" / "safe_s0"


def tampered(run_dir, tmp_path, env_fn):
    """A copy of ``run_dir`` whose config.json holds ``env_fn``, resealed as an attacker
    would (a valid checksum)."""
    out = tmp_path / "copy"
    shutil.copytree(run_dir, out)
    cfg = run_files.read_config(str(out))
    cfg["env_fn"] = env_fn
    write_json(str(out / "config.json"), run_files.seal_config(cfg))
    return out


def touch(marker):
    return {"args": ["touch", str(marker)]}


def payloads(marker):
    cartpole = json.loads(gym.spec("CartPole-v1").to_json())
    return {
        "entry point": dict(gymnasium_spec=dict(cartpole, entry_point="subprocess:run",
                                                kwargs=touch(marker))),
        "unregistered id": dict(gymnasium_spec=dict(cartpole, id="Evil-v0",
                                                    entry_point="subprocess:run",
                                                    kwargs=touch(marker))),
        "wrapper": dict(gymnasium_spec=dict(cartpole, additional_wrappers=[
            dict(name="Run", entry_point="subprocess:run", kwargs=touch(marker))])),
        "gymnasium function as wrapper": dict(gymnasium_spec=dict(cartpole, additional_wrappers=[
            dict(name="make", entry_point="gymnasium.wrappers:vector", kwargs={})])),
        "vector entry point": dict(gymnasium_spec=dict(cartpole,
                                                       vector_entry_point="subprocess:run")),
        "env_id form, deep kwargs": dict(env_id="CartPole-v1",
                                         render_mode=[[[[["x"]]]]]),
    }


@pytest.mark.parametrize("payload", ["entry point", "unregistered id", "wrapper",
                                     "gymnasium function as wrapper", "vector entry point",
                                     "env_id form, deep kwargs"])
def test_crafted_env_specs_are_refused_before_any_code_runs(run_dir, tmp_path, payload):
    marker = tmp_path / "marker"
    folder = tampered(run_dir, tmp_path, payloads(marker)[payload])
    for cmd in (["test_policy", str(folder), "-n", "1", "--norender"],
                ["resume", str(folder), "--epochs", "2"]):
        proc = spinup_run(*cmd)
        assert proc.returncode != 0, (cmd, proc.stdout[-500:])
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert lines and lines[-1].startswith("error: config.json's env_fn"), proc.stderr[-1500:]
        assert "Traceback" not in proc.stderr
        assert not marker.exists(), f"{payload}: {cmd[0]} ran the payload"


def test_what_gymnasium_records_for_its_own_wrappers_still_loads():
    """A user's lambda with gymnasium's own wrappers (recorded with their arguments) is
    remade as it was; the entry point made is always the registry's."""
    env = gym.wrappers.ClipAction(gym.make("Pendulum-v1", max_episode_steps=50))
    spec = json.loads(env.spec.to_json())
    made = envs.SpecEnvFn(envs.trusted_spec(spec))()
    assert made.spec.max_episode_steps == 50
    assert "ClipAction" in str(made)
    made.close()
    env.close()


def test_plain_value_refuses_what_is_not_data():
    assert envs.plain_value({"a": [1, 2.5, "x", None, True]}, "w") == \
        {"a": [1, 2.5, "x", None, True]}
    with pytest.raises(InputError, match="only numbers, strings"):
        envs.plain_value({"a": object()}, "w")
    with pytest.raises(InputError, match="only numbers, strings"):
        envs.plain_value([[[[[1]]]]], "w")


def test_make_arguments_gymnasium_refuses_are_one_line_naming_config_json(run_dir, tmp_path):
    """Plain data of the wrong kind for the env (a string where a number belongs) is refused
    by gymnasium when it makes the env: one line naming config.json, not a traceback."""
    folder = tampered(run_dir, tmp_path, dict(env_id="CartPole-v1", render_mode=17))
    proc = spinup_run("test_policy", str(folder), "-n", "1", "--norender")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr[-1500:]
    last = [ln for ln in proc.stderr.splitlines() if ln.strip()][-1]
    assert "config.json: gymnasium cannot make the env" in last, last


def test_hidden_sizes_the_machine_cannot_hold_are_one_line(run_dir, tmp_path):
    folder = tampered(run_dir, tmp_path, run_files.read_config(str(run_dir))["env_fn"])
    cfg = run_files.read_config(str(folder))
    cfg["ac_kwargs"]["hidden_sizes"] = [10**12]
    write_json(str(folder / "config.json"), run_files.seal_config(cfg))
    proc = spinup_run("test_policy", str(folder), "-n", "1", "--norender")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr[-1500:]
    last = [ln for ln in proc.stderr.splitlines() if ln.strip()][-1]
    assert "config.json" in last and "more than this machine's" in last, last
