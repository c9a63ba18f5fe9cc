"""Run folders that cannot be silently wrong: every file a run writes is checked when read, a
folder has one writer at a time, `resume` cuts only a torn last row, and each way a folder or
its arguments can be wrong is one line, not a traceback (issue 19). The damage is real: bits
flipped in real files, two real processes on one folder, a real tmpfs filled up."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import cloudpickle
import numpy as np
import pytest

from spinup.algos import registry, runs
from spinup.algos.common.envs import EnvFn
from spinup.algos.common.numpy_policy import DeterministicActor
from spinup.commands.run_utils import ExperimentGrid
from spinup.run import main
from spinup.utils import run_files
from spinup.utils.errors import RunFolderBusy
from spinup.utils.serialization_utils import load_npz, save_npz
from tests.helpers import toy

cloudpickle.register_pickle_by_value(toy)  # variants unpickle it without the tests folder

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUIET = dict(SPINUP_NO_PROGRESS="1", OMP_NUM_THREADS="1")
TD3_TINY = dict(ac_kwargs=dict(hidden_sizes=(16, 16)), steps_per_epoch=200, start_steps=100,
                update_after=100, update_every=50, batch_size=32, num_test_episodes=1,
                save_buffer=True)
TD3_FLAGS = ["--env", "Pendulum-v1", "--hid", "(16,16)", "--steps_per_epoch", "200",
             "--start_steps", "100", "--update_after", "100", "--update_every", "50",
             "--batch_size", "32", "--num_test_episodes", "1", "--save_buffer"]


def _train(algo, env_id, out, epochs, **kw):
    if algo.endswith("pytorch"):
        kw["device"] = "cpu"
    registry.entry_point(algo)(EnvFn(env_id), epochs=epochs, seed=5,
                               logger_kwargs=dict(output_dir=str(out), verbose=False), **kw)


@pytest.fixture(scope="module")
def td3_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("td3") / "exp" / "exp_s5"
    _train("td3_jax", "Pendulum-v1", out, 2, **TD3_TINY)
    return out


@pytest.fixture(scope="module")
def vpg_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("vpg") / "exp" / "exp_s5"
    _train("vpg_pytorch", "CartPole-v1", out, 1, steps_per_epoch=200, train_v_iters=5,
           ac_kwargs=dict(hidden_sizes=(16,)))
    return out


def _copy(src, tmp_path):
    return type(tmp_path)(shutil.copytree(src, tmp_path / "exp" / src.name))


@pytest.fixture
def run(td3_run, tmp_path):
    """A copy of the finished TD3 run, to damage."""
    return _copy(td3_run, tmp_path)


def _error(capsys, argv, shown=None):
    """Run the CLI in this process: it must stop with one line, no traceback. ``shown``, a
    list, receives what it printed before."""
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == 2 and err.startswith("error: ") and "\n" not in err, (code, err)
    if shown is not None:
        shown.append(captured.out)
    return err


def _popen(args, **kw):
    return subprocess.Popen([sys.executable, *args], env={**os.environ, **QUIET}, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kw)


def _kill(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


# ---------------------------------------------------------------------------------------------
# Checksums: a changed bit is a one-line error naming the file
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fixture", ["td3_run", "vpg_run"])
def test_a_flipped_bit_in_the_saved_model_is_one_line_naming_it(fixture, tmp_path, capsys,
                                                                 request):
    run = _copy(request.getfixturevalue(fixture), tmp_path)
    w = runs.load(str(run)).get_params()["pi/0/w"]
    (model,) = [p for p in (run / "model").iterdir() if not p.name.endswith(".tmp")]
    data = model.read_bytes()
    # wherever the file keeps the weight's bytes (an .npz by canonical layout, a torch
    # state_dict transposed), flip one exponent bit of the middle entry
    at = next(i for i in (data.find(np.ascontiguousarray(x).tobytes()) for x in (w, w.T))
              if i >= 0)
    at += w.itemsize * (w.size // 2) + w.itemsize - 1
    model.write_bytes(data[:at] + bytes([data[at] ^ 0x40]) + data[at + 1:])
    err = _error(capsys, ["test_policy", run, "--episodes", "1"])
    assert model.name in err and "damaged" in err


def test_weights_that_are_not_finite_are_refused(run, capsys):
    learner = runs.load(str(run))
    learner.set_params({k: v * np.nan for k, v in learner.get_params().items()})
    learner.save(str(run / "model"))
    err = _error(capsys, ["test_policy", run, "--episodes", "1"])
    assert "model" in err and "not finite" in err

    arrays, meta = run_files.load_checkpoint(str(run))
    for k in arrays:
        if k.startswith("learner/state/ac/"):
            arrays[k] = arrays[k] * np.nan
    run_files.save_checkpoint(str(run), arrays, meta)
    err = _error(capsys, ["resume", run, "--epochs", "3"])
    assert "checkpoint.npz" in err and "not finite" in err


def test_a_policy_runs_from_its_weights_with_numpy_alone(td3_run):
    with np.load(td3_run / "model" / "weights.npz") as z:  # no torch, no JAX
        params = {k: z[k] for k in z.files}
    actor = DeterministicActor(params, "relu", act_limit=2.0)  # TD3's actor on Pendulum
    obs = np.array([0.3, -0.2, 0.5], np.float32)
    np.testing.assert_allclose(actor(obs), runs.load(str(td3_run)).act(obs), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# progress.txt: read by its Epoch column, checked against the checkpoint
# ---------------------------------------------------------------------------------------------
def _rewrite_progress(run, change):
    path = run / "progress.txt"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(change(lines)))


DAMAGE = {
    "repeated": (lambda lines: lines[:2] + lines[1:], 3),  # epoch 1 twice
    "gap": (lambda lines: lines[:2] + [lines[2].replace("2", "3", 1)], 3),  # 1, then 3
    "not a number": (lambda lines: lines[:1] + ["abc" + lines[1][1:]] + lines[2:], 2),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_repeated_missing_or_unreadable_row_is_named(run, damage, tmp_path, capsys):
    change, line = DAMAGE[damage]
    _rewrite_progress(run, change)
    for argv in (["summarize", run], ["plot", run, "--out", tmp_path / "p.png"],
                 ["resume", run, "--epochs", "3"]):
        err = _error(capsys, argv)
        assert "progress.txt" in err and f"line {line}" in err, (argv[0], err)


def test_rows_changed_after_their_checkpoint_are_refused(run, capsys):
    header = (run / "progress.txt").read_text().splitlines()[0].split("\t")
    col = header.index("AverageEpRet")

    def nudge(lines):  # still a number, epochs intact: only the checksum can tell
        row = lines[1].rstrip("\n").split("\t")
        row[col] = repr(float(row[col]) + 1.0)
        return [lines[0], "\t".join(row) + "\n"] + lines[2:]
    _rewrite_progress(run, nudge)
    for argv in (["summarize", run], ["resume", run, "--epochs", "3"]):
        err = _error(capsys, argv)
        assert "progress.txt" in err and "checksum" in err


def test_a_torn_last_row_is_cut_by_resume(run, capsys):
    rows = (run / "progress.txt").read_text().splitlines()
    with open(run / "progress.txt", "a") as f:
        f.write(rows[-1][:25])  # the process died while writing its next row
    err = _error(capsys, ["summarize", run])
    assert "line 4" in err and "incomplete" in err and "resume" in err
    assert main(["resume", str(run), "--epochs", "3"]) == 0
    header, rows = run_files.read_progress(str(run))
    assert [r[header.index("Epoch")] for r in rows] == ["1", "2", "3"]


# ---------------------------------------------------------------------------------------------
# config.json and the checkpoint: checked as the command line checks
# ---------------------------------------------------------------------------------------------
def _edit_config(run, keep_checksum=False, **changes):
    path = run / "config.json"
    cfg = json.loads(path.read_text())
    if not keep_checksum:
        del cfg["spinup_checksum"]  # a meant edit: its values are checked instead
    for key, value in changes.items():
        head, _, sub = key.partition("__")
        if sub:
            cfg[head][sub] = value
        else:
            cfg[key] = value
    path.write_text(json.dumps(cfg))


CONFIG_CASES = [
    (dict(keep_checksum=True, epochs=3), ["resume"], ["config.json", "changed after"]),
    (dict(pi_lr="fast"), ["resume", "--epochs", "3"], ["config.json", "pi_lr='fast'"]),
    (dict(epochs="2"), ["resume"], ["config.json", "epochs='2'"]),
    (dict(ac_kwargs="big"), ["test_policy"], ["config.json", "ac_kwargs='big'"]),
    (dict(ac_kwargs__hidden_sizes=[8]), ["resume", "--epochs", "3"],
     ["checkpoint.npz", "config.json"]),
    (dict(ac_kwargs__hidden_sizes=[8]), ["test_policy"], ["weights.npz", "config.json"]),
    (dict(algo="sac_jax"), ["resume", "--epochs", "3"], ["config.json", "sac_jax", "td3_jax"]),
    (dict(algo="xyz_jax"), ["test_policy"], ["config.json", "unknown algorithm 'xyz_jax'"]),
    (dict(algo="xyz_jax"), ["resume", "--epochs", "3"], ["config.json", "'xyz_jax'"]),
]


@pytest.mark.parametrize("edit,command,words", CONFIG_CASES,
                         ids=[f"{c[1][0]}-{'-'.join(c[0])}" for c in CONFIG_CASES])
def test_a_config_that_parses_but_is_wrong_is_one_line(run, edit, command, words, capsys):
    _edit_config(run, **edit)
    err = _error(capsys, [command[0], run, *command[1:]])
    assert all(w in err for w in words), err


@pytest.mark.parametrize("depth", [200_000, 60])
@pytest.mark.parametrize("command", ["test_policy", "resume"])
def test_a_config_nested_too_deep_is_one_line(run, depth, command, capsys):
    """JSON deeper than Python's parser can go, and deep enough to exhaust the stack of
    anything walking it later: one line naming config.json, not a RecursionError."""
    path = run / "config.json"
    text = path.read_text().rstrip()
    path.write_text(text[:-1] + ', "deep": ' + '{"a": ' * depth + "1" + "}" * depth + "}")
    err = _error(capsys, [command, run, *(["--epochs", "3"] if command == "resume" else [])])
    assert "config.json" in err and "nested" in err, err


@pytest.mark.parametrize("key,value", [("epoch", "1"), ("rows", 2.5), ("buffer_saved", "no"),
                                       ("replay_rng", {"bit_generator": "PCG64", "state": 3})])
def test_checkpoint_meta_of_the_wrong_type_is_one_line(run, key, value, capsys):
    arrays, meta = run_files.load_checkpoint(str(run))
    arrays["meta"] = np.frombuffer(json.dumps(dict(meta, **{key: value})).encode(), np.uint8)
    save_npz(run_files.checkpoint_path(str(run)), arrays)  # a whole file, its meta wrong
    err = _error(capsys, ["resume", run, "--epochs", "3"])
    assert "checkpoint.npz" in err and key in err


def test_a_buffer_chunk_of_the_wrong_shape_is_one_line(run, capsys):
    _, _, path = run_files.buffer_chunks(str(run))[0]
    arrays = load_npz(path)
    save_npz(path, dict(arrays, obs=arrays["obs"][:, :2]), compress=True)
    err = _error(capsys, ["resume", run, "--epochs", "3"])
    assert os.path.basename(path) in err and "obs" in err


@pytest.mark.parametrize("field", ["obs", "rew"])
def test_a_buffer_chunk_with_non_finite_values_is_one_line_before_training(run, field,
                                                                            capsys):
    """NaN observations or rewards in a chunk whose checksum was recomputed: named, with the
    file, before any epoch runs (not a FloatingPointError from the first update)."""
    _, _, path = run_files.buffer_chunks(str(run))[0]
    arrays = load_npz(path)
    bad = arrays[field].copy()
    bad[3] = np.nan
    save_npz(path, dict(arrays, **{field: bad}), compress=True)
    rows = len(run_files.read_progress(str(run))[1])
    err = _error(capsys, ["resume", run, "--epochs", "3"])
    assert os.path.basename(path) in err and field in err and "NaN" in err, err
    assert len(run_files.read_progress(str(run))[1]) == rows  # no epoch ran


# ---------------------------------------------------------------------------------------------
# One writer per folder
# ---------------------------------------------------------------------------------------------
def _wait_for_holder(folder, pid, proc, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if f'"pid": {pid}' in (folder / ".lock").read_text():
                return
        except OSError:
            pass
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    pytest.fail(f"{folder} was not held by pid {pid} within {timeout} s")


def test_a_second_run_or_resume_of_a_held_folder_is_refused(td3_run, tmp_path, capsys):
    """A real `resume` holds the folder; a second `resume`, a grid with the same exp_name and
    a run from Python are refused before any work, naming the folder and the holder, also
    once the .lock file is deleted; a SIGKILL lets go of it."""
    folder = type(tmp_path)(shutil.copytree(td3_run, tmp_path / "race" / "race_s0"))
    holder = _popen(["-m", "spinup.run", "resume", str(folder), "--epochs", "500"])
    try:
        _wait_for_holder(folder, holder.pid, holder)
        os.killpg(holder.pid, signal.SIGSTOP)  # it holds the folder without taking the CPU
        second = subprocess.run([sys.executable, "-m", "spinup.run", "resume", str(folder),
                                 "--epochs", "500"], env={**os.environ, **QUIET}, cwd=REPO,
                                capture_output=True, text=True)
        grid = subprocess.run([sys.executable, "-m", "spinup.run", "td3_jax", *TD3_FLAGS,
                               "--exp_name", "race", "--data_dir", str(tmp_path)],
                              env={**os.environ, **QUIET}, cwd=REPO, capture_output=True,
                              text=True)
        for r in (second, grid):
            err = r.stderr.strip().splitlines()
            assert r.returncode == 2 and len(err) == 1, (r.returncode, r.stderr[-2000:])
            assert str(folder) in err[0] and f"pid {holder.pid}" in err[0]
            assert "resume" in err[0]  # the holder's command
        assert "ExperimentGrid" not in grid.stdout  # refused before the banner
        with pytest.raises(RunFolderBusy, match=f"pid {holder.pid}"):
            _train("td3_jax", "Pendulum-v1", folder, 3, **TD3_TINY)
        # The hold is on the folder: deleting .lock (which only names the holder) under the
        # live holder lets nobody else in.
        (folder / ".lock").unlink()
        third = subprocess.run([sys.executable, "-m", "spinup.run", "resume", str(folder),
                                "--epochs", "500"], env={**os.environ, **QUIET}, cwd=REPO,
                               capture_output=True, text=True)
        err = third.stderr.strip().splitlines()
        assert third.returncode == 2 and len(err) == 1, (third.returncode, third.stderr[-2000:])
        assert f"{folder} is in use by another process" in err[0], err
    finally:
        _kill(holder)  # SIGKILL: the kernel lets go of the lock
    run_files.check_run_dir_free(str(folder))


def test_a_grid_holds_its_queued_variants_from_the_start(tmp_path, capsys):
    """Grid A runs one variant and has another queued; grid B, same exp_name, is refused
    before its banner, and the queued folder is A's all along."""
    script = ("from spinup.commands.run_utils import ExperimentGrid; "
              "from tests.helpers.toy import toy_experiment; "
              "eg = ExperimentGrid('same'); eg.add('x', [1, 2]); eg.add('sleep', 60); "
              f"eg.run(toy_experiment, data_dir={str(tmp_path)!r})")
    grid_a = _popen(["-c", script])
    first, queued = (tmp_path / f"same_x{x}" / f"same_x{x}_s0" for x in (1, 2))
    try:
        _wait_for_holder(queued, grid_a.pid, grid_a, timeout=60)
        with pytest.raises(RunFolderBusy, match=f"pid {grid_a.pid}"):
            run_files.check_run_dir_free(str(queued))
        grid_b = ExperimentGrid("same")
        grid_b.add("x", [1, 2])
        with pytest.raises(RunFolderBusy, match=f"{first}.*pid {grid_a.pid}"):
            grid_b.run(toy.toy_experiment, data_dir=str(tmp_path))
        assert "ExperimentGrid" not in capsys.readouterr().out
    finally:
        _kill(grid_a)


