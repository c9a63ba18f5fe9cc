"""A one-line progress bar (env steps, steps/s, ETA) for long runs in a terminal."""
import os
import sys
import time


def progress_enabled():
    """On when stdout is a terminal and SPINUP_NO_PROGRESS (set by ``--no_progress``) is not."""
    return sys.stdout.isatty() and os.environ.get("SPINUP_NO_PROGRESS", "") in ("", "0")


class ProgressBar:
    """Env steps done, steps per second and the time left, redrawn in place at most every
    ``min_interval`` seconds."""
    def __init__(self, total, enabled=None, min_interval=0.25, width=30):
        self.total = int(total)
        self.enabled = progress_enabled() if enabled is None else enabled
        self.min_interval, self.width = min_interval, width
        self.t0 = time.perf_counter()
        self.last = 0.0
        self.shown = False

    def update(self, n):
        """Show ``n`` steps done (cheap when called every step)."""
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last < self.min_interval and n < self.total:
            return
        self.last = now
        rate = n / max(now - self.t0, 1e-9)
        eta = (self.total - n) / rate if rate > 0 else float("inf")
        filled = int(self.width * n / max(self.total, 1))
        eta_s = "?" if eta == float("inf") else time.strftime("%H:%M:%S", time.gmtime(eta))
        sys.stdout.write("\r[%s%s] %d/%d steps  %.0f steps/s  ETA %s "
                         % ("#" * filled, "." * (self.width - filled), n, self.total, rate, eta_s))
        sys.stdout.flush()
        self.shown = True

    def clear(self):
        """Erase the bar so that the epoch table prints on a clean line."""
        if self.shown:
            sys.stdout.write("\r" + " " * (self.width + 60) + "\r")
            sys.stdout.flush()
            self.shown = False
