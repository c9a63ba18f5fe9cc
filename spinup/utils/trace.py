"""``--profile trace``: the framework's own profiler over the update calls, where cProfile sees
one opaque call (a jitted function, a C++ kernel) and the trace sees the ops inside it.

JAX: ``jax.profiler`` writes ``<run>/profile/trace/plugins/profile/<time>/<host>.xplane.pb``
(TensorBoard's profile plugin, ``pip install tensorboard-plugin-profile``) and, beside it,
``perfetto_trace.json.gz`` (https://ui.perfetto.dev, no server needed). PyTorch:
``torch.profiler`` writes ``<host>.pt.trace.json.gz`` in the same kind of folder (Perfetto,
chrome://tracing). Both are Chrome trace events, so one summary, ``<run>/profile/trace/
ops.txt`` (the events with the most self time, and how often each ran), is drawn from either.

A trace records every op, so it covers the first ``max_regions`` update calls from
``profile_warmup`` on (a TD3 call is a block of ``update_every`` updates), not all of them as
cProfile does: an epoch of TD3 updates traced in PyTorch is hundreds of MB.
"""
import bisect
import gzip
import json
import os
import os.path as osp
import socket
import time
from collections import defaultdict
from contextlib import contextmanager

MAX_REGIONS = 4


class FrameworkTrace:
    """Start the backend's profiler before the first traced region, mark each region as
    'update', stop it after ``max_regions`` (or at ``stop``)."""

    def __init__(self, backend, out_dir, max_regions=MAX_REGIONS):
        if backend not in ("jax", "pytorch"):
            raise ValueError(f"backend={backend!r}: a trace needs 'jax' or 'pytorch'")
        self.backend, self.out_dir, self.max_regions = backend, out_dir, max_regions
        self.n_regions = 0
        self._torch_prof = None
        self.running = False
        self.trace_file = None

    def wants_more(self):
        return self.n_regions < self.max_regions

    @contextmanager
    def region(self, sync=None):
        """Trace the block (the profiler starts on the first one)."""
        if not self.running and self.n_regions == 0:
            self._start()
        with self._annotation():
            yield
            if sync is not None:
                sync()  # asynchronous work belongs inside the marked region
        self.n_regions += 1
        if not self.wants_more():
            self._stop_profiler()

    def _annotation(self):
        if self.backend == "jax":
            import jax
            return jax.profiler.TraceAnnotation("update")
        import torch
        return torch.profiler.record_function("update")

    def _start(self):
        os.makedirs(self.out_dir, exist_ok=True)
        if self.backend == "jax":
            import jax
            jax.profiler.start_trace(self.out_dir, create_perfetto_trace=True)
        else:
            import torch
            from torch.profiler import ProfilerActivity, profile
            acts = [ProfilerActivity.CPU]
            if torch.cuda.is_available():
                acts.append(ProfilerActivity.CUDA)
            self._torch_prof = profile(activities=acts)
            self._torch_prof.__enter__()
        self.running = True

    def _stop_profiler(self):
        """Stop recording. JAX writes its files now; PyTorch's trace is written by ``stop``
        (at the end of the run: exporting takes long, and the epoch is still being timed)."""
        if not self.running:
            return
        self.running = False
        if self.backend == "jax":
            import jax
            jax.profiler.stop_trace()
            self.trace_file = _newest(self.out_dir, "perfetto_trace.json.gz")
        else:
            self._torch_prof.__exit__(None, None, None)

    def stop(self):
        """Stop the profiler if it still runs, write the trace (PyTorch) and the summary;
        returns the trace file (None when nothing was traced)."""
        self._stop_profiler()
        if self._torch_prof is not None:
            run = osp.join(self.out_dir, "plugins", "profile",
                           time.strftime("%Y_%m_%d_%H_%M_%S"))
            os.makedirs(run, exist_ok=True)
            self.trace_file = osp.join(run, f"{socket.gethostname()}.pt.trace.json.gz")
            self._torch_prof.export_chrome_trace(self.trace_file)
            self._torch_prof = None
        if self.trace_file is not None and self.n_regions and not osp.exists(self.summary):
            write_summary(self.trace_file, self.summary,
                          f"{self.backend}, {self.n_regions} update call(s)", self.n_regions)
        return self.trace_file

    @property
    def summary(self):
        return osp.join(self.out_dir, "ops.txt")