# ---------------------------------------------------------------------------------------------
# One line, before the banner, not retried
# ---------------------------------------------------------------------------------------------
def test_a_deterministic_failure_is_one_line_and_not_retried(tmp_path, capsys):
    eg = ExperimentGrid("div")
    eg.add("seed", [0])
    with pytest.raises(RuntimeError, match="LossQ is inf"):
        eg.run(toy.toy_diverges, data_dir=str(tmp_path))
    out = capsys.readouterr().out
    assert "Traceback" not in out and "retrying" not in out and "failed 2 times" not in out
    assert "FloatingPointError: LossQ is inf at epoch 3" in out
    error = (tmp_path / "div" / "div_s0" / "error.txt").read_text()
    assert error.startswith("FloatingPointError: LossQ is inf") and error.count("\n") == 1


def test_running_out_of_memory_is_not_retried(tmp_path, capsys):
    """An absurd size fails the same way every time: one attempt, its line reported."""
    eg = ExperimentGrid("oom")
    eg.add("seed", [0])
    with pytest.raises(RuntimeError, match="MemoryError"):
        eg.run(toy.toy_out_of_memory, data_dir=str(tmp_path))
    out = capsys.readouterr().out
    assert "retrying" not in out
    assert (tmp_path / "oom" / "oom_s0" / "attempts.txt").read_text().count("\n") == 1


