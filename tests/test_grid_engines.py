"""Grid engines: a real 4-variant grid on 2 local workers and on a real local Ray cluster (same
folders, same progress values), failures retried then reported, Ctrl-C, reruns, bad input."""
import glob
import json
import os
import os.path as osp
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

import cloudpickle
import pytest

from spinup.algos.common.checks import InputError
from spinup.commands import engines
from spinup.commands.run_utils import ExperimentGrid
from spinup.run import main
from spinup.utils import run_files
from tests.helpers import toy

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
cloudpickle.register_pickle_by_value(toy)  # variants unpickle it without the tests folder

requires_ray = pytest.mark.skipif(
    not engines.ray_available(),
    reason=f"Ray is an optional extra, not installed here ({engines.RAY_INSTALL})")

# 4 variants (2 network sizes x 2 seeds) of a real algorithm on a small environment.
VPG_GRID = ["vpg_pytorch", "--env", "CartPole-v1", "--epochs", "2", "--steps_per_epoch", "300",
            "--hid[h]", "[16]", "[8,8]", "--seed", "0", "1", "--exp_name", "g"]
VPG_RUNS = [f"g_{h}/g_{h}_s{s}" for h in ("h16", "h8-8") for s in (0, 1)]


def spinup_run(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               SPINUP_NO_PROGRESS="1", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "spinup.run", *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def tree(root):
    """The files under root; TensorBoard event files by kind (their names hold the time)."""
    return sorted(osp.relpath(osp.join(d, "events.out.tfevents" if
                                       f.startswith("events.out.tfevents.") else f), root)
                  for d, _, fs in os.walk(root) for f in fs)


def progress_without_times(run):
    rows = [r.split("\t") for r in open(osp.join(run, "progress.txt")).read().splitlines()]
    keep = [i for i, k in enumerate(rows[0]) if not k.startswith("Time")]
    return [[r[i] for i in keep] for r in rows]


@pytest.fixture(scope="module")
def local_grid(tmp_path_factory):
    data = tmp_path_factory.mktemp("local")
    proc = spinup_run(*VPG_GRID, "--num_workers", "2", "--data_dir", str(data))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return data, proc.stdout


def test_four_variant_grid_on_two_local_workers(local_grid):
    data, out = local_grid
    for run in VPG_RUNS:
        assert {"config.json", "progress.txt", "stdout.log"} <= set(os.listdir(data / run))
        rows = (data / run / "progress.txt").read_text().splitlines()
        assert len(rows) == 3
        assert engines.variant_status(str(data / run)) == "done"
    assert out.count("finished [") == 4
    # the summary closes the grid: printed, and written beside the variants
    assert "Variants ranked by AverageEpRet" in out
    summary = (data / "g_summary.csv").read_text().splitlines()
    assert summary[0].startswith("rank,variant,metric,mean,std,seeds")
    assert {ln.split(",")[1] for ln in summary[1:]} == {"g_h16", "g_h8-8"}


@pytest.fixture(scope="module")
def ray_cluster():
    """A real 2-CPU Ray instance owned by this test process; every process of it is gone
    after the module."""
    import ray
    # Ray's processes inherit SIGINT's disposition, and an ignored one (pytest started as a
    # background job of a shell) would keep Ray's task cancel (a SIGINT) from landing.
    old = signal.getsignal(signal.SIGINT)
    if old == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with engines.on_loopback():
            ctx = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    finally:
        signal.signal(signal.SIGINT, old)
    session = ctx.address_info["session_dir"]
    yield ctx.address_info["gcs_address"]
    ray.shutdown()
    deadline = time.time() + 20
    while _processes_with(session) and time.time() < deadline:
        time.sleep(0.5)
    assert not _processes_with(session), "Ray processes left after shutdown"


def _processes_with(text):
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


@requires_ray
def test_same_grid_on_a_ray_cluster_writes_the_same_runs(local_grid, ray_cluster, tmp_path):
    local, _ = local_grid
    # A separate launcher joins the cluster by address, as it would join a remote one; the
    # run folders come back as bytes into its --data_dir.
    proc = spinup_run(*VPG_GRID, "--engine", "ray", "--address", ray_cluster,
                      "--data_dir", str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Engine: ray" in proc.stdout
    assert tree(tmp_path) == tree(local)
    for run in VPG_RUNS:
        assert progress_without_times(tmp_path / run) == progress_without_times(local / run)
        cfg = json.loads((tmp_path / run / "config.json").read_text())
        assert cfg["logger_kwargs"]["output_dir"] == str(tmp_path / run)
        # The same config but for the folder; its checksum was sealed again after the move.
        local_cfg = json.loads((local / run / "config.json").read_text().replace(
            str(local), str(tmp_path)))
        local_cfg.pop("spinup_checksum")
        assert {k: v for k, v in cfg.items() if k != "spinup_checksum"} == local_cfg
        run_files.read_config(str(tmp_path / run))  # raises if the checksum does not hold


def failing_grid():
    eg = ExperimentGrid("f")
    eg.add("fail", [False, True], "fail")
    eg.add("x", [1, 2])
    return eg


@pytest.mark.parametrize("engine", ["local", pytest.param("ray", marks=requires_ray)])
def test_failed_variant_is_retried_once_then_reported(engine, tmp_path, request):
    if engine == "ray":
        request.getfixturevalue("ray_cluster")  # runs in this process's Ray connection
    with pytest.raises(RuntimeError) as err:
        failing_grid().run(toy.toy_experiment, data_dir=str(tmp_path), num_workers=2,
                           engine=engine)
    msg = str(err.value)
    assert "2 of 4 variant(s) failed" in msg
    for x in (1, 2):
        assert f"f_fail_x{x} (seed 0) failed 2 times" in msg and f"x={x}" in msg
        bad = tmp_path / f"f_fail_x{x}" / f"f_fail_x{x}_s0"
        assert len((bad / "attempts.txt").read_text().split()) == 2
        assert "ValueError: toy failure" in (bad / "error.txt").read_text()
        assert engines.variant_status(str(bad)) == "unfinished"
        good = tmp_path / f"f_x{x}" / f"f_x{x}_s0"
        assert len((good / "attempts.txt").read_text().split()) == 1
        assert engines.variant_status(str(good)) == "done"
    # a rerun runs only what is not done
    with pytest.raises(RuntimeError):
        failing_grid().run(toy.toy_experiment, data_dir=str(tmp_path), num_workers=2)
    assert len((tmp_path / "f_x1" / "f_x1_s0" / "attempts.txt").read_text().split()) == 1
    assert len((tmp_path / "f_fail_x1" / "f_fail_x1_s0" / "attempts.txt").read_text().split()) \
        == 4


def test_variant_status(tmp_path):
    run = tmp_path / "r"
    assert engines.variant_status(str(run)) == "new"
    run.mkdir()
    assert engines.variant_status(str(run)) == "new"
    (run / "config.json").write_text('{"epochs": 3}')
    assert engines.variant_status(str(run)) == "unfinished"
    (run / "progress.txt").write_text("Epoch\tX\n0\t1\n1\t1\n")
    assert engines.variant_status(str(run)) == "unfinished"
    assert engines.variant_status(str(run), epochs=2) == "done"
    with open(run / "progress.txt", "a") as f:
        f.write("2\t1\n3")  # a row cut short by a kill does not count
    assert engines.variant_status(str(run)) == "done"
    (run / "error.txt").write_text("Traceback")
    assert engines.variant_status(str(run)) == "unfinished"
    # TD3 counts epochs from 1, VPG from 0: the rows tell, not the last value
    td3 = tmp_path / "td3"
    td3.mkdir()
    (td3 / "progress.txt").write_text("Epoch\tX\n1\t1\n")
    assert engines.variant_status(str(td3), epochs=2) == "unfinished"
    with open(td3 / "progress.txt", "a") as f:
        f.write("2\t1\n")
    assert engines.variant_status(str(td3), epochs=2) == "done"


def test_worker_env_keeps_openmp_and_mkl_threads_in_step(monkeypatch):
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    env = engines.worker_env(1)
    assert env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "1"
    env = engines.worker_env(1, threads=3)  # an explicit setting (cpus_per_variant) wins
    assert env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "3"
    monkeypatch.delenv("OMP_NUM_THREADS")
    env = engines.worker_env(os.cpu_count() or 1)
    assert env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "1"


INTERRUPT = textwrap.dedent("""
    import sys
    from spinup.commands.run_utils import ExperimentGrid
    from tests.helpers import toy
    import cloudpickle
    cloudpickle.register_pickle_by_value(toy)
    data_dir, name, engine, address = sys.argv[1:5]
    eg = ExperimentGrid(name)
    eg.add("x", [1, 2, 3])
    eg.add("sleep", 60)
    try:
        eg.run(toy.toy_experiment, data_dir=data_dir, num_workers=2, engine=engine,
               address=address or None)
    except KeyboardInterrupt:
        sys.exit(130)
""")


@pytest.mark.parametrize("engine,sig", [
    ("local", signal.SIGINT), ("local", signal.SIGTERM),
    pytest.param("ray", signal.SIGINT, marks=requires_ray)])
def test_ctrl_c_stops_running_variants_and_lists_unfinished(engine, sig, tmp_path, request):
    address = request.getfixturevalue("ray_cluster") if engine == "ray" else ""
    name = f"c{os.getpid()}{engine}{int(sig)}"
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # Ctrl-C's default action, whatever this pytest process inherited or was left with (a
    # child started with SIGINT ignored keeps it ignored, and would never see the Ctrl-C).
    proc = subprocess.Popen([sys.executable, "-c", INTERRUPT, str(tmp_path), name, engine,
                             address], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    runs = [tmp_path / f"{name}_x{x}" / f"{name}_x{x}_s0" for x in (1, 2, 3)]
    # a Ray variant writes into a temporary folder on its node until it ends
    where = str(tmp_path) if engine == "local" else tempfile.gettempdir() + "/spinup-*"
    started = lambda: glob.glob(f"{where}/**/{name}_x*_s0/attempts.txt", recursive=True)
    deadline = time.time() + 60
    while len(started()) < 2 and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(0.3)
    pids = [int(open(f).read()) for f in started()]
    assert len(pids) == 2
    t0 = time.time()
    proc.send_signal(sig)  # SIGTERM (`kill`) stops a grid as Ctrl-C does
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    assert time.time() - t0 < 20
    assert "3 run(s) unfinished" in out
    # ... and what running the command again does
    assert "resumes from its last checkpoint" in out and "spinup.run resume" in out
    for x in (1, 2, 3):
        assert f"{name}_x{x} (seed 0)" in out.split("unfinished")[-1]
    for pid in pids:  # no orphans
        assert not osp.exists(f"/proc/{pid}") or "zombie" in _state(pid), pid
    # what the stopped variants wrote is here (from the Ray node too), ready for a rerun
    assert [engines.variant_status(str(r)) for r in runs] == ["unfinished"] * 2 + ["new"]
    assert all((r / "attempts.txt").exists() for r in runs[:2])


def _state(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return f.read().lower()
    except OSError:
        return "zombie"


def test_grid_bad_engine_settings_fail_before_any_work(tmp_path, monkeypatch, capsys):
    base = ["vpg_jax", "--env", "CartPole-v1", "--data_dir", str(tmp_path / "d")]
    cases = [
        (["--engine", "spark"], ["--engine='spark'", "'local', 'ray'"]),
        (["--num_workers", "0", "--engine", "ray"], ["num_workers=0", ">= 1"]),
        (["--address", "127.0.0.1:6379"], ["needs --engine ray"]),
        (["--gpus_per_variant", "1"], ["needs --engine ray"]),
        (["--cpus_per_variant", "0"], ["cpus_per_variant=0"]),
        (["--hid", "[8,8]", "(8,8)"], ["would both write", "vpg_jax_ac-hid8-8"]),
        (["--seed", "0", "0"], ["would both write"]),
    ]
    for extra, fragments in cases:
        assert main(base + extra) == 2, extra
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and len(err.splitlines()) == 1, err
        for frag in fragments:
            assert frag in err, (extra, err)
    monkeypatch.setattr(engines, "ray_available", lambda: False)
    assert main(base + ["--engine", "ray"]) == 2
    assert 'pip install -e ".[ray]"' in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_address_fails_within_seconds():
    t0 = time.time()
    with pytest.raises(InputError, match="no Ray cluster answers there"):
        engines.check_address(f"127.0.0.1:{closed_port()}")
    with pytest.raises(InputError, match="expected HOST:PORT"):
        engines.check_address("headnode")
    assert time.time() - t0 < 5


@requires_ray
def test_cli_unreachable_address_starts_nothing(tmp_path, capsys):
    t0 = time.time()
    code = main(["vpg_jax", "--env", "CartPole-v1", "--engine", "ray", "--address",
                 f"127.0.0.1:{closed_port()}", "--data_dir", str(tmp_path / "d")])
    assert code == 2 and time.time() - t0 < 10
    assert "no Ray cluster answers there" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


@requires_ray
def test_a_local_ray_instance_listens_on_loopback(tmp_path):
    """--engine ray without --address starts Ray on this machine, on 127.0.0.1 only: the
    node the variant ran on says so in its log."""
    proc = spinup_run("vpg_pytorch", "--env", "CartPole-v1", "--epochs", "1",
                      "--steps_per_epoch", "300", "--hid", "[8]", "--seed", "0", "1",
                      "--engine", "ray", "--cpus_per_variant", "1", "--exp_name", "loop",
                      "--data_dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    logs = glob.glob(str(tmp_path / "loop" / "*" / "stdout.log"))
    assert logs and all(", 127.0.0.1 (" in open(f).read() for f in logs), logs
