"""Network initialisation shared by both backends.

Both backends start from the same NumPy-drawn weights for a given seed, so a PyTorch run and a
JAX run with the same seed begin from identical networks. The scheme is PyTorch's default for
``nn.Linear``: weights and biases uniform in +-1/sqrt(fan_in).

Parameters cross the backend seam as a flat dict of NumPy arrays with canonical names:
``'<net>/<layer index>/w'`` shaped ``(in, out)`` and ``'<net>/<layer index>/b'`` shaped
``(out,)``, plus any extra leaves (e.g. ``'pi/log_std'``).
"""
import numpy as np


def init_mlp(rng, net, sizes):
    """Canonical parameters of an MLP with layer widths ``sizes`` (input first)."""
    params = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        bound = 1.0 / np.sqrt(fan_in)
        params[f"{net}/{i}/w"] = rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32)
        params[f"{net}/{i}/b"] = rng.uniform(-bound, bound, (fan_out,)).astype(np.float32)
    return params



def with_targets(params, nets):
    """``params`` plus a copy of each net in ``nets`` under its target name ('q1' ->
    'q1_targ/...'): target networks start equal to the online ones."""
    out = dict(params)
    for k, v in params.items():
        if k.split("/", 1)[0] in nets:
            out[k.replace("/", "_targ/", 1)] = v.copy()
    return out


def init_stochastic_actor_critic(obs_dim, act_space, hidden_sizes, seed):
    """Canonical initial parameters of the on-policy actor 'pi' (Gaussian with a
    state-independent 'pi/log_std' of -0.5 for a Box; categorical logits for Discrete) and
    critic 'v' (VPG, PPO, TRPO)."""
    from spinup.algos.common.envs import space_kind
    rng = np.random.default_rng(seed)
    if space_kind(act_space) == "box":
        act_dim = int(np.prod(act_space.shape))
        params = init_mlp(rng, "pi", [obs_dim, *hidden_sizes, act_dim])
        params["pi/log_std"] = np.full(act_dim, -0.5, dtype=np.float32)
    else:
        params = init_mlp(rng, "pi", [obs_dim, *hidden_sizes, int(act_space.n)])
    params.update(init_mlp(rng, "v", [obs_dim, *hidden_sizes, 1]))
    return params


def init_deterministic_actor_critic(obs_dim, act_dim, hidden_sizes, seed, critics):
    """Canonical initial parameters of a deterministic actor 'pi' (``act_limit *
    tanh(mlp(obs))``), the critics named in ``critics`` (MLPs on concat(obs, act)) and target
    copies of all of them (DDPG: critics ('q',); TD3: ('q1', 'q2'))."""
    rng = np.random.default_rng(seed)
    params = init_mlp(rng, "pi", [obs_dim, *hidden_sizes, act_dim])
    for q in critics:
        params.update(init_mlp(rng, q, [obs_dim + act_dim, *hidden_sizes, 1]))
    return with_targets(params, ("pi", *critics))


def init_squashed_gaussian_actor_critic(obs_dim, act_dim, hidden_sizes, seed):
    """Canonical initial parameters of SAC: the actor 'pi' is a body of layers 0..L-1 (an
    activation after each, L = len(hidden_sizes)), then two linear heads on the body's
    output: layer L the mean, layer L+1 the log-std; critics 'q1', 'q2' and their targets
    (no actor target)."""
    rng = np.random.default_rng(seed)
    params = init_mlp(rng, "pi", [obs_dim, *hidden_sizes])
    feat, n = ([obs_dim, *hidden_sizes])[-1], len(hidden_sizes)
    for i in (n, n + 1):  # mean head, then log-std head
        head = init_mlp(rng, "pi", [feat, act_dim])
        params[f"pi/{i}/w"], params[f"pi/{i}/b"] = head["pi/0/w"], head["pi/0/b"]
    params.update(init_mlp(rng, "q1", [obs_dim + act_dim, *hidden_sizes, 1]))
    params.update(init_mlp(rng, "q2", [obs_dim + act_dim, *hidden_sizes, 1]))
    return with_targets(params, ("q1", "q2"))
