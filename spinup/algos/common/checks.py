"""Argument checks shared by every algorithm and by the CLI. Each raises ``InputError`` with a
one-line message naming the value and what is accepted, before any work starts."""
import math
import numbers
import re

from spinup.utils.errors import InputError  # noqa: F401  (re-exported: the usual import path)


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def int_at_least(name, v, lo):
    """An integer >= ``lo`` (not a bool); returns it as an int."""
    if not _is_int(v) or v < lo:
        raise InputError(f"{name}={v!r}: expected an integer >= {lo}")
    return int(v)


# Every generator takes a seed in this range (JAX keys are built from 32-bit words; the test
# env's seed is the run's plus an offset).
MAX_SEED = 2**32 - 1 - 100_000


def seed(v):
    """A seed: an integer in [0, MAX_SEED]."""
    if not _is_int(v) or not 0 <= v <= MAX_SEED:
        raise InputError(f"seed={v!r}: expected an integer in [0, {MAX_SEED}]")
    return int(v)


def machine_memory():
    """This machine's physical memory in bytes (None where the OS does not say)."""
    import os
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _human(n):
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.1f} {unit}"
        n /= 1024


def mlp_floats(sizes):
    """Weights and biases of an MLP of widths ``sizes`` (input first)."""
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def fits_in_memory(needs, total=None):
    """``needs``: (what, bytes) of the big arrays a run will allocate, estimated from its
    arguments before any of them is made. Each, and all together, must fit in this machine's
    memory, else an InputError naming the argument: an absurd size costs a second, not a
    MemoryError after the banner."""
    total = machine_memory() if total is None else total
    if not total:
        return
    for what, n in needs:
        if n > total:
            raise InputError(f"{what} would take {_human(n)}, more than this machine's "
                             f"{_human(total)} of memory")
    together = sum(n for _, n in needs)
    if together > total:
        raise InputError(f"{' and '.join(w for w, _ in needs)} would take {_human(together)} "
                         f"together, more than this machine's {_human(total)} of memory")


def positive_int(name, v):
    """An integer >= 1."""
    return int_at_least(name, v, 1)


def nonneg_int(name, v):
    """An integer >= 0."""
    return int_at_least(name, v, 0)


def number_in(name, v, lo=-math.inf, hi=math.inf, lo_open=False, hi_open=False):
    """``v`` must be a real number in [lo, hi] (bounds open where asked)."""
    ok = isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
    if ok:
        ok = (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
    if not ok:
        lb = "(" if lo_open else "["
        rb = ")" if hi_open else "]"
        raise InputError(f"{name}={v!r}: expected a number in {lb}{lo}, {hi}{rb}")
    return float(v)


def positive_number(name, v):
    """A finite real number > 0, as a float."""
    return number_in(name, v, 0.0, math.inf, lo_open=True)


def boolean(name, v):
    """True or False (1 and 0 are accepted too)."""
    if isinstance(v, bool) or (_is_int(v) and v in (0, 1)):
        return bool(v)
    raise InputError(f"{name}={v!r}: expected True or False")


def vector_envs(num_envs, async_envs, **multiples):
    """``num_envs`` (an integer >= 1 that divides each of ``multiples``, so that every env
    takes the same number of steps) and ``async_envs`` (a bool); the error says what would
    work instead."""
    n = positive_int("num_envs", num_envs)
    for name, value in multiples.items():
        if value % n:
            fits = [d for d in range(1, min(value, 64) + 1) if value % d == 0]
            lower, upper = value - value % n, value - value % n + n
            raise InputError(
                f"num_envs={n} does not divide {name}={value} (the loop counts steps "
                f"{n} at a time, one per env): use num_envs in {', '.join(map(str, fits))}, "
                f"or {name}={lower or upper} or {upper}")
    return n, boolean("async_envs", async_envs)


def output_dir(path):
    """A run folder that exists as a writable folder or can be created: its nearest existing
    ancestor must be a writable folder. Checked before any run starts."""
    import os
    probe = os.path.abspath(path)
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe) or not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"output folder {path!r} cannot be written ({probe!r} is not a "
                         "writable folder); choose another --data_dir")
    import tempfile
    try:  # permissions allow root everything, yet /proc or a full disk refuse new folders
        os.rmdir(tempfile.mkdtemp(prefix=".spinup-probe-", dir=probe))
    except OSError as e:
        raise InputError(f"output folder {path!r} cannot be written ({probe!r} refuses new "
                         f"folders: {e.strerror or e}); choose another --data_dir") from None
    return path


def exp_name(v):
    """An experiment name: the folder under --data_dir that a run writes (it may name
    subfolders with '/'), never one outside it."""
    import os
    if not isinstance(v, str) or not v.strip() or "\0" in v:
        raise InputError(f"--exp_name {v!r}: expected a folder name, e.g. hc_td3")
    parts = v.replace(os.sep, "/").split("/")
    if os.path.isabs(v) or ".." in parts or all(p in ("", ".") for p in parts):
        raise InputError(f"--exp_name {v!r} would write outside --data_dir; give a folder "
                         "name such as hc_td3, and --data_dir for where it goes")
    return v


