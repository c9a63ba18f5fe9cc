"""Reading and writing the files of a run folder, in one place.

Writes are atomic: the data goes to ``<path>.tmp`` in the same folder, is flushed and
fsynced, then renamed over ``<path>`` (and the folder is fsynced), so a crash mid-write leaves
the previous file intact; a write that fails (a full disk) removes its ``.tmp`` and is one
``RunWriteError`` line naming the file. Reads validate what they read and turn every kind of
damage (missing, truncated, tampered, wrong format) into one ``RunFileError`` line naming the
file. No pickle anywhere: arrays go to ``.npz`` (read with ``allow_pickle=False``), everything
else to JSON; ``.pt`` files of older runs are read with ``weights_only=True``.

One checksum scheme for every file spinup writes: SHA-256 of the contents, kept inside the
file it checks, so that file and checksum are renamed into place together. An ``.npz`` holds
it as the entry ``__sha256__`` (over every other entry's name, dtype, shape and bytes); a JSON
object as the key ``spinup_checksum`` (over the object without it, serialised canonically).
"""
import hashlib
import json
import os
import os.path as osp
import zipfile

import numpy as np

from spinup.utils.errors import RunFileError, RunWriteError

NPZ_CHECKSUM = "__sha256__"       # the .npz entry holding the checksum of the other entries
JSON_CHECKSUM = "spinup_checksum"  # the JSON key holding the checksum of the rest


# ---------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------
def convert_json(obj):
    """Turn ``obj`` into something ``json.dumps`` accepts, keeping it readable."""
    if is_json_serializable(obj):
        return obj
    if hasattr(obj, "to_json"):
        return convert_json(obj.to_json())
    if isinstance(obj, dict):
        return {convert_json(k): convert_json(v) for k, v in obj.items()}
    if isinstance(obj, (tuple, list, set)):
        return [convert_json(x) for x in obj]
    if isinstance(obj, np.ndarray) and obj.size <= 64:
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if hasattr(obj, "__name__") and not ("lambda" in obj.__name__):
        return convert_json(obj.__name__)
    if hasattr(obj, "__dict__") and obj.__dict__:
        return {str(obj): {convert_json(k): convert_json(v) for k, v in obj.__dict__.items()}}
    return str(obj)


def is_json_serializable(v):
    """Whether ``json.dumps(v)`` succeeds."""
    try:
        json.dumps(v)
        return True
    except (TypeError, ValueError, OverflowError):
        return False


def read_json(path, what="file"):
    """The object in JSON file ``path`` (a dict is expected); ``what`` names the file's role
    in the error, e.g. 'run config'."""
    if not osp.isfile(path):
        raise RunFileError(f"{path}: {what} is missing")
    try:
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RunFileError(f"{path}: {what} is damaged (not valid JSON: {e})") from None
    except RecursionError:
        raise RunFileError(f"{path}: {what} is damaged (JSON nested deeper than Python can "
                           f"read; spinup's files nest at most {MAX_JSON_DEPTH} levels)") from None
    if not isinstance(obj, dict):
        raise RunFileError(f"{path}: {what} is damaged (expected a JSON object, found "
                           f"{type(obj).__name__})")
    if json_depth(obj) > MAX_JSON_DEPTH:
        raise RunFileError(f"{path}: {what} is damaged (JSON nested more than "
                           f"{MAX_JSON_DEPTH} levels deep; spinup's files nest a few)")
    return obj


# Deeper than any file spinup writes (a config nests 3-4 levels), shallow enough that nothing
# walking the object recursively can exhaust Python's stack.
MAX_JSON_DEPTH = 50


def json_depth(obj):
    """How deeply lists and dicts nest in ``obj`` (a scalar: 0), without recursion."""
    depth, level = 0, [obj]
    while level:
        level = [v for x in level if isinstance(x, (dict, list))
                 for v in (x.values() if isinstance(x, dict) else x)]
        depth += 1
    return depth - 1


def json_checksum(obj):
    """'sha256:<hex>' of a JSON object without its ``spinup_checksum`` key, serialised
    canonically (sorted keys, no spaces), so that layout and key order do not matter."""
    rest = {k: v for k, v in obj.items() if k != JSON_CHECKSUM}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()


def write_json(path, obj):
    """Write ``obj`` (made JSON-safe) to ``path`` atomically, indented and sorted."""
    text = json.dumps(convert_json(obj), separators=(",", ":\t"), indent=4, sort_keys=True)
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))
    return text


