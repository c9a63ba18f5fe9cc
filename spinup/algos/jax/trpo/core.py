"""TRPO's networks in JAX (Haiku): a Gaussian or categorical actor, a value critic and the
actor's distributions, shared by the on-policy algorithms and defined in
spinup/algos/jax/on_policy.py (imported here, where SpinningUp keeps them)."""
from spinup.algos.jax.on_policy import (  # noqa: F401
    Categorical, DiagGaussian, MLPActorCritic, MLPCategoricalActor, MLPCritic,
    MLPGaussianActor)
