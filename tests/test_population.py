"""Seed populations (JAX TD3): one process, updates vmapped over stacked learner states, each
seed writing the run folder it would write alone, with the same numbers."""
import jax
import gymnasium as gym
import numpy as np
import pytest

from spinup.algos.common.envs import EnvFn
from spinup.algos.jax.population import Population, train_population
from spinup.algos import registry
from spinup.algos.common.spec import build_learner
from spinup.run import main
from spinup.utils import run_files


class Spaces:
    observation_space = gym.spaces.Box(-np.inf, np.inf, (5,))
    action_space = gym.spaces.Box(-1, 1, (2,))


@pytest.mark.parametrize("algo,kw", [("td3", {}), ("ddpg", {}), ("sac", dict(alpha="auto"))])
def test_joint_update_equals_each_learner_alone(algo, kw):
    """In float64 (no rounding to hide behind) a population's block of updates gives every
    member exactly what its learner computes alone: losses, Q values, parameters, keys."""
    spec, cls = registry.spec(f"{algo}_jax"), registry.learner_class(f"{algo}_jax")
    with jax.enable_x64(True):
        def make(seed):
            args = dict(spec.defaults, ac_kwargs=dict(hidden_sizes=(16, 16),
                                                      activation="relu"), seed=seed, **kw)
            return build_learner(spec, cls, args, Spaces, dtype="float64")
        alone, pop = [make(0), make(7)], Population([make(0), make(7)])
        rng = np.random.default_rng(0)
        for _ in range(4):
            blocks = [dict(obs=rng.standard_normal((10, 8, 5)),
                           act=rng.uniform(-1, 1, (10, 8, 2)), rew=rng.standard_normal((10, 8)),
                           obs2=rng.standard_normal((10, 8, 5)),
                           done=(rng.uniform(size=(10, 8)) < 0.1).astype(float))
                      for _ in range(2)]
            joint = pop.update(blocks)
            for i, learner in enumerate(alone):
                info = learner.update(blocks[i])
                for k in info:
                    np.testing.assert_allclose(joint[i][k], info[k], rtol=1e-12, atol=1e-12)
        for i, learner in enumerate(alone):
            a, b = learner.get_params(), pop.learners[i].get_params()
            for k in a:
                np.testing.assert_allclose(b[k], a[k], rtol=1e-12, atol=1e-13, err_msg=k)
            np.testing.assert_array_equal(learner.state.key, pop.learners[i].state.key)
            obs1 = np.ones(5)
            np.testing.assert_allclose(pop.learners[i].act(obs1), learner.act(obs1), rtol=1e-9)


@pytest.mark.parametrize("algo", ["td3_jax", "sac_jax"])
def test_population_member_matches_its_seed_alone(algo, tmp_path):
    """A short float32 run: the population writes each seed's usual run folder, and the
    member's curve is the seed's curve alone (epoch 1 to float32 rounding; later epochs
    drift only by rounding amplified through training)."""
    kw = dict(ac_kwargs=dict(hidden_sizes=(32, 32)), steps_per_epoch=300, epochs=2,
              start_steps=200, update_after=100, update_every=50, batch_size=32,
              num_test_episodes=1)
    train_population(algo, EnvFn("Pendulum-v1"), [3, 8],
                     [str(tmp_path / "pop_s3"), str(tmp_path / "pop_s8")], **kw)
    registry.entry_point(algo)(EnvFn("Pendulum-v1"), seed=8, logger_kwargs=dict(
        output_dir=str(tmp_path / "alone_s8"), verbose=False), **kw)
    def names(d):  # TensorBoard's event files are named by their time of creation
        return sorted("events.out.tfevents" if p.name.startswith("events.out.tfevents")
                      else p.name for p in d.iterdir())
    assert names(tmp_path / "pop_s8") == names(tmp_path / "alone_s8")
    h1, pop = run_files.read_progress(str(tmp_path / "pop_s8"))
    h2, alone = run_files.read_progress(str(tmp_path / "alone_s8"))
    assert h1 == h2 and len(pop) == len(alone) == 2
    for j, col in enumerate(h1):
        if col.startswith("Time"):
            continue
        a, b = float(pop[0][j]), float(alone[0][j])
        assert a == pytest.approx(b, rel=1e-4, abs=1e-5), col
        a, b = float(pop[1][j]), float(alone[1][j])
        assert a == pytest.approx(b, rel=0.1, abs=1e-3), col
    # The other member is a different seed, not a copy.
    _, other = run_files.read_progress(str(tmp_path / "pop_s3"))
    assert other[0][1] != pop[0][1]


