"""Phase timers (wall clock, synchronised with the device once per phase), cProfile hooks and
the framework's own trace (``--profile trace``, utils/trace.py)."""
import cProfile
import os
import os.path as osp
import time
from contextlib import contextmanager

PROFILE_MODES = ("none", "update", "epoch", "trace")


class PhaseTimer:
    """Accumulates wall-clock seconds per named phase over an epoch.

    ``with timer.phase('update', sync=learner.sync): ...`` stops the clock only after ``sync()``
    returned, so asynchronous device work (CUDA kernels, JAX dispatch) is charged to the phase
    that launched it. ``sync`` is called once per phase, never per step inside it.
    """

    def __init__(self, phases=("env", "act", "update", "test")):
        self.phases = tuple(phases)
        self.totals = {p: 0.0 for p in self.phases}
        self.epoch_start = time.perf_counter()
        self.last = 0.0  # seconds of the phase that ended last

    @contextmanager
    def phase(self, name, sync=None):
        """Time the block under phase ``name``; ``sync`` runs before the clock stops."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            if sync is not None:
                sync()
            self.last = time.perf_counter() - t0
            self.totals[name] = self.totals.get(name, 0.0) + self.last

    def add(self, name, seconds):
        """Charge ``seconds`` to phase ``name``."""
        self.totals[name] = self.totals.get(name, 0.0) + seconds

    def log_epoch(self, logger):
        """Log ``Time<Phase>`` columns (seconds spent in each phase this epoch) and
        ``TimeEpoch``, then start the next epoch at zero."""
        now = time.perf_counter()
        for p in self.phases:
            logger.log_tabular("Time" + p.capitalize(), self.totals.get(p, 0.0))
        logger.log_tabular("TimeEpoch", now - self.epoch_start)
        self.totals = {p: 0.0 for p in self.phases}
        self.epoch_start = now


class Profiler:
    """cProfile around the update calls (``mode='update'``) or the whole epoch
    (``mode='epoch'``), from epoch index ``warmup`` on (epochs count from 0), so JIT compilation
    and warm-up stay out of the profile. ``sync`` runs before the profiler stops so that
    asynchronous work is charged inside the region. ``mode='trace'``: the ``backend``'s own
    profiler (jax.profiler, torch.profiler) over the first update calls from ``warmup`` on."""

    def __init__(self, mode="none", warmup=1, output_dir=None, sync=None, backend=None):
        if mode not in PROFILE_MODES:
            raise ValueError(f"profile={mode!r}: expected one of {', '.join(PROFILE_MODES)}")
        self.mode, self.warmup, self.sync = mode, int(warmup), sync
        self.output_dir = output_dir
        self.prof = cProfile.Profile() if mode in ("update", "epoch") else None
        self.trace = None
        if mode == "trace":
            from spinup.utils.trace import FrameworkTrace
            self.trace = FrameworkTrace(backend, osp.join(output_dir or ".", "profile", "trace"))
        self.n_regions = 0

    @contextmanager
    def region(self, kind, epoch):
        """Profile the block when ``kind`` is the profiled mode and the warm-up is over."""
        if self.trace is not None and kind == "update" and epoch >= self.warmup \
                and self.trace.wants_more():
            with self.trace.region(self.sync):
                yield
            return
        active = self.prof is not None and kind == self.mode and epoch >= self.warmup
        if not active:
            yield
            return
        self.prof.enable()
        try:
            yield
        finally:
            if self.sync is not None:
                self.sync()
            self.prof.disable()
            self.n_regions += 1

    def dump(self, log=print):
        """Write ``profile/<mode>.prof`` under the run folder; returns its path (or None)."""
        if self.trace is not None:
            path = self.trace.stop()
            if path is not None:
                log(f"Trace of {self.trace.n_regions} update call(s) saved in {path}; open it in "
                    f"https://ui.perfetto.dev. The ops with the most time: "
                    f"{osp.join(self.trace.out_dir, 'ops.txt')}")
            return path
        if self.prof is None or self.n_regions == 0:
            return None
        out_dir = osp.join(self.output_dir or ".", "profile")
        os.makedirs(out_dir, exist_ok=True)
        path = osp.join(out_dir, f"{self.mode}.prof")
        self.prof.dump_stats(path)
        log(f"Profile of {self.n_regions} {self.mode} region(s) saved. View it with:\n"
            f"    snakeviz {path}")
        return path
