"""Acting in NumPy: the policy's forward pass on NumPy copies of a learner's weights.

One env step needs one small forward pass (TD3 on HalfCheetah: 17 -> 256 -> 256 -> 6, about
0.15 MFLOP). NumPy does it in 10-20 us on one CPU core; a jitted JAX call or a torch module
call spends several times that on dispatch around it (measured in spinup issue 9). So both backends' learners act through the classes here,
on canonical parameters (``spinup.algos.common.learner``) mirrored from their networks: the
same math as the framework forward, in the learner's dtype, so actions agree with it to float
rounding, and the two backends act identically.

The mirror is refreshed lazily: whatever changes the weights (update, set_params, load,
load_state_dict) calls ``Mirror.stale()``, and the next act fetches them once. The random
numbers stay the framework's: the learner draws them with its own generator and passes them
in, so a run samples exactly what the framework's own sampling would have.

Every function takes one observation ``[obs_dim]`` or a batch ``[N, obs_dim]``.
"""
import numpy as np

# Python floats, so that float32 arrays stay float32 (NumPy scalars would promote them).
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
LOG_SQRT_2PI = 0.5 * float(np.log(2 * np.pi))


def _gelu(x):
    from scipy.special import erf  # exact GELU, as torch's nn.GELU and the JAX backend's
    return 0.5 * x * (1 + erf(x * np.asarray(np.sqrt(0.5), x.dtype)))


# In place where the array is the layer's own output (x is never the caller's array).
ACTIVATIONS = dict(
    relu=lambda x: np.maximum(x, 0, out=x),
    tanh=lambda x: np.tanh(x, out=x),
    elu=lambda x: np.where(x > 0, x, np.expm1(x)),
    gelu=_gelu,
    sigmoid=lambda x: 0.5 * (1 + np.tanh(0.5 * x)),  # 1 / (1 + e^-x), without overflow
    softplus=lambda x: np.logaddexp(x, 0),
    leaky_relu=lambda x: np.where(x >= 0, x, 0.01 * x),
    selu=lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
    identity=lambda x: x,
)


class Mirror:
    """Something built from a learner's weights (a NumPy policy), rebuilt on first use after
    ``stale()``. A stale mirror would act with old weights without any error, so the learner
    calls ``stale()`` in every method that changes them."""

    def __init__(self, build):
        self._build, self._value = build, None

    def stale(self):
        """The weights changed: rebuild before the next use."""
        self._value = None

    def get(self):
        """The mirror, built from the current weights."""
        if self._value is None:
            self._value = self._build()
        return self._value


class MLP:
    """The forward pass of canonical MLP ``net`` ('<net>/<i>/w' shaped (in, out),
    '<net>/<i>/b'), with the named activation between layers and none after the last."""

    def __init__(self, params, net, activation):
        n = sum(1 for k in params if k.startswith(f"{net}/") and k.endswith("/w"))
        self.layers = [(params[f"{net}/{i}/w"], params[f"{net}/{i}/b"]) for i in range(n)]
        self.activation = ACTIVATIONS[activation]

    def __call__(self, x):
        for w, b in self.layers[:-1]:
            h = x @ w
            h += b
            x = self.activation(h)
        w, b = self.layers[-1]
        h = x @ w
        h += b
        return h


# ---------------------------------------------------------------------------------------------
# DDPG, TD3: the deterministic actor
# ---------------------------------------------------------------------------------------------
class DeterministicActor:
    """``act_limit * tanh(mlp(obs))`` from canonical parameters 'pi/...'."""

    def __init__(self, params, activation, act_limit):
        self.mlp = MLP(params, "pi", activation)
        self.act_limit = np.asarray(act_limit, dtype=self.mlp.layers[0][0].dtype)

    def __call__(self, obs):
        return self.act_limit * np.tanh(self.mlp(obs))


