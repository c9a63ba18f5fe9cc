"""``--profile trace``: each backend's own profiler over the first update calls after the
warm-up, saved under the run's profile/trace/ with a summary of the ops; the summary's self
times nest events the way a trace viewer does."""
import os

import pytest

import spinup
from spinup.algos.common.envs import EnvFn
from spinup.utils import trace

# Epoch 1 (after the one warm-up epoch) makes 20 update calls of 10 updates; 4 are traced.
KW = dict(epochs=2, steps_per_epoch=200, start_steps=100, update_after=100, update_every=10,
          batch_size=32, num_test_episodes=1, max_ep_len=100, ac_kwargs=dict(hidden_sizes=(32,)),
          profile="trace")
# An op of the update that only the framework's profiler can name.
OPS = {"jax": ("dot", "fusion"), "pytorch": ("aten::addmm", "aten::mm")}


@pytest.mark.parametrize("backend", ["jax", "pytorch"])
def test_trace_of_the_td3_update(backend, tmp_path):
    extra = dict(device="cpu") if backend == "pytorch" else {}
    getattr(spinup, f"td3_{backend}")(EnvFn("Pendulum-v1"), **KW, **extra,
                                      logger_kwargs=dict(output_dir=str(tmp_path),
                                                         verbose=False))
    out = tmp_path / "profile" / "trace"
    files = [os.path.join(d, f) for d, _, fs in os.walk(out / "plugins" / "profile")
             for f in fs]
    name = "perfetto_trace.json.gz" if backend == "jax" else ".pt.trace.json.gz"
    (path,) = [f for f in files if f.endswith(name)]
    if backend == "jax":
        assert any(f.endswith(".xplane.pb") for f in files)  # TensorBoard's profile plugin
    events = trace.read_events(path)
    assert sum(e["name"] == "update" for e in events) == trace.MAX_REGIONS == 4
    ops = (out / "ops.txt").read_text()
    assert f"{backend}, 4 update call(s)" in ops
    body = ops.split("event\n", 1)[1]
    assert any(op in body for op in OPS[backend]), ops
    assert not (tmp_path / "profile" / "update.prof").exists()


def test_self_time_subtracts_what_runs_inside():
    ev = lambda name, ts, dur, tid=1: dict(ph="X", name=name, ts=ts, dur=dur, pid=1, tid=tid)
    events = [ev("update", 0, 100), ev("mm", 10, 30), ev("add", 15, 5), ev("mm", 50, 20),
              ev("worker_op", 20, 60, tid=2), ev("env", 200, 50)]
    stats = trace.self_times(trace.in_updates(events))
    assert stats["update"] == [1, 100.0, 50.0]
    assert stats["mm"] == [2, 50.0, 45.0]
    assert stats["add"] == [1, 5.0, 5.0]
    assert stats["worker_op"] == [1, 60.0, 60.0]  # another thread, inside the update's time
    assert "env" not in stats  # outside every update region
