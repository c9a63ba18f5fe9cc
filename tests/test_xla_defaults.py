"""spinup's XLA:CPU default (512-bit vectors on AVX-512 CPUs): added only where the user chose
no vector width, accepted by the installed XLA, and kept away from the peers' timed runs."""
import os
import subprocess
import sys

import spinup
from spinup.commands.bench_peers import child_env


def test_vector_width_is_added_only_where_the_user_named_none():
    avx512 = spinup._avx512_cpu()
    env = {"XLA_FLAGS": "--xla_cpu_use_thunk_runtime=true"}
    added = spinup.xla_cpu_defaults(env)
    if avx512:
        assert added == spinup.XLA_VECTOR_FLAG
        assert env["XLA_FLAGS"] == "--xla_cpu_use_thunk_runtime=true " + spinup.XLA_VECTOR_FLAG
    else:
        assert added is None and env["XLA_FLAGS"] == "--xla_cpu_use_thunk_runtime=true"
    mine = {"XLA_FLAGS": "--xla_cpu_prefer_vector_width=256"}
    assert spinup.xla_cpu_defaults(mine) is None
    assert mine == {"XLA_FLAGS": "--xla_cpu_prefer_vector_width=256"}
    off = {"SPINUP_XLA_DEFAULTS": "0"}
    assert spinup.xla_cpu_defaults(off) is None and "XLA_FLAGS" not in off
    empty = {}
    spinup.xla_cpu_defaults(empty)
    assert empty.get("XLA_FLAGS", "") == (spinup.XLA_VECTOR_FLAG if avx512 else "")


def test_the_installed_xla_accepts_the_flag_and_jax_computes():
    """A process that imports spinup and then computes with JAX: an XLA that did not know
    the flag would abort at its first computation."""
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "SPINUP_XLA_DEFAULTS")}
    code = ("import os, spinup, jax.numpy as jnp; print(float(jnp.arange(4.0).sum())); "
            "print(os.environ.get('XLA_FLAGS', ''))")
    out = subprocess.run([sys.executable, "-c", code], env=dict(env, JAX_PLATFORMS="cpu"),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    total, flags = (out.stdout.split("\n") + [""])[:2]
    assert float(total) == 6.0
    assert (spinup.XLA_VECTOR_FLAG in flags) == spinup._avx512_cpu()


def test_peers_run_without_the_flag_spinup_added(monkeypatch):
    monkeypatch.delenv("SPINUP_XLA_DEFAULTS", raising=False)
    monkeypatch.setattr(spinup, "XLA_FLAG_ADDED", spinup.XLA_VECTOR_FLAG)
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_use_thunk_runtime=true " + spinup.XLA_VECTOR_FLAG)
    peer, ours = child_env("cpu", peer=True), child_env("cpu")
    assert peer["XLA_FLAGS"] == "--xla_cpu_use_thunk_runtime=true"
    assert peer["SPINUP_XLA_DEFAULTS"] == "0"  # and the peer's own import of spinup adds none
    assert spinup.XLA_VECTOR_FLAG in ours["XLA_FLAGS"] and "SPINUP_XLA_DEFAULTS" not in ours
    # a width the user chose applies to everyone
    monkeypatch.setattr(spinup, "XLA_FLAG_ADDED", None)
    monkeypatch.setenv("XLA_FLAGS", spinup.XLA_VECTOR_FLAG)
    assert child_env("cpu", peer=True)["XLA_FLAGS"] == spinup.XLA_VECTOR_FLAG


def test_jaxlib_version_read_without_importing_it_matches_the_installed_one():
    import jaxlib.version
    major, minor = (int(x) for x in jaxlib.version.__version__.split(".")[:2])
    assert spinup._jaxlib_at_least(major, minor)
    assert not spinup._jaxlib_at_least(major, minor + 1)
    assert not spinup._jaxlib_at_least(major + 1, 0)
