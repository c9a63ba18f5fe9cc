"""Runs one experiment in a subprocess: ``python -m spinup.commands.run_entrypoint PAYLOAD
[OUTPUT_DIR]``, where PAYLOAD is a base64 cloudpickle of ``(thunk, kwargs)`` and OUTPUT_DIR, when
given, replaces ``kwargs['logger_kwargs']['output_dir']`` (a Ray node writes into a temporary
folder).

A failure is written to ``<output_dir>/error.txt`` (atomically: never empty) so that the
launcher can report it, and sent down the pipe the launcher may pass (``STATUS_FD_VAR``),
which still works when the disk is full. One that would fail the same way again (bad input,
a damaged or unwritable file, a diverged loss: ``errors.DETERMINISTIC``) is one line, and
the exit status ``NO_RETRY`` tells the launcher not to retry it; anything else keeps its
traceback."""
import base64
import errno
import os
import os.path as osp
import signal
import sys
import traceback

import cloudpickle

PARENT_PID_VAR = "SPINUP_PARENT_PID"  # spinup.commands.engines sets it
STATUS_FD_VAR = "SPINUP_STATUS_FD"  # a pipe to the launcher, for the failure's one line
NO_RETRY = 3  # exit status of a failure that a retry would repeat


def exit_with_parent():
    """On Linux, end this variant when the process that launched it dies, even by SIGKILL:
    a variant runs in its own process group, so nothing else would stop it."""
    ppid = os.environ.pop(PARENT_PID_VAR, None)
    if ppid is None or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != int(ppid):  # the launcher died before prctl took effect
        sys.exit(f"the launcher (pid {ppid}) is gone; not starting")


def resume_if_checkpointed(thunk, kwargs, output_dir):
    """A rerun of a grid (or a retry) finds a run folder left unfinished with a checkpoint of
    the same algorithm: continue it rather than start afresh. Returns whether it did."""
    from spinup.algos import registry, runs
    from spinup.utils import run_files
    from spinup.utils.errors import InputError
    name = registry.name_of(thunk)
    if name is None or not output_dir or not os.path.isfile(
            run_files.checkpoint_path(output_dir)):
        return False
    try:
        cfg, _, planned, done = runs.run_status(output_dir)
    except InputError as e:  # a damaged checkpoint or config: start afresh
        print(f"not resuming {output_dir}: {e}", flush=True)
        return False
    epochs = kwargs.get("epochs", planned)
    if registry.resolve(cfg["algo"]) != name or done >= epochs:
        return False
    print(f"Resuming {output_dir} after epoch {done} of {epochs}", flush=True)
    runs.resume(output_dir, epochs=epochs)
    return True


class _OutputThatCannotFail:
    """stdout or stderr written straight to its descriptor, dropping what a full disk
    refuses: a variant's output goes to stdout.log beside its run, and a print failing
    there must not stop the run (a real file that cannot be written still stops it, with
    the file named)."""

    def __init__(self, stream):
        self._stream, self._fd = stream, stream.fileno()
        self.encoding, self.errors = stream.encoding, "replace"

    def write(self, text):
        data = text.encode(self.encoding or "utf-8", "replace")
        try:
            while data:
                data = data[os.write(self._fd, data):]
        except OSError as e:
            if e.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise
        return len(text)

    def flush(self):
        pass

    def __getattr__(self, name):
        return getattr(self._stream, name)


def report(output_dir, text):
    """Leave the failure's ``text`` where the launcher finds it: the status pipe, then
    error.txt, written whole or not at all."""
    fd = os.environ.pop(STATUS_FD_VAR, None)
    if fd is not None:
        try:
            os.write(int(fd), text[-60000:].encode("utf-8", "replace"))
            os.close(int(fd))
        except (OSError, ValueError):
            pass
    if output_dir:
        from spinup.utils.serialization_utils import atomic_write
        try:
            atomic_write(osp.join(output_dir, "error.txt"),
                         lambda f: f.write(text.encode("utf-8", "replace")))
        except Exception:  # a full disk: the pipe and stderr carry it
            pass


def main(payload, output_dir=None):
    """Unpickle ``(thunk, kwargs)`` and call ``thunk(**kwargs)``."""
    exit_with_parent()
    from spinup.utils import run_files
    from spinup.utils.errors import DETERMINISTIC, InputError, RunFolderBusy
    run_files.adopt_inherited_lock()
    for name in ("stdout", "stderr"):
        getattr(sys, name).flush()
        setattr(sys, name, _OutputThatCannotFail(getattr(sys, name)))
    thunk, kwargs = cloudpickle.loads(base64.b64decode(payload))
    if output_dir is not None:
        kwargs["logger_kwargs"] = dict(kwargs.get("logger_kwargs") or {}, output_dir=output_dir)
    output_dir = (kwargs.get("logger_kwargs") or {}).get("output_dir")
    try:
        if not resume_if_checkpointed(thunk, kwargs, output_dir):
            thunk(**kwargs)
    except DETERMINISTIC as e:
        line = " ".join(str(e).split())
        line = line if isinstance(e, InputError) else f"{type(e).__name__}: {line}"
        # a folder another process holds is that process's to write, error.txt included
        report(None if isinstance(e, RunFolderBusy) else output_dir, line + "\n")
        print(f"error: {line}", file=sys.stderr)
        sys.exit(NO_RETRY)
    except BaseException:
        report(output_dir, traceback.format_exc())
        raise


if __name__ == "__main__":
    main(*sys.argv[1:3])
