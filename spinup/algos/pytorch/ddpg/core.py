"""DDPG's networks in PyTorch: actor ``act_limit * tanh(mlp(obs))`` and critic
``mlp(concat(obs, act))`` squeezed to ``(batch,)`` (canonical names 'pi/<i>/w', 'q/<i>/w',
...; see spinup/algos/pytorch/nets.py): TD3's, with the one critic ``q``."""
from functools import partialmethod

from spinup.algos.pytorch.td3 import core as td3_core
from spinup.algos.pytorch.off_policy import MLPActor, MLPQFunction

__all__ = ["MLPActor", "MLPQFunction", "MLPActorCritic"]


class MLPActorCritic(td3_core.MLPActorCritic):
    """The actor ``pi`` and the critic ``q``."""
    __init__ = partialmethod(td3_core.MLPActorCritic.__init__, critics=("q",))
