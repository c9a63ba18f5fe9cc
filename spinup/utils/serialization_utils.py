"""JSON-safe conversion of configs, and pickle-free storage of parameter trees."""
import json

import numpy as np


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
    try:
        json.dumps(v)
        return True
    except (TypeError, ValueError, OverflowError):
        return False


def save_flat_npz(path, arrays):
    """Save a flat ``{key_path: array}`` dict as .npz (no pickled objects inside)."""
    np.savez(path, **{k: np.asarray(v) for k, v in arrays.items()})


def load_flat_npz(path):
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}
