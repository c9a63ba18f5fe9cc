import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """On 2 cores, PyTorch's spin-waiting OpenMP threads stall badly when XLA's threads (same
    process) are busy too; one intra-op thread gives the same numbers without the stalls."""
    try:
        import torch
    except ImportError:
        yield
        return
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
