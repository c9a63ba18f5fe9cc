"""The progress bar of long runs in a terminal (env steps, steps/s, ETA), drawn by tqdm."""
import os
import sys


def progress_enabled():
    """On when stdout is a terminal, or a pipe that a grid launcher shows on its terminal
    (SPINUP_PROGRESS_TTY=1), and SPINUP_NO_PROGRESS (set by ``--no_progress``) is not."""
    return ((sys.stdout.isatty() or os.environ.get("SPINUP_PROGRESS_TTY") == "1")
            and os.environ.get("SPINUP_NO_PROGRESS", "") in ("", "0"))


class ProgressBar:
    """Env steps done out of ``total``, redrawn in place at most every ``min_interval``
    seconds. The bar starts at the first step it is shown, so a resumed run's rate and ETA
    count only the steps this process ran."""

    def __init__(self, total, enabled=None, min_interval=0.25):
        self.total = int(total)
        self.enabled = progress_enabled() if enabled is None else enabled
        self.min_interval = min_interval
        self.bar = None

    def update(self, n):
        """Show ``n`` steps done (cheap when called every step: tqdm redraws only when
        ``min_interval`` has passed)."""
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm
            # Through a launcher's pipe the bar also lands in stdout.log: redraw less often.
            piped = not sys.stdout.isatty() and os.environ.get("SPINUP_PROGRESS_TTY") == "1"
            every = max(self.min_interval, 2.0) if piped else self.min_interval
            self.bar = tqdm(total=self.total, initial=max(n - 1, 0), unit="step",
                            unit_scale=True, mininterval=every, file=sys.stdout,
                            leave=False, dynamic_ncols=True)
        self.bar.update(n - self.bar.n)

    def clear(self):
        """Erase the bar so that the epoch table prints on a clean line; the next update
        draws it again."""
        if self.bar is not None:
            self.bar.clear()

    def close(self):
        """Erase the bar for good."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
