"""The on-policy buffer: one epoch of experience, with GAE-lambda advantages and
rewards-to-go computed path by path. Framework-free (NumPy in, NumPy out)."""
import numpy as np


def discount_cumsum(x, discount):
    """y[t] = x[t] + discount * x[t+1] + discount^2 * x[t+2] + ..."""
    y = np.zeros(len(x), dtype=np.float64)
    running = 0.0
    for t in range(len(x) - 1, -1, -1):
        running = x[t] + discount * running
        y[t] = running
    return y


class GAEBuffer:
    """Stores ``size`` steps of (obs, act, rew, val, logp). ``finish_path`` closes a trajectory;
    ``get`` returns the full epoch with normalised advantages and resets the buffer.

    ``act_shape`` is ``(act_dim,)`` for Box actions and ``()`` for Discrete ones.
    """

    def __init__(self, obs_dim, act_shape, size, gamma=0.99, lam=0.95, act_dtype=np.float32):
        self.obs_buf = np.zeros((size, obs_dim), dtype=np.float32)
        self.act_buf = np.zeros((size, *act_shape), dtype=act_dtype)
        self.rew_buf = np.zeros(size, dtype=np.float32)
        self.val_buf = np.zeros(size, dtype=np.float32)
        self.logp_buf = np.zeros(size, dtype=np.float32)
        self.adv_buf = np.zeros(size, dtype=np.float32)
        self.ret_buf = np.zeros(size, dtype=np.float32)
        self.gamma, self.lam = gamma, lam
        self.ptr, self.path_start_idx, self.max_size = 0, 0, size

    def store(self, obs, act, rew, val, logp):
        """Append one step of experience."""
        if self.ptr >= self.max_size:
            raise IndexError(f"GAEBuffer is full ({self.max_size} steps); call get() first")
        i = self.ptr
        self.obs_buf[i], self.act_buf[i], self.rew_buf[i] = obs, act, rew
        self.val_buf[i], self.logp_buf[i] = val, logp
        self.ptr += 1

    def finish_path(self, last_val=0.0):
        """Close the current trajectory. ``last_val`` is V(s_last) when the path was cut short
        (time limit or end of epoch), so the unseen rest of the episode is bootstrapped, and 0
        when the episode truly terminated."""
        path = slice(self.path_start_idx, self.ptr)
        rews = np.append(self.rew_buf[path].astype(np.float64), last_val)
        vals = np.append(self.val_buf[path].astype(np.float64), last_val)
        deltas = rews[:-1] + self.gamma * vals[1:] - vals[:-1]
        self.adv_buf[path] = discount_cumsum(deltas, self.gamma * self.lam)
        # The critic's targets: discounted rewards-to-go, bootstrapped like the advantages.
        self.ret_buf[path] = discount_cumsum(rews, self.gamma)[:-1]
        self.path_start_idx = self.ptr

    def get(self):
        """The whole epoch as a dict of arrays (obs, act, ret, adv, logp); advantages normalised
        to mean 0 and std 1, which keeps the policy step size independent of reward scale."""
        if self.ptr != self.max_size:
            raise RuntimeError(f"GAEBuffer.get() with {self.ptr} of {self.max_size} steps stored")
        if self.path_start_idx != self.ptr:
            raise RuntimeError("GAEBuffer.get() before finish_path() closed the last trajectory")
        self.ptr, self.path_start_idx = 0, 0
        adv = self.adv_buf.astype(np.float64)
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        return dict(obs=self.obs_buf.copy(), act=self.act_buf.copy(), ret=self.ret_buf.copy(),
                    adv=adv.astype(np.float32), logp=self.logp_buf.copy())
