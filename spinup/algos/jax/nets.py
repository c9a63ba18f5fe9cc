"""Haiku building blocks shared by the JAX learners: activations, the MLP, and the mapping
between Haiku parameter trees and the canonical names of ``spinup.algos.common.learner``.

A canonical MLP layer ``'<net>/<i>/w'`` lives in Haiku at module ``'<module>/linear_<i>'``
(leaf ``'w'``); a leaf of the net itself, ``'<net>/log_std'``, at module ``'<module>'``. The
module name is the net's name, except where one transform serves several nets (TD3's critics
Q1, Q2 and their targets all use module 'q').
"""
import os
import re
from functools import partial

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import haiku as hk  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

ACTIVATIONS = dict(relu=jax.nn.relu, tanh=jnp.tanh, elu=jax.nn.elu,
                   gelu=partial(jax.nn.gelu, approximate=False),  # torch's nn.GELU is exact
                   sigmoid=jax.nn.sigmoid, softplus=jax.nn.softplus,
                   leaky_relu=jax.nn.leaky_relu, selu=jax.nn.selu, identity=lambda x: x)


def mlp(x, sizes, activation, output_activation=None):
    """Linear layers 'linear_0', 'linear_1', ... (inside the current Haiku module) with the
    named ``activation`` between them and ``output_activation`` (a function) after the last."""
    for j, size in enumerate(sizes):
        x = hk.Linear(size, name=f"linear_{j}")(x)
        if j < len(sizes) - 1:
            x = ACTIVATIONS[activation](x)
    return x if output_activation is None else output_activation(x)


_LINEAR = re.compile(r"^(.+)/linear_(\d+)$")


def to_canonical(tree, net, module=None, suffix=""):
    """The Haiku tree of one net -> ``{'<net><suffix>/<i>/w': array, ...}`` in NumPy."""
    module = module or net
    params = {}
    for mod, leaves in tree.items():
        m = _LINEAR.match(mod)
        if m and m[1] == module:
            prefix = f"{net}{suffix}/{m[2]}"
        elif mod == module:
            prefix = f"{net}{suffix}"
        else:
            raise KeyError(f"Haiku module {mod!r} does not belong to net {net!r}")
        for name, value in leaves.items():
            params[f"{prefix}/{name}"] = np.asarray(value)
    return params


def from_canonical(params, net, module=None, suffix="", dtype=jnp.float32):
    """The canonical entries of net ``net<suffix>`` -> its Haiku tree (other nets ignored)."""
    module, head = module or net, net + suffix
    tree = {}
    for key, value in params.items():
        parts = key.split("/")
        if parts[0] != head:
            continue
        mod = f"{module}/linear_{parts[1]}" if len(parts) == 3 else module
        tree.setdefault(mod, {})[parts[-1]] = jnp.asarray(value, dtype)
    if not tree:
        raise KeyError(f"no parameters of net {head!r} among {sorted(params)[:6]}...")
    return tree


def check_dtype(dtype):
    """'float32', or 'float64' inside ``with jax.enable_x64(True):`` (the parity tests)."""
    from spinup.algos.common.checks import InputError
    if dtype not in ("float32", "float64"):
        raise InputError(f"dtype={dtype!r}: expected 'float32' or 'float64'")
    if dtype == "float64" and not jax.config.jax_enable_x64:
        raise InputError("dtype='float64' needs 64-bit JAX: build and use the learner inside "
                         "`with jax.enable_x64(True):`")
    return np.dtype(dtype)


# ---------------------------------------------------------------------------------------------
# Whole learner states <-> flat NumPy dicts (checkpoints)
# ---------------------------------------------------------------------------------------------
def _path_name(path):
    return jax.tree_util.keystr(path, simple=True, separator="/")


def flatten_state(tree):
    """A pytree (parameters, optimizer states, PRNG keys) -> ``{key path: NumPy array}``."""
    return {_path_name(path): np.asarray(leaf)
            for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]}


def unflatten_state(template, flat, source="state"):
    """The inverse of ``flatten_state``, shaped like ``template``; names, shapes and dtypes
    must match (a mismatch names the first offending entry and ``source``)."""
    leaves, treedef = jax.tree_util.tree_flatten_with_path(template)
    names = [_path_name(p) for p, _ in leaves]
    missing = [n for n in names if n not in flat]
    extra = sorted(set(flat) - set(names))
    if missing or extra:
        raise KeyError(f"{source}: entries do not match the learner's "
                       f"(missing {missing[:3]}, unexpected {extra[:3]})")
    new = []
    for name, (_, leaf) in zip(names, leaves):
        value = np.asarray(flat[name])
        if value.shape != np.shape(leaf):
            raise ValueError(f"{source}: {name} has shape {value.shape}, the learner expects "
                             f"{np.shape(leaf)}")
        new.append(jnp.asarray(value, dtype=jnp.asarray(leaf).dtype))
    return jax.tree_util.tree_unflatten(treedef, new)


# ---------------------------------------------------------------------------------------------
# Per-call random draws, a block of calls at a time
# ---------------------------------------------------------------------------------------------
def draw_block(draw, key, n, shape, dtype):
    """The draws of ``n`` successive calls that each do ``key, sub = split(key)`` then
    ``draw(sub, shape, dtype)``: (the key after each call ``[n, 2]``, the draws ``[n, *shape]``)."""
    def one_call(key, _):
        key, sub = jax.random.split(key)
        return key, (key, draw(sub, shape, dtype))
    _, (keys, draws) = jax.lax.scan(one_call, key, None, length=n)
    return keys, draws


class NoiseStream:
    """The random draws of a PRNG key that is split once per call (``key, sub = split(key)``,
    then ``draw(sub, shape, dtype)``, e.g. ``jax.random.normal``), made a block of calls at a
    time in one jitted ``lax.scan``: the same numbers as a jitted dispatch per call, which
    would cost more than the rest of the call. ``key`` is always the key that code would hold
    now: what a checkpoint saves and ``reset`` continues from."""

    MAX_BLOCK_VALUES = 1 << 18  # caps a block's memory when each call draws a large batch

    def __init__(self, key, draw, dtype, calls_per_block=1000):
        self.dtype, self.calls_per_block = np.dtype(dtype), calls_per_block
        self._draw_block = jax.jit(partial(draw_block, draw), static_argnums=(1, 2, 3))
        self.reset(key)

    def reset(self, key):
        """Continue from ``key`` (raw uint32 key data); drops the block drawn so far."""
        self.key = np.asarray(key, dtype=np.uint32)
        self._keys = self._draws = None
        self._next = 0

    def next(self, shape):
        """The draw of the next call, shaped ``shape`` (a new shape starts a new block, from
        the current key, so the stream does not depend on where blocks begin)."""
        shape = tuple(shape)
        if self._draws is None or self._next == len(self._draws) \
                or self._draws.shape[1:] != shape:
            n = int(np.clip(self.MAX_BLOCK_VALUES // max(1, int(np.prod(shape))), 1,
                            self.calls_per_block))
            keys, draws = self._draw_block(self.key, n, shape, self.dtype)
            self._keys, self._draws, self._next = np.asarray(keys), np.asarray(draws), 0
        i, self._next = self._next, self._next + 1
        self.key = self._keys[i]
        return self._draws[i]
