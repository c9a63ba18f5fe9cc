"""The errors that reach the user as one line (``spinup.run`` prints ``error: <message>`` and
exits with status 2, without a traceback)."""
import contextlib
import os


class InputError(ValueError):
    """Bad user input: the message names the value and what is accepted."""


class RunFileError(InputError):
    """A file of a run folder is missing, damaged, or of an unknown format: the message names
    the file and what is wrong with it."""


class RunFolderBusy(InputError):
    """A run folder is held by another process (a run, a ``resume`` or a grid): the message
    names the folder and the holder."""


class RunWriteError(RunFileError):
    """A file of a run folder could not be written (a full disk, a quota, no permission):
    ``path``, ``reason`` (the system's words) and ``errno``; ``advice`` says what is intact
    and how to continue."""

    def __init__(self, path, reason, errno=None, advice=""):
        super().__init__(f"{path}: could not be written ({reason})" +
                         (f"; {advice}" if advice else ""))
        self.path, self.reason, self.errno = path, reason, errno


# What a run stops with when running it again would fail the same way (bad input, damaged or
# unwritable files, a diverged loss, sizes the machine cannot hold or a number too large for
# its type): reported as one line, never retried.
DETERMINISTIC = (InputError, FloatingPointError, MemoryError, OverflowError)


@contextlib.contextmanager
def output_file(path, what="output file"):
    """Writing ``path`` (a figure, a CSV a command was asked for): a write that fails (a full
    disk, no permission) is a RunWriteError naming the file, and what was written of it is
    removed, so no torn file is left behind."""
    try:
        yield path
    except OSError as e:
        with contextlib.suppress(OSError):
            os.remove(path)
        raise RunWriteError(path, e.strerror or str(e), e.errno,
                            f"nothing was written; free space or choose another {what}") \
            from None