# ---------------------------------------------------------------------------------------------
# Atomic writes
# ---------------------------------------------------------------------------------------------
def atomic_write(path, write):
    """Call ``write(f)`` on a binary file object for ``<path>.tmp``, fsync it, then rename it
    onto ``path`` and fsync the folder: ``path`` is always either the old or the new file."""
    folder = osp.dirname(osp.abspath(path))
    tmp = path + ".tmp"
    try:
        os.makedirs(folder, exist_ok=True)
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:  # a half-written .tmp would only take the space a retry needs
            os.remove(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise RunWriteError(path, e.strerror or str(e), e.errno) from None
        raise
    fsync_dir(folder)
    return path


def fsync_dir(folder):
    """Make a rename inside ``folder`` durable (where the OS supports it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------
# Arrays (.npz) and torch state (.pt)
# ---------------------------------------------------------------------------------------------
def arrays_checksum(arrays):
    """'sha256:<hex>' of a flat ``{name: array}`` dict: each entry's name, dtype, shape and
    bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.asarray(arrays[name])
        h.update(f"{name}\0{a.dtype.str}\0{a.shape}\0".encode("utf-8"))
        h.update(a.tobytes())
    return "sha256:" + h.hexdigest()


def save_npz(path, arrays, compress=False):
    """Save a flat ``{name: array}`` dict as ``.npz`` atomically (no pickled objects), with
    its checksum as the entry ``__sha256__``."""
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    bad = [k for k, v in arrays.items() if v.dtype == object]
    if bad:
        raise TypeError(f"{path}: {bad[0]} is not a numeric array; .npz files hold arrays only")
    if NPZ_CHECKSUM in arrays:
        raise ValueError(f"{path}: {NPZ_CHECKSUM} is the name of the checksum entry")
    # First in the file: damage that cuts the zip's listing short cannot take it away.
    arrays = {NPZ_CHECKSUM: np.frombuffer(arrays_checksum(arrays).encode("ascii"), np.uint8),
              **arrays}
    saver = np.savez_compressed if compress else np.savez
    return atomic_write(path, lambda f: saver(f, **arrays))


def load_npz(path, what="file", checksum_required=False):
    """The arrays of ``.npz`` file ``path`` as a dict (without its checksum entry), checked
    against its checksum; any damage is a RunFileError. Files of older spinups have no
    checksum (zip's CRC-32 still checks them) unless ``checksum_required``."""
    if not osp.isfile(path):
        raise RunFileError(f"{path}: {what} is missing")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as e:  # whatever a damaged zip or .npy header makes the parsers raise
        raise RunFileError(f"{path}: {what} is damaged or truncated (not a readable .npz: "
                           f"{_first_line(e)})") from None
    stored = arrays.pop(NPZ_CHECKSUM, None)
    if stored is None:
        if checksum_required:
            raise RunFileError(f"{path}: {what} is damaged (its checksum entry "
                               f"{NPZ_CHECKSUM} is missing)")
        return arrays
    try:
        stored = np.asarray(stored, np.uint8).tobytes().decode("ascii")
    except (UnicodeDecodeError, ValueError, TypeError):
        stored = None
    if stored != arrays_checksum(arrays):
        raise RunFileError(f"{path}: {what} is damaged (its contents do not match its "
                           "checksum: the file changed after it was written)")
    return arrays


def save_torch(path, obj):
    """``torch.save(obj)`` atomically; ``obj`` must hold only tensors, numbers, strings and
    containers of them, so that ``load_torch`` can read it with ``weights_only=True``."""
    import torch
    return atomic_write(path, lambda f: torch.save(obj, f))


def load_torch(path, map_location=None, what="file"):
    """``torch.load(path, weights_only=True)``; any damage is a RunFileError."""
    import pickle

    import torch
    if not osp.isfile(path):
        raise RunFileError(f"{path}: {what} is missing")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, EOFError, zipfile.BadZipFile, ValueError,
            OSError, KeyError) as e:
        raise RunFileError(f"{path}: {what} is damaged or truncated (torch could not read it: "
                           f"{_first_line(e)})") from None


def _first_line(e):
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


# ---------------------------------------------------------------------------------------------
# NumPy generator states as arrays (so that they fit in an .npz)
# ---------------------------------------------------------------------------------------------
def generator_state(rng):
    """The full state of a ``numpy.random.Generator`` as a uint8 array (JSON bytes)."""
    return np.frombuffer(json.dumps(rng.bit_generator.state).encode("ascii"), np.uint8).copy()


def set_generator_state(rng, arr):
    """Restore what ``generator_state`` returned into ``rng`` (same bit generator kind)."""
    rng.bit_generator.state = json.loads(np.asarray(arr, np.uint8).tobytes().decode("ascii"))
    return rng