def test_values_that_print_alike_get_distinct_folders():
    eg = ExperimentGrid("lr")
    eg.add("pi_lr", [1e30, 1e-30], "pi")
    assert [eg.variant_name(v) for v in eg.variants()] == ["lr_pi1e30", "lr_pi1e-30"]


@pytest.mark.parametrize("flags,words", [
    (["--data_dir", "/proc/spinup_issue19"], ["/proc", "cannot be written"]),
    (["--exp_name", "../escaped"], ["../escaped", "outside --data_dir"]),
    (["--exp_name", ".."], ["outside --data_dir"]),
    (["--exp_name", "/tmp/spinup_issue19_abs"], ["outside --data_dir"]),
    (["--pi_lr", "-1"], ["pi_lr=-1"]),
])
def test_bad_output_paths_and_values_are_one_line_before_the_banner(flags, words, tmp_path,
                                                                     capsys):
    data = tmp_path / "data"
    data.mkdir()
    argv = ["vpg_jax", "--env", "CartPole-v1", "--epochs", "1", "--steps_per_epoch", "100",
            *([] if "--data_dir" in flags else ["--data_dir", data]), *flags]
    shown = []
    err = _error(capsys, argv, shown)
    assert all(w in err for w in words), err
    assert "ExperimentGrid" not in shown[0]  # the error, not the grid's banner
    assert sorted(os.listdir(tmp_path)) == ["data"] and not os.listdir(data)
    assert not os.path.exists("/tmp/spinup_issue19_abs")