def one_of(name, v, accepted):
    """One of ``accepted`` (compared with ==)."""
    if v not in accepted:
        raise InputError(f"{name}={v!r}: expected one of {', '.join(map(repr, accepted))}")
    return v


def hidden_sizes(v, name="hidden_sizes"):
    """A list/tuple of positive integers (an empty one means a linear network)."""
    if _is_int(v):
        v = (v,)
    if not isinstance(v, (list, tuple)) or not all(_is_int(h) and h > 0 for h in v):
        raise InputError(f"{name}={v!r}: expected a list of positive integers, e.g. (64,64)")
    return tuple(int(h) for h in v)


ACTIVATIONS = ("relu", "tanh", "elu", "gelu", "sigmoid", "softplus", "leaky_relu", "selu",
               "identity")


def activation(v, name="activation"):
    """An activation by name: 'relu', 'tanh', ... Framework spellings such as 'torch.nn.ReLU',
    'nn.Tanh', 'jax.nn.relu' and the objects themselves are accepted too."""
    raw = v
    if not isinstance(v, str):
        v = getattr(v, "__name__", str(v))
    key = v.rsplit(".", 1)[-1].lower().replace("leakyrelu", "leaky_relu")
    if key not in ACTIVATIONS:
        raise InputError(f"{name}={raw!r}: expected one of {', '.join(ACTIVATIONS)}")
    return key


def actor_critic(v):
    """SpinningUp's ``actor_critic``: None, or one of this project's MLPActorCritic classes
    (what None means); a user's own class is refused rather than silently not used."""
    if v is None or (getattr(v, "__name__", None) == "MLPActorCritic" and
                      str(getattr(v, "__module__", "")).startswith("spinup.algos.")):
        return None
    raise InputError(f"actor_critic={getattr(v, '__qualname__', v)!r}: custom actor-critic "
                     "classes are not supported (the learners build their networks from "
                     "canonical parameters, alike in both backends); leave actor_critic out "
                     "and choose the networks with ac_kwargs=dict(hidden_sizes=..., "
                     "activation=...)")


def ac_kwargs(kw, default_hidden, default_activation):
    """Normalise ``ac_kwargs`` to ``dict(hidden_sizes=tuple, activation=name)``."""
    if kw is not None and not isinstance(kw, dict):
        raise InputError(f"ac_kwargs={kw!r}: expected a dict such as "
                         "dict(hidden_sizes=(64, 64), activation='tanh')")
    kw = dict(kw or {})
    unknown = sorted(set(kw) - {"hidden_sizes", "activation"})
    if unknown:
        raise InputError(f"ac_kwargs has unknown key(s) {unknown}: accepted are hidden_sizes, "
                         "activation")
    return dict(hidden_sizes=hidden_sizes(kw.get("hidden_sizes", default_hidden)),
                activation=activation(kw.get("activation", default_activation)))


def profile_args(profile, profile_warmup, epochs):
    """``profile`` one of none/update/epoch/trace; when profiling, 0 <= profile_warmup < epochs so
    that at least one epoch is profiled."""
    from spinup.utils.profiling import PROFILE_MODES
    one_of("profile", profile, PROFILE_MODES)
    if profile == "none":
        return profile, profile_warmup
    warmup = nonneg_int("profile_warmup", profile_warmup)
    if warmup >= epochs:
        raise InputError(f"profile_warmup={warmup!r}: expected an integer < epochs={epochs}, "
                         "otherwise no epoch would be profiled")
    return profile, warmup


_DEVICE_RE = re.compile(r"cpu|cuda(:\d+)?|mps")


def device(v):
    """None (pick cuda when available, else cpu), 'cpu', 'cuda', 'cuda:N' or 'mps'."""
    if v is not None and not (isinstance(v, str) and _DEVICE_RE.fullmatch(v)):
        raise InputError(f"device={v!r}: expected None, 'cpu', 'cuda', 'cuda:N' or 'mps'")
    if v is not None and v != "cpu":
        import torch  # only PyTorch algorithms take a device
        if v.startswith("cuda") and not torch.cuda.is_available():
            raise InputError(f"device={v!r}: CUDA is not available on this machine; use "
                             "'cpu' or leave the device out")
        if v.startswith("cuda:") and int(v[5:]) >= torch.cuda.device_count():
            raise InputError(f"device={v!r}: this machine has {torch.cuda.device_count()} "
                             "CUDA device(s)")
        if v == "mps" and not torch.backends.mps.is_available():
            raise InputError(f"device={v!r}: MPS is not available on this machine; use 'cpu'")
    return v


def compile_mode(v, device=None):
    """'none', 'default' or 'cudagraphs', usable with ``device`` (PyTorch algorithms only:
    see spinup.algos.pytorch.compiled.check_compile)."""
    if v == "none":
        return v
    from spinup.algos.pytorch.compiled import check_compile  # imports torch
    return check_compile(v, device)


def logger_kwargs(v):
    """None or a dict of EpochLogger keyword arguments; returns a dict."""
    if v is not None and not isinstance(v, dict):
        raise InputError(f"logger_kwargs={v!r}: expected a dict such as "
                         "dict(output_dir='data/run')")
    return dict(v or {})
