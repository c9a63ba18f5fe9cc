"""A normal run prints its config, epoch table and progress bar: gymnasium's out-of-date
warning becomes one note per command (not one per process), MuJoCo's settotalmass warning is
gone and no MUJOCO_LOG.TXT is left behind; -v5 envs run beside -v4. The progress bar is
tqdm's."""
import io
import json
import os
import subprocess
import sys

from spinup.utils.progress import ProgressBar

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_a_grid_of_v4_and_v5_says_each_thing_once(tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               SPINUP_NO_PROGRESS="1", SPINUP_NO_TENSORBOARD="1", OMP_NUM_THREADS="1")
    env.pop("SPINUP_NOTED", None)
    # Envs are made in the grid's process (the argument check) and in each variant's.
    proc = subprocess.run(
        [sys.executable, "-m", "spinup.run", "vpg_pytorch", "--env", "HalfCheetah-v4",
         "HalfCheetah-v5", "--epochs", "1", "--steps_per_epoch", "200", "--max_ep_len", "50",
         "--num_workers", "2", "--exp_name", "q", "--data_dir", "data"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert out.count("note: gymnasium lists HalfCheetah-v4 as out of date (HalfCheetah-v5 "
                     "is its maintained version") == 1
    assert "You should consider upgrading" not in out  # gymnasium's own warning
    assert "settotalmass" not in out and "Warning" not in out.replace("Warning: ", "")
    assert not (tmp_path / "MUJOCO_LOG.TXT").exists()
    for v in ("v4", "v5"):
        (run,) = (tmp_path / "data").glob(f"q_*{v}*/*_s0")
        cfg = json.loads((run / "config.json").read_text())
        assert cfg["env_fn"]["env_id"] == f"HalfCheetah-{v}"
        assert len((run / "progress.txt").read_text().splitlines()) == 2


def test_progress_bar_is_drawn_by_tqdm_and_starts_where_the_run_resumed(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    bar = ProgressBar(4000, enabled=True, min_interval=0)
    bar.update(2001)  # a run resumed after 2000 steps
    assert bar.bar.n == 2001 and bar.bar.format_dict["initial"] == 2000
    bar.update(4000)
    bar.close()
    text = out.getvalue()
    assert "4.00k/4.00k" in text and "step/s" in text
    assert ProgressBar(10, enabled=False).update(5) is None
