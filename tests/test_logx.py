"""Logger and EpochLogger: files on disk, statistics, values from each framework."""
import json

import numpy as np
import pytest

from spinup.utils.logx import EpochLogger, Logger


def read_progress(path):
    lines = path.read_text().splitlines()
    return lines[0].split("\t"), [ln.split("\t") for ln in lines[1:]]


def test_progress_rows_are_on_disk_after_each_dump(tmp_path):
    logger = Logger(output_dir=str(tmp_path), verbose=False)
    for epoch in range(3):
        logger.log_tabular("Epoch", epoch)
        logger.log_tabular("Loss", 0.5 * epoch)
        logger.dump_tabular()
        # read back before the logger is closed: each row must already be flushed
        header, rows = read_progress(tmp_path / "progress.txt")
        assert header == ["Epoch", "Loss"]
        assert len(rows) == epoch + 1
    assert rows[2] == ["2", "1.0"]


def test_columns_are_fixed_by_the_first_row(tmp_path):
    logger = Logger(output_dir=str(tmp_path), verbose=False)
    logger.log_tabular("A", 1)
    with pytest.raises(KeyError, match="already set"):
        logger.log_tabular("A", 2)
    logger.dump_tabular()
    with pytest.raises(KeyError, match="not in the first row"):
        logger.log_tabular("B", 1)


def test_save_config_writes_json_with_exp_name(tmp_path):
    logger = Logger(output_dir=str(tmp_path), exp_name="exp", verbose=False)

    def env_fn():
        return None

    logger.save_config(dict(lr=1e-3, hid=(64, 32), env_fn=env_fn, arr=np.arange(3)))
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg == dict(lr=1e-3, hid=[64, 32], env_fn="env_fn", arr=[0, 1, 2], exp_name="exp")


def _values_from_each_framework():
    import jax.numpy as jnp
    import torch
    return [1.0, np.float32(2.0), np.array([3.0, 4.0]), jnp.asarray(5.0),
            torch.tensor([6.0, 7.0], requires_grad=True)]


def test_epoch_logger_stats_accept_numpy_jax_torch(tmp_path):
    logger = EpochLogger(output_dir=str(tmp_path), verbose=False)
    for v in _values_from_each_framework():
        logger.store(X=v)
    everything = np.arange(1.0, 8.0)
    mean, std, vmin, vmax = logger.get_stats("X", with_min_and_max=True)
    assert mean == pytest.approx(everything.mean())
    assert std == pytest.approx(everything.std())
    assert (vmin, vmax) == (1.0, 7.0)
    logger.log_tabular("X", with_min_and_max=True)
    logger.store(Y=[2.0, 4.0])
    logger.log_tabular("Y", average_only=True)
    import jax.numpy as jnp
    import torch
    logger.log_tabular("T", torch.tensor(1.5))
    logger.log_tabular("J", jnp.asarray(2.5))
    logger.dump_tabular()
    header, rows = read_progress(tmp_path / "progress.txt")
    assert header == ["AverageX", "StdX", "MaxX", "MinX", "Y", "T", "J"]
    vals = [float(v) for v in rows[0]]
    assert vals == pytest.approx([4.0, everything.std(), 7.0, 1.0, 3.0, 1.5, 2.5])
    # values stored in one epoch do not leak into the next
    logger.store(X=10.0)
    assert logger.get_stats("X")[0] == 10.0


def test_get_stats_of_unknown_key_names_it(tmp_path):
    logger = EpochLogger(output_dir=str(tmp_path), verbose=False)
    logger.store(A=1)
    with pytest.raises(KeyError, match="'B'"):
        logger.get_stats("B")
