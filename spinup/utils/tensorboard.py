"""TensorBoard event files beside progress.txt: every column of every row as a scalar (step =
TotalEnvInteracts, else the row number), and the config as text, so ``tensorboard --logdir
data`` shows every run under its run folder's path.

The writer is tensorboardX, a dependency of spinup (CleanRL's and SB3's users expect event
files by default): one pure-Python package whose only dependencies (numpy, protobuf,
packaging) are already in the pinned set, and which needs neither TensorFlow nor the
TensorBoard server. It is on whenever tensorboardX is installed (a run without it says so
once, in its log), unless the logger is given ``tensorboard=False`` or ``SPINUP_NO_TENSORBOARD`` is set (the CLI's
``--no_tensorboard``). Writing reads no random stream, so it changes no training number.
"""
import os
import sys

# Which rows' values are not scalars TensorBoard can plot (text cells, e.g. a population's).
_SKIP = (str, bytes)


def enabled_by_default():
    """On unless SPINUP_NO_TENSORBOARD is set to something other than '' or '0'."""
    return os.environ.get("SPINUP_NO_TENSORBOARD", "") in ("", "0")


def _import_writer():
    """tensorboardX's SummaryWriter, or None when it is not installed. tensorboardX imports
    torch if it can, only to accept torch tensors; we hand it Python floats, so a process that
    has not imported torch (a JAX run) is spared the second or more and the memory it costs."""
    hide_torch = "torch" not in sys.modules
    if hide_torch:
        sys.modules["torch"] = None  # makes `import torch` raise ImportError
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        return None
    finally:
        if hide_torch and sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]
    return SummaryWriter


class TensorBoardLog:
    """Event files in ``output_dir``. ``first_step``: on a resumed run, the step after the
    last row kept in progress.txt; TensorBoard then drops what the interrupted run wrote from
    there on, as progress.txt was cut back (tensorboardX's ``purge_step``)."""

    def __init__(self, SummaryWriter, output_dir, first_step=None, rows=0):
        self.writer = SummaryWriter(logdir=output_dir, purge_step=first_step, flush_secs=30)
        self.rows = rows
        for fw in getattr(self.writer, "all_writers", {}).values():
            _quiet_close(getattr(fw, "event_writer", None))

    def add_config(self, config_text):
        """The config (config.json's text) under the tag 'config', as a code block."""
        block = "\n".join("    " + line for line in config_text.splitlines())
        self.writer.add_text("config", block, 0)
        self.writer.flush()

    def add_row(self, headers, values):
        """One progress.txt row: a scalar per numeric column, at step TotalEnvInteracts."""
        row = dict(zip(headers, values))
        step = row.get("TotalEnvInteracts", self.rows)
        step = int(step) if not isinstance(step, _SKIP) else self.rows
        for key, val in row.items():
            if not isinstance(val, _SKIP):
                self.writer.add_scalar(key, float(val), step)
        self.writer.flush()  # once per epoch: `tensorboard --logdir` sees rows as they come
        self.rows += 1

    def close(self):
        self.writer.close()


def _quiet_close(event_writer):
    """tensorboardX closes its event files at exit (atexit); on a full disk that last flush
    fails, and a run that already said in one line what it could not write would end in a
    traceback. The events cannot be saved then: the close gives up quietly."""
    if event_writer is None or not hasattr(event_writer, "close"):
        return
    close = event_writer.close

    def close_or_give_up():
        try:
            close()
        except OSError:
            pass
    event_writer.close = close_or_give_up


def open_log(output_dir, enabled=None, resume_progress=None):
    """A TensorBoardLog for the run folder ``output_dir``, or None when switched off (``enabled``
    False, or None and SPINUP_NO_TENSORBOARD set) or tensorboardX is not installed.
    ``resume_progress``: the progress file a resumed run appends to (already cut back to the
    checkpoint's rows)."""
    if enabled is None:
        enabled = enabled_by_default()
    if not enabled:
        return None
    SummaryWriter = _import_writer()
    if SummaryWriter is None:
        return None
    first_step, n = None, 0
    if resume_progress is not None:
        first_step, n = _next_step(resume_progress)
    return TensorBoardLog(SummaryWriter, output_dir, first_step, n)


def missing_writer(enabled=None):
    """Why a run that asked for events (``enabled`` True, or None and not switched off) writes
    none, in one sentence; None when it writes them or was told not to."""
    if enabled is None:
        enabled = enabled_by_default()
    if not enabled or _import_writer() is not None:
        return None
    return ("No TensorBoard events: tensorboardX is not installed (pip install tensorboardX); "
            "progress.txt holds every column.")


def _next_step(progress_path):
    """(the step after the last row's, the number of rows) of a progress file."""
    with open(progress_path, encoding="utf-8", errors="replace") as f:
        lines = [ln for ln in f.read().split("\n") if ln]
    header, rows = lines[0].split("\t"), [ln.split("\t") for ln in lines[1:]]
    if rows and "TotalEnvInteracts" in header:
        try:
            return int(float(rows[-1][header.index("TotalEnvInteracts")])) + 1, len(rows)
        except (ValueError, IndexError):
            pass
    return len(rows), len(rows)
