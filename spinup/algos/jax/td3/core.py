"""TD3's networks in JAX (Haiku): actor ``act_limit * tanh(mlp(obs))`` and critics
``mlp(concat(obs, act))`` squeezed to ``(batch,)``, as pure functions of their parameters.
Haiku modules: 'pi/linear_<i>' for the actor, 'q/linear_<i>' for both critics (Q1, Q2 and
their targets share one transform; see spinup/algos/jax/nets.py for the canonical names). The
actor and the critic are the off-policy family's (spinup/algos/jax/off_policy.py)."""
from spinup.algos.jax.off_policy import MLPActor, MLPActorCritic, MLPQFunction

__all__ = ["MLPActor", "MLPQFunction", "MLPActorCritic", "MODULES", "modules"]


def modules(critics=("q1", "q2")):
    """The Haiku module of each canonical net: 'pi' for the actor, 'q' for every critic."""
    return dict(pi="pi", **{c: "q" for c in critics})


MODULES = modules()
