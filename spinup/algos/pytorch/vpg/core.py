"""VPG's networks in PyTorch: a Gaussian or categorical actor and a value critic.

Parameters cross the backend seam in canonical form (see spinup.algos.common.nets):
'pi/<i>/w' shaped (in, out), 'pi/<i>/b', 'pi/log_std', 'v/<i>/w', 'v/<i>/b'.
"""
import numpy as np
import torch
import torch.nn as nn
from torch.distributions.categorical import Categorical
from torch.distributions.normal import Normal

from spinup.algos.common.envs import space_kind

ACTIVATIONS = dict(relu=nn.ReLU, tanh=nn.Tanh, elu=nn.ELU, gelu=nn.GELU, sigmoid=nn.Sigmoid,
                   softplus=nn.Softplus, leaky_relu=nn.LeakyReLU, selu=nn.SELU,
                   identity=nn.Identity)


def mlp(sizes, activation):
    layers = []
    for j in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[j], sizes[j + 1]))
        if j < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class Actor(nn.Module):
    def forward(self, obs, act=None):
        """The action distribution at ``obs`` and, given ``act``, its log-likelihood."""
        pi = self.distribution(obs)
        logp_a = None if act is None else self.log_prob_from_distribution(pi, act)
        return pi, logp_a


class MLPCategoricalActor(Actor):
    def __init__(self, obs_dim, act_n, hidden_sizes, activation):
        super().__init__()
        self.logits_net = mlp([obs_dim, *hidden_sizes, act_n], activation)

    def distribution(self, obs):
        # No argument validation: it costs time every step, and a diverged (NaN) policy must
        # reach the training loop's finite-loss check, which explains what went wrong.
        return Categorical(logits=self.logits_net(obs), validate_args=False)

    def log_prob_from_distribution(self, pi, act):
        return pi.log_prob(act)

    def mode(self, obs):
        return self.logits_net(obs).argmax(-1)


class MLPGaussianActor(Actor):
    def __init__(self, obs_dim, act_dim, hidden_sizes, activation):
        super().__init__()
        # State-independent: exploration noise is learned, not predicted per state.
        self.log_std = nn.Parameter(torch.full((act_dim,), -0.5))
        self.mu_net = mlp([obs_dim, *hidden_sizes, act_dim], activation)

    def distribution(self, obs):
        return Normal(self.mu_net(obs), torch.exp(self.log_std), validate_args=False)

    def log_prob_from_distribution(self, pi, act):
        return pi.log_prob(act).sum(axis=-1)  # independent action dimensions

    def mode(self, obs):
        return self.mu_net(obs)


class MLPCritic(nn.Module):
    def __init__(self, obs_dim, hidden_sizes, activation):
        super().__init__()
        self.v_net = mlp([obs_dim, *hidden_sizes, 1], activation)

    def forward(self, obs):
        return torch.squeeze(self.v_net(obs), -1)


class MLPActorCritic(nn.Module):
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
        pi = self.pi.distribution(obs)
        a = pi.sample()
        return a, self.v(obs), self.pi.log_prob_from_distribution(pi, a)

    @torch.no_grad()
    def act(self, obs, deterministic=False):
        return self.pi.mode(obs) if deterministic else self.pi.distribution(obs).sample()


def _linears(module):
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


def get_canonical(ac, grad=False):
    """The parameters (or, with ``grad``, their gradients) as a canonical dict."""
    def numpy(p):
        return (p.grad if grad else p).detach().cpu().numpy().copy()

    params = {}
    for net in ("pi", "v"):
        for i, lin in enumerate(_linears(getattr(ac, net))):
            params[f"{net}/{i}/w"] = numpy(lin.weight).T
            params[f"{net}/{i}/b"] = numpy(lin.bias)
    if hasattr(ac.pi, "log_std"):
        params["pi/log_std"] = numpy(ac.pi.log_std)
    return params


@torch.no_grad()
def set_canonical(ac, params):
    expected = get_canonical(ac)
    if set(params) != set(expected):
        raise KeyError(f"parameter names {sorted(params)} do not match the network's "
                       f"{sorted(expected)}")
    for net in ("pi", "v"):
        for i, lin in enumerate(_linears(getattr(ac, net))):
            lin.weight.copy_(torch.as_tensor(params[f"{net}/{i}/w"]).T)
            lin.bias.copy_(torch.as_tensor(params[f"{net}/{i}/b"]))
    if hasattr(ac.pi, "log_std"):
        ac.pi.log_std.copy_(torch.as_tensor(params["pi/log_std"]))
