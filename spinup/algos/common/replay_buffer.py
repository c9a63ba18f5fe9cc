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
        self.total = 0  # transitions stored over the whole run (checkpoints count by it)
        # The buffer's own stream, so minibatches do not depend on who else draws numbers.
        self.rng = np.random.default_rng(seed)

    def store(self, obs, act, rew, obs2, done):
        """Append one transition, overwriting the oldest when full."""
        self.obs[self.ptr] = obs
        self.act[self.ptr] = act
        self.rew[self.ptr] = rew
        self.obs2[self.ptr] = obs2
        self.done[self.ptr] = done
        self.ptr = (self.ptr + 1) % self.max_size
        self.size = min(self.size + 1, self.max_size)
        self.total += 1

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

    # --- Checkpoints -----------------------------------------------------------------------
    FIELDS = ("obs", "act", "rew", "obs2", "done")

    def oldest(self):
        """Run-wide index of the oldest transition still held."""
        return self.total - self.size

    def chunk(self, first, end):
        """Transitions ``first .. end - 1`` (run-wide indices, all still held) as arrays."""
        if not self.oldest() <= first <= end <= self.total:
            raise IndexError(f"transitions {first}..{end - 1} are not all in the buffer "
                             f"(it holds {self.oldest()}..{self.total - 1})")
        idx = np.arange(first, end) % self.max_size
        return {k: getattr(self, k)[idx] for k in self.FIELDS}

    def chunk_shapes(self):
        """``{field: shape of one transition's entry}``: what a saved chunk holds."""
        return {k: getattr(self, k).shape[1:] for k in self.FIELDS}

    def load_chunk(self, first, arrays):
        """Put saved transitions back at their places; call in run order, then
        ``set_total``."""
        n = len(arrays["rew"])
        idx = np.arange(first, first + n) % self.max_size
        for k in self.FIELDS:
            getattr(self, k)[idx] = arrays[k]

    def set_total(self, total):
        """After loading chunks up to run-wide index ``total``: the write pointer and size
        an uninterrupted run would have."""
        self.total = int(total)
        self.ptr = self.total % self.max_size
        self.size = min(self.total, self.max_size)
