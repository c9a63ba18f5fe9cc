"""TD3 networks in Haiku: actor ``act_limit * tanh(mlp(obs))``, critics
``mlp(concat(obs, act))`` squeezed to ``(batch,)``."""
import os

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import haiku as hk  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

ACTIVATIONS = dict(relu=jax.nn.relu, tanh=jnp.tanh, elu=jax.nn.elu, gelu=jax.nn.gelu,
                   sigmoid=jax.nn.sigmoid, softplus=jax.nn.softplus,
                   leaky_relu=jax.nn.leaky_relu, selu=jax.nn.selu, identity=lambda x: x)


class MLP(hk.Module):
    """Linear layers 'linear_0', 'linear_1', ... with ``activation`` between them."""

    def __init__(self, sizes, activation, output_activation=None, name=None):
        super().__init__(name=name)
        self.sizes, self.activation = sizes, activation
        self.output_activation = output_activation

    def __call__(self, x):
        for j, size in enumerate(self.sizes):
            x = hk.Linear(size, name=f"linear_{j}")(x)
            if j < len(self.sizes) - 1:
                x = self.activation(x)
        return x if self.output_activation is None else self.output_activation(x)


def mlp_actor(act_dim, hidden_sizes, activation, act_limit):
    """(obs) -> act_limit * tanh(mlp(obs)), as a Haiku transform named 'pi'."""
    def pi(obs):
        mu = MLP([*hidden_sizes, act_dim], ACTIVATIONS[activation], jnp.tanh, name="pi")(obs)
        return act_limit * mu
    return hk.without_apply_rng(hk.transform(pi))


def mlp_q_function(hidden_sizes, activation):
    """(obs, act) -> Q, as a Haiku transform named 'q' (the same transform serves Q1, Q2
    and their targets, with different parameters)."""
    def q(obs, act):
        x = jnp.concatenate([obs, act], axis=-1)
        return jnp.squeeze(MLP([*hidden_sizes, 1], ACTIVATIONS[activation], name="q")(x), -1)
    return hk.without_apply_rng(hk.transform(q))


class MLPActorCritic:
    """The apply functions of the actor and critics (Haiku keeps parameters apart)."""

    def __init__(self, obs_dim, act_dim, act_limit, hidden_sizes=(256, 256), activation="relu"):
        self.pi = mlp_actor(act_dim, hidden_sizes, activation, np.asarray(act_limit)).apply
        self.q = mlp_q_function(hidden_sizes, activation).apply


# Canonical parameters ('pi/0/w' shaped (in, out), 'pi/0/b', ...) <-> Haiku trees
# ({'pi/linear_0': {'w', 'b'}, ...}; the critics' trees use the module name 'q').

HAIKU_MODULE = dict(pi="pi", q1="q", q2="q")


def to_haiku(params, net, suffix="", dtype=jnp.float32):
    """The Haiku tree of network ``net`` ('pi', 'q1', 'q2') from canonical arrays."""
    tree, i = {}, 0
    while f"{net}{suffix}/{i}/w" in params:
        tree[f"{HAIKU_MODULE[net]}/linear_{i}"] = {
            "w": jnp.asarray(params[f"{net}{suffix}/{i}/w"], dtype=dtype),
            "b": jnp.asarray(params[f"{net}{suffix}/{i}/b"], dtype=dtype)}
        i += 1
    return tree


def from_haiku(tree, net, suffix=""):
    """Canonical NumPy arrays of network ``net`` from its Haiku tree."""
    params = {}
    for module, leaves in tree.items():
        i = int(module.rsplit("_", 1)[1])
        for leaf in ("w", "b"):
            params[f"{net}{suffix}/{i}/{leaf}"] = np.asarray(leaves[leaf])
    return params
