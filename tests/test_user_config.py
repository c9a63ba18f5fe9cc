"""user_config: each setting is overridable by its environment variable, bad values named."""
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READ = ("import json, spinup.user_config as c; print(json.dumps(dict(d=c.DEFAULT_DATA_DIR, "
        "b=c.DEFAULT_BACKEND, f=c.FORCE_DATESTAMP, s=c.DEFAULT_SHORTHAND, "
        "w=c.WAIT_BEFORE_LAUNCH)))")


def read_config(**env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("SPINUP_")}
    full.update(env, PYTHONPATH=REPO)
    return subprocess.run([sys.executable, "-c", READ], capture_output=True, text=True,
                          env=full, cwd=REPO)


def test_defaults():
    proc = read_config()
    cfg = json.loads(proc.stdout)
    backends = dict(vpg="pytorch", td3="jax", ppo="pytorch", trpo="pytorch", ddpg="jax",
                    sac="jax")
    assert cfg == dict(d=os.path.join(REPO, "data"), b=backends, f=False, s=True, w=0)


def test_environment_overrides():
    proc = read_config(SPINUP_DATA_DIR="/tmp/elsewhere", SPINUP_BACKEND="jax",
                       SPINUP_BACKEND_TD3="pytorch", SPINUP_FORCE_DATESTAMP="1",
                       SPINUP_DEFAULT_SHORTHAND="false", SPINUP_WAIT_BEFORE_LAUNCH="2.5")
    cfg = json.loads(proc.stdout)
    assert cfg == dict(d="/tmp/elsewhere", b=dict(vpg="jax", td3="pytorch", ppo="jax",
                                                    trpo="jax", ddpg="jax", sac="jax"), f=True, s=False,
                       w=2.5)


def test_bad_values_are_named():
    proc = read_config(SPINUP_WAIT_BEFORE_LAUNCH="-1")
    assert "SPINUP_WAIT_BEFORE_LAUNCH='-1': expected a number of seconds >= 0" in proc.stderr
    proc = read_config(SPINUP_FORCE_DATESTAMP="maybe")
    assert "SPINUP_FORCE_DATESTAMP='maybe'" in proc.stderr
