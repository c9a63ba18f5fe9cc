"""GAE-lambda advantages and rewards-to-go against hand computations."""
import numpy as np
import pytest

from spinup.algos.common.gae_buffer import GAEBuffer, discount_cumsum

GAMMA, LAM = 0.9, 0.8  # gamma * lam = 0.72


def fill(buf, rews, vals):
    for r, v in zip(rews, vals):
        buf.store(np.zeros(2), np.zeros(1), r, v, -1.0)


def test_discount_cumsum():
    np.testing.assert_allclose(discount_cumsum(np.array([1.0, 2.0, 3.0]), 0.5),
                               [1 + 0.5 * 2 + 0.25 * 3, 2 + 0.5 * 3, 3])


def test_terminal_path_bootstraps_with_zero():
    buf = GAEBuffer(2, (1,), 3, GAMMA, LAM)
    fill(buf, [1.0, 2.0, 3.0], [0.5, 1.0, 1.5])
    buf.finish_path(0.0)
    # deltas: 1 + .9*1 - .5 = 1.4;  2 + .9*1.5 - 1 = 2.35;  3 + .9*0 - 1.5 = 1.5
    # adv:    1.4 + .72*3.43 = 3.8696;  2.35 + .72*1.5 = 3.43;  1.5
    # ret:    1 + .9*4.7 = 5.23;  2 + .9*3 = 4.7;  3
    np.testing.assert_allclose(buf.adv_buf, [3.8696, 3.43, 1.5], rtol=1e-6)
    np.testing.assert_allclose(buf.ret_buf, [5.23, 4.7, 3.0], rtol=1e-6)


def test_cut_path_bootstraps_with_last_value():
    """A time-limit cut and an epoch-end cut are the same to the buffer: V(s_last) stands in
    for the unseen rest of the episode."""
    buf = GAEBuffer(2, (1,), 3, GAMMA, LAM)
    fill(buf, [1.0, 2.0, 3.0], [0.5, 1.0, 1.5])
    buf.finish_path(2.0)
    # last delta: 3 + .9*2 - 1.5 = 3.3; adv: 1.4 + .72*4.726, 2.35 + .72*3.3, 3.3
    # ret: 1 + .9*6.32, 2 + .9*4.8, 3 + .9*2
    np.testing.assert_allclose(buf.adv_buf, [4.80272, 4.726, 3.3], rtol=1e-6)
    np.testing.assert_allclose(buf.ret_buf, [6.688, 6.32, 4.8], rtol=1e-6)


def test_paths_stay_apart_and_advantages_are_normalised():
    """Terminal path, time-limit cut, epoch-end cut in one epoch: no path leaks into the
    previous one, and get() normalises advantages over the whole epoch."""
    buf = GAEBuffer(2, (1,), 6, GAMMA, LAM)
    fill(buf, [1.0, 2.0, 3.0], [0.5, 1.0, 1.5])
    buf.finish_path(0.0)  # terminal
    fill(buf, [1.0, 1.0], [0.0, 0.0])
    buf.finish_path(10.0)  # time limit: deltas 1, 1 + 9 = 10; adv 1 + .72*10 = 8.2, 10
    fill(buf, [4.0], [1.0])
    buf.finish_path(5.0)  # epoch end: delta 4 + 4.5 - 1 = 7.5
    raw = np.array([3.8696, 3.43, 1.5, 8.2, 10.0, 7.5])
    np.testing.assert_allclose(buf.adv_buf, raw, rtol=1e-6)
    # ret of the cut paths: 1 + .9*(1 + .9*10) = 10, 1 + .9*10 = 10;  4 + .9*5 = 8.5
    np.testing.assert_allclose(buf.ret_buf, [5.23, 4.7, 3.0, 10.0, 10.0, 8.5], rtol=1e-6)
    data = buf.get()
    np.testing.assert_allclose(data["adv"], (raw - raw.mean()) / raw.std(), rtol=1e-5)
    assert abs(data["adv"].mean()) < 1e-6 and abs(data["adv"].std() - 1) < 1e-5
    assert set(data) == {"obs", "act", "ret", "adv", "logp"}
    assert buf.ptr == 0 and buf.path_start_idx == 0  # ready for the next epoch


def test_get_refuses_a_partial_epoch():
    buf = GAEBuffer(2, (1,), 3, GAMMA, LAM)
    fill(buf, [1.0, 2.0], [0.0, 0.0])
    with pytest.raises(RuntimeError, match="2 of 3"):
        buf.get()
    fill(buf, [1.0], [0.0])
    with pytest.raises(RuntimeError, match="finish_path"):
        buf.get()
    with pytest.raises(IndexError, match="full"):
        fill(buf, [1.0], [0.0])
