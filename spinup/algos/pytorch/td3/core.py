"""TD3 networks in PyTorch: actor ``act_limit * tanh(mlp(obs))``, critics
``mlp(concat(obs, act))`` squeezed to ``(batch,)``."""
import numpy as np
import torch
import torch.nn as nn

ACTIVATIONS = dict(relu=nn.ReLU, tanh=nn.Tanh, elu=nn.ELU, gelu=nn.GELU, sigmoid=nn.Sigmoid,
                   softplus=nn.Softplus, leaky_relu=nn.LeakyReLU, selu=nn.SELU,
                   identity=nn.Identity)


def mlp(sizes, activation, output_activation=nn.Identity):
    layers = []
    for j in range(len(sizes) - 1):
        act = activation if j < len(sizes) - 2 else output_activation
        layers += [nn.Linear(sizes[j], sizes[j + 1]), act()]
    return nn.Sequential(*layers)


class MLPActor(nn.Module):

    def __init__(self, obs_dim, act_dim, hidden_sizes, activation, act_limit):
        super().__init__()
        self.pi = mlp([obs_dim, *hidden_sizes, act_dim], activation, nn.Tanh)
        self.register_buffer("act_limit", torch.as_tensor(act_limit, dtype=torch.float32))

    def forward(self, obs):
        return self.act_limit * self.pi(obs)


class MLPQFunction(nn.Module):

    def __init__(self, obs_dim, act_dim, hidden_sizes, activation):
        super().__init__()
        self.q = mlp([obs_dim + act_dim, *hidden_sizes, 1], activation)

    def forward(self, obs, act):
        return torch.squeeze(self.q(torch.cat([obs, act], dim=-1)), -1)


class MLPActorCritic(nn.Module):

    def __init__(self, obs_dim, act_dim, act_limit, hidden_sizes=(256, 256), activation="relu"):
        super().__init__()
        activation = ACTIVATIONS[activation]
        self.pi = MLPActor(obs_dim, act_dim, hidden_sizes, activation, act_limit)
        self.q1 = MLPQFunction(obs_dim, act_dim, hidden_sizes, activation)
        self.q2 = MLPQFunction(obs_dim, act_dim, hidden_sizes, activation)


# Canonical parameters ('pi/0/w' shaped (in, out), 'pi/0/b', ...) <-> torch modules.

def _linears(module):
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


def canonical_items(ac, suffix=""):
    """(canonical name, torch parameter) pairs of ``ac``'s nets, named '<net><suffix>/<i>/w'.
    Torch stores weights (out, in); canonical weights are (in, out)."""
    items = []
    for net in ("pi", "q1", "q2"):
        for i, layer in enumerate(_linears(getattr(ac, net))):
            items += [(f"{net}{suffix}/{i}/w", layer.weight), (f"{net}{suffix}/{i}/b", layer.bias)]
    return items


def to_canonical(name, tensor):
    arr = tensor.detach().cpu().numpy()
    return arr.T.copy() if name.endswith("/w") else arr.copy()


def get_canonical(ac, suffix=""):
    return {name: to_canonical(name, p) for name, p in canonical_items(ac, suffix)}


@torch.no_grad()
def set_canonical(ac, params, suffix=""):
    """Copy canonical arrays into ``ac`` in place (optimizers keep their references)."""
    for name, p in canonical_items(ac, suffix):
        arr = np.asarray(params[name])
        p.copy_(torch.as_tensor(arr.T if name.endswith("/w") else arr, dtype=p.dtype))
