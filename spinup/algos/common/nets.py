"""Network initialisation shared by both backends.

Both backends start from the same NumPy-drawn weights for a given seed, so a PyTorch run and a
JAX run with the same seed begin from identical networks. The scheme is PyTorch's default for
``nn.Linear``: weights and biases uniform in +-1/sqrt(fan_in).

Parameters cross the backend seam as a flat dict of NumPy arrays with canonical names:
``'<net>/<layer index>/w'`` shaped ``(in, out)`` and ``'<net>/<layer index>/b'`` shaped
``(out,)``, plus any extra leaves (e.g. ``'pi/log_std'``).
"""
import numpy as np


def init_mlp(rng, net, sizes):
    """Canonical parameters of an MLP with layer widths ``sizes`` (input first)."""
    params = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        bound = 1.0 / np.sqrt(fan_in)
        params[f"{net}/{i}/w"] = rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32)
        params[f"{net}/{i}/b"] = rng.uniform(-bound, bound, (fan_out,)).astype(np.float32)
    return params

