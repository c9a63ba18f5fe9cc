"""PyTorch building blocks shared by the PyTorch learners: activations, the MLP, the device
choice, and the mapping between modules and the canonical parameter names of
``spinup.algos.common.learner``.

A canonical MLP layer ``'<net>/<i>/w'`` is the i-th ``nn.Linear`` of the net's module, in
module order, transposed (torch stores ``(out, in)``); a leaf of the net itself such as
``'<net>/log_std'`` is a parameter registered directly on that module.
"""
import numpy as np
import torch
import torch.nn as nn

from spinup.algos.common.checks import InputError

ACTIVATIONS = dict(relu=nn.ReLU, tanh=nn.Tanh, elu=nn.ELU, gelu=nn.GELU, sigmoid=nn.Sigmoid,
                   softplus=nn.Softplus, leaky_relu=nn.LeakyReLU, selu=nn.SELU,
                   identity=nn.Identity)


def mlp(sizes, activation, output_activation=None):
    """``nn.Sequential`` of Linear layers of widths ``sizes`` (input first) with the named
    ``activation`` between them and ``output_activation`` (a module class) after the last."""
    layers = []
    for j in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[j], sizes[j + 1]))
        if j < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
        elif output_activation is not None:
            layers.append(output_activation())
    return nn.Sequential(*layers)


def canonical_items(module, net, suffix=""):
    """(canonical name, parameter) pairs of one net's module."""
    items = []
    for i, lin in enumerate(m for m in module.modules() if isinstance(m, nn.Linear)):
        items += [(f"{net}{suffix}/{i}/w", lin.weight), (f"{net}{suffix}/{i}/b", lin.bias)]
    items += [(f"{net}{suffix}/{name}", p) for name, p in module.named_parameters(recurse=False)]
    return items


def to_canonical(module, net, suffix="", grad=False):
    """One net's parameters (or, with ``grad``, their gradients) as canonical NumPy arrays."""
    out = {}
    for name, p in canonical_items(module, net, suffix):
        arr = (p.grad if grad else p).detach().cpu().numpy()
        out[name] = arr.T.copy() if name.endswith("/w") else arr.copy()
    return out


@torch.no_grad()
def from_canonical(params, module, net, suffix=""):
    """Copy the canonical arrays of net ``net<suffix>`` into ``module`` in place (optimizers
    keep their references); names and shapes must match."""
    for name, p in canonical_items(module, net, suffix):
        if name not in params:
            raise KeyError(f"parameter {name!r} is missing; given: {sorted(params)[:6]}...")
        arr = np.asarray(params[name])
        arr = arr.T if name.endswith("/w") else arr
        if arr.shape != tuple(p.shape):
            raise ValueError(f"{name}: shape {np.shape(params[name])}, the network expects "
                             f"{tuple(p.shape)[::-1] if name.endswith('/w') else tuple(p.shape)}")
        p.copy_(torch.as_tensor(np.array(arr), dtype=p.dtype))  # a copy: may be read-only


def resolve_device(device):
    """None -> 'cuda' when available, else 'cpu'; asking for a missing GPU is an InputError."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = str(device)
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"device={device!r}: CUDA is not available here; use 'cpu' or None")
    if device == "mps" and not torch.backends.mps.is_available():
        raise InputError(f"device={device!r}: MPS is not available here; use 'cpu' or None")
    return torch.device(device)


# ---------------------------------------------------------------------------------------------
# Optimizer and generator states <-> flat NumPy dicts (checkpoints)
# ---------------------------------------------------------------------------------------------
def optimizer_state(opt, prefix):
    """The per-parameter state of a torch optimizer (Adam: step, exp_avg, exp_avg_sq) as
    ``{'<prefix>/<param index>/<key>': array}``; hyperparameters come from the config."""
    flat = {}
    for idx, st in opt.state_dict()["state"].items():
        for key, val in st.items():
            # A copy: on the CPU .numpy() shares memory that the next step changes in place.
            flat[f"{prefix}/{idx}/{key}"] = torch.as_tensor(val).detach().cpu().numpy().copy()
    return flat


def load_optimizer_state(opt, flat, prefix, device):
    """The inverse of ``optimizer_state`` (entries of other prefixes are ignored)."""
    state = {}
    for name, val in flat.items():
        head, _, rest = name.partition("/")
        if head != prefix:
            continue
        idx, key = rest.split("/", 1)
        t = torch.as_tensor(np.asarray(val))
        # Adam keeps 'step' on the CPU unless capturable; moments live with the parameters.
        state.setdefault(int(idx), {})[key] = t if key == "step" else t.to(device)
    sd = opt.state_dict()
    opt.load_state_dict({"state": state, "param_groups": sd["param_groups"]})
