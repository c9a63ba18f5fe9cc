"""scripts/benchmark.sh, the queue behind the committed benchmark runs (issue 31), run for real
on Hopper-v4 with SPINUP_BENCH_EPOCHS (its smoke-test length) in a temporary data and OUT
folder: bad input is named before any run starts; a killed run resumes rather than restarts;
a run that finished but was never copied (its queue killed between the two) is copied, not
trained again; a copied run is skipped; a run of another length under the same name is named
and refused, not resumed or copied as if it were the benchmark's."""
import os
import os.path as osp
import signal
import subprocess
import time

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SCRIPT = osp.join(ROOT, "scripts", "benchmark.sh")
RUN = ["Hopper-v4", "td3_jax_s0"]


def environ(tmp_path, epochs=None):
    env = dict(os.environ, SPINUP_BENCH_DATA=str(tmp_path / "data"),
               SPINUP_BENCH_OUT=str(tmp_path / "runs"))
    if epochs is not None:
        env["SPINUP_BENCH_EPOCHS"] = str(epochs)
    return env


def bench(args, tmp_path, epochs=None):
    return subprocess.run(["bash", SCRIPT, *args], capture_output=True, text=True,
                          env=environ(tmp_path, epochs), timeout=600)


def read(path):
    with open(path) as f:
        return f.read()


@pytest.mark.parametrize("args, epochs, message", [
    ([], None, "usage: bash scripts/benchmark.sh ENV"),
    (["Hopper-v9"], None, "unknown environment id 'Hopper-v9'"),
    (["Hopper-v4", "td3_jax_s0", "td4_jax_s0"], None,
     "run 'td4_jax_s0' is not <vpg|ppo|trpo|ddpg|td3|sac>_<jax|pytorch>_s<seed>"),
    (RUN, "0", "SPINUP_BENCH_EPOCHS='0' is not a positive whole number"),
])
def test_bad_input_is_named_before_any_run(tmp_path, args, epochs, message):
    out = bench(args, tmp_path, epochs)
    assert out.returncode == 2 and message in out.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "runs").exists()


def test_a_queue_resumes_copies_skips_and_refuses_a_foreign_run(tmp_path):
    run_dir = tmp_path / "data" / "hopper_td3_jax" / "hopper_td3_jax_s0"
    copy = tmp_path / "runs" / "td3_jax_s0"
    log = tmp_path / "data" / "td3_jax_s0.log"
    # A queue killed during the run's second epoch, once the first one's checkpoint is written.
    queue = subprocess.Popen(["bash", SCRIPT, *RUN], env=environ(tmp_path, 2),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    deadline = time.monotonic() + 300
    while not (run_dir / "checkpoint" / "checkpoint.npz").exists():
        assert queue.poll() is None, queue.stdout.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(queue.pid, signal.SIGKILL)
    queue.wait()
    assert len(read(run_dir / "progress.txt").splitlines()) == 2  # header + epoch 1
    assert not copy.exists()

    again = bench(RUN, tmp_path, 2)  # resumed, not started again
    assert again.returncode == 0, again.stdout + again.stderr
    assert "resume Hopper-v4 td3_jax_s0" in again.stdout and " start " not in again.stdout
    progress = read(run_dir / "progress.txt")
    assert [row.split("\t")[0] for row in progress.splitlines()[1:]] == ["1", "2"]
    assert sorted(os.listdir(copy)) == ["config.json", "progress.txt"]
    assert read(copy / "progress.txt") == progress

    skipped = bench(RUN, tmp_path, 2)
    assert skipped.returncode == 0 and "skip td3_jax_s0 (done)" in skipped.stdout

    trained = read(log)
    for name in os.listdir(copy):
        os.remove(copy / name)
    copied = bench(RUN, tmp_path, 2)  # finished, never copied: copied, not trained
    assert copied.returncode == 0, copied.stderr
    assert "finished earlier Hopper-v4 td3_jax_s0" in copied.stdout
    assert "resume" not in copied.stdout and " start " not in copied.stdout
    assert read(copy / "progress.txt") == progress and read(log) == trained

    for name in os.listdir(copy):
        os.remove(copy / name)
    foreign = bench(RUN, tmp_path, 3)  # the same name, but not a 3-epoch run
    assert foreign.returncode != 0
    assert (f"error: {run_dir} holds another run than this benchmark's: epochs 2 (the "
            "benchmark's: 3); move it away to start this one") in foreign.stderr
    assert os.listdir(copy) == [] and read(run_dir / "progress.txt") == progress


def test_two_queues_on_one_list_train_each_run_once(tmp_path):
    """Two queues started together on the same list split it between them: each run is
    claimed by one queue (the other names it and moves on), trained once and copied."""
    runs = ["Hopper-v4", "vpg_jax_s0", "vpg_jax_s10"]
    queues = [subprocess.Popen(["bash", SCRIPT, *runs], env=environ(tmp_path, 1),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
              for _ in range(2)]
    outs = [q.communicate(timeout=600)[0] for q in queues]
    assert [q.returncode for q in queues] == [0, 0], outs
    both = "".join(outs)
    for run in runs[1:]:
        assert both.count(f"start Hopper-v4 {run}\n") == 1, outs
        assert both.count(f"done Hopper-v4 {run}\n") == 1, outs
        assert len(read(tmp_path / "runs" / run / "progress.txt").splitlines()) == 2
    assert "(another queue is running it)" in both, outs