# ---------------------------------------------------------------------------------------------
# A full disk
# ---------------------------------------------------------------------------------------------
def _can_mount_tmpfs():
    try:
        return subprocess.run(["unshare", "-Urm", "sh", "-c", "mount -t tmpfs -o size=64k "
                               "tmpfs /mnt || mount -t tmpfs -o size=64k tmpfs /tmp"],
                              capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


FULL_DISK = """
set -u
mount -t tmpfs -o size={size}k tmpfs "$D"
"$PY" -m spinup.run td3_jax {flags} --epochs 40 --exp_name full --data_dir "$D" \
    > "$D/../grid.out" 2>&1
echo "grid_rc=$?"
run="$D/full/full_s0"
if [ -f "$run/error.txt" ]; then echo "error_txt_bytes=$(wc -c < "$run/error.txt")"; fi
N=$("$PY" -c "from spinup.utils.run_files import load_checkpoint as c
print(c('$run')[1]['epoch'] + 1)")
echo "checkpoint_epoch=$N"
mount -o remount,size=16m "$D"
"$PY" -m spinup.run resume "$run" --epochs $((N + 1)) > "$D/../resume.out" 2>&1
echo "resume_rc=$?"
"$PY" -c "from spinup.utils.run_files import read_progress
print('epochs=' + ','.join(row[0] for row in read_progress('$run')[1]))"
"""


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs `unshare -Urm` to mount a tmpfs")
def test_a_full_disk_is_one_line_saying_what_is_intact(tmp_path):
    """TD3 with --save_buffer on a 160 KB tmpfs: its chunks fill it within a few epochs. The
    grid launcher reports the variant's one line (which file, the intact checkpoint, resume),
    error.txt is never empty, and once space is freed `resume` continues, every epoch once."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    script = FULL_DISK.format(flags=" ".join(f"'{f}'" for f in TD3_FLAGS), size=160)
    r = subprocess.run(["unshare", "-Urm", "sh", "-c", script], cwd=REPO, timeout=500,
                       env={**os.environ, **QUIET, "D": str(mnt), "PY": sys.executable},
                       capture_output=True, text=True)
    facts = dict(ln.split("=", 1) for ln in r.stdout.splitlines() if "=" in ln)
    grid = (tmp_path / "grid.out").read_text()
    assert facts.get("grid_rc") == "1", (r.stdout, r.stderr, grid[-3000:])
    assert "Traceback" not in grid and "Exception in thread" not in grid, grid[-3000:]
    report = [ln for ln in grid.splitlines() if ln.startswith("  - full (seed 0) failed")]
    assert len(report) == 1, grid[-3000:]
    epoch = facts["checkpoint_epoch"]
    assert "No space left on device" in report[0], report[0]
    assert f"the last checkpoint (epoch {epoch}) is intact" in report[0], report[0]
    assert f"resume {mnt}/full/full_s0" in report[0], report[0]
    assert int(facts.get("error_txt_bytes", "1")) > 0  # written whole, or not at all
    resumed = (tmp_path / "resume.out").read_text()
    assert facts.get("resume_rc") == "0", resumed[-3000:]
    assert facts["epochs"] == ",".join(str(e) for e in range(1, int(epoch) + 2))


FULL_RESUME = """
set -u
mount -t tmpfs -o size=2m tmpfs "$D"
"$PY" -m spinup.run vpg_jax --env CartPole-v1 --epochs 2 --steps_per_epoch 200 \
    --train_v_iters 1 --exp_name full --data_dir "$D" > "$D/../train.out" 2>&1
echo "train_rc=$?"
head -c 4m /dev/zero > "$D/filler" 2>/dev/null
"$PY" -m spinup.run resume "$D/full/full_s0" --epochs 3 > "$D/../resume.out" 2>&1
echo "resume_rc=$?"
rm "$D/filler"
"$PY" -m spinup.run resume "$D/full/full_s0" --epochs 3 > "$D/../resume2.out" 2>&1
echo "resume2_rc=$?"
"""


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs `unshare -Urm` to mount a tmpfs")
def test_resume_onto_a_full_disk_names_the_intact_checkpoint(tmp_path):
    """resume of a run with a checkpoint, on a disk with no space left: its first write
    (progress.txt) fails; the one line names the checkpoint it was resuming as intact and
    says to resume (not to start again, which would throw the checkpoint away); once space
    is freed, that resume works."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["unshare", "-Urm", "sh", "-c", FULL_RESUME], cwd=REPO, timeout=300,
                       env={**os.environ, **QUIET, "D": str(mnt), "PY": sys.executable},
                       capture_output=True, text=True)
    facts = dict(ln.split("=", 1) for ln in r.stdout.splitlines() if "=" in ln)
    assert facts.get("train_rc") == "0", (r.stdout, r.stderr)
    err = (tmp_path / "resume.out").read_text()
    assert facts["resume_rc"] == "2" and "Traceback" not in err, err[-3000:]
    line = err.strip().splitlines()[-1]
    assert "No space left on device" in line, line
    assert "the last checkpoint (epoch 1) is intact" in line, line
    assert f"resume {mnt}/full/full_s0" in line and "start the run again" not in line, line
    assert facts["resume2_rc"] == "0", (tmp_path / "resume2.out").read_text()[-3000:]


