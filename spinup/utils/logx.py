"""Logger and EpochLogger: SpinningUp's run logs (config.json, progress.txt), without MPI.

Values may be Python numbers, NumPy arrays, JAX arrays or torch tensors.
"""
import os
import os.path as osp
import sys
import time

import numpy as np

from spinup.utils.errors import InputError
from spinup.utils.serialization_utils import (convert_json, is_json_serializable, save_npz,
                                              save_torch, write_json)
from spinup.utils.tensorboard import missing_writer
from spinup.utils.tensorboard import open_log as tensorboard_log

color2num = dict(gray=30, red=31, green=32, yellow=33, blue=34, magenta=35, cyan=36, white=37,
                 crimson=38)


def colorize(string, color, bold=False, highlight=False):
    """Wrap ``string`` in ANSI colour codes (only when stdout is a terminal)."""
    if not sys.stdout.isatty():
        return string
    num = color2num[color] + (10 if highlight else 0)
    attrs = [str(num)] + (["1"] if bold else [])
    return "\x1b[%sm%s\x1b[0m" % (";".join(attrs), string)


def to_numpy(x):
    """Any scalar/array from Python, NumPy, JAX or torch as a NumPy array (on the host)."""
    if hasattr(x, "detach"):  # torch.Tensor
        return x.detach().cpu().numpy()
    return np.asarray(x)


