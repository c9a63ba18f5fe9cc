"""What the off-policy parity tests share: the error measure, initial weights whose targets
differ from the online nets, and minibatches shaped like a replay buffer's block."""
import numpy as np

RTOL = 1e-5


def rel_err(a, b):
    """Largest difference relative to the largest magnitude of the reference array."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12))


def assert_close(a, b, what, rtol=RTOL):
    err = rel_err(a, b)
    assert err <= rtol, f"{what}: relative error {err:.2e} > {rtol}"


def moved_targets(params, seed):
    """Canonical float64 parameters with every target net moved away from its online net, so
    that using the wrong nets, or the polyak average written backwards, shows."""
    rng = np.random.default_rng(seed + 100)
    out = {}
    for k, v in params.items():
        out[k] = v + 0.1 * rng.standard_normal(v.shape) if "_targ/" in k else v
    return {k: np.asarray(v, np.float64) for k, v in out.items()}


def make_batches(n, obs_dim, act_limit, batch=64, seed=0):
    """``n`` minibatches ``[n, batch, ...]`` (float64) with some terminal transitions."""
    rng = np.random.default_rng(seed)
    shape = (n, batch)
    return dict(obs=rng.standard_normal(shape + (obs_dim,)),
                act=rng.uniform(-1, 1, shape + (len(act_limit),)) * act_limit,
                rew=rng.standard_normal(shape), obs2=rng.standard_normal(shape + (obs_dim,)),
                done=(rng.uniform(size=shape) < 0.2).astype(np.float64))
