"""What every JAX learner does alike, whatever its family: its whole training state is one
pytree ``self.state`` (a NamedTuple: parameters, optimizer states, PRNG keys), checkpointed
as that tree flattened by key path ('state/...') and synchronised with
``block_until_ready``. The families' adapters (``off_policy.py``, ``on_policy.py``) add
where the nets live in the tree; ``spinup.algos.common.learner.LearnerBase`` does the rest."""
import os

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402

from spinup.algos.jax import nets  # noqa: E402
from spinup.utils.errors import RunFileError  # noqa: E402
from spinup.utils.serialization_utils import load_npz  # noqa: E402


class JaxAdapter:
    """The framework's half of ``LearnerBase`` for a learner whose state is ``self.state``."""

    # save, load: SavesWeights (model/weights.npz). Runs before format 2 saved params.npz.
    LEGACY_MODEL_FILE = "params.npz"

    def framework_state(self):
        """The training state, flattened by key path."""
        return {f"state/{k}": v for k, v in nets.flatten_state(self.state).items()}

    def load_framework_state(self, state):
        """The inverse of ``framework_state`` (names, shapes and dtypes must match)."""
        flat = {k[6:]: v for k, v in state.items() if k.startswith("state/")}
        self.state = nets.unflatten_state(self.state, flat, "checkpoint")

    def sync(self):
        """Block until queued device work is done (so timers charge it to the right phase)."""
        jax.block_until_ready(self.state)

    def _load_legacy(self, path):
        """An older run's ``params.npz``: the tree ``legacy_tree()`` names, by key path."""
        try:
            tree = nets.unflatten_state(self.legacy_tree(), load_npz(path, "saved model"),
                                        "saved model")
        except (KeyError, ValueError) as e:
            raise RunFileError(f"{path}: saved model does not match the run's networks "
                               f"({str(e).splitlines()[0]})") from None
        self.set_legacy_tree(tree)
        self.policy.stale()
        return self