FULL_OUTPUTS = """
set -u
mount -t tmpfs -o size=64k tmpfs "$D"
head -c 1m /dev/zero > "$D/filler" 2>/dev/null
"$PY" -m spinup.run plot "$RUN" --out "$D/p.png" > "$D/../plot.out" 2>&1
echo "plot_rc=$?"
"$PY" -m spinup.run summarize "$RUN" --out "$D/s.csv" > "$D/../summarize.out" 2>&1
echo "summarize_rc=$?"
"$PY" -m spinup.run vpg_jax --env CartPole-v1 --epochs 2 --steps_per_epoch 100 \
    --train_v_iters 1 --data_dir "$D/data" --exp_name x > "$D/../run.out" 2>&1
echo "run_rc=$?"
ls "$D" > "$D/../left.out"
"""


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs `unshare -Urm` to mount a tmpfs")
def test_outputs_onto_a_full_disk_are_one_line_and_leave_no_torn_file(vpg_run, tmp_path):
    """plot --out and summarize --out onto a full disk: one line naming the file, nothing
    half-written left; a run whose --data_dir is full: its one line, and no traceback after
    it (TensorBoard's writer flushing at exit)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["unshare", "-Urm", "sh", "-c", FULL_OUTPUTS], cwd=REPO, timeout=300,
                       env={**os.environ, **QUIET, "D": str(mnt), "PY": sys.executable,
                            "RUN": str(vpg_run)}, capture_output=True, text=True)
    facts = dict(ln.split("=", 1) for ln in r.stdout.splitlines() if "=" in ln)
    for cmd, name in (("plot", "p.png"), ("summarize", "s.csv")):
        out = (tmp_path / f"{cmd}.out").read_text()
        assert facts.get(f"{cmd}_rc") == "2" and "Traceback" not in out, out[-3000:]
        last = out.strip().splitlines()[-1]
        assert last.startswith(f"error: {mnt}/{name}: could not be written (No space left"), last
    assert "p.png" not in (tmp_path / "left.out").read_text().split()
    assert "s.csv" not in (tmp_path / "left.out").read_text().split()
    run = (tmp_path / "run.out").read_text()
    assert facts.get("run_rc") == "1" and "Traceback" not in run, run[-3000:]
    assert "No space left on device" in run


# ---------------------------------------------------------------------------------------------
# Older runs still read
# ---------------------------------------------------------------------------------------------
def test_runs_written_before_checksums_still_load_and_resume(run, vpg_run, tmp_path, capsys):
    """The layout of format 1: config.json and checkpoint without checksums, the model as
    JAX's params.npz (the training state by Haiku path) or PyTorch's model.pt."""
    import jax

    from spinup.algos.jax import nets
    from spinup.utils.serialization_utils import JSON_CHECKSUM, NPZ_CHECKSUM
    learner = runs.load(str(run))
    cfg = json.loads((run / "config.json").read_text())
    del cfg[JSON_CHECKSUM]
    (run / "config.json").write_text(json.dumps(dict(cfg, spinup_format=1)))
    np.savez(run / "model" / "params.npz", **nets.flatten_state(jax.device_get(learner.state)))
    os.remove(run / "model" / "weights.npz")
    arrays, meta = run_files.load_checkpoint(str(run))
    meta = {k: v for k, v in meta.items() if k not in ("progress_sha256", "algo")}
    arrays["meta"] = np.frombuffer(json.dumps(dict(meta, spinup_format=1)).encode(), np.uint8)
    np.savez(run_files.checkpoint_path(str(run)), **arrays)
    assert NPZ_CHECKSUM not in np.load(run_files.checkpoint_path(str(run))).files
    for k, v in learner.get_params().items():
        np.testing.assert_array_equal(runs.load(str(run)).get_params()[k], v, err_msg=k)
    assert main(["resume", str(run), "--epochs", "3"]) == 0
    assert [r[0] for r in run_files.read_progress(str(run))[1]] == ["1", "2", "3"]

    import torch
    old = _copy(vpg_run, tmp_path / "old_vpg")
    learner = runs.load(str(old))
    torch.save(learner.ac.state_dict(), old / "model" / "model.pt")
    os.remove(old / "model" / "weights.npz")
    for k, v in learner.get_params().items():
        np.testing.assert_array_equal(runs.load(str(old)).get_params()[k], v, err_msg=k)

    assert main(["summarize", os.path.join(REPO, "docs", "results", "runs"),
                 "--out", str(tmp_path / "s.csv")]) == 0  # the published runs
