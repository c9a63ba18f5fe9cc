"""A FIFO replay buffer for off-policy algorithms (TD3), framework-free.

Transitions are stored as NumPy float32 arrays and minibatches leave as NumPy arrays, so the
same buffer feeds both backends. ``done`` is 1 only for a true termination (gymnasium's
``terminated``): a time limit is not a terminal state, so its target still bootstraps.
"""
import numpy as np


class ReplayBuffer:
    """Holds the last ``size`` transitions (obs, act, rew, obs2, done); older ones are
    overwritten first."""

    def __init__(self, obs_dim, act_dim, size, seed=0):
        self.obs = np.zeros((size, obs_dim), dtype=np.float32)
        self.obs2 = np.zeros((size, obs_dim), dtype=np.float32)
        self.act = np.zeros((size, act_dim), dtype=np.float32)
        self.rew = np.zeros(size, dtype=np.float32)
        self.done = np.zeros(size, dtype=np.float32)
        self.ptr, self.size, self.max_size = 0, 0, int(size)
        # The buffer's own stream, so minibatches do not depend on who else draws numbers.
        self.rng = np.random.default_rng(seed)

    def store(self, obs, act, rew, obs2, done):
        self.obs[self.ptr] = obs
        self.act[self.ptr] = act
        self.rew[self.ptr] = rew
        self.obs2[self.ptr] = obs2
        self.done[self.ptr] = done
        self.ptr = (self.ptr + 1) % self.max_size
        self.size = min(self.size + 1, self.max_size)

    def sample_batches(self, n_batches, batch_size):
        """``n_batches`` minibatches drawn uniformly with replacement, as a dict of arrays
        shaped ``[n_batches, batch_size, ...]``: one block of updates, sampled up front (the
        buffer does not change during a block)."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        idxs = self.rng.integers(0, self.size, size=(n_batches, batch_size))
        return dict(obs=self.obs[idxs], act=self.act[idxs], rew=self.rew[idxs],
                    obs2=self.obs2[idxs], done=self.done[idxs])

    def sample_batch(self, batch_size):
        """One minibatch, arrays shaped ``[batch_size, ...]``."""
        return {k: v[0] for k, v in self.sample_batches(1, batch_size).items()}

    def __len__(self):
        return self.size
