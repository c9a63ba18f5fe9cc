"""What both training loops keep beside the learner: the logger, the phase timer, the cProfile
hook, the progress bar, saving the model without ever letting a diverged one replace the last
good one, checkpoints to resume from, the hold on the run folder, and writes that fail (a
full disk) as one line saying what is intact."""
import contextlib
import errno
import os.path as osp
import time

import numpy as np

from spinup.utils import run_files
from spinup.utils.errors import RunFileError, RunWriteError
from spinup.utils.logx import EpochLogger
from spinup.utils.profiling import PhaseTimer, Profiler
from spinup.utils.progress import ProgressBar
from spinup.utils.serialization_utils import convert_json


class RunContext:
    """One training run's bookkeeping. ``config`` goes to config.json; ``total_steps`` sizes
    the progress bar. ``resume`` is a checkpoint ``(arrays, meta)`` to continue from: the
    learner is restored, progress.txt is cut back to the rows the checkpoint had seen and
    appended to, and the Time column continues."""

    def __init__(self, learner, args, config, total_steps, resume=None):
        self.learner = learner
        out = args["logger_kwargs"].get("output_dir")
        self.output_dir = out
        self.last_checkpoint = None  # the logged Epoch of the last checkpoint written
        self.logged_epoch = None  # the Epoch of the last row written
        self.algo = config.get("algo")  # checkpoints name it: resume checks config.json's
        if out:
            run_files.lock_run_dir(out)  # one writer per folder, from here to close()
        try:
            self._start(args, config, resume)
        except BaseException:
            if out:
                run_files.release_run_dir(out)
            raise
        self.timer = PhaseTimer()
        backend = config.get("algo", "").rsplit("_", 1)[-1]  # the trace's profiler
        self.profiler = Profiler(args["profile"], args["profile_warmup"], self.output_dir,
                                 sync=learner.sync, backend=backend)
        self.bar = ProgressBar(total_steps)
        self.model_dir = osp.join(self.output_dir, "model")
        self.last_saved = None  # the logged Epoch number of the last model written
        self.start_time, self.rows = time.time(), 0
        self.resume = resume
        if resume is not None:
            self.start_time -= resume[1]["elapsed"]
            self.rows = resume[1]["rows"]

    def _start(self, args, config, resume):
        """Restore the learner (checked before any file changes), then the folder: the log
        cut back to the checkpoint's rows, or a fresh one; config.json with its checksum."""
        out = self.output_dir
        if resume is not None:
            self._restore_learner(out, *resume)
            self.last_checkpoint = self._checkpoint_epoch(out, resume[1])
        with self.writing(out or "the run folder"):
            if resume is not None:
                # Rows logged after the checkpoint (a run killed mid-epoch) would repeat.
                run_files.truncate_progress(out, resume[1])
                header, rows = run_files.read_progress(out, verify=False)
                if rows and "Epoch" in header:
                    self.last_checkpoint = rows[-1][header.index("Epoch")]
            elif out:
                run_files.remove_checkpoint(out)  # a stale one would not match this run
            self.logger = EpochLogger(**args["logger_kwargs"], resume=resume is not None)
            self.output_dir = self.logger.output_dir
            code = []
            if resume is not None:  # the code that ran the earlier epochs, then this code
                code = run_files.read_config(self.output_dir).get("spinup_code", [])
            code = code + [dict(run_files.code_version(), from_epoch=0 if resume is None
                                else resume[1]["epoch"] + 1)]
            cfg = convert_json(dict(config, spinup_format=run_files.FORMAT_VERSION,
                                    spinup_code=code))
            if self.logger.exp_name is not None:
                cfg["exp_name"] = self.logger.exp_name
            self.logger.save_config(run_files.seal_config(cfg))

    @staticmethod
    def _checkpoint_epoch(out, meta):
        """The Epoch of the checkpoint being resumed (what a failed write's advice names),
        read from progress.txt before anything is written: its row number ``meta['rows']``;
        the loop's count where the file cannot say."""
        try:
            header, rows = run_files.read_progress(out, verify=False)
            return rows[meta["rows"] - 1][header.index("Epoch")]
        except (OSError, ValueError, IndexError, KeyError, RunFileError):
            return f"{meta['epoch']}, counted from 0"

    def _restore_learner(self, out, arrays, meta):
        path = run_files.checkpoint_path(out)
        try:
            self.learner.load_state_dict({k[8:]: v for k, v in arrays.items()
                                          if k.startswith("learner/")})
        except (KeyError, ValueError, TypeError, IndexError, RuntimeError) as e:
            raise RunFileError(f"{path}: checkpoint does not match the networks config.json "
                               f"describes ({str(e).strip().splitlines()[0]}); was "
                               "config.json changed?") from None
        bad = [k for k, v in self.learner.get_params().items() if not np.all(np.isfinite(v))]
        if bad:
            raise RunFileError(f"{path}: checkpoint is damaged (weights {', '.join(bad[:3])} "
                               "are not finite)")

    @contextlib.contextmanager
    def writing(self, path):
        """A write that fails (a full disk, a quota, a folder made read-only) becomes one
        RunWriteError naming the file (``path`` unless the error names another), saying
        what is intact and how to go on."""
        try:
            yield
        except RunWriteError as e:
            raise self._write_error(e.path, e.reason, e.errno) from None
        except OSError as e:
            raise self._write_error(e.filename or path, e.strerror or str(e), e.errno) \
                from None

    def _write_error(self, path, reason, code):
        space = code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
        fix = "once space is freed" if space else "once it can be written"
        if self.last_checkpoint is None:
            advice = f"no checkpoint had been written yet: start the run again {fix}"
        else:
            advice = (f"the last checkpoint (epoch {self.last_checkpoint}) is intact: {fix}, "
                      f"python -m spinup.run resume {self.output_dir}")
        return RunWriteError(path, reason, code, advice)

    def first_epoch(self):
        """The epoch to start from: 0, or the one after the checkpoint's."""
        return 0 if self.resume is None else self.resume[1]["epoch"] + 1

    def _where(self):
        if self.last_saved is None:
            return "no model had been saved yet"
        return f"the last good model (epoch {self.last_saved}) is in {self.model_dir}"

    def check_finite(self, stats, epoch, context, hint):
        """Stop a diverged run: every value in ``stats`` must be finite. ``epoch`` is the
        Epoch number the run logs; ``context`` says where in the epoch."""
        for key, val in stats.items():
            vals = np.asarray(val, dtype=np.float64)
            if not np.all(np.isfinite(vals)):
                bad = vals[~np.isfinite(vals)].ravel()[0]
                raise FloatingPointError(
                    f"{key} is {bad} at epoch {epoch} ({context}); training stopped, "
                    f"{self._where()}. {hint}")

    def save_model(self, epoch):
        """Save the learner into ``<output_dir>/model/`` unless a parameter is not finite."""
        bad = [k for k, v in self.learner.get_params().items() if not np.all(np.isfinite(v))]
        if bad:
            raise FloatingPointError(
                f"parameters {bad[:3]} are not finite at epoch {epoch}; not saved, training "
                f"stopped, {self._where()}.")
        with self.writing(self.model_dir):
            self.learner.save(self.model_dir)
        self.last_saved = epoch

    def check_update(self, spec, stats, epoch, context):
        """Stop the run if a statistic that ``spec`` watches is not finite."""
        watched = stats if spec.finite == ("*",) else \
            {k: stats[k] for k in spec.finite if k in stats}
        self.check_finite(watched, epoch, context, spec.finite_hint)

    def log_time(self):
        """The phase-time columns and SpinningUp's cumulative Time, closing the epoch's row."""
        self.timer.log_epoch(self.logger)
        self.logger.log_tabular("Time", time.time() - self.start_time)

    def end_epoch(self):
        """Write the epoch's row to progress.txt (and print it)."""
        self.bar.clear()
        self.logged_epoch = self.logger.log_current_row.get("Epoch")
        with self.writing(osp.join(self.output_dir, run_files.PROGRESS)):
            self.logger.dump_tabular()
        self.rows += 1

    def save_checkpoint(self, epoch, arrays, meta):
        """Everything to continue after ``epoch`` (called once its row is written): the
        learner's state, the loop's ``arrays`` and ``meta``, counters and elapsed time."""
        arrays = {**{f"learner/{k}": v for k, v in self.learner.state_dict().items()}, **arrays}
        meta = dict(meta, epoch=epoch, rows=self.rows, elapsed=time.time() - self.start_time)
        if isinstance(self.algo, str):
            meta["algo"] = self.algo
        with self.writing(run_files.checkpoint_path(self.output_dir)):
            run_files.save_checkpoint(self.output_dir, arrays, meta)
        self.last_checkpoint = self.logged_epoch

    def close(self):
        """Write the profile (if any), close progress.txt and let go of the folder. After a
        failed write (a full disk) the rest is let go of as it can be: the error already
        says what happened."""
        self.bar.close()
        try:
            self.profiler.dump(self.logger.log)
        except OSError as e:
            self.logger.log(f"Warning: the profile could not be written ({e.strerror})", "red")
        try:
            self.logger.close()
        except OSError:
            pass  # a row that could not be flushed: cut by `resume`
        if self.output_dir:
            run_files.release_run_dir(self.output_dir)


def log_columns(logger, columns):
    """``columns``: (statistic, 'minmax' | 'avg') pairs, logged in order."""
    for key, how in columns:
        if how == "minmax":
            logger.log_tabular(key, with_min_and_max=True)
        else:
            logger.log_tabular(key, average_only=True)


# ---------------------------------------------------------------------------------------------
# Learners on batches of envs
# ---------------------------------------------------------------------------------------------
def batched(fn, obs, *args):
    """``fn`` (a learner's act, step or value) on observations ``[num_envs, ...]``, its
    outputs with a leading ``num_envs`` axis. One env gets the unbatched call, so that
    ``--num_envs 1`` is exactly the single-env computation."""
    if len(obs) != 1:
        return fn(obs, *args)
    out = fn(obs[0], *args)
    if isinstance(out, tuple):
        return tuple(np.asarray(x)[None] for x in out)
    return np.asarray(out)[None]
