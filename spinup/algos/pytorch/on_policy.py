"""What the on-policy learners (VPG, PPO, TRPO) share in PyTorch: the networks (a Gaussian or
categorical actor ``pi`` and a value critic ``v``; canonical names 'pi/<i>/w', 'pi/log_std',
'v/<i>/w', ...; see spinup/algos/pytorch/nets.py) and ``OnPolicyLearner``: the family's
framework-free base (``spinup.algos.common.on_policy_learner``: acting, parameters,
checkpoints) with its PyTorch adapter (the networks, their two Adam optimizers, the value
phase, the sampling generator). The JAX twin is spinup/algos/jax/on_policy.py."""
import numpy as np
import torch
import torch.nn as nn
from torch.distributions.categorical import Categorical
from torch.distributions.kl import kl_divergence
from torch.distributions.normal import Normal

from spinup.algos.common.envs import obs_dim, space_kind
from spinup.algos.common.nets import init_stochastic_actor_critic
from spinup.algos.common.on_policy_learner import OnPolicyLearnerBase
from spinup.algos.pytorch import nets
from spinup.algos.pytorch.adapter import TorchAdapter
from spinup.algos.pytorch.nets import mlp
from spinup.utils.errors import RunFileError
from spinup.utils.serialization_utils import load_torch


# ----------------------------------------------------------------------------------------------
# Networks
# ----------------------------------------------------------------------------------------------
class Actor(nn.Module):
    """A policy: ``distribution(obs)`` and ``log_prob_from_distribution(pi, act)``."""

    def forward(self, obs, act=None):
        """The action distribution at ``obs`` and, given ``act``, its log-likelihood."""
        pi = self.distribution(obs)
        logp_a = None if act is None else self.log_prob_from_distribution(pi, act)
        return pi, logp_a


class MLPCategoricalActor(Actor):
    """A categorical distribution over ``act_n`` actions from an MLP's logits."""

    def __init__(self, obs_dim, act_n, hidden_sizes, activation):
        super().__init__()
        self.logits_net = mlp([obs_dim, *hidden_sizes, act_n], activation)

    def distribution(self, obs):
        """The categorical distribution at ``obs``."""
        # No argument validation: it costs time every step, and a diverged (NaN) policy must
        # reach the training loop's finite-loss check, which explains what went wrong.
        return Categorical(logits=self.logits_net(obs), validate_args=False)

    def log_prob_from_distribution(self, pi, act):
        """log pi(act) for integer actions."""
        return pi.log_prob(act)

    def mode(self, obs):
        """The most likely action at ``obs``."""
        return self.logits_net(obs).argmax(-1)

    @staticmethod
    def kl(old, new):
        """KL(old || new) per sample, of two distributions from ``distribution``."""
        return kl_divergence(old, new)

    @staticmethod
    def noise(shape, dtype, device, generator=None):
        """The draws ``distribution(obs).sample()`` would take from ``generator`` (torch's
        global one by default), for logits of ``shape``, as Gumbel noise: torch samples
        argmax(probs / q), q ~ Exp(1), which is argmax(logits + noise) with noise = -log q
        (the NumPy acting path)."""
        q = torch.empty(shape, dtype=dtype, device=device).exponential_(generator=generator)
        return -q.log()