# ---------------------------------------------------------------------------------------------
# VPG: a Gaussian or categorical actor and the critic
# ---------------------------------------------------------------------------------------------
class VPGActorCritic:
    """VPG's actor 'pi' (Gaussian with 'pi/log_std' for a Box, categorical for Discrete) and
    critic 'v'. Sampling takes its noise from the caller: standard-normal draws shaped like the
    mean (Gaussian: ``a = mu + exp(log_std) * noise``), or Gumbel draws shaped like the logits
    (categorical: ``a = argmax(logits + noise)``, as ``jax.random.categorical`` samples)."""

    def __init__(self, params, activation, discrete):
        self.discrete = discrete
        self.pi, self.v = MLP(params, "pi", activation), MLP(params, "v", activation)
        if not discrete:  # what sample and log_prob use, computed once per copy
            log_std = params["pi/log_std"]
            self.std, self.inv_std = np.exp(log_std), np.exp(-log_std)
            self.logp_offset = -(log_std + LOG_SQRT_2PI).sum()
        self.act_size = self.pi.layers[-1][0].shape[1]  # action dims, or number of actions

    def noise_shape(self, obs):
        """The shape of the noise one sample at ``obs`` needs."""
        return (*np.shape(obs)[:-1], self.act_size)

    def value(self, obs):
        """V(obs)."""
        return self.v(obs)[..., 0]

    def mode(self, obs):
        """The mean (Box) or the most likely action (Discrete)."""
        out = self.pi(obs)
        return out.argmax(-1) if self.discrete else out

    def sample(self, out, noise):
        """A sample of the distribution given the actor's output and the noise."""
        if self.discrete:
            return (out + noise).argmax(-1)
        return out + self.std * noise

    def log_prob(self, out, a):
        """log pi(a) given the actor's output (summed over a Box's dimensions)."""
        if self.discrete:
            logp_all = out - out.max(-1, keepdims=True)
            logp_all -= np.log(np.exp(logp_all).sum(-1, keepdims=True))
            return np.take_along_axis(logp_all, a[..., None], -1)[..., 0]
        z = (a - out) * self.inv_std
        return -0.5 * (z * z).sum(-1) + self.logp_offset

    def step(self, obs, noise):
        """(a ~ pi(.|obs) from ``noise``, V(obs), logp(a))."""
        a, logp = self.sample_logp(obs, noise)
        return a, self.value(obs), logp

    def sample_logp(self, obs, noise):
        """(a ~ pi(.|obs) from ``noise``, logp(a)): ``step`` without V(obs)."""
        out = self.pi(obs)
        a = self.sample(out, noise)
        return a, self.log_prob(out, a)

    def act(self, obs, noise=None):
        """The mode of pi(.|obs) without ``noise``, else a sample."""
        return self.mode(obs) if noise is None else self.sample(self.pi(obs), noise)


# ---------------------------------------------------------------------------------------------
# SAC: the squashed Gaussian actor
# ---------------------------------------------------------------------------------------------
LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0  # SAC's clamp of the log-std head (SpinningUp)


class SquashedGaussianActor:
    """SAC's actor from canonical parameters 'pi/...': a body of layers 0..L-1 with the
    activation after every one, then the mean head 'pi/L' and the log-std head 'pi/L+1'
    (clamped to [-20, 2]). The mean action is ``act_limit * tanh(mu)``; a sample is
    ``act_limit * tanh(mu + std * eps)`` with standard-normal ``eps`` from the caller."""

    def __init__(self, params, activation, act_limit):
        n = sum(1 for k in params if k.startswith("pi/") and k.endswith("/w")) - 2
        self.body = [(params[f"pi/{i}/w"], params[f"pi/{i}/b"]) for i in range(n)]
        self.mu = (params[f"pi/{n}/w"], params[f"pi/{n}/b"])
        self.log_std = (params[f"pi/{n + 1}/w"], params[f"pi/{n + 1}/b"])
        self.activation = ACTIVATIONS[activation]
        self.act_limit = np.asarray(act_limit, dtype=self.mu[0].dtype)
        self.act_dim = self.mu[0].shape[1]

    def noise_shape(self, obs):
        """The shape of the ``eps`` one sample at ``obs`` needs."""
        return (*np.shape(obs)[:-1], self.act_dim)

    def __call__(self, obs, eps=None):
        """The mean action without ``eps``, else the sample it gives."""
        x = obs
        for w, b in self.body:
            h = x @ w
            h += b
            x = self.activation(h)
        u = x @ self.mu[0]
        u += self.mu[1]
        if eps is not None:
            log_std = np.clip(x @ self.log_std[0] + self.log_std[1], LOG_STD_MIN, LOG_STD_MAX)
            u += np.exp(log_std) * eps
        return self.act_limit * np.tanh(u)
