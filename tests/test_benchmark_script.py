"""scripts/benchmark.sh, the queue behind the committed benchmark runs (issue 31): bad input is
named before any run starts; a run that finished under the data folder but was never copied
(its queue was killed between the two) is copied, not trained again; a copied run is skipped.
The runs are real (a tiny TD3 on Hopper-v4, in a subprocess); the script's own runs are 1M
steps, so it only ever meets this one finished."""
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SCRIPT = osp.join(ROOT, "scripts", "benchmark.sh")


def bench(args, tmp_path):
    env = dict(os.environ, SPINUP_BENCH_DATA=str(tmp_path / "data"),
               SPINUP_BENCH_OUT=str(tmp_path / "runs"))
    return subprocess.run(["bash", SCRIPT, *args], capture_output=True, text=True, env=env,
                          timeout=600)


@pytest.mark.parametrize("args, message", [
    ([], "usage: bash scripts/benchmark.sh ENV"),
    (["Hopper-v9"], "unknown environment id 'Hopper-v9'"),
    (["Hopper-v4", "td3_jax_s0", "td4_jax_s0"],
     "run 'td4_jax_s0' is not <vpg|ppo|trpo|ddpg|td3|sac>_<jax|pytorch>_s<seed>"),
])
def test_bad_input_is_named_before_any_run(tmp_path, args, message):
    out = bench(args, tmp_path)
    assert out.returncode == 2 and message in out.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "runs").exists()


def test_a_finished_run_is_copied_not_run_again_and_then_skipped(tmp_path):
    data = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "spinup.run", "td3_jax", "--env", "Hopper-v4",
                    "--seed", "0", "--epochs", "1", "--steps_per_epoch", "300",
                    "--start_steps", "100", "--update_after", "100", "--hid", "(8,8)",
                    "--num_test_episodes", "1", "--max_ep_len", "50",
                    "--exp_name", "hopper_td3_jax", "--data_dir", str(data)],
                   check=True, capture_output=True, cwd=tmp_path, timeout=600)
    run_dir = data / "hopper_td3_jax" / "hopper_td3_jax_s0"
    with open(run_dir / "progress.txt") as f:
        progress = f.read()
    out = bench(["Hopper-v4", "td3_jax_s0"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "finished earlier Hopper-v4 td3_jax_s0" in out.stdout
    assert "done Hopper-v4 td3_jax_s0" in out.stdout
    assert "resume" not in out.stdout and "start" not in out.stdout
    assert not (data / "td3_jax_s0.log").exists()  # no training was logged
    copy = tmp_path / "runs" / "td3_jax_s0"
    assert sorted(os.listdir(copy)) == ["config.json", "progress.txt"]
    with open(copy / "progress.txt") as f:
        assert f.read() == progress
    with open(run_dir / "progress.txt") as f:
        assert f.read() == progress  # the run itself is untouched
    again = bench(["Hopper-v4", "td3_jax_s0"], tmp_path)
    assert again.returncode == 0 and "skip td3_jax_s0 (done)" in again.stdout
