"""Did a change move any training number? Short runs of every algorithm and backend (one env,
two envs, HalfCheetah, a JAX population), and an exact comparison of two sets of them.

    python scripts/same_numbers.py run DIR [ALGO ...]   # progress.txt copies into DIR
    python scripts/same_numbers.py compare BEFORE AFTER # every non-time cell, exactly

Run it before a change that should not alter training (a refactor, a faster path), then
after, on the same machine: `compare` lists each run as IDENTICAL or where it first differs,
and exits 1 if any differs. (tests/data's reference runs check the same with tolerances, for
other machines.) Against a commit before 2026-11-30, when spinup began to ask XLA for 512-bit
vectors on AVX-512 CPUs, run both sides with XLA_FLAGS=--xla_cpu_prefer_vector_width=256.
"""
import os
import shutil
import sys
import tempfile

os.environ.setdefault("SPINUP_NO_PROGRESS", "1")

OFF = dict(ac_kwargs=dict(hidden_sizes=(32, 32)), steps_per_epoch=300, epochs=3,
           start_steps=150, update_after=100, update_every=50, batch_size=32,
           num_test_episodes=2, max_ep_len=150)
ON = dict(ac_kwargs=dict(hidden_sizes=(32,)), steps_per_epoch=400, epochs=3, train_v_iters=5)


def cases(algos):
    """(name, algo_backend, env id, kwargs) of every short run."""
    from spinup.algos import registry
    out = []
    for algo in algos:
        off = registry.spec(algo).family == "off_policy"
        base = dict(OFF) if off else dict(ON)
        if "train_pi_iters" in registry.spec(algo).learner_args:
            base["train_pi_iters"] = 5
        env = "Pendulum-v1" if off else "CartPole-v1"
        hc = dict(base, max_ep_len=1000, num_test_episodes=1) if off else \
            dict(base, steps_per_epoch=1000, ac_kwargs=dict(hidden_sizes=(64, 32)))
        for backend in ("jax", "pytorch"):
            name = f"{algo}_{backend}"
            out += [(f"{name}_{env.split('-')[0].lower()}", name, env, base),
                    (f"{name}_{env.split('-')[0].lower()}_2env", name, env,
                     dict(base, num_envs=2)),
                    (f"{name}_hc", name, "HalfCheetah-v4", hc)]
    return out


def run(dest, algos):
    from spinup.algos import registry
    from spinup.algos.common.envs import EnvFn
    os.makedirs(dest, exist_ok=True)
    for name, algo, env, kw in cases(algos):
        tmp = tempfile.mkdtemp()
        registry.entry_point(algo)(EnvFn(env), seed=4, logger_kwargs=dict(
            output_dir=tmp, verbose=False), **kw)
        shutil.copy(os.path.join(tmp, "progress.txt"), os.path.join(dest, name + ".txt"))
        print("ran", name, flush=True)
    from spinup.algos.jax.population import train_population
    for algo in algos:  # a JAX population of each off-policy algorithm: its members' rows
        if registry.spec(algo).family != "off_policy":
            continue
        tmps = [tempfile.mkdtemp() for _ in range(2)]
        train_population(f"{algo}_jax", EnvFn("Pendulum-v1"), [4, 5], tmps, **OFF)
        for seed, tmp in zip([4, 5], tmps):
            shutil.copy(os.path.join(tmp, "progress.txt"),
                        os.path.join(dest, f"{algo}_jax_pop_s{seed}.txt"))
        print(f"ran {algo}_jax population", flush=True)


def rows(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f]


def compare(before, after):
    bad = 0
    for name in sorted(os.listdir(before)):
        if not os.path.exists(os.path.join(after, name)):
            print("MISSING  ", name)
            bad += 1
            continue
        a, b = rows(os.path.join(before, name)), rows(os.path.join(after, name))
        if a[0] != b[0] or len(a) != len(b):
            print("DIFFERENT COLUMNS OR ROWS", name)
            bad += 1
            continue
        keep = [i for i, c in enumerate(a[0]) if not c.startswith("Time")]
        diff = [(a[0][i], r) for r in range(1, len(a)) for i in keep if a[r][i] != b[r][i]]
        print(("IDENTICAL " if not diff else f"DIFFERS   ({len(diff)} cells, first "
               f"{diff[0][0]} in row {diff[0][1]}) ") + name)
        bad += bool(diff)
    return 1 if bad else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "run":
        from spinup.algos import registry
        run(args[1], args[2:] or list(registry.ALGOS))
    elif len(args) == 3 and args[0] == "compare":
        sys.exit(compare(args[1], args[2]))
    else:
        sys.exit(__doc__)
