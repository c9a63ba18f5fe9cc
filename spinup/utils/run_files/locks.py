"""One writer per run folder: flock on the folder itself, held from the start of a run
(or resume, or a grid's variant) to its end, and let go when the process ends;
<folder>/.lock says who holds it."""
import json
import os
import os.path as osp

from spinup.utils.errors import InputError, RunFolderBusy
from spinup.utils.run_files.layout import LOCK

# ---------------------------------------------------------------------------------------------
# One writer per folder
# ---------------------------------------------------------------------------------------------
# A run, a `resume` or a grid holds each folder it writes with flock on the folder's own
# descriptor: the kernel drops the lock when the holder's last descriptor of it closes, so a
# process that dies, even by SIGKILL, never leaves a folder held. The lock is on the folder,
# not on a file in it, because a file can be deleted (or replaced) under its holder: a
# second process would then lock a new file and write beside the first. <folder>/.lock only
# names the holder, for the message a refused process gives. A grid launcher holds its variants'
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
        if not os.access(run_dir, os.W_OK):
            raise PermissionError(13, "Permission denied")
        fd = _open_folder(run_dir)
    except OSError as e:
        raise InputError(f"run folder {run_dir!r} cannot be created or written "
                         f"({e.strerror or e}); choose another --data_dir") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise RunFolderBusy(f"{run_dir} is in use by {_holder(run_dir)}; wait until it ends "
                            "or stop it, then try again") from None
    _held[key] = (fd, False)
    try:
        with open(osp.join(run_dir, LOCK), "w", encoding="utf-8") as f:
            json.dump(_holder_info(), f)
    except OSError:
        pass  # a full disk: the folder is held all the same, its holder unnamed
    return fd


def _open_folder(run_dir):
    """A descriptor of the folder itself (what the lock is taken on)."""
    return os.open(run_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)


def check_run_dir_free(run_dir):
    """Raise RunFolderBusy if another process holds ``run_dir``; holds nothing itself."""
    import fcntl
    if osp.realpath(run_dir) in _held:
        return
    try:
        fd = _open_folder(run_dir)
    except OSError:
        return  # no folder: nobody holds it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise RunFolderBusy(f"{run_dir} is in use by {_holder(run_dir)}; wait until it ends "
                            "or stop it, then try again") from None
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


def _holder(run_dir):
    """Who holds ``run_dir``, as the holder wrote it in its .lock file."""
    try:
        with open(osp.join(run_dir, LOCK), "rb") as f:
            info = json.loads(f.read(4096).decode("utf-8"))
        return (f"pid {info['pid']} on {info['host']} ({info['command']}, since "
                f"{info['since']})")
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"
