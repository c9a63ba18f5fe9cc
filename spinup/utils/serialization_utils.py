"""Reading and writing the files of a run folder, in one place.

Writes are atomic: the data goes to ``<path>.tmp`` in the same folder, is flushed and
fsynced, then renamed over ``<path>`` (and the folder is fsynced), so a crash mid-write leaves
the previous file intact. Reads validate what they read and turn every kind of damage
(missing, truncated, tampered, wrong format) into one ``RunFileError`` line naming the file.
No pickle anywhere: arrays go to ``.npz`` (read with ``allow_pickle=False``), torch state to
``.pt`` (read with ``weights_only=True``), everything else to JSON.
"""
import json
import os
import os.path as osp
import zipfile

import numpy as np

from spinup.utils.errors import RunFileError


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
    if not isinstance(obj, dict):
        raise RunFileError(f"{path}: {what} is damaged (expected a JSON object, found "
                           f"{type(obj).__name__})")
    return obj


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
    os.makedirs(folder, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
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
def save_npz(path, arrays, compress=False):
    """Save a flat ``{name: array}`` dict as ``.npz`` atomically (no pickled objects)."""
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    bad = [k for k, v in arrays.items() if v.dtype == object]
    if bad:
        raise TypeError(f"{path}: {bad[0]} is not a numeric array; .npz files hold arrays only")
    saver = np.savez_compressed if compress else np.savez
    return atomic_write(path, lambda f: saver(f, **arrays))


def load_npz(path, what="file"):
    """The arrays of ``.npz`` file ``path`` as a dict; any damage is a RunFileError."""
    if not osp.isfile(path):
        raise RunFileError(f"{path}: {what} is missing")
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as e:
        raise RunFileError(f"{path}: {what} is damaged or truncated (not a readable .npz: "
                           f"{_first_line(e)})") from None


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
