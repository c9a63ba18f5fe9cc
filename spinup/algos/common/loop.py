"""What both training loops keep beside the learner: the logger, the phase timer, the cProfile
hook, the progress bar, and saving the model without ever letting a diverged one replace the
last good one."""
import os.path as osp
import time

import numpy as np

from spinup.utils.logx import EpochLogger
from spinup.utils.profiling import PhaseTimer, Profiler
from spinup.utils.progress import ProgressBar


class RunContext:
    """One training run's bookkeeping. ``config`` goes to config.json; ``total_steps`` sizes
    the progress bar."""

    def __init__(self, learner, args, config, total_steps):
        self.learner = learner
        self.logger = EpochLogger(**args["logger_kwargs"])
        self.logger.save_config(config)
        self.output_dir = self.logger.output_dir
        self.timer = PhaseTimer()
        self.profiler = Profiler(args["profile"], args["profile_warmup"], self.output_dir,
                                 sync=learner.sync)
        self.bar = ProgressBar(total_steps)
        self.model_dir = osp.join(self.output_dir, "model")
        self.last_saved = None  # the logged Epoch number of the last model written
        self.start_time = time.time()

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
        self.learner.save(self.model_dir)
        self.last_saved = epoch

    def log_time(self):
        """The phase-time columns and SpinningUp's cumulative Time, closing the epoch's row."""
        self.timer.log_epoch(self.logger)
        self.logger.log_tabular("Time", time.time() - self.start_time)

    def end_epoch(self):
        self.bar.clear()
        self.logger.dump_tabular()

    def close(self):
        """Write the profile (if any) and close progress.txt."""
        self.bar.clear()
        self.profiler.dump(self.logger.log)
        self.logger.close()
