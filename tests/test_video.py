"""`test_policy RUN --video PATH`: a GIF of a short run of each backend, read back; bad input is
a one-line error (exit 2) before anything is written; a missing GL backend names its packages."""
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageSequence

from spinup.commands import video
from spinup.run import main

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = {  # a few seconds each: enough to save a model
    "td3_jax": ["--steps_per_epoch", "200", "--start_steps", "100", "--update_after", "100",
                "--num_test_episodes", "1", "--max_ep_len", "100"],
    "vpg_pytorch": ["--steps_per_epoch", "200", "--max_ep_len", "100"],
}


def spinup_run(*args, **env):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               SPINUP_NO_PROGRESS="1", **env)
    env.pop("MUJOCO_GL", None)  # test_policy picks it
    return subprocess.run([sys.executable, "-m", "spinup.run", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """algo -> run folder of a 1-epoch HalfCheetah run (trained on first use)."""
    made, root = {}, tmp_path_factory.mktemp("runs")

    def get(algo):
        if algo not in made:
            proc = spinup_run(algo, "--env", "HalfCheetah-v4", "--epochs", "1", *TRAIN[algo],
                              "--exp_name", algo, "--data_dir", root)
            assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
            made[algo] = root / algo / f"{algo}_s0"
        return made[algo]
    return get


def read_gif(path):
    with Image.open(path) as im:
        durations = [f.info["duration"] for f in ImageSequence.Iterator(im)]
        frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]
    return np.stack(frames), durations


@pytest.mark.parametrize("algo", list(TRAIN))
def test_gif_of_a_short_run(algo, runs, tmp_path):
    out = tmp_path / "policy.gif"
    out.write_bytes(b"old")  # replaced only by a complete file
    proc = spinup_run("test_policy", runs(algo), "--video", out, "--video_len", "40",
                      "--width", "96", "--height", "64")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"Wrote {out}: 20 frames 96x64 at 10 fps" in proc.stdout
    assert "MUJOCO_GL=egl" in proc.stdout or "MUJOCO_GL=osmesa" in proc.stdout
    frames, durations = read_gif(out)
    assert frames.shape == (20, 64, 96, 3)
    assert durations == [100] * 20  # every 2nd of HalfCheetah's 0.05 s steps: real time
    assert frames[0].std() > 10  # not a blank image
    assert len({f.tobytes() for f in frames}) > 10  # it moves
    assert os.listdir(tmp_path) == ["policy.gif"]  # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would make it


@pytest.mark.skipif(importlib.util.find_spec("imageio_ffmpeg") is None,
                    reason="MP4 needs imageio-ffmpeg")
def test_mp4(runs, tmp_path):
    import imageio.v3 as iio
    out = tmp_path / "policy.mp4"
    proc = spinup_run("test_policy", runs("td3_jax"), "--video", out, "--video_len", "30",
                      "--width", "96", "--height", "64", "--fps", "25")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert iio.imread(out, plugin="FFMPEG", index=None).shape == (30, 64, 96, 3)


BAD = [
    (["--video", "{d}/p.avi"], ["'{d}/p.avi'", ".gif or .mp4"]),
    (["--video", "{d}/no/such/p.gif"], ["folder '{d}/no/such' does not exist"]),
    (["--video", "{d}"], ["is a folder", "policy.gif"]),
    (["--video", "{d}/p.gif", "--video_len", "0"], ["--video_len 0: expected a positive integer"]),
    (["--video", "{d}/p.gif", "--every", "-2"], ["--every -2: expected a positive integer"]),
    (["--video", "{d}/p.gif", "--width", "0"], ["--width 0: expected a positive integer"]),
    (["--video", "{d}/p.gif", "--fps", "0"], ["--fps 0.0: expected a positive number"]),
    (["--video", "{d}/p.mp4", "--width", "97"], ["even width and height"]),
    (["--video", "{d}/p.gif", "--render"], ["--render", "--video"]),
    (["--video", "{d}/p.gif"], ["run' is not a folder"]),  # the run folder is checked too
]


@pytest.mark.parametrize("argv,fragments", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_error_before_any_work(argv, fragments, tmp_path, capsys):
    (tmp_path / "p.gif").write_bytes(b"keep")
    d = str(tmp_path)
    assert main(["test_policy", f"{d}/run"] + [a.format(d=d) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and len(err.splitlines()) == 1, err
    for frag in fragments:
        assert frag.format(d=d) in err
    assert os.listdir(tmp_path) == ["p.gif"]  # nothing new, nothing overwritten
    assert (tmp_path / "p.gif").read_bytes() == b"keep"


def test_unwritable_folder_and_missing_ffmpeg(tmp_path, monkeypatch, capsys):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "imageio_ffmpeg" else find_spec(name, *a))
    assert main(["test_policy", str(tmp_path), "--video", str(tmp_path / "p.mp4")]) == 2
    assert "pip install imageio-ffmpeg" in capsys.readouterr().err
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # root may write anywhere
    assert main(["test_policy", str(tmp_path), "--video", str(tmp_path / "p.gif")]) == 2
    assert f"folder {str(tmp_path)!r} is not writable" in capsys.readouterr().err


def test_no_gl_backend_names_the_debian_packages(runs, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(video, "_probe", lambda backend, own_choice=True: "libX not found")
    monkeypatch.delenv("MUJOCO_GL", raising=False)
    out = tmp_path / "p.gif"
    assert main(["test_policy", str(runs("td3_jax")), "--video", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no headless OpenGL backend works here" in err
    assert "libegl1 libopengl0 libgl1-mesa-dri" in err and "libosmesa6" in err
    assert not out.exists()
    monkeypatch.setenv("MUJOCO_GL", "osmesa")  # the user's choice is kept, and checked
    assert main(["test_policy", str(runs("td3_jax")), "--video", str(out)]) == 2
    err = capsys.readouterr().err
    assert "MUJOCO_GL=osmesa cannot render here (libX not found); install libosmesa6" in err


def test_non_mujoco_env_renders_or_says_why():
    import gymnasium as gym
    assert video.is_mujoco_env("HalfCheetah-v4") and not video.is_mujoco_env("Pendulum-v1")
    env = gym.make("Pendulum-v1", render_mode="rgb_array")
    env.reset(seed=0)
    rec = video.FrameRecorder("Pendulum-v1", 1, 64, 48)
    try:
        rec(env)
    except video.RenderSetupError as e:  # pygame missing: say so in one line
        assert str(e).startswith("Pendulum-v1 cannot render frames here: ") and "pygame" in str(e)
        assert len(str(e).splitlines()) == 1
    else:
        assert rec.frames[0].shape == (48, 48, 3)  # a square scaled to fit 64 x 48
    env.close()
