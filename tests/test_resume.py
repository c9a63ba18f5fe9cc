"""Checkpoints and `resume`: a resumed run continues exactly as if it had never stopped, a
run killed with SIGKILL resumes with every epoch exactly once, a crash mid-write never spoils
the last good checkpoint, and bad input is one line before any work."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import spinup

from spinup.algos import registry, runs
from spinup.algos.common.envs import EnvFn
from spinup.run import main
from spinup.utils import run_files

TD3_SMALL = dict(ac_kwargs=dict(hidden_sizes=(32, 32)), start_steps=100, update_after=100,
                 update_every=50, batch_size=32, num_test_episodes=1)
VPG_SMALL = dict(ac_kwargs=dict(hidden_sizes=(16,)), train_v_iters=5)
SMALL = dict(vpg=VPG_SMALL, ppo=dict(VPG_SMALL, train_pi_iters=5), trpo=VPG_SMALL, td3=TD3_SMALL,
             ddpg=TD3_SMALL, sac=TD3_SMALL)
QUIET = dict(SPINUP_NO_PROGRESS="1", OMP_NUM_THREADS="1")


def entry(algo):
    return runs.backend_module(algo).__dict__[algo]


def rows_without_time(run_dir):
    header, rows = run_files.read_progress(str(run_dir))
    keep = [i for i, h in enumerate(header) if not h.startswith("Time")]
    return [[r[i] for i in keep] for r in rows]


def train(algo, env_id, out, epochs, **kw):
    kw = {**SMALL[registry.lookup(algo)[0].name], **kw}
    if algo.endswith("pytorch"):
        kw["device"] = "cpu"
    entry(algo)(EnvFn(env_id), epochs=epochs, seed=5,
                logger_kwargs=dict(output_dir=str(out), verbose=False), **kw)


# (algo, env, extra args): episodes that end exactly at the epoch boundary (Pendulum: 200
# steps) and episodes cut mid-way by the checkpoint (HalfCheetah: 150-step epochs, 100-step
# episodes), with and without a saved replay buffer where it matters.
CASES = [
    ("td3_jax", "Pendulum-v1", dict(steps_per_epoch=200, save_buffer=True)),
    ("td3_jax", "HalfCheetah-v4", dict(steps_per_epoch=150, max_ep_len=100, save_buffer=True)),
    ("td3_pytorch", "Pendulum-v1", dict(steps_per_epoch=200, save_buffer=True)),
    ("vpg_jax", "CartPole-v1", dict(steps_per_epoch=300)),
    ("vpg_pytorch", "HalfCheetah-v4", dict(steps_per_epoch=300, max_ep_len=120)),
    ("ppo_jax", "CartPole-v1", dict(steps_per_epoch=300)),
    ("ppo_pytorch", "HalfCheetah-v4", dict(steps_per_epoch=300, max_ep_len=120)),
    ("trpo_jax", "HalfCheetah-v4", dict(steps_per_epoch=300, max_ep_len=120)),
    ("trpo_pytorch", "CartPole-v1", dict(steps_per_epoch=300)),
    ("ddpg_jax", "HalfCheetah-v4", dict(steps_per_epoch=150, max_ep_len=100, save_buffer=True)),
    ("ddpg_pytorch", "Pendulum-v1", dict(steps_per_epoch=200, save_buffer=True)),
    ("sac_jax", "HalfCheetah-v4", dict(steps_per_epoch=150, max_ep_len=100, save_buffer=True,
                                       alpha="auto")),
    ("sac_pytorch", "Pendulum-v1", dict(steps_per_epoch=200, save_buffer=True)),
]


@pytest.mark.parametrize("algo,env_id,kw", CASES, ids=[f"{a}-{e}" for a, e, _ in CASES])
def test_resumed_run_equals_the_run_that_never_stopped(algo, env_id, kw, tmp_path):
    train(algo, env_id, tmp_path / "whole", 4, **kw)
    train(algo, env_id, tmp_path / "split", 2, **kw)
    assert len(rows_without_time(tmp_path / "split")) == 2
    runs.resume(str(tmp_path / "split"), epochs=4)
    assert rows_without_time(tmp_path / "split") == rows_without_time(tmp_path / "whole")
    # config.json names the code of each stretch: the first two epochs, then the resumed two.
    code = run_files.read_config(str(tmp_path / "split"))["spinup_code"]
    assert [c["from_epoch"] for c in code] == [0, 2]
    assert all(c["commit"] is None or len(c["commit"]) == 40 for c in code)
    assert code[0]["version"] == spinup.__version__


def _as_single_env_layout(run_dir, algo):
    """Rewrite a run's checkpoint in the layout spinup wrote before vectorised envs (one env
    as ``env/...`` and ``env_rng``; TD3's episode return and length as meta scalars; VPG
    without the action-space stream)."""
    arrays, meta = run_files.load_checkpoint(str(run_dir))
    assert meta.pop("num_envs") == 1
    old = {"env_rng": meta.pop("env0_rng"), "env_physics": meta.pop("env0_physics")}
    arrays = {("env/" + k[len("env0/"):] if k.startswith("env0/") else k): v
              for k, v in arrays.items()}
    arrays["env/obs"] = arrays.pop("obs")[0]
    if algo.startswith("td3"):
        old.update(ep_ret=float(arrays.pop("ep_ret")[0]), ep_len=int(arrays.pop("ep_len")[0]))
    else:
        meta.pop("action_space_rng")
    run_files.save_checkpoint(str(run_dir), arrays, {**meta, **old})


@pytest.mark.parametrize("algo", ["td3_jax", "vpg_pytorch"])
def test_checkpoint_from_before_vector_envs_resumes_exactly(algo, tmp_path):
    kw = dict(steps_per_epoch=150, max_ep_len=100)  # TD3's checkpoint falls mid-episode
    kw.update(save_buffer=True) if algo.startswith("td3") else kw.update(steps_per_epoch=300)
    train(algo, "HalfCheetah-v4", tmp_path / "whole", 3, **kw)
    train(algo, "HalfCheetah-v4", tmp_path / "split", 2, **kw)
    _as_single_env_layout(tmp_path / "split", algo)
    runs.resume(str(tmp_path / "split"), epochs=3)
    assert rows_without_time(tmp_path / "split") == rows_without_time(tmp_path / "whole")


def test_without_the_buffer_updates_wait_for_a_refill(tmp_path):
    """Without --save_buffer the resumed run starts with an empty buffer: it still trains,
    just not identically, and its later checkpoints keep working."""
    kw = dict(steps_per_epoch=200, save_buffer=False)
    train("td3_jax", "Pendulum-v1", tmp_path / "whole", 3, **kw)
    train("td3_jax", "Pendulum-v1", tmp_path / "split", 2, **kw)
    runs.resume(str(tmp_path / "split"), epochs=3)
    whole, split = rows_without_time(tmp_path / "whole"), rows_without_time(tmp_path / "split")
    assert whole[:2] == split[:2] and whole[2] != split[2] and len(split) == 3
    assert not (tmp_path / "split" / "checkpoint" / "buffer").exists()


def test_buffer_chunks_cover_what_the_buffer_holds(tmp_path):
    """A replay buffer smaller than the run: old chunks are pruned, and the run still resumes
    exactly."""
    kw = dict(steps_per_epoch=200, replay_size=300, save_buffer=True)
    train("td3_jax", "Pendulum-v1", tmp_path / "whole", 4, **kw)
    train("td3_jax", "Pendulum-v1", tmp_path / "split", 3, **kw)
    chunks = run_files.buffer_chunks(str(tmp_path / "split"))
    assert [(a, b) for a, b, _ in chunks] == [(200, 400), (400, 600)]  # 0-200 overwritten
    runs.resume(str(tmp_path / "split"), epochs=4)
    assert rows_without_time(tmp_path / "split") == rows_without_time(tmp_path / "whole")


def _popen(args, **kw):
    return subprocess.Popen([sys.executable, "-m", "spinup.run", *args], env={**os.environ,
                            **QUIET}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, **kw)


def test_sigkill_mid_run_then_resume_gives_every_epoch_once(tmp_path):
    """A real CLI run, killed with SIGKILL (the whole process group) after its second
    checkpoint, resumed from the command line: every epoch exactly once, and the same rows as
    a run that was never killed."""
    flags = ["--env", "Pendulum-v1", "--hid", "(32,32)", "--steps_per_epoch", "200",
             "--start_steps", "100", "--update_after", "100", "--batch_size", "32",
             "--num_test_episodes", "1", "--save_buffer", "--seed", "3",
             "--data_dir", str(tmp_path)]
    proc = _popen(["td3_jax", "--epochs", "30", "--exp_name", "killed", *flags])
    run_dir = tmp_path / "killed" / "killed_s3"
    deadline = time.time() + 240
    try:
        while time.time() < deadline:
            if run_files.checkpoint_path(str(run_dir)) and \
                    os.path.isfile(run_files.checkpoint_path(str(run_dir))):
                try:
                    if run_files.load_checkpoint(str(run_dir))[1]["epoch"] >= 1:
                        break
                except Exception:
                    pass
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.2)
        time.sleep(0.5)  # let it get into the next epoch
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done = run_files.load_checkpoint(str(run_dir))[1]["epoch"] + 1
    assert 2 <= done < 30
    r = subprocess.run([sys.executable, "-m", "spinup.run", "resume", str(run_dir),
                        "--epochs", str(done + 2)], env={**os.environ, **QUIET},
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    epochs = [int(row[0]) for row in rows_without_time(run_dir)]
    assert epochs == list(range(1, done + 3))
    subprocess.run([sys.executable, "-m", "spinup.run", "td3_jax", "--epochs", str(done + 2),
                    "--exp_name", "whole", *flags], env={**os.environ, **QUIET}, check=True,
                   capture_output=True)
    assert rows_without_time(run_dir) == rows_without_time(tmp_path / "whole" / "whole_s3")


def test_crash_mid_checkpoint_write_keeps_the_previous_one(tmp_path):
    """A crash while writing leaves a truncated temporary file beside the last good
    checkpoint: resume ignores it and continues from the good one."""
    train("vpg_jax", "CartPole-v1", tmp_path, 2, steps_per_epoch=200)
    path = run_files.checkpoint_path(str(tmp_path))
    data = open(path, "rb").read()
    with open(path + ".tmp", "wb") as f:
        f.write(data[: len(data) // 3])
    assert run_files.load_checkpoint(str(tmp_path))[1]["epoch"] == 1
    runs.resume(str(tmp_path), epochs=3)
    assert [r[0] for r in rows_without_time(tmp_path)] == ["0", "1", "2"]


def test_grid_folder_resumes_its_unfinished_runs(tmp_path, capsys):
    for seed, epochs in ((0, 2), (1, 1)):
        out = tmp_path / "grid" / f"grid_s{seed}"
        entry("vpg_jax")(EnvFn("CartPole-v1"), epochs=epochs, seed=seed, steps_per_epoch=200,
                         save_freq=1, logger_kwargs=dict(output_dir=str(out), verbose=False),
                         **VPG_SMALL)
    # Seed 1 "died" after its first epoch: its config still asks for 2.
    cfg_path = tmp_path / "grid" / "grid_s1" / "config.json"
    cfg = json.loads(cfg_path.read_text())  # a meant edit drops the checksum with it
    del cfg["spinup_checksum"]
    cfg_path.write_text(json.dumps(dict(cfg, epochs=2)))
    assert main(["resume", str(tmp_path / "grid")]) == 0
    out = capsys.readouterr().out
    assert "finished" in out and "resume" in out
    for seed in (0, 1):
        assert len(rows_without_time(tmp_path / "grid" / f"grid_s{seed}")) == 2


# ---------------------------------------------------------------------------------------------
# Bad input: one line, exit code 2, no traceback, nothing overwritten
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("finished")
    train("td3_jax", "Pendulum-v1", out, 2, steps_per_epoch=200)
    return out


def _error(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: ") and "\n" not in err, (code, err)
    return err


def _copy(src, dst):
    import shutil
    shutil.copytree(src, dst)
    return dst


def test_resume_bad_input(finished_run, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert "holds no run" in _error(capsys, ["resume", str(tmp_path / "empty")])
    assert "not a folder" in _error(capsys, ["resume", str(tmp_path / "nope")])
    err = _error(capsys, ["resume", str(finished_run)])
    assert "finished (2 of 2 epochs)" in err and "--epochs N" in err
    assert "--epochs 2" in _error(capsys, ["resume", str(finished_run), "--epochs", "2"])


def test_damaged_files_are_named(finished_run, tmp_path, capsys):
    before = (finished_run / "progress.txt").read_text()
    run = _copy(finished_run, tmp_path / "ckpt")
    ckpt = run_files.checkpoint_path(str(run))
    data = open(ckpt, "rb").read()
    open(ckpt, "wb").write(data[: len(data) // 2])
    err = _error(capsys, ["resume", str(run), "--epochs", "3"])
    assert "checkpoint.npz" in err and "damaged or truncated" in err

    run = _copy(finished_run, tmp_path / "cfg")
    (run / "config.json").write_text('{"algo": "td3_jax", "epochs": 2')
    err = _error(capsys, ["resume", str(run), "--epochs", "3"])
    assert "config.json" in err and "not valid JSON" in err
    assert "config.json" in _error(capsys, ["test_policy", str(run)])

    run = _copy(finished_run, tmp_path / "newer")
    cfg = (run / "config.json").read_text().replace('"spinup_format":\t2', '"spinup_format":\t7')
    (run / "config.json").write_text(cfg)
    err = _error(capsys, ["test_policy", str(run)])
    assert "newer spinup" in err and "format 7" in err

    run = _copy(finished_run, tmp_path / "model")
    model = run / "model" / "weights.npz"
    model.write_bytes(b"PK\x03\x04 not really a zip")
    err = _error(capsys, ["test_policy", str(run)])
    assert "weights.npz" in err and "saved model" in err
    assert (finished_run / "progress.txt").read_text() == before


def test_cuda_is_refused_before_any_run_starts(tmp_path, capsys):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    err = _error(capsys, ["td3_pytorch", "--env", "Pendulum-v1", "--device", "cuda",
                          "--data_dir", str(tmp_path)])
    assert "CUDA is not available" in err and not any(tmp_path.iterdir())


def test_checkpoint_holds_every_rng_and_counter(finished_run):
    arrays, meta = run_files.load_checkpoint(str(finished_run))
    assert meta["epoch"] == 1 and meta["rows"] == 2 and meta["replay_total"] == 400
    for key in ("action_space_rng", "test_env_rng", "replay_rng", "env0_rng"):
        assert "state" in meta[key]
    assert meta["env0_physics"] and "env0/state" in arrays  # Pendulum's [theta, thetadot]
    assert "learner/rng/noise" in arrays and "learner/state/key" in arrays
    assert np.asarray(arrays["obs"]).shape == (1, 3)


def test_rerun_of_a_grid_continues_its_unfinished_runs(tmp_path):
    """A grid variant left unfinished with a checkpoint (here: a run of 2 epochs that the
    rerun asks 3 of) is resumed by the rerun, not started afresh: its rows equal a run that
    went 3 epochs in one go."""
    flags = ["--env", "Pendulum-v1", "--hid", "(32,32)", "--steps_per_epoch", "200",
             "--start_steps", "100", "--update_after", "100", "--batch_size", "32",
             "--num_test_episodes", "1", "--save_buffer", "--data_dir", str(tmp_path)]
    env = {**os.environ, **QUIET}
    for epochs, name in (("2", "g"), ("3", "g"), ("3", "whole")):
        r = subprocess.run([sys.executable, "-m", "spinup.run", "td3_jax", "--epochs", epochs,
                            "--exp_name", name, *flags], env=env, capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stderr[-2000:]
    log = (tmp_path / "g" / "g_s0" / "stdout.log").read_text()
    assert "Resuming" in log and "after epoch 2 of 3" in log
    assert rows_without_time(tmp_path / "g" / "g_s0") == \
        rows_without_time(tmp_path / "whole" / "whole_s0")


def test_unwritable_output_folder_is_refused_before_any_run(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    err = _error(capsys, ["vpg_jax", "--env", "CartPole-v1", "--data_dir", str(blocker / "d")])
    assert "cannot be written" in err and "a_file" in err
    err = _error(capsys, ["td3_jax", "--env", "Pendulum-v1", "--seed", "0", "1",
                          "--population", "--data_dir", str(blocker / "d")])
    assert "cannot be written" in err
