"""Runs one experiment in a subprocess: ``python -m spinup.commands.run_entrypoint PAYLOAD
[OUTPUT_DIR]``, where PAYLOAD is a base64 cloudpickle of ``(thunk, kwargs)`` and OUTPUT_DIR, when
given, replaces ``kwargs['logger_kwargs']['output_dir']`` (a Ray node writes into a temporary
folder). A failure's traceback is also written to ``<output_dir>/error.txt`` so that the
launcher can report it."""
import base64
import os
import os.path as osp
import signal
import sys
import traceback

import cloudpickle

PARENT_PID_VAR = "SPINUP_PARENT_PID"  # spinup.commands.engines sets it


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


def main(payload, output_dir=None):
    """Unpickle ``(thunk, kwargs)`` and call ``thunk(**kwargs)``."""
    exit_with_parent()
    thunk, kwargs = cloudpickle.loads(base64.b64decode(payload))
    if output_dir is not None:
        kwargs["logger_kwargs"] = dict(kwargs.get("logger_kwargs") or {}, output_dir=output_dir)
    output_dir = (kwargs.get("logger_kwargs") or {}).get("output_dir")
    try:
        if not resume_if_checkpointed(thunk, kwargs, output_dir):
            thunk(**kwargs)
    except BaseException:
        if output_dir:
            os.makedirs(output_dir, exist_ok=True)
            with open(osp.join(output_dir, "error.txt"), "w") as f:
                f.write(traceback.format_exc())
        raise


if __name__ == "__main__":
    main(*sys.argv[1:3])
