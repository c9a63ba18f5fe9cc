"""Device choice for the PyTorch learners."""
import torch

from spinup.algos.common.checks import InputError


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
