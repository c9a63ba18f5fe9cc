"""The on-policy buffer: one epoch of experience, with GAE-lambda advantages and
rewards-to-go computed path by path. Framework-free (NumPy in, NumPy out)."""
import numpy as np


def discount_cumsum(x, discount):
    """y[t] = x[t] + discount * x[t+1] + discount^2 * x[t+2] + ..., in float64: the
    recursion y[t] = x[t] + discount * y[t+1] run backwards as a linear filter."""
    from scipy.signal import lfilter
    x = np.asarray(x, dtype=np.float64)
    return lfilter([1.0], [1.0, -float(discount)], x[::-1])[::-1].copy()


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

    def path_obs(self):
        """The observations of the open path (oldest first)."""
        return self.obs_buf[self.path_start_idx:self.ptr]

    def finish_path(self, last_val=0.0, values=None):
        """Close the current trajectory. ``last_val`` is V(s_last) when the path was cut short
        (time limit or end of epoch), so the unseen rest of the episode is bootstrapped, and 0
        when the episode truly terminated. ``values``, when given, are V of the path's
        observations, replacing the stored ones (one batched call instead of one per step)."""
        path = slice(self.path_start_idx, self.ptr)
        if values is not None:
            self.val_buf[path] = values
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
        return normalise_advantages(self.collect())

    def collect(self):
        """The whole epoch with raw advantages, and an empty buffer for the next one."""
        if self.ptr != self.max_size:
            raise RuntimeError(f"GAEBuffer.get() with {self.ptr} of {self.max_size} steps stored")
        if self.path_start_idx != self.ptr:
            raise RuntimeError("GAEBuffer.get() before finish_path() closed the last trajectory")
        self.ptr, self.path_start_idx = 0, 0
        return dict(obs=self.obs_buf.copy(), act=self.act_buf.copy(), ret=self.ret_buf.copy(),
                    adv=self.adv_buf.copy(), logp=self.logp_buf.copy())


def normalise_advantages(data):
    """Advantages to mean 0 and std 1 over the whole batch (in float64, stored as float32)."""
    adv = data["adv"].astype(np.float64)
    data["adv"] = ((adv - adv.mean()) / (adv.std() + 1e-8)).astype(np.float32)
    return data


class VecGAEBuffer:
    """One GAEBuffer per environment of a vector of ``num_envs`` stepped in lockstep: each
    env's steps form its own paths (GAE never runs across envs), and the epoch's batch is
    their concatenation, env by env, with advantages normalised over all of it."""

    def __init__(self, num_envs, obs_dim, act_shape, size, gamma=0.99, lam=0.95,
                 act_dtype=np.float32):
        if size % num_envs:
            raise ValueError(f"size={size} is not a multiple of num_envs={num_envs}")
        self.bufs = [GAEBuffer(obs_dim, act_shape, size // num_envs, gamma, lam, act_dtype)
                     for _ in range(num_envs)]
        self.max_size = size
        self.steps_per_env = size // num_envs

    def store(self, obs, act, rew, val, logp):
        """Append one step of every env (arrays with a leading num_envs axis)."""
        for i, buf in enumerate(self.bufs):
            buf.store(obs[i], act[i], rew[i], val[i], logp[i])

    def path_obs(self, i):
        """The observations of env ``i``'s open path."""
        return self.bufs[i].path_obs()

    def finish_path(self, i, last_val=0.0, values=None):
        """Close env ``i``'s current path (see ``GAEBuffer.finish_path``)."""
        self.bufs[i].finish_path(last_val, values)

    def values(self):
        """Every V(s) stored this epoch."""
        return np.concatenate([b.val_buf for b in self.bufs])

    def get(self):
        """The epoch's batch of all envs, advantages normalised together."""
        parts = [b.collect() for b in self.bufs]
        return normalise_advantages({k: np.concatenate([p[k] for p in parts])
                                     for k in parts[0]})
