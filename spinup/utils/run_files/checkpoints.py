"""checkpoint/: checkpoint.npz (the learner, the loop's arrays, a meta of
counters checked entry by entry) and the replay buffer's compressed chunks
buffer/<first>-<end>.npz."""
import json
import os
import os.path as osp
import zipfile

import numpy as np

from spinup.utils.errors import InputError, RunFileError
from spinup.utils.serialization_utils import load_npz, save_npz
from spinup.utils.run_files.layout import (BUFFER_DIR, CHECKPOINT, CHECKPOINT_DIR,
                                           FORMAT_VERSION, PROGRESS, progress_checksum,
                                           read_progress)

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
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            bad = np.flatnonzero(~np.isfinite(arr.reshape(n, -1)).all(axis=1))
            raise RunFileError(f"{path}: replay-buffer chunk is damaged ({name} of {len(bad)} "
                               f"transition(s) is NaN or infinite, the first at row {bad[0]}; "
                               "a run stops before non-finite data reaches a checkpoint)")


def prune_buffer_chunks(run_dir, keep_from, end):
    """Delete chunks wholly before ``keep_from`` (overwritten in the buffer) or starting at
    or after ``end`` (written after the checkpoint in use)."""
    for a, b, path in buffer_chunks(run_dir):
        if b <= keep_from or a >= end:
            os.remove(path)
