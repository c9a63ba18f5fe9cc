"""Where a PyTorch off-policy update's time goes: ``python scripts/torch_overhead.py
[--device cuda] [--algos td3 sac ddpg] [--blocks 10] [--json PATH]``.

For each algorithm it times one update block (50 updates, batch 100, (256, 256), HalfCheetah
sizes, as ``bench``) with the learner's own Adam (``foreach`` on a GPU) and with
``Adam(fused=True)``, alternating the two, then profiles one block with ``torch.profiler``:
the aten operators and (on a GPU) the kernels launched per update, and the time the GPU spent
in them. An update whose kernels keep the GPU busy for a small part of its wall time is bound
by the host launching them, not by the device: that is the case for small networks, and why
PyTorch on a GPU can be slower than on a CPU here (docs/speed.md).
"""
import argparse
import json
import os
import sys


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from spinup.commands.bench_common import (_alternate, _learners, _median, _td3_blocks,  # noqa: E402
                                   env_spaces)

from spinup.algos import registry  # noqa: E402

ALGOS = tuple(registry.in_family("off_policy"))


def fuse_optimizers(learner):
    """Rebuild every Adam of ``learner`` (attributes, or values of a dict attribute; one
    optimizer referred to twice is rebuilt once) with ``fused=True`` and its own parameters
    and learning rate. Returns how many distinct optimizers it rebuilt."""
    import torch
    new = {}

    def fused(opt):
        if id(opt) not in new:
            (group,) = opt.param_groups
            new[id(opt)] = torch.optim.Adam(group["params"], lr=group["lr"], fused=True)
        return new[id(opt)]
    for name, value in list(vars(learner).items()):
        if isinstance(value, torch.optim.Adam):
            setattr(learner, name, fused(value))
        elif isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, torch.optim.Adam):
                    value[k] = fused(v)
    if not new:
        raise ValueError(f"no torch.optim.Adam found on {type(learner).__name__}")
    return len(new)


def profile_block(learner, block, n_updates):
    """Operators and kernels per update in one block, and the GPU's busy time per update."""
    from torch.profiler import ProfilerActivity, profile
    acts = [ProfilerActivity.CPU]
    cuda = learner.device.type == "cuda"
    if cuda:
        acts.append(ProfilerActivity.CUDA)
    with profile(activities=acts) as prof:
        learner.update(block)
        learner.sync()
    events = prof.events()
    ops = sum(1 for e in events if e.name.startswith("aten::") and not e.cpu_parent)
    out = dict(top_level_ops_per_update=ops / n_updates)
    if cuda:
        kernels = [e for e in events if e.device_type.name == "CUDA"]
        out["kernels_per_update"] = len(kernels) / n_updates
        out["gpu_busy_us_per_update"] = sum(e.device_time for e in kernels) / n_updates
    return out


def measure(algo, device, n_blocks, update_every=50, batch_size=100, hidden=(256, 256)):
    obs_space, act_space = env_spaces()
    obs_dim, act_dim = obs_space.shape[0], act_space.shape[0]
    variants = {}
    for name in ("default", "fused"):
        learner = _learners(algo, ("pytorch",), obs_space, act_space, hidden, 0,
                            device=device)["pytorch"]
        if name == "fused":
            fuse_optimizers(learner)
        variants[name] = learner
    blocks = _td3_blocks(2, update_every, batch_size, obs_dim, act_dim, 0)
    out = dict(algo=algo, device=device, update_every=update_every, batch_size=batch_size,
               hidden_sizes=list(hidden), n_blocks=n_blocks)
    times = _alternate(variants, blocks, n_blocks, out)  # after a first call each
    for name, ts in times.items():
        us = [t / update_every * 1e6 for t in ts]
        out[f"{name}_us_per_update"] = _median(us)
        out[f"{name}_us_per_update_min"] = min(us)
    out["fused_over_default"] = out["fused_us_per_update"] / out["default_us_per_update"]
    out.update(profile_block(variants["default"], blocks[0], update_every))
    return out


HEADER = (f"{'algo':<6}{'Adam us/upd':>12}{'fused us/upd':>13}{'fused/Adam':>11}"
          f"{'ops/upd':>9}{'kernels/upd':>12}{'GPU busy us/upd':>16}")


def format_row(r):
    """One algorithm's figures, under HEADER."""
    return (f"{r['algo']:<6}{r['default_us_per_update']:>12.0f}{r['fused_us_per_update']:>13.0f}"
            f"{r['fused_over_default']:>11.2f}{r['top_level_ops_per_update']:>9.0f}"
            f"{r.get('kernels_per_update', float('nan')):>12.0f}"
            f"{r.get('gpu_busy_us_per_update', float('nan')):>16.0f}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    p.add_argument("--algos", nargs="+", default=["td3"], help=f"any of {' '.join(ALGOS)}")
    p.add_argument("--blocks", type=int, default=10, help="timed blocks per variant")
    p.add_argument("--json", help="also write the figures to this JSON file")
    a = p.parse_args(argv)
    bad = [x for x in a.algos if x not in ALGOS]
    if bad:
        p.error(f"--algos {' '.join(bad)}: expected any of {' '.join(ALGOS)}")
    if a.blocks < 1:
        p.error(f"--blocks {a.blocks}: expected a positive number of blocks")
    import torch
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        p.error(f"--device {a.device}: this torch ({torch.__version__}) sees no CUDA device")
    if a.device != "cpu" and not a.device.startswith("cuda"):
        p.error(f"--device {a.device}: expected cpu, cuda or cuda:N")
    if a.json and not os.path.isdir(os.path.dirname(os.path.abspath(a.json))):
        p.error(f"--json {a.json}: its folder does not exist")
    results = []
    print(f"torch {torch.__version__}, device {a.device}, {torch.get_num_threads()} threads")
    print(HEADER)
    for algo in a.algos:
        r = measure(algo, a.device, a.blocks)
        results.append(r)
        print(format_row(r), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(torch=torch.__version__, device=a.device, results=results), f,
                      indent=1)
    return results


if __name__ == "__main__":
    main()
