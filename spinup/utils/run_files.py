"""The files of a run folder, read and written in one place.

A run folder ``data/<exp>/<exp>_s<seed>/`` holds ``config.json`` (the run's arguments,
``algo``, ``env_fn`` and ``spinup_format``), ``progress.txt`` (one row per epoch), ``model/``
(the trained networks) and ``checkpoint/`` (everything needed to continue training:
``checkpoint.npz`` and, for TD3 with ``save_buffer``, ``buffer/<first>-<end>.npz`` chunks of
the replay buffer). Every read validates what it reads and reports damage as one
``RunFileError`` line naming the file; every write is atomic.

Every file carries a checksum, checked when it is read (``serialization_utils``): config.json
and the ``.npz`` files hold their own; progress.txt, appended to row by row, is checked
against the checksum of its rows that each checkpoint holds. A folder is held by one process
at a time (``lock_run_dir``).
"""
import hashlib
import json
import os
import os.path as osp
import zipfile

import numpy as np

from spinup.utils.errors import InputError, RunFileError, RunFolderBusy
from spinup.utils.serialization_utils import (JSON_CHECKSUM, atomic_write, json_checksum,
                                              load_npz, read_json, save_npz)

# Version of the run-folder layout this spinup writes; it reads this one and older ones.
# 2: checksums in every file, the model as canonical weights (model/weights.npz).
FORMAT_VERSION = 2
CONFIG = "config.json"
PROGRESS = "progress.txt"
MODEL_DIR = "model"
CHECKPOINT_DIR = "checkpoint"
CHECKPOINT = "checkpoint.npz"
BUFFER_DIR = "buffer"
LOCK = ".lock"  # held (flock) by the process that writes the folder


def code_version():
    """Which spinup ran: its version and, in a git checkout, the commit and whether the tree
    had uncommitted changes (``commit`` None elsewhere). Kept in config.json, so that a
    result names the code that produced it. A grid that ships spinup to Ray nodes passes its
    own in ``SPINUP_CODE`` (the copy on the node is not a git checkout)."""
    import subprocess
    import spinup
    shipped = os.environ.get("SPINUP_CODE")  # set by a launcher that shipped its code
    if shipped:
        try:
            return dict(json.loads(shipped))
        except (ValueError, TypeError):
            pass
    root = osp.dirname(osp.dirname(osp.abspath(spinup.__file__)))
    out = {"version": spinup.__version__, "commit": None, "dirty": None}
    if not osp.exists(osp.join(root, ".git")):  # installed, not a checkout (git would find
        return out                              # whatever repository holds site-packages)
    try:
        git = ["git", "-C", root]
        commit = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10)
        if commit.returncode == 0:
            status = subprocess.run(git + ["status", "--porcelain", "--untracked-files=no"],
                                    capture_output=True, text=True, timeout=10)
            out.update(commit=commit.stdout.strip(),
                       dirty=bool(status.stdout.strip()) if status.returncode == 0 else None)
    except (OSError, subprocess.SubprocessError):
        pass  # no git here: the version alone
    return out


# ---------------------------------------------------------------------------------------------
# config.json
# ---------------------------------------------------------------------------------------------
def is_run_dir(path):
    """Whether ``path`` looks like a run folder (it holds a config.json)."""
    return osp.isfile(osp.join(path, CONFIG))


def find_run_dirs(path):
    """The run folders at or under ``path`` (a run folder, or an experiment or grid folder
    holding them), sorted."""
    if is_run_dir(path):
        return [path]
    found = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        if CONFIG in files:
            found.append(root)
            dirs[:] = []  # a run folder's own subfolders hold no runs
    return found


