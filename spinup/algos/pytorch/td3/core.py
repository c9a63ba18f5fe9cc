"""TD3's networks in PyTorch: actor ``act_limit * tanh(mlp(obs))`` and twin critics
``mlp(concat(obs, act))`` squeezed to ``(batch,)`` (canonical names 'pi/<i>/w', 'q1/<i>/w',
'q2/<i>/w', ...; see spinup/algos/pytorch/nets.py). The actor and the critic are the
off-policy family's (spinup/algos/pytorch/off_policy.py)."""
import torch.nn as nn

from spinup.algos.pytorch.off_policy import MLPActor, MLPQFunction

__all__ = ["MLPActor", "MLPQFunction", "MLPActorCritic"]


class MLPActorCritic(nn.Module):
    """The actor ``pi`` and the critics named by ``critics`` (TD3: ``q1``, ``q2``; DDPG:
    ``q``)."""

    def __init__(self, obs_dim, act_dim, act_limit, hidden_sizes=(256, 256), activation="relu",
                 critics=("q1", "q2")):
        super().__init__()
        self.pi = MLPActor(obs_dim, act_dim, hidden_sizes, activation, act_limit)
        for name in critics:
            self.add_module(name, MLPQFunction(obs_dim, act_dim, hidden_sizes, activation))
