"""One writer per run folder: flock on <folder>/.lock, held from the start of a run
(or resume, or a grid's variant) to its end, and let go when the process ends."""
import json
import os
import os.path as osp

from spinup.utils.errors import InputError, RunFolderBusy
from spinup.utils.run_files.layout import LOCK

# ---------------------------------------------------------------------------------------------
# One writer per folder
# ---------------------------------------------------------------------------------------------
# A run, a `resume` or a grid holds each folder it writes with flock on <folder>/.lock: the
# kernel drops the lock when the holder's last descriptor of it closes, so a process that
# dies, even by SIGKILL, never leaves a folder held. A grid launcher holds its variants'
# folders and hands each variant its descriptor (LOCK_ENV), so that nobody can slip in
# between the launcher's check and the variant's start.
LOCK_ENV = "SPINUP_RUN_LOCK"  # "<fd>:<folder>", set by a launcher for the variant it starts
_held = {}  # realpath of a folder -> (fd, inherited from the launcher)


def lock_run_dir(run_dir):
    """Hold ``run_dir`` (created if need be) for this process until ``release_run_dir`` or
    the process ends. Raises RunFolderBusy naming the folder and the process that holds it.
    Returns the lock's file descriptor."""
    import fcntl
    key = osp.realpath(run_dir)
    if key in _held:
        return _held[key][0]
    try:
        os.makedirs(run_dir, exist_ok=True)
        fd = os.open(osp.join(run_dir, LOCK), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise InputError(f"run folder {run_dir!r} cannot be created or written "
                         f"({e.strerror or e}); choose another --data_dir") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = _holder(fd)
        os.close(fd)
        raise RunFolderBusy(f"{run_dir} is in use by {holder}; wait until it ends or stop "
                            "it, then try again") from None
    _held[key] = (fd, False)
    try:
        info = json.dumps(_holder_info()).encode("utf-8")
        os.ftruncate(fd, 0)
        os.pwrite(fd, info, 0)
    except OSError:
        pass  # a full disk: the folder is held all the same, its holder unnamed
    return fd


def check_run_dir_free(run_dir):
    """Raise RunFolderBusy if another process holds ``run_dir``; holds nothing itself."""
    import fcntl
    if osp.realpath(run_dir) in _held:
        return
    try:
        fd = os.open(osp.join(run_dir, LOCK), os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return  # no lock file: never held
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise RunFolderBusy(f"{run_dir} is in use by {_holder(fd)}; wait until it ends or "
                            "stop it, then try again") from None
    finally:
        os.close(fd)  # closing drops the probe's lock


def release_run_dir(run_dir):
    """Stop holding ``run_dir`` (a descriptor inherited from a launcher is only closed: the
    launcher's hold stays)."""
    import fcntl
    entry = _held.pop(osp.realpath(run_dir), None)
    if entry is None:
        return
    fd, inherited = entry
    if not inherited:
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def held_lock_fd(run_dir):
    """The descriptor by which this process holds ``run_dir``, or None."""
    entry = _held.get(osp.realpath(run_dir))
    return None if entry is None else entry[0]


def lock_env(run_dir):
    """``{LOCK_ENV: ...}`` for a child that is to write ``run_dir`` under this process's
    hold (pass it the descriptor too: ``pass_fds``)."""
    return {LOCK_ENV: f"{held_lock_fd(run_dir)}:{osp.realpath(run_dir)}"}


def adopt_inherited_lock():
    """In a variant: take over the hold its launcher passed down (see ``lock_env``)."""
    value = os.environ.pop(LOCK_ENV, None)
    if not value:
        return
    fd, _, folder = value.partition(":")
    try:
        fd = int(fd)
        os.fstat(fd)
    except (ValueError, OSError):
        return  # not passed after all: the run takes the lock itself
    _held[osp.realpath(folder)] = (fd, True)


def _holder_info():
    import socket
    import time
    try:
        with open("/proc/self/cmdline", "rb") as f:
            argv = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        import sys
        argv = [osp.basename(sys.executable)] + sys.argv
    argv = [a if len(a) <= 60 else a[:40] + "..." for a in argv]
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "command": " ".join(argv)[:300], "since": time.strftime("%Y-%m-%d %H:%M:%S")}


def _holder(fd):
    """Who holds the lock whose file is open as ``fd``, as the holder wrote it."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        return (f"pid {info['pid']} on {info['host']} ({info['command']}, since "
                f"{info['since']})")
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"
