"""TD3's networks in PyTorch: actor ``act_limit * tanh(mlp(obs))`` and critics
``mlp(concat(obs, act))`` squeezed to ``(batch,)`` (canonical names 'pi/<i>/w', 'q1/<i>/w',
'q2/<i>/w', ...; see spinup/algos/pytorch/nets.py)."""
import torch
import torch.nn as nn

from spinup.algos.pytorch.nets import mlp


class MLPActor(nn.Module):
    """``act_limit * tanh(mlp(obs))``."""

    def __init__(self, obs_dim, act_dim, hidden_sizes, activation, act_limit):
        super().__init__()
        self.pi = mlp([obs_dim, *hidden_sizes, act_dim], activation, nn.Tanh)
        self.register_buffer("act_limit", torch.as_tensor(act_limit, dtype=torch.float32))

    def forward(self, obs):
        """The deterministic action for ``obs``."""
        return self.act_limit * self.pi(obs)


class MLPQFunction(nn.Module):
    """``Q(obs, act)``, squeezed to ``(batch,)``."""

    def __init__(self, obs_dim, act_dim, hidden_sizes, activation):
        super().__init__()
        self.q = mlp([obs_dim + act_dim, *hidden_sizes, 1], activation)

    def forward(self, obs, act):
        """Q(obs, act) per sample."""
        return torch.squeeze(self.q(torch.cat([obs, act], dim=-1)), -1)


class MLPActorCritic(nn.Module):
    """The actor ``pi`` and the twin critics ``q1``, ``q2``."""

    def __init__(self, obs_dim, act_dim, act_limit, hidden_sizes=(256, 256), activation="relu"):
        super().__init__()
        self.pi = MLPActor(obs_dim, act_dim, hidden_sizes, activation, act_limit)
        self.q1 = MLPQFunction(obs_dim, act_dim, hidden_sizes, activation)
        self.q2 = MLPQFunction(obs_dim, act_dim, hidden_sizes, activation)