def _newest(folder, name):
    found = [osp.join(d, name) for d, _, files in os.walk(folder) if name in files]
    return max(found, key=osp.getmtime) if found else None


# ---------------------------------------------------------------------------------------------
# What a trace holds
# ---------------------------------------------------------------------------------------------
def read_events(path):
    """The complete events ('X': name, ts, dur in us, pid, tid) of a Chrome trace file
    (.json or .json.gz)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        data = json.load(f)
    events = data.get("traceEvents", []) if isinstance(data, dict) else data
    return [e for e in events if e.get("ph") == "X" and "dur" in e]


def self_times(events):
    """{name: [calls, total us, self us]}: an event's self time is its duration less that of
    the events nested directly inside it on the same thread."""
    stats = defaultdict(lambda: [0, 0.0, 0.0])
    by_thread = defaultdict(list)
    for e in events:
        by_thread[(e.get("pid"), e.get("tid"))].append(e)
    for evs in by_thread.values():
        evs.sort(key=lambda e: (float(e["ts"]), -float(e["dur"])))
        stack = []  # [end, name, time of the events inside, duration]
        for e in evs:
            ts, dur = float(e["ts"]), float(e["dur"])
            while stack and ts >= stack[-1][0]:
                _close(stats, stack.pop())
            if stack:
                stack[-1][2] += dur
            stack.append([ts + dur, e["name"], 0.0, dur])
        while stack:
            _close(stats, stack.pop())
    return dict(stats)


def _close(stats, frame):
    end, name, child, dur = frame
    s = stats[name]
    s[0] += 1
    s[1] += dur
    s[2] += max(dur - child, 0.0)


def in_updates(events, mark="update"):
    """The events that start inside a region marked ``mark`` (on any thread: XLA runs its ops
    on worker threads), the marks included; all events when none is marked."""
    windows = sorted((float(e["ts"]), float(e["ts"]) + float(e["dur"]))
                     for e in events if e["name"] == mark)
    if not windows:
        return events
    starts = [w[0] for w in windows]
    keep = []
    for e in events:
        i = bisect.bisect_right(starts, float(e["ts"])) - 1
        if i >= 0 and float(e["ts"]) <= windows[i][1]:
            keep.append(e)
    return keep


def summary_lines(trace_path, n=30, calls=None):
    """The ``n`` events inside the update regions with the most self time, as text lines;
    ``calls`` (the update calls traced) adds how often each ran per call."""
    stats = self_times(in_updates(read_events(trace_path)))
    total = sum(s[2] for s in stats.values()) or 1.0
    rows = sorted(stats.items(), key=lambda kv: -kv[1][2])[:n]
    lines = [f"{'self ms':>10} {'share':>6} {'count':>8} {'per call':>8} {'total ms':>10}  "
             "event"]
    for name, (count, tot, slf) in rows:
        per = f"{count / calls:.1f}" if calls else "-"
        lines.append(f"{slf / 1e3:>10.2f} {slf / total:>6.1%} {count:>8d} {per:>8} "
                     f"{tot / 1e3:>10.2f}  {name[:100]}")
    return lines


def write_summary(trace_path, out_path, what, calls=None):
    """``ops.txt``: where the trace came from, then ``summary_lines``."""
    lines = [f"Trace: {trace_path} ({what})",
             "Events inside the update calls, by self time (their own duration less that of "
             "the events inside them). Threads overlap: the Python thread waits (e.g. "
             "'_value', 'wait for completion') while XLA's worker threads run the ops.", ""]
    lines += summary_lines(trace_path, calls=calls)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return out_path
