"""What every PyTorch learner does alike, whatever its family: the device and dtype, its
networks as modules ``self.ac`` (one submodule per net) and ``self.ac_targ`` (target copies),
its optimizers ``self.optimizers`` ({'pi': ..., 'q': ...}) and its generator ``self.gen``;
checkpointed as canonical parameters ('params/...'), optimizer states ('<name>_opt/...') and
the generator ('rng/gen'). ``spinup.algos.common.learner.LearnerBase`` does the rest."""
import numpy as np
import torch

from spinup.algos.pytorch import nets
from spinup.algos.pytorch.compiled import Optimizing

DTYPES = dict(float32=torch.float32, float64=torch.float64)


class TorchAdapter(Optimizing):
    """The framework's half of ``LearnerBase`` for modules ``self.ac`` / ``self.ac_targ``;
    optimizer steps in any compile mode (``Optimizing``)."""

    # save, load: SavesWeights (model/weights.npz). Runs before format 2 saved model.pt.
    LEGACY_MODEL_FILE = "model.pt"

    def setup_torch(self, dtype, device):
        """The device (None: cuda when available) and the dtype ('float32', or 'float64' for
        the parity tests)."""
        self.device, self.dtype = nets.resolve_device(device), DTYPES[dtype]
        self.optimizers = {}

    def net_params(self, net, suffix=""):
        """One net's parameters (``suffix`` '_targ': its target copy), canonical, as NumPy."""
        return nets.to_canonical(getattr(self.ac_targ if suffix else self.ac, net), net, suffix)

    def load_nets(self, params):
        """Every net, targets included, from checked canonical arrays."""
        for net in self.NETS:
            nets.from_canonical(params, getattr(self.ac, net), net)
        for net in self.TARGET_NETS:
            nets.from_canonical(params, getattr(self.ac_targ, net), net, "_targ")

    def framework_state(self):
        """Parameters with targets, the optimizers' states and the generator."""
        state = {f"params/{k}": v for k, v in self.get_params().items()}
        for name, opt in self.optimizers.items():
            state.update(nets.optimizer_state(opt, f"{name}_opt"))
        state["rng/gen"] = self.gen.get_state().cpu().numpy()
        return state

    def load_framework_state(self, state):
        """The inverse of ``framework_state``."""
        self.set_params({k[7:]: v for k, v in state.items() if k.startswith("params/")})
        for name, opt in self.optimizers.items():
            nets.load_optimizer_state(opt, state, f"{name}_opt", self.device)
        self.link_optimizer_state()  # the functional step updates the loaded tensors
        self.load_generator(state)

    def load_generator(self, state):
        self.gen.set_state(torch.as_tensor(state["rng/gen"], dtype=torch.uint8))

    def sync(self):
        """Block until queued device work is done (so timers charge it to the right phase)."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def _tensor(self, x):
        return torch.as_tensor(np.asarray(x), dtype=self.dtype, device=self.device)
