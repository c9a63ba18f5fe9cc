"""VPG's networks in PyTorch: a Gaussian or categorical actor and a value critic (canonical
names 'pi/<i>/w', 'pi/log_std', 'v/<i>/w', ...; see spinup/algos/pytorch/nets.py)."""
import numpy as np
import torch
import torch.nn as nn
from torch.distributions.categorical import Categorical
from torch.distributions.normal import Normal

from spinup.algos.common.envs import space_kind
from spinup.algos.pytorch.nets import mlp


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
    def noise(shape, dtype, device):
        """The draws ``distribution(obs).sample()`` takes from torch's global generator, for
        logits of ``shape``, as Gumbel noise: torch samples argmax(probs / q), q ~ Exp(1),
        which is argmax(logits + noise) with noise = -log q (the NumPy acting path)."""
        return -torch.empty(shape, dtype=dtype, device=device).exponential_().log()


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
    def noise(shape, dtype, device):
        """The draws ``distribution(obs).sample()`` takes from torch's global generator, for
        a mean of ``shape``: standard normals, the sample being mu + std * noise."""
        return torch.randn(shape, dtype=dtype, device=device)


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