@pytest.mark.parametrize("argv,named", [
    (["ppo_pytorch", "--seed", "0", "1"], "td3_jax, sac_pytorch, sac_jax, not ppo_pytorch"),
    (["vpg_jax", "--seed", "0", "1"], "not vpg_jax (an on-policy algorithm"),
    (["td3_jax", "--seed", "4"], "at least two distinct seeds"),
    (["td3_jax", "--seed", "1", "2", "--pi_lr", "1e-3", "3e-4"], "--pi_lr has 2 values"),
])
def test_population_bad_input(argv, named, tmp_path, capsys):
    code = main(argv + ["--population", "--env", "Pendulum-v1", "--data_dir", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and named in err and "\n" not in err
    assert not any(tmp_path.iterdir())


POP_KW = dict(ac_kwargs=dict(hidden_sizes=(32, 32)), steps_per_epoch=300, start_steps=200,
              update_after=100, update_every=50, batch_size=32, num_test_episodes=1,
              save_buffer=True)


def _rows(run_dir):
    header, rows = run_files.read_progress(str(run_dir))
    keep = [i for i, h in enumerate(header) if not h.startswith("Time")]
    return [[r[i] for i in keep] for r in rows]


def test_a_resumed_population_equals_the_one_that_never_stopped(tmp_path, capsys):
    """A population stopped after epoch 2 and resumed (`resume` of the experiment folder)
    continues as the population: every cell of both members' progress equals the
    uninterrupted population's (each member resumed alone would part by float rounding)."""
    seeds = [3, 8]
    train_population("td3_jax", EnvFn("Pendulum-v1"), seeds,
                     [str(tmp_path / "whole" / f"p_s{s}") for s in seeds], epochs=4, **POP_KW)
    train_population("td3_jax", EnvFn("Pendulum-v1"), seeds,
                     [str(tmp_path / "split" / f"p_s{s}") for s in seeds], epochs=2, **POP_KW)
    assert main(["resume", str(tmp_path / "split"), "--epochs", "4"]) == 0
    assert "(with its population)" in capsys.readouterr().out  # one process for both
    for s in seeds:
        whole, split = _rows(tmp_path / "whole" / f"p_s{s}"), _rows(tmp_path / "split" / f"p_s{s}")
        assert len(split) == 4 and split == whole, s


def test_members_a_save_apart_resume_alone_and_say_so(tmp_path, capsys):
    """A kill between two members' checkpoint saves leaves them an epoch apart: `resume` of
    one member says so and resumes each alone, every epoch once."""
    dirs = [tmp_path / f"p_s{s}" for s in (3, 8)]
    train_population("td3_jax", EnvFn("Pendulum-v1"), [3, 8], [str(d) for d in dirs],
                     epochs=2, **POP_KW)
    import shutil
    shutil.copytree(dirs[0], tmp_path / "behind")  # member 3 as it was after epoch 2
    assert main(["resume", str(dirs[0]), "--epochs", "3"]) == 0
    shutil.rmtree(dirs[0])
    shutil.copytree(tmp_path / "behind", dirs[0])  # ... its epoch-3 save lost
    capsys.readouterr()
    assert main(["resume", str(dirs[1]), "--epochs", "4"]) == 0
    assert "each member resumes alone" in capsys.readouterr().out
    for d in dirs:
        epochs = [int(r[0]) for r in run_files.read_progress(str(d))[1]]
        assert epochs == [1, 2, 3, 4], (d, epochs)
