"""Short runs whose progress.txt is kept in tests/data as a reference: a change that should
not alter training (a refactor, --num_envs 1, a faster acting path) is checked against them.

Regenerate (only when a change is meant to alter the curves; say so in the commit):
    python -m tests.helpers.golden tests/data [NAME ...]
"""
import os.path as osp
import sys

GOLDEN = {
    "td3_jax_pendulum": ("td3_jax", "Pendulum-v1", dict(
        ac_kwargs=dict(hidden_sizes=(32, 32)), steps_per_epoch=300, epochs=2, start_steps=150,
        update_after=100, update_every=50, batch_size=32, num_test_episodes=1,
        max_ep_len=150)),
    "td3_pytorch_pendulum": ("td3_pytorch", "Pendulum-v1", dict(
        ac_kwargs=dict(hidden_sizes=(32, 32)), steps_per_epoch=300, epochs=2, start_steps=150,
        update_after=100, update_every=50, batch_size=32, num_test_episodes=1,
        max_ep_len=150, device="cpu")),
    "vpg_jax_cartpole": ("vpg_jax", "CartPole-v1", dict(
        ac_kwargs=dict(hidden_sizes=(32,)), steps_per_epoch=400, epochs=3, train_v_iters=5)),
    "vpg_pytorch_cartpole": ("vpg_pytorch", "CartPole-v1", dict(
        ac_kwargs=dict(hidden_sizes=(32,)), steps_per_epoch=400, epochs=3, train_v_iters=5,
        device="cpu")),
}
# The algorithms added later (2026-11-30), on the same settings as their family's.
for _backend in ("jax", "pytorch"):
    _dev = dict(device="cpu") if _backend == "pytorch" else {}
    GOLDEN[f"ppo_{_backend}_cartpole"] = (f"ppo_{_backend}", "CartPole-v1", dict(
        GOLDEN["vpg_jax_cartpole"][2], train_pi_iters=10, **_dev))
    # TRPO (2026-12-02): a Gaussian policy, so the line search backtracks now and then.
    GOLDEN[f"trpo_{_backend}_invpendulum"] = (f"trpo_{_backend}", "InvertedPendulum-v4", dict(
        GOLDEN["vpg_jax_cartpole"][2], **_dev))
    for _algo, _extra in (("ddpg", {}), ("sac", dict(alpha="auto"))):
        GOLDEN[f"{_algo}_{_backend}_pendulum"] = (f"{_algo}_{_backend}", "Pendulum-v1", dict(
            GOLDEN["td3_jax_pendulum"][2], **_extra, **_dev))


def run_golden(name, out_dir, **extra):
    """Run golden case ``name`` into ``out_dir`` (``extra`` overrides its arguments)."""
    import importlib

    from spinup.algos import registry
    from spinup.algos.common.envs import EnvFn
    algo, env_id, kw = GOLDEN[name]
    module, fn = registry.ENTRY_POINTS[algo].split(":")
    getattr(importlib.import_module(module), fn)(
        EnvFn(env_id), seed=4, logger_kwargs=dict(output_dir=str(out_dir), verbose=False),
        **{**kw, **extra})
    return osp.join(str(out_dir), "progress.txt")


if __name__ == "__main__":
    import shutil
    import tempfile
    dest = sys.argv[1]
    for name in sys.argv[2:] or GOLDEN:
        tmp = tempfile.mkdtemp()
        shutil.copy(run_golden(name, tmp), osp.join(dest, f"golden_{name}.txt"))
        print("wrote", name)
