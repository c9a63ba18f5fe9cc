"""SAC's networks in PyTorch (SpinningUp): a squashed Gaussian actor and twin critics
``mlp(concat(obs, act))`` squeezed to ``(batch,)``. The actor's body has the activation after
every layer; its linear heads give the mean and the log-std (clamped to [-20, 2]). Canonical
names: 'pi/0..L-1' (body), 'pi/L' (mean), 'pi/L+1' (log-std), 'q1/<i>', 'q2/<i>', and
'alpha/log_alpha' for a learned temperature; see spinup/algos/pytorch/nets.py. The critic is
the off-policy family's (spinup/algos/pytorch/off_policy.py)."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions.normal import Normal

from spinup.algos.common.numpy_policy import LOG_STD_MAX, LOG_STD_MIN
from spinup.algos.pytorch.nets import ACTIVATIONS, mlp
from spinup.algos.pytorch.off_policy import MLPQFunction

__all__ = ["SquashedGaussianMLPActor", "MLPQFunction", "Temperature", "MLPActorCritic"]


class SquashedGaussianMLPActor(nn.Module):
    """``a = act_limit * tanh(u)``, ``u ~ N(mu(obs), std(obs))`` reparameterised."""

    def __init__(self, obs_dim, act_dim, hidden_sizes, activation, act_limit):
        super().__init__()
        # Registration order is canonical order: body 0..L-1, then mean L, then log-std L+1.
        self.net = mlp([obs_dim, *hidden_sizes], activation, ACTIVATIONS[activation])
        feat = hidden_sizes[-1] if hidden_sizes else obs_dim
        self.mu_layer = nn.Linear(feat, act_dim)
        self.log_std_layer = nn.Linear(feat, act_dim)
        self.register_buffer("act_limit", torch.as_tensor(act_limit, dtype=torch.float32))

    def forward(self, obs, eps=None):
        """(a, logp(a|obs)) with ``u = mu + std * eps`` for standard-normal ``eps``; without
        ``eps`` the mean action ``act_limit * tanh(mu)`` and no logp."""
        h = self.net(obs)
        mu = self.mu_layer(h)
        if eps is None:
            return self.act_limit * torch.tanh(mu), None
        log_std = torch.clamp(self.log_std_layer(h), LOG_STD_MIN, LOG_STD_MAX)
        std = torch.exp(log_std)
        u = mu + std * eps
        # The Gaussian log-prob of u, then the change of variables through tanh:
        # log(1 - tanh(u)^2) = 2 * (log 2 - u - softplus(-2u)), stable for large |u|.
        # No argument validation: a diverged (NaN) network must reach the loop's finite-loss
        # check, which says what went wrong and keeps the last good model.
        logp = Normal(mu, std, validate_args=False).log_prob(u).sum(-1)
        logp = logp - (2 * (np.log(2) - u - F.softplus(-2 * u))).sum(-1)
        return self.act_limit * torch.tanh(u), logp


class Temperature(nn.Module):
    """The learned entropy temperature: ``alpha = exp(log_alpha)``, ``log_alpha`` from 0."""

    def __init__(self):
        super().__init__()
        self.log_alpha = nn.Parameter(torch.zeros(()))

    def forward(self):
        """alpha, a constant of the update that reads it."""
        return self.log_alpha.detach().exp()


class MLPActorCritic(nn.Module):
    """The actor ``pi``, the twin critics ``q1``, ``q2`` and, with ``auto_alpha``, the
    temperature ``alpha`` (canonical 'alpha/log_alpha')."""

    def __init__(self, obs_dim, act_dim, act_limit, hidden_sizes=(256, 256), activation="relu",
                 auto_alpha=False):
        super().__init__()
        self.pi = SquashedGaussianMLPActor(obs_dim, act_dim, hidden_sizes, activation,
                                           act_limit)
        self.q1 = MLPQFunction(obs_dim, act_dim, hidden_sizes, activation)
        self.q2 = MLPQFunction(obs_dim, act_dim, hidden_sizes, activation)
        if auto_alpha:
            self.alpha = Temperature()
