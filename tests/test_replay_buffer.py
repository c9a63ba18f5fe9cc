"""The shared replay buffer: FIFO wrap-around, sample shapes, sampled indices in bounds."""
import numpy as np
import pytest

from spinup.algos.common.replay_buffer import ReplayBuffer

OBS_DIM, ACT_DIM = 3, 2


def transition(i):
    """A transition whose every field encodes its index i, so a sample reveals its origin."""
    return (np.full(OBS_DIM, i), np.full(ACT_DIM, -i), float(i), np.full(OBS_DIM, i + 0.5),
            float(i % 2))


def test_wraps_around_when_full():
    buf = ReplayBuffer(OBS_DIM, ACT_DIM, size=5)
    for i in range(7):
        buf.store(*transition(i))
    assert len(buf) == 5 and buf.ptr == 2
    # The two oldest (0, 1) were overwritten in place by 5, 6; the rest are untouched.
    np.testing.assert_array_equal(buf.rew, [5, 6, 2, 3, 4])
    np.testing.assert_array_equal(buf.obs[:, 0], [5, 6, 2, 3, 4])
    np.testing.assert_array_equal(buf.done, [1, 0, 0, 1, 0])


def test_sample_shapes_and_dtypes():
    buf = ReplayBuffer(OBS_DIM, ACT_DIM, size=100)
    for i in range(10):
        buf.store(*transition(i))
    blocks = buf.sample_batches(4, 8)
    assert blocks["obs"].shape == blocks["obs2"].shape == (4, 8, OBS_DIM)
    assert blocks["act"].shape == (4, 8, ACT_DIM)
    assert blocks["rew"].shape == blocks["done"].shape == (4, 8)
    assert all(v.dtype == np.float32 for v in blocks.values())
    one = buf.sample_batch(8)
    assert one["obs"].shape == (8, OBS_DIM) and one["rew"].shape == (8,)


@pytest.mark.parametrize("n_stored", [3, 7, 12])
def test_samples_only_stored_transitions(n_stored):
    """Indices stay below the number stored (never an unwritten zero row), and each sampled
    row is one whole stored transition, consistent across fields."""
    buf = ReplayBuffer(OBS_DIM, ACT_DIM, size=7, seed=1)
    for i in range(1, n_stored + 1):  # indices from 1, so an unwritten row (0) stands out
        buf.store(*transition(i))
    b = buf.sample_batches(50, 20)
    live = set(range(max(1, n_stored - 6), n_stored + 1))
    assert set(np.unique(b["rew"]).astype(int)) <= live
    np.testing.assert_array_equal(b["obs"][..., 0], b["rew"])
    np.testing.assert_array_equal(b["act"][..., 1], -b["rew"])
    np.testing.assert_array_equal(b["obs2"][..., 2], b["rew"] + 0.5)
    np.testing.assert_array_equal(b["done"], b["rew"] % 2)
    # With 1000 draws, every live transition is sampled: the range is not cut short.
    assert set(np.unique(b["rew"]).astype(int)) == live


def test_same_seed_same_samples():
    bufs = [ReplayBuffer(OBS_DIM, ACT_DIM, size=10, seed=3) for _ in range(2)]
    for buf in bufs:
        for i in range(10):
            buf.store(*transition(i))
    a, b = (buf.sample_batches(2, 5) for buf in bufs)
    np.testing.assert_array_equal(a["rew"], b["rew"])