def read_config(run_dir):
    """The validated config of a run: a dict naming its ``algo``, written by this or an older
    format version. A missing folder or file, bad JSON or a newer format is a one-line error."""
    if not osp.isdir(run_dir):
        raise InputError(f"{run_dir!r} is not a folder; expected a run folder holding "
                         f"{CONFIG}")
    path = osp.join(run_dir, CONFIG)
    if not osp.isfile(path):
        raise InputError(f"{run_dir!r} is not a run folder: {CONFIG} is missing")
    cfg = read_json(path, "run config")
    version = cfg.get("spinup_format", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise RunFileError(f"{path}: run config is damaged (spinup_format={version!r}, "
                           "expected a positive integer)")
    if version > FORMAT_VERSION:
        raise RunFileError(f"{path}: written by a newer spinup (run format {version}; this one "
                           f"reads up to {FORMAT_VERSION}); upgrade spinup to read it")
    if JSON_CHECKSUM in cfg and cfg[JSON_CHECKSUM] != json_checksum(cfg):
        raise RunFileError(f"{path}: run config was changed after the run wrote it (its "
                           "checksum does not match); if the change is meant, delete its "
                           f"{JSON_CHECKSUM!r} entry and its values will be checked instead")
    cfg.pop(JSON_CHECKSUM, None)
    if not isinstance(cfg.get("algo"), str):
        raise RunFileError(f"{path}: run config is damaged (no 'algo' naming the algorithm)")
    return cfg


def seal_config(cfg):
    """``cfg`` (JSON-safe) with its checksum, as config.json is written; ``read_config``
    checks it."""
    cfg = json.loads(json.dumps({k: v for k, v in cfg.items() if k != JSON_CHECKSUM}))
    return dict(cfg, **{JSON_CHECKSUM: json_checksum(cfg)})


def reseal_config(run_dir):
    """Rewrite config.json's checksum after spinup itself changed the file (a Ray node's
    folder relocated); a file without one is left as it is."""
    from spinup.utils.serialization_utils import write_json
    path = osp.join(run_dir, CONFIG)
    cfg = read_json(path, "run config")
    if JSON_CHECKSUM in cfg:
        write_json(path, seal_config(cfg))


# ---------------------------------------------------------------------------------------------
# progress.txt
# ---------------------------------------------------------------------------------------------
def read_progress(run_dir, torn="error", verify=True):
    """(header, rows) of a run's progress.txt, rows as lists of strings, validated: every
    cell a number (``nan`` included), the Epoch column (when there is one) integers going up
    by one, and, with ``verify``, the rows a checkpoint saw matching the checksum it holds.
    Anything else is a RunFileError naming the line.

    A last line without its newline was cut short as it was written (the run died
    mid-write): ``torn='error'`` refuses it, ``torn='drop'`` leaves it out."""
    path = osp.join(run_dir, PROGRESS)
    if not osp.isfile(path):
        raise RunFileError(f"{path}: progress log is missing")
    meta = checkpoint_meta(run_dir) if verify else None  # before the rows it vouches for
    with open(path, "rb") as f:
        data = f.read()
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise RunFileError(f"{path}: progress log is damaged (line {line} is not text)") \
            from None
    if lines[-1] == "":
        lines.pop()  # the file ends with a newline, as every complete row does
    elif torn == "drop":
        lines.pop()
    else:
        raise RunFileError(f"{path}: line {len(lines)} of the progress log is incomplete (the "
                           "run stopped while writing it); `python -m spinup.run resume "
                           f"{run_dir}` cuts it, or delete the line")
    if not lines:
        return [], []
    header, rows = lines[0].split("\t"), [ln.split("\t") for ln in lines[1:]]
    _check_progress(path, header, rows)
    if meta is not None and "progress_sha256" in meta:
        check_progress_checksum(path, header, rows, meta)
    return header, rows


def _check_progress(path, header, rows):
    if len(set(header)) != len(header) or "" in header:
        raise RunFileError(f"{path}: progress log is damaged (line 1, the header, has an "
                           "empty or repeated column name)")
    epoch_col = header.index("Epoch") if "Epoch" in header else None
    last = None
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise RunFileError(f"{path}: progress log is damaged (line {line} has {len(row)} "
                               f"fields, the header {len(header)})")
        for name, cell in zip(header, row):
            try:
                float(cell)
            except ValueError:
                raise RunFileError(f"{path}: progress log is damaged (line {line}, column "
                                   f"{name}: {cell!r} is not a number)") from None
        if epoch_col is None:
            continue
        epoch = float(row[epoch_col])
        if not epoch.is_integer() or (last is not None and epoch != last + 1):
            what = ("is not a whole number" if not epoch.is_integer() else "repeats epoch"
                    if epoch == last else f"follows epoch {last:g} with epoch")
            raise RunFileError(f"{path}: progress log is damaged (line {line} {what} "
                               f"{row[epoch_col]}; each row must be the epoch after the one "
                               "before)")
        last = epoch


def progress_checksum(header, rows):
    """'sha256:<hex>' of progress.txt's header and ``rows``, as written."""
    text = "".join("\t".join(r) + "\n" for r in [header] + list(rows))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_progress_checksum(path, header, rows, meta):
    """The first ``meta['rows']`` rows must be those the checkpoint ``meta`` saw."""
    n = meta["rows"]
    if len(rows) < n:
        raise RunFileError(f"{path}: progress log has {len(rows)} rows but its checkpoint was "
                           f"taken after {n}; rows were lost")
    if progress_checksum(header, rows[:n]) != meta["progress_sha256"]:
        raise RunFileError(f"{path}: progress log is damaged (its first {n} rows do not match "
                           "the checksum its checkpoint holds: they changed after they were "
                           "written)")


def truncate_progress(run_dir, meta):
    """Keep the header and the rows that checkpoint ``meta`` saw (atomically), after checking
    them: rows written after that checkpoint, a torn one included, would otherwise be
    repeated or block the log. Returns how many rows were cut."""
    header, rows = read_progress(run_dir, torn="drop", verify=False)
    path, n_rows = osp.join(run_dir, PROGRESS), meta["rows"]
    if len(rows) < n_rows:
        raise RunFileError(f"{path}: progress log has {len(rows)} rows but the checkpoint was "
                           f"taken after {n_rows}; the log was cut")
    if "progress_sha256" in meta:
        check_progress_checksum(path, header, rows, meta)
    text = "".join("\t".join(r) + "\n" for r in [header] + rows[:n_rows]) if header else ""
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))
    return len(rows) - n_rows


