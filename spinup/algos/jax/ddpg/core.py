"""DDPG's networks in JAX (Haiku): actor ``act_limit * tanh(mlp(obs))`` and critic
``mlp(concat(obs, act))`` squeezed to ``(batch,)``, as pure functions of their parameters.
Haiku modules: 'pi/linear_<i>' for the actor, 'q/linear_<i>' for the critic and its target
(see spinup/algos/jax/nets.py for the canonical names). The actor and the critic are the
off-policy family's (spinup/algos/jax/off_policy.py)."""
from spinup.algos.jax.off_policy import MLPActor, MLPActorCritic, MLPQFunction
from spinup.algos.jax.td3.core import modules

__all__ = ["MLPActor", "MLPQFunction", "MLPActorCritic", "MODULES"]

# Haiku module of each canonical net: TD3's, with the one critic 'q'.
MODULES = modules(("q",))
