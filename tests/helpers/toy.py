"""A small experiment for launcher tests: real files, real subprocess, no RL."""
import os
import time

from spinup.utils.logx import EpochLogger


def toy_experiment(x=1, seed=0, sleep=0.0, fail=False, nested=None, epochs=2,
                   logger_kwargs=None):
    logger = EpochLogger(**(logger_kwargs or {}))
    logger.save_config(dict(x=x, seed=seed, nested=nested, epochs=epochs, pid=os.getpid()))
    with open(os.path.join(logger.output_dir, "attempts.txt"), "a") as f:
        f.write(f"{os.getpid()}\n")  # one line per start: tells a retry from a first try
    t_start = time.time()
    time.sleep(sleep)
    if fail:
        raise ValueError(f"toy failure for x={x}")
    for epoch in range(epochs):
        logger.log_tabular("Epoch", epoch)
        logger.log_tabular("X", x)
        logger.log_tabular("Seed", seed)
        logger.log_tabular("Start", t_start)
        logger.log_tabular("End", time.time())
        logger.dump_tabular()


def toy_out_of_memory(seed=0, logger_kwargs=None):
    """Asks for more memory than there is, as an absurd network or buffer size does: a
    failure that a retry would repeat."""
    logger = EpochLogger(**(logger_kwargs or {}))
    logger.save_config(dict(seed=seed, pid=os.getpid()))
    with open(os.path.join(logger.output_dir, "attempts.txt"), "a") as f:
        f.write(f"{os.getpid()}\n")
    raise MemoryError("Unable to allocate 3.64 TiB for an array with shape (1000000000000,)")


def toy_diverges(seed=0, logger_kwargs=None):
    """Stops as a training loop does when a loss diverges (``RunContext.check_finite``): a
    failure that a retry would repeat."""
    EpochLogger(**(logger_kwargs or {})).save_config(dict(seed=seed, pid=os.getpid()))
    raise FloatingPointError(f"LossQ is inf at epoch 3 (update block ending at env step 600); "
                             f"training stopped, no model had been saved yet. (seed {seed})")
