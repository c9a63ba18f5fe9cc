"""TRPO's networks in PyTorch: a Gaussian or categorical actor and a value critic, shared by the
on-policy algorithms and defined in spinup/algos/pytorch/on_policy.py (imported here, where
SpinningUp keeps them)."""
from spinup.algos.pytorch.on_policy import (  # noqa: F401
    Actor, MLPActorCritic, MLPCategoricalActor, MLPCritic, MLPGaussianActor)