def progress_columns(run_dir):
    """progress.txt as ``{column: float array}``, read and validated by ``read_progress``."""
    header, rows = read_progress(run_dir)
    values = np.array(rows, dtype=np.float64).reshape(len(rows), len(header))
    return {h: values[:, i].copy() for i, h in enumerate(header)}


# ---------------------------------------------------------------------------------------------
# checkpoint/
# ---------------------------------------------------------------------------------------------
def checkpoint_path(run_dir):
    """Where the run's checkpoint lives."""
    return osp.join(run_dir, CHECKPOINT_DIR, CHECKPOINT)


def remove_checkpoint(run_dir):
    """Delete a run folder's checkpoint (a fresh run into an old folder starts anew)."""
    import shutil
    folder = osp.join(run_dir, CHECKPOINT_DIR)
    if osp.isdir(folder):
        shutil.rmtree(folder)


def save_checkpoint(run_dir, arrays, meta):
    """Write ``arrays`` (flat dict of NumPy arrays) and ``meta`` (JSON-able dict) as the run's
    checkpoint, atomically: until the rename, the previous checkpoint is the one on disk.
    With ``meta['rows']``, it also holds the checksum of progress.txt's first ``rows`` rows,
    which every later read of the log checks."""
    arrays = dict(arrays)
    meta = dict(meta, spinup_format=FORMAT_VERSION)
    if "rows" in meta and osp.isfile(osp.join(run_dir, PROGRESS)):
        header, rows = read_progress(run_dir, verify=False)
        meta["progress_sha256"] = progress_checksum(header, rows[:meta["rows"]])
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)
    return save_npz(checkpoint_path(run_dir), arrays)


