import os
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
MUJOCO_LOG = osp.join(REPO, "MUJOCO_LOG.TXT")


def pytest_sessionstart(session):
    """Tests make MuJoCo envs directly too (gym.make): the filters spinup installs for its
    own commands (utils/quiet.py: MuJoCo's warnings once, no MUJOCO_LOG.TXT) go first."""
    from spinup.utils import quiet
    quiet.quiet_libraries()
    session.config._mujoco_log_before = osp.exists(MUJOCO_LOG)


def pytest_sessionfinish(session, exitstatus):
    """A test run leaves no file in the repository: MuJoCo's log appearing is a failure."""
    if osp.exists(MUJOCO_LOG) and not session.config._mujoco_log_before:
        print(f"\nerror: the tests left {MUJOCO_LOG} (a MuJoCo warning went to its log file; "
              "spinup.utils.quiet.quiet_libraries() routes them)")
        session.exitstatus = 1


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
