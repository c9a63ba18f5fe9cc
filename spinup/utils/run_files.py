"""The files of a run folder, read and written in one place.

A run folder ``data/<exp>/<exp>_s<seed>/`` holds ``config.json`` (the run's arguments,
``algo``, ``env_fn`` and ``spinup_format``), ``progress.txt`` (one row per epoch), ``model/``
(the trained networks) and ``checkpoint/`` (everything needed to continue training:
``checkpoint.npz`` and, for TD3 with ``save_buffer``, ``buffer/<first>-<end>.npz`` chunks of
the replay buffer). Every read validates what it reads and reports damage as one
``RunFileError`` line naming the file; every write is atomic.
"""
import json
import os
import os.path as osp

import numpy as np

from spinup.utils.errors import InputError, RunFileError
from spinup.utils.serialization_utils import atomic_write, load_npz, read_json, save_npz

# Version of the run-folder layout this spinup writes; it reads this one and older ones.
FORMAT_VERSION = 1
CONFIG = "config.json"
PROGRESS = "progress.txt"
MODEL_DIR = "model"
CHECKPOINT_DIR = "checkpoint"
CHECKPOINT = "checkpoint.npz"
BUFFER_DIR = "buffer"


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
    if not isinstance(cfg.get("algo"), str):
        raise RunFileError(f"{path}: run config is damaged (no 'algo' naming the algorithm)")
    return cfg


# ---------------------------------------------------------------------------------------------
# progress.txt
# ---------------------------------------------------------------------------------------------
def read_progress(run_dir):
    """(header, rows) of a run's progress.txt, rows as lists of strings; a row whose number
    of fields differs from the header's (a torn write) is an error naming the line."""
    path = osp.join(run_dir, PROGRESS)
    if not osp.isfile(path):
        raise RunFileError(f"{path}: progress log is missing")
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        return [], []
    header = lines[0].split("\t")
    rows = [ln.split("\t") for ln in lines[1:]]
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise RunFileError(f"{path}: progress log is damaged (line {i + 2} has {len(row)} "
                               f"fields, the header {len(header)})")
    return header, rows


def truncate_progress(run_dir, n_rows):
    """Keep the header and the first ``n_rows`` rows of progress.txt (atomically): rows
    written after the checkpoint a run resumes from would otherwise appear twice."""
    header, rows = read_progress(run_dir)
    if len(rows) < n_rows:
        raise RunFileError(f"{osp.join(run_dir, PROGRESS)}: progress log has {len(rows)} rows "
                           f"but the checkpoint was taken after {n_rows}; the log was cut")
    text = "".join("\t".join(r) + "\n" for r in [header] + rows[:n_rows]) if header else ""
    atomic_write(osp.join(run_dir, PROGRESS), lambda f: f.write(text.encode("utf-8")))
    return len(rows) - n_rows


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
    checkpoint, atomically: until the rename, the previous checkpoint is the one on disk."""
    arrays = dict(arrays)
    meta = dict(meta, spinup_format=FORMAT_VERSION)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)
    return save_npz(checkpoint_path(run_dir), arrays)


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
    version = meta.get("spinup_format")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise RunFileError(f"{path}: checkpoint written by a newer spinup (format {version}; "
                           f"this one reads up to {FORMAT_VERSION}); upgrade spinup")
    missing = [k for k in required if k not in meta]
    if missing:
        raise RunFileError(f"{path}: checkpoint is damaged (missing {', '.join(missing)})")
    return upgrade_single_env_checkpoint(arrays, meta)


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


def load_buffer_chunks(run_dir, first, end):
    """The saved transitions ``first .. end - 1`` as chunks [(first, arrays)], checking that
    the chunks cover that range without a gap."""
    out, at = [], first
    for a, b, path in buffer_chunks(run_dir):
        if b <= first or a >= end:
            continue
        if a > at:
            break
        arrays = load_npz(path, "replay-buffer chunk")
        lo = at - a
        hi = min(b, end) - a
        out.append((at, {k: v[lo:hi] for k, v in arrays.items()}))
        at = a + hi
    if at < end:
        raise RunFileError(f"{buffer_dir(run_dir)}: replay-buffer chunks are missing "
                           f"transitions {at} to {end - 1}")
    return out


def prune_buffer_chunks(run_dir, keep_from, end):
    """Delete chunks wholly before ``keep_from`` (overwritten in the buffer) or starting at
    or after ``end`` (written after the checkpoint in use)."""
    for a, b, path in buffer_chunks(run_dir):
        if b <= keep_from or a >= end:
            os.remove(path)