class MLPGaussianActor(Actor):
    """A diagonal Gaussian: an MLP's mean and a state-independent ``log_std``."""

    def __init__(self, obs_dim, act_dim, hidden_sizes, activation):
        super().__init__()
        # State-independent: exploration noise is learned, not predicted per state.
        self.log_std = nn.Parameter(torch.full((act_dim,), -0.5))
        self.mu_net = mlp([obs_dim, *hidden_sizes, act_dim], activation)

    def distribution(self, obs):
        """The diagonal Gaussian at ``obs``."""
        return Normal(self.mu_net(obs), torch.exp(self.log_std), validate_args=False)

    def log_prob_from_distribution(self, pi, act):
        """log pi(act), summed over the independent action dimensions."""
        return pi.log_prob(act).sum(axis=-1)  # independent action dimensions

    def mode(self, obs):
        """The mean action at ``obs``."""
        return self.mu_net(obs)

    @staticmethod
    def kl(old, new):
        """KL(old || new) per sample, summed over the independent action dimensions."""
        return kl_divergence(old, new).sum(axis=-1)

    @staticmethod
    def noise(shape, dtype, device, generator=None):
        """The draws ``distribution(obs).sample()`` would take from ``generator`` (torch's
        global one by default), for a mean of ``shape``: standard normals, the sample being
        mu + std * noise."""
        return torch.randn(shape, dtype=dtype, device=device, generator=generator)


class MLPCritic(nn.Module):
    """V(obs), squeezed to ``(batch,)``."""

    def __init__(self, obs_dim, hidden_sizes, activation):
        super().__init__()
        self.v_net = mlp([obs_dim, *hidden_sizes, 1], activation)

    def forward(self, obs):
        """V(obs) per sample."""
        return torch.squeeze(self.v_net(obs), -1)


class MLPActorCritic(nn.Module):
    """The actor ``pi`` (Gaussian for a Box, categorical for Discrete) and the critic ``v``."""

    def __init__(self, obs_space, act_space, hidden_sizes=(64, 64), activation="tanh"):
        super().__init__()
        obs_dim = obs_space.shape[0]
        if space_kind(act_space) == "box":
            self.pi = MLPGaussianActor(obs_dim, int(np.prod(act_space.shape)), hidden_sizes,
                                       activation)
        else:
            self.pi = MLPCategoricalActor(obs_dim, int(act_space.n), hidden_sizes, activation)
        self.v = MLPCritic(obs_dim, hidden_sizes, activation)

    @torch.no_grad()
    def step(self, obs):
        """(a ~ pi(.|obs), V(obs), logp(a))."""
        pi = self.pi.distribution(obs)
        a = pi.sample()
        return a, self.v(obs), self.pi.log_prob_from_distribution(pi, a)

    @torch.no_grad()
    def act(self, obs, deterministic=False):
        """The mode of pi(.|obs) when ``deterministic``, else a sample."""
        return self.pi.mode(obs) if deterministic else self.pi.distribution(obs).sample()


# ----------------------------------------------------------------------------------------------
# Learner
# ----------------------------------------------------------------------------------------------
def compute_loss_v(ac, data):
    """Mean squared error of V(obs) against the rewards-to-go."""
    return ((ac.v(data["obs"]) - data["ret"]) ** 2).mean()


