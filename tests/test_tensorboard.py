"""TensorBoard events beside progress.txt: a real TensorBoard server on localhost serves every
column back at step TotalEnvInteracts, and the config as text; the switch turns them off
without changing a training number; a resumed run's events replace what was cut."""
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest

from spinup import vpg_pytorch
from spinup.algos.common.envs import EnvFn
from spinup.utils import run_files
from spinup.utils.logx import Logger

pytest.importorskip("tensorboardX")
KW = dict(epochs=2, steps_per_epoch=200, max_ep_len=100, seed=3, device="cpu")


def events(run_dir):
    return [f for f in os.listdir(run_dir) if f.startswith("events.out.tfevents")]


def columns(run_dir, drop_time=True):
    header, rows = run_files.read_progress(str(run_dir), verify=False)
    keep = [i for i, h in enumerate(header) if not (drop_time and h.startswith("Time"))]
    return [header[i] for i in keep], [[r[i] for i in keep] for r in rows]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same short run with TensorBoard on (the default) and off."""
    root = tmp_path_factory.mktemp("tb")
    vpg_pytorch(EnvFn("CartPole-v1"), **KW,
                logger_kwargs=dict(output_dir=str(root / "on" / "r"), verbose=False))
    vpg_pytorch(EnvFn("CartPole-v1"), **KW,
                logger_kwargs=dict(output_dir=str(root / "off"), verbose=False,
                                   tensorboard=False))
    return root


def get_json(base, path, **query):
    url = base + path + ("?" + urllib.parse.urlencode(query) if query else "")
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read().decode())


def test_tensorboard_server_serves_every_column(runs):
    """A real `tensorboard --logdir` on 127.0.0.1, read over its HTTP API."""
    pytest.importorskip("tensorboard")
    server = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(runs / "on"), "--host",
         "127.0.0.1", "--port", "0", "--load_fast", "false", "--reload_interval", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base, deadline = None, time.time() + 90
        while base is None and time.time() < deadline:
            line = server.stdout.readline()
            m = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            base = m.group(1) if m else None
            assert line or server.poll() is None, "TensorBoard exited before serving"
        assert base, "TensorBoard did not say where it serves"
        header, rows = columns(runs / "on" / "r", drop_time=False)
        tags = {}
        while time.time() < deadline and len(tags.get("r", {})) < len(header):
            tags = get_json(base, "/data/plugin/scalars/tags")
            time.sleep(0.5)
        assert set(tags["r"]) == set(header)  # every progress.txt column, nothing else
        steps = [int(r[header.index("TotalEnvInteracts")]) for r in rows]
        for col in ("AverageEpRet", "LossPi", "Epoch", "TimeUpdate"):
            got = get_json(base, "/data/plugin/scalars/scalars", run="r", tag=col)
            assert [s for _, s, _ in got] == steps == [200, 400]
            np.testing.assert_allclose([v for _, _, v in got],
                                       [float(r[header.index(col)]) for r in rows], rtol=1e-6)
        text = get_json(base, "/data/plugin/text/text", run="r", tag="config/text_summary")
        assert "vpg_pytorch" in text[0]["text"] and "CartPole-v1" in text[0]["text"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_switched_off_it_writes_nothing_and_changes_no_number(runs, tmp_path, monkeypatch):
    assert len(events(runs / "on" / "r")) == 1 and not events(runs / "off")
    assert columns(runs / "on" / "r") == columns(runs / "off")
    monkeypatch.setenv("SPINUP_NO_TENSORBOARD", "1")  # what --no_tensorboard sets
    Logger(output_dir=str(tmp_path), verbose=False).close()
    assert not events(tmp_path)


def test_resumed_run_replaces_the_steps_cut_from_progress(tmp_path):
    """A run killed after logging 3 rows but checkpointed after 2: progress.txt is cut back to
    2 rows and the resumed run logs step 300 again; TensorBoard shows the new value only."""
    ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    log = Logger(output_dir=str(tmp_path), verbose=False)
    for step in (100, 200, 300):
        log.log_tabular("TotalEnvInteracts", step)
        log.log_tabular("Ret", float(step))
        log.dump_tabular()
    log.close()
    time.sleep(1.1)  # event files are named by the second they were opened in
    path = tmp_path / "progress.txt"  # what resume does before the logger opens
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:3]))
    log = Logger(output_dir=str(tmp_path), verbose=False, resume=True)
    log.log_tabular("TotalEnvInteracts", 300)
    log.log_tabular("Ret", -1.0)
    log.dump_tabular()
    log.close()
    acc = ea.EventAccumulator(str(tmp_path))
    acc.Reload()
    assert [(e.step, e.value) for e in acc.Scalars("Ret")] == [(100, 100.0), (200, 200.0),
                                                              (300, -1.0)]



def test_the_writer_comes_with_spinup_and_its_absence_is_said_once(tmp_path):
    """tensorboardX is an install requirement (a base install writes events); where it is
    missing anyway (installed with --no-deps), a run says once why it writes none."""
    from importlib.metadata import requires
    assert any(r.split(";")[0].strip().lower().startswith("tensorboardx")
               for r in requires("spinup"))
    blocker = tmp_path / "blocker" / "tensorboardX"  # first on the path: its import fails
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('tensorboardX hidden by a test')\n")
    env = {**os.environ, "SPINUP_NO_PROGRESS": "1", "PYTHONPATH": os.pathsep.join(
        [str(blocker.parent), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, "-m", "spinup.run", "vpg_jax", "--env", "CartPole-v1",
                        "--epochs", "2", "--steps_per_epoch", "100", "--train_v_iters", "1",
                        "--data_dir", str(tmp_path), "--exp_name", "r"],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    said = [ln for ln in r.stdout.splitlines() if "No TensorBoard events" in ln]
    assert len(said) == 1 and "pip install tensorboardX" in said[0], r.stdout[-2000:]
    assert not events(tmp_path / "r" / "r_s0")