def checkpoint_meta(run_dir):
    """The meta entry of the run's checkpoint, read alone (cheap: the arrays stay on disk),
    or None when there is no readable one. For checks of other files; ``load_checkpoint``
    validates the checkpoint itself."""
    path = checkpoint_path(run_dir)
    if not osp.isfile(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
        _check_meta(path, meta)
    except (InputError, OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    return meta


def load_checkpoint(run_dir, required=("epoch",)):
    """(arrays, meta) of the run's checkpoint, validated: readable, of a known format, with
    the ``required`` meta entries. A leftover ``.tmp`` (a crash mid-write) is ignored."""
    path = checkpoint_path(run_dir)
    if not osp.isfile(path):
        raise RunFileError(f"{path}: checkpoint is missing (the run stopped before its first "
                           "checkpoint, or was made by a spinup without checkpoints)")
    arrays = load_npz(path, "checkpoint")
    try:
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
    except (KeyError, ValueError, UnicodeDecodeError):
        raise RunFileError(f"{path}: checkpoint is damaged (its meta entry is missing or not "
                           "JSON)") from None
    version = meta.get("spinup_format") if isinstance(meta, dict) else None
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise RunFileError(f"{path}: checkpoint written by a newer spinup (format {version}; "
                           f"this one reads up to {FORMAT_VERSION}); upgrade spinup")
    _check_meta(path, meta)
    missing = [k for k in required if k not in meta]
    if missing:
        raise RunFileError(f"{path}: checkpoint is damaged (missing {', '.join(missing)})")
    return upgrade_single_env_checkpoint(arrays, meta)


# What the entries of a checkpoint's meta must be; rng states are checked by loading them.
_COUNTS = ("epoch", "rows", "replay_total", "ep_len", "spinup_format")
_FLAGS = ("buffer_saved",)
_NUMBERS = ("elapsed", "ep_ret")
_TEXTS = ("progress_sha256", "algo")


def _check_meta(path, meta):
    """One line naming the first entry of a checkpoint's meta whose type or value is wrong."""
    def damaged(key, expected):
        raise RunFileError(f"{path}: checkpoint is damaged ({key}={meta[key]!r}, expected "
                           f"{expected})")

    if not isinstance(meta, dict):
        raise RunFileError(f"{path}: checkpoint is damaged (its meta entry is a "
                           f"{type(meta).__name__}, expected a JSON object)")
    if not isinstance(meta.get("spinup_format"), int):
        raise RunFileError(f"{path}: checkpoint is damaged (spinup_format="
                           f"{meta.get('spinup_format')!r}, expected a positive integer)")
    for key, value in meta.items():
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if key in _COUNTS and not (is_int and value >= 0):
            damaged(key, "a whole number >= 0")
        elif key == "num_envs" and not (is_int and value >= 1):
            damaged(key, "a whole number >= 1")
        elif (key in _FLAGS or key.endswith("_physics")) and not isinstance(value, bool):
            damaged(key, "true or false")
        elif key in _NUMBERS and not (isinstance(value, (int, float)) and not
                                      isinstance(value, bool) and np.isfinite(value)):
            damaged(key, "a finite number")
        elif key in _TEXTS and not isinstance(value, str):
            damaged(key, "a string")
        elif key.endswith("_rng") and not _valid_rng_state(value):
            damaged(key, "a NumPy bit generator's state")


_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def _valid_rng_state(state):
    """Whether ``state`` is a state NumPy's bit generator of its kind accepts."""
    if not isinstance(state, dict) or state.get("bit_generator") not in _BIT_GENERATORS:
        return False
    try:
        getattr(np.random, state["bit_generator"])().state = state
    except (TypeError, ValueError, KeyError, OverflowError):
        return False
    return True


def upgrade_single_env_checkpoint(arrays, meta):
    """A checkpoint from before vectorised environments (its env saved as ``env/...`` with
    ``env_rng``, the episode's return and length as scalars) in today's layout: env 0 of a
    batch of one (``env0/...``, ``env0_rng``, ``obs`` and ``ep_ret``/``ep_len`` with a leading
    env axis). Today's checkpoints (they carry ``num_envs``) pass through unchanged."""
    if "num_envs" in meta or "env_rng" not in meta:
        return arrays, meta
    arrays, meta = dict(arrays), dict(meta, num_envs=1)
    meta["env0_rng"], meta["env0_physics"] = meta.pop("env_rng"), meta.pop("env_physics", False)
    for key in [k for k in arrays if k.startswith("env/")]:
        value = arrays.pop(key)
        if key == "env/obs":
            arrays["obs"] = np.asarray(value)[None]
        else:
            arrays["env0/" + key[len("env/"):]] = value
    if "ep_ret" in meta:
        arrays["ep_ret"] = np.array([meta.pop("ep_ret")], np.float64)
        arrays["ep_len"] = np.array([meta.pop("ep_len")], np.int64)
    return arrays, meta


def buffer_dir(run_dir):
    """Where the replay-buffer chunks of a run's checkpoint live."""
    return osp.join(run_dir, CHECKPOINT_DIR, BUFFER_DIR)


def save_buffer_chunk(run_dir, first, arrays):
    """Transitions ``first .. first + n - 1`` (counted over the whole run) as a compressed,
    atomically written chunk."""
    n = len(next(iter(arrays.values())))
    path = osp.join(buffer_dir(run_dir), f"{first:012d}-{first + n:012d}.npz")
    return save_npz(path, arrays, compress=True)


def buffer_chunks(run_dir):
    """[(first, end, path)] of the saved chunks, sorted; names that are not chunks are
    ignored (e.g. a .tmp left by a crash)."""
    folder, out = buffer_dir(run_dir), []
    if not osp.isdir(folder):
        return out
    for name in sorted(os.listdir(folder)):
        stem, ext = osp.splitext(name)
        parts = stem.split("-")
        if ext == ".npz" and len(parts) == 2 and all(p.isdigit() for p in parts):
            out.append((int(parts[0]), int(parts[1]), osp.join(folder, name)))
    return out


def load_buffer_chunks(run_dir, first, end, shapes=None):
    """The saved transitions ``first .. end - 1`` as chunks [(first, arrays)], checking that
    the chunks cover that range without a gap and, given ``shapes`` ({field: shape of one
    transition's entry}), that each chunk holds those fields for each of its transitions."""
    out, at = [], first
    for a, b, path in buffer_chunks(run_dir):
        if b <= first or a >= end:
            continue
        if a > at:
            break
        arrays = load_npz(path, "replay-buffer chunk")
        if shapes is not None:
            _check_chunk(path, arrays, b - a, shapes)
        lo = at - a
        hi = min(b, end) - a
        out.append((at, {k: v[lo:hi] for k, v in arrays.items()}))
        at = a + hi
    if at < end:
        raise RunFileError(f"{buffer_dir(run_dir)}: replay-buffer chunks are missing "
                           f"transitions {at} to {end - 1}")
    return out


def _check_chunk(path, arrays, n, shapes):
    for name, shape in shapes.items():
        if name not in arrays:
            raise RunFileError(f"{path}: replay-buffer chunk is damaged (no {name!r} entry)")
        arr, want = arrays[name], (n, *shape)
        if arr.shape != want or arr.dtype.kind not in "fiub":
            raise RunFileError(f"{path}: replay-buffer chunk is damaged ({name} is {arr.dtype} "
                               f"shaped {arr.shape}; its name and the run's spaces say numbers "
                               f"shaped {want})")


def prune_buffer_chunks(run_dir, keep_from, end):
    """Delete chunks wholly before ``keep_from`` (overwritten in the buffer) or starting at
    or after ``end`` (written after the checkpoint in use)."""
    for a, b, path in buffer_chunks(run_dir):
        if b <= keep_from or a >= end:
            os.remove(path)


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
