"""A run folder's layout and its two text files: the names of its parts, the
code version config.json records, config.json (sealed with its checksum) and progress.txt
(each row checked against the checksum its checkpoint holds)."""
import hashlib
import json
import os
import os.path as osp

import numpy as np

from spinup.utils.errors import InputError, RunFileError
from spinup.utils.serialization_utils import JSON_CHECKSUM, atomic_write, json_checksum, read_json


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
    from spinup.utils.run_files.checkpoints import checkpoint_meta  # (which reads this file)
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