class OnPolicyLearner(TorchAdapter, OnPolicyLearnerBase):
    """The family's framework-free base (acting, parameters, checkpoints) with its PyTorch
    adapter: the actor-critic, its two Adam optimizers (``pi_lr``, ``vf_lr``; no policy
    optimizer for ``pi_lr`` None), the value phase
    and the action-sampling generator. A subclass adds its losses, ``update(batch)`` and
    ``losses_and_grads(batch)``; its optimizer steps go through ``optimize``, and the
    functions that hold them through ``compiled`` (``compile`` mode: 'none', 'default',
    'cudagraphs'; spinup/algos/pytorch/compiled.py)."""

    def __init__(self, obs_space, act_space, hidden_sizes, activation, *, pi_lr, vf_lr, seed,
                 dtype, device, compile="none"):
        self.setup_torch(dtype, device)
        super().__init__(act_space, activation, dtype)
        self.ac, self.gen = self._build(obs_space, act_space, hidden_sizes, activation, seed)
        self.ac.to(self.device, self.dtype)
        self.set_params(init_stochastic_actor_critic(obs_dim(obs_space), act_space,
                                                     hidden_sizes, seed))
        self.vf_optimizer = torch.optim.Adam(self.ac.v.parameters(), lr=vf_lr)
        self.optimizers = dict(vf=self.vf_optimizer)
        # pi_lr None: the algorithm steps the policy itself (TRPO), with no optimizer.
        if pi_lr is not None:
            self.pi_optimizer = torch.optim.Adam(self.ac.pi.parameters(), lr=pi_lr)
            self.optimizers = dict(pi=self.pi_optimizer, vf=self.vf_optimizer)
        self.setup_compile(compile)
        # One value step is one graph (a CUDA graph with 'cudagraphs'), run train_v_iters times.
        self.value_step_c = self.graphed(self.compiled(self.value_step))

    def _build(self, obs_space, act_space, hidden_sizes, activation, seed):
        """The actor-critic, and the generator its actions are sampled from, seeded with
        ``seed``. Earlier versions seeded torch's global generator, built the modules (whose
        default init, overwritten by the canonical parameters, draws from the CPU generator)
        and then sampled from the global generator: on the CPU, the learner's generator
        starts where that left it, so runs keep their numbers; the global one is untouched."""
        with torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(seed)
            ac = MLPActorCritic(obs_space, act_space, hidden_sizes, activation)
            after_init = torch.get_rng_state()
        gen = torch.Generator(device=self.device).manual_seed(seed)
        if self.device.type == "cpu":
            gen.set_state(after_init)
        return ac, gen

    # -- the value phase, the same in every on-policy algorithm ------------------------------
    def compute_loss_v(self, data):
        return compute_loss_v(self.ac, data)

    def value_step(self, data):
        """One full-batch Adam step on the value loss; returns the loss before it."""
        return self.optimize("vf", self.compute_loss_v, data)[0]

    def fit_value(self, data):
        """``train_v_iters`` full-batch Adam steps on the value loss; returns the loss before
        the first step."""
        for i in range(self.train_v_iters):
            loss_v = self.value_step_c(data)
            if i == 0:
                loss_v_old = loss_v
        return loss_v_old

    # -- the adapter: sampling, the generator of older checkpoints ---------------------------
    def sample_noise(self, shape):
        """The draws of one ``.sample()`` of shape ``shape``, from the learner's generator."""
        return self.ac.pi.noise(shape, self.dtype, self.device, self.gen).cpu().numpy()

    def load_generator(self, state):
        """'rng/gen', or in checkpoints written when sampling drew from torch's global
        generator, 'rng/torch'."""
        if "rng/gen" in state:
            super().load_generator(state)
        elif "rng/torch" in state:
            # The global CPU generator: the sampling stream on the CPU. On a GPU those
            # checkpoints held no sampling state, and resuming restarted it from the seed.
            if self.device.type == "cpu":
                self.gen.set_state(torch.as_tensor(state["rng/torch"], dtype=torch.uint8))
        else:
            raise KeyError("checkpoint has no action-sampling generator state "
                           "('rng/gen', or 'rng/torch' in older checkpoints)")

    def _load_legacy(self, path):
        """An older run's ``model.pt``: the actor-critic's state_dict (``weights_only``)."""
        try:
            self.ac.load_state_dict(load_torch(path, self.device, "saved model"))
        except (RuntimeError, KeyError, TypeError, AttributeError) as e:
            raise RunFileError(f"{path}: saved model does not match the run's networks "
                               f"({str(e).splitlines()[0]})") from None
        finally:
            self.policy.stale()  # a failed load may have changed some of the weights
        return self

    # -- conversions -----------------------------------------------------------------------
    def _canonical(self, grad=False):
        """Both nets' parameters (or, with ``grad``, their gradients) by canonical name."""
        return {k: v for net in self.NETS
                for k, v in nets.to_canonical(getattr(self.ac, net), net, grad=grad).items()}

    def _tensors(self, batch):
        return {k: torch.as_tensor(v, device=self.device,
                                   dtype=self.dtype if v.dtype.kind == "f" else None)
                for k, v in batch.items()}