def to_float(x):
    """A one-element value from any framework as a Python float."""
    arr = to_numpy(x)
    if arr.size != 1:
        raise ValueError(f"expected a single number, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


def _is_env(v):
    """Whether ``v`` is an environment (gymnasium's, or anything with reset, step and an
    action space)."""
    return all(hasattr(v, a) for a in ("reset", "step", "action_space"))


class Logger:
    """Writes ``progress.txt`` (tab-separated, one row per ``dump_tabular``) and ``config.json``
    in ``output_dir``, and prints each row as a table."""

    def __init__(self, output_dir=None, output_fname="progress.txt", exp_name=None, verbose=True,
                 resume=False, tensorboard=None):
        """``resume=True`` appends to an existing progress file, keeping its columns (a
        resumed run); otherwise the file is started anew. ``tensorboard``: also write each row
        and the config as TensorBoard events in ``output_dir`` (utils/tensorboard.py); None
        means on when tensorboardX is installed and SPINUP_NO_TENSORBOARD is not set."""
        self.output_dir = output_dir or "/tmp/experiments/%i" % int(time.time())
        self.verbose = verbose
        path = osp.join(self.output_dir, output_fname)
        self.first_row, self.log_headers = True, []
        if resume and osp.exists(path):
            with open(path) as f:
                header = f.readline().rstrip("\n")
            if header:
                self.first_row, self.log_headers = False, header.split("\t")
        elif osp.exists(path):
            self.log("Warning: %s already holds a run; its %s is overwritten."
                     % (self.output_dir, output_fname), color="red")
        os.makedirs(self.output_dir, exist_ok=True)
        self.output_file = open(path, "a" if resume else "w")
        self.log("Logging data to %s" % self.output_file.name, color="green", bold=True)
        self.log_current_row = {}
        self.exp_name = exp_name
        self.tb = tensorboard_log(self.output_dir, tensorboard, osp.join(
            self.output_dir, output_fname) if resume and not self.first_row else None)
        if self.tb is None and (why := missing_writer(tensorboard)):
            self.log(why, color="yellow")

    def log(self, msg, color="green", bold=False):
        """Print ``msg`` (coloured on a terminal) unless the logger is quiet."""
        if self.verbose:
            print(colorize(msg, color, bold=bold), flush=True)

    def log_tabular(self, key, val):
        """Set column ``key`` of the current row. Columns are fixed by the first row."""
        if self.first_row:
            self.log_headers.append(key)
        elif key not in self.log_headers:
            raise KeyError(f"column {key!r} was not in the first row; columns are "
                           f"{self.log_headers}")
        if key in self.log_current_row:
            raise KeyError(f"column {key!r} was already set in this row; call dump_tabular first")
        self.log_current_row[key] = val

    def save_config(self, config):
        """Write ``config`` (the run's checked arguments) to config.json, atomically."""
        config_json = convert_json(config)
        if self.exp_name is not None:
            config_json["exp_name"] = self.exp_name
        output = write_json(osp.join(self.output_dir, "config.json"), config_json)
        if self.verbose:
            print(colorize("Saving config:\n", color="cyan", bold=True))
            print(output)
        if self.tb is not None:
            self.tb.add_config(output)

    def save_state(self, state_dict, itr=None):
        """SpinningUp's ``save_state``, writing no pickle: ``state_dict``'s arrays (NumPy,
        torch, JAX) go to ``vars.npz`` and its other values, which must be JSON (numbers,
        strings, lists, dicts), to ``vars.json``; ``itr`` makes them ``vars<itr>.*``. Then
        the module given to ``setup_pytorch_saver``, if any, has its ``state_dict`` saved to
        ``pyt_save/model[<itr>].pt``. An environment or any other object only a pickle could
        hold is an InputError: config.json already says how to make the env."""
        if not isinstance(state_dict, dict):
            raise InputError(f"save_state: state_dict is a {type(state_dict).__name__}; "
                             "expected a dict")
        suffix = "" if itr is None else "%d" % itr
        arrays, plain = {}, {}
        for k, v in state_dict.items():
            if _is_env(v):
                raise InputError(
                    f"save_state: state_dict[{k!r}] is an environment, which only a pickle "
                    "could save, and run folders here hold no pickles; leave it out: the "
                    "run's config.json says how to make the env (give env_fn as "
                    "EnvFn('ID') or a function returning gymnasium.make('ID'))")
            if (hasattr(v, "shape") and hasattr(v, "dtype")) or hasattr(v, "detach"):
                arrays[str(k)] = to_numpy(v)
            elif is_json_serializable(v):
                plain[k] = v
            else:
                raise InputError(
                    f"save_state: state_dict[{k!r}] is a {type(v).__name__}, which only a "
                    "pickle could save; run folders here hold no pickles: give numbers, "
                    "strings, lists, dicts or arrays")
        if plain:
            write_json(osp.join(self.output_dir, f"vars{suffix}.json"), plain)
        if arrays:
            save_npz(osp.join(self.output_dir, f"vars{suffix}.npz"), arrays)
        if getattr(self, "pytorch_saver_elements", None) is not None:
            path = osp.join(self.output_dir, "pyt_save", f"model{suffix}.pt")
            save_torch(path, self.pytorch_saver_elements.state_dict())

    def setup_pytorch_saver(self, what_to_save):
        """SpinningUp's ``setup_pytorch_saver``: ``save_state`` then saves this module's
        ``state_dict`` (tensors only; read it back with ``torch.load(path,
        weights_only=True)`` and ``module.load_state_dict``), not the pickled module."""
        if not callable(getattr(what_to_save, "state_dict", None)):
            raise InputError(f"setup_pytorch_saver: got a {type(what_to_save).__name__}; "
                             "expected a torch.nn.Module (its state_dict is saved, as "
                             "pickling whole objects is not done here)")
        self.pytorch_saver_elements = what_to_save

    def setup_tf_saver(self, *args, **kwargs):
        """SpinningUp's TensorFlow saver: there is no TensorFlow backend here."""
        raise InputError("setup_tf_saver: there is no TensorFlow backend here; write the "
                         "model in PyTorch (setup_pytorch_saver) or JAX")

    def dump_tabular(self):
        """Print the current row as a table, append it to progress.txt (flushed), and start a
        new row."""
        vals = []
        key_lens = [len(key) for key in self.log_headers]
        max_key_len = max(15, max(key_lens) if key_lens else 0)
        fmt = "| %" + str(max_key_len) + "s | %15s |"
        n_slashes = 22 + max_key_len
        lines = ["-" * n_slashes]
        for key in self.log_headers:
            val = self.log_current_row.get(key, "")
            if isinstance(val, np.integer):
                val = int(val)
            elif not isinstance(val, (int, float, str)):
                val = to_float(val)  # NumPy/JAX/torch scalars
            valstr = "%8.3g" % val if isinstance(val, float) else str(val)
            lines.append(fmt % (key, valstr))
            vals.append(val)
        lines.append("-" * n_slashes)
        if self.verbose:
            print("\n".join(lines), flush=True)
        if self.first_row:
            self.output_file.write("\t".join(self.log_headers) + "\n")
        self.output_file.write("\t".join(map(str, vals)) + "\n")
        self.output_file.flush()
        os.fsync(self.output_file.fileno())
        if self.tb is not None:
            self.tb.add_row(self.log_headers, vals)
        self.log_current_row.clear()
        self.first_row = False

    def close(self):
        """Close progress.txt (and the TensorBoard events)."""
        if not self.output_file.closed:
            self.output_file.close()
        if self.tb is not None:
            self.tb.close()
            self.tb = None


class EpochLogger(Logger):
    """A Logger that also gathers values over an epoch (``store``) and logs their statistics
    (``log_tabular(key, with_min_and_max=..., average_only=...)``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.epoch_dict = dict()

    def store(self, **kwargs):
        """Remember values (numbers or arrays) under their keys until the epoch is logged."""
        for k, v in kwargs.items():
            self.epoch_dict.setdefault(k, []).append(to_numpy(v))

    def log_tabular(self, key, val=None, with_min_and_max=False, average_only=False):
        """With ``val``, log it as is. Without, log the statistics of what was stored under
        ``key`` this epoch as Average<key>, Std<key> (unless ``average_only``) and Min/Max<key>
        (if ``with_min_and_max``), then forget those values."""
        if val is not None:
            super().log_tabular(key, val)
            return
        mean, std, vmin, vmax = self._stats(key) if self.epoch_dict.get(key) else (np.nan,) * 4
        super().log_tabular(key if average_only else "Average" + key, mean)
        if not average_only:
            super().log_tabular("Std" + key, std)
        if with_min_and_max:
            super().log_tabular("Max" + key, vmax)
            super().log_tabular("Min" + key, vmin)
        self.epoch_dict[key] = []

    def get_stats(self, key, with_min_and_max=False):
        """(mean, std) of everything stored under ``key`` this epoch, as SpinningUp's, or
        with ``with_min_and_max`` (mean, std, min, max)."""
        stats = self._stats(key)
        return stats if with_min_and_max else stats[:2]

    def _stats(self, key):
        """(mean, std, min, max) of everything stored under ``key`` this epoch."""
        if key not in self.epoch_dict:
            raise KeyError(f"nothing stored under {key!r}; stored keys: {sorted(self.epoch_dict)}")
        vals = [np.ravel(v) for v in self.epoch_dict[key]]
        x = np.concatenate(vals).astype(np.float64) if vals else np.zeros(0)
        if x.size == 0:
            return (np.nan,) * 4
        return float(x.mean()), float(x.std()), float(x.min()), float(x.max())
