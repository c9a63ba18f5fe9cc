"""Seed populations in PyTorch (spinup/algos/pytorch/population.py): each update of a block
one torch.func.vmap of the single learner's own update over the members' stacked parameters,
targets and Adam states; every member computes what its seed's learner computes alone, writes
the run folder it would write alone, and a stopped population resumes as the population."""
import gymnasium as gym
import numpy as np
import pytest

from spinup.algos import registry
from spinup.algos.common.envs import EnvFn
from spinup.algos.common.population import train_population
from spinup.algos.common.spec import build_learner
from spinup.algos.pytorch.population import TorchPopulation
from spinup.run import main
from spinup.utils import run_files


class Spaces:
    observation_space = gym.spaces.Box(-np.inf, np.inf, (5,))
    action_space = gym.spaces.Box(-1, 1, (2,))


def make(algo, seed, dtype, compile="none", **kw):
    spec, cls = registry.spec(f"{algo}_pytorch"), registry.learner_class(f"{algo}_pytorch")
    args = dict(spec.defaults, ac_kwargs=dict(hidden_sizes=(16, 16), activation="relu"),
                seed=seed, **kw)
    return build_learner(spec, cls, args, Spaces, dtype=dtype, device="cpu", compile=compile)


def blocks(rng, dtype, k=2):
    return [dict(obs=rng.standard_normal((6, 8, 5)).astype(dtype),
                 act=rng.uniform(-1, 1, (6, 8, 2)).astype(dtype),
                 rew=rng.standard_normal((6, 8)).astype(dtype),
                 obs2=rng.standard_normal((6, 8, 5)).astype(dtype),
                 done=(rng.uniform(size=(6, 8)) < 0.1).astype(dtype)) for _ in range(k)]


@pytest.mark.parametrize("algo,kw", [("td3", {}), ("ddpg", {}), ("sac", dict(alpha="auto"))])
def test_joint_update_equals_each_learner_alone(algo, kw):
    """In float64 a population's blocks give every member what its learner computes alone
    (eager PyTorch, torch.optim.Adam): losses, Q values, parameters, optimizer states,
    the generator of its noise, its actions."""
    alone = [make(algo, 0, "float64", **kw), make(algo, 7, "float64", **kw)]
    pop = TorchPopulation([make(algo, 0, "float64", **kw), make(algo, 7, "float64", **kw)])
    rng = np.random.default_rng(0)
    for _ in range(3):
        bs = blocks(rng, np.float64)
        joint = pop.update(bs)
        for i, learner in enumerate(alone):
            info = learner.update(bs[i])
            assert set(info) == set(joint[i])
            for k in info:
                np.testing.assert_allclose(joint[i][k], info[k], rtol=1e-10, atol=1e-12,
                                           err_msg=k)
    for i, learner in enumerate(alone):
        a, b = learner.state_dict(), pop.learners[i].state_dict()
        assert set(a) == set(b)
        for k in a:
            np.testing.assert_allclose(np.asarray(b[k], float), np.asarray(a[k], float),
                                       rtol=1e-10, atol=1e-12, err_msg=k)
        obs = np.ones(5)
        np.testing.assert_allclose(pop.learners[i].act(obs), learner.act(obs), rtol=1e-9)
    # Two seeds, two different learners.
    assert not np.allclose(pop.learners[0].get_params()["pi/0/w"],
                           pop.learners[1].get_params()["pi/0/w"])


def test_compiled_population_equals_the_eager_one():
    """With --compile default the vmapped update is compiled; the numbers are the eager
    population's to float32 rounding."""
    eager = TorchPopulation([make("td3", s, "float32") for s in (0, 7)])
    comp = TorchPopulation([make("td3", s, "float32", compile="default") for s in (0, 7)])
    rng = np.random.default_rng(1)
    for _ in range(2):
        bs = blocks(rng, np.float32)
        a, b = eager.update(bs), comp.update(bs)
        for i in range(2):
            for k in a[i]:
                np.testing.assert_allclose(b[i][k], a[i][k], rtol=2e-5, atol=2e-6, err_msg=k)
    for x, y in zip(eager.learners, comp.learners):
        for k, v in x.get_params().items():
            np.testing.assert_allclose(y.get_params()[k], v, rtol=2e-5, atol=2e-6, err_msg=k)


KW = dict(ac_kwargs=dict(hidden_sizes=(32, 32)), steps_per_epoch=300, start_steps=200,
          update_after=100, update_every=50, batch_size=32, num_test_episodes=1)


def _rows(run_dir):
    header, rows = run_files.read_progress(str(run_dir))
    keep = [i for i, h in enumerate(header) if not h.startswith("Time")]
    return header, [[r[i] for i in keep] for r in rows]


def test_population_member_matches_its_seed_alone_and_resumes_as_the_population(tmp_path):
    """td3_pytorch --population: each member writes its seed's run folder with the seed's
    numbers (epoch 1 to float32 rounding), and a population stopped after epoch 1 resumes
    (`resume` of the experiment folder) as the one that never stopped, cell for cell."""
    seeds = [3, 8]
    train_population("td3_pytorch", EnvFn("Pendulum-v1"), seeds,
                     [str(tmp_path / "whole" / f"p_s{s}") for s in seeds], epochs=2,
                     save_buffer=True, **KW)
    registry.entry_point("td3_pytorch")(EnvFn("Pendulum-v1"), seed=8, epochs=1, logger_kwargs=dict(
        output_dir=str(tmp_path / "alone_s8"), verbose=False), **KW)
    h1, pop = run_files.read_progress(str(tmp_path / "whole" / "p_s8"))
    h2, alone = run_files.read_progress(str(tmp_path / "alone_s8"))
    assert h1 == h2
    for j, col in enumerate(h1):
        if not col.startswith("Time"):
            assert float(pop[0][j]) == pytest.approx(float(alone[0][j]), rel=1e-4, abs=1e-5), col
    assert _rows(tmp_path / "whole" / "p_s3")[1][0] != _rows(tmp_path / "whole" / "p_s8")[1][0]

    train_population("td3_pytorch", EnvFn("Pendulum-v1"), seeds,
                     [str(tmp_path / "split" / f"p_s{s}") for s in seeds], epochs=1,
                     save_buffer=True, **KW)
    assert main(["resume", str(tmp_path / "split"), "--epochs", "2"]) == 0
    for s in seeds:
        assert _rows(tmp_path / "split" / f"p_s{s}") == _rows(tmp_path / "whole" / f"p_s{s}")


def test_population_through_the_cli(tmp_path):
    code = main(["sac_pytorch", "--env", "Pendulum-v1", "--seed", "1", "2", "--population",
                 "--epochs", "1", "--steps_per_epoch", "200", "--start_steps", "100",
                 "--update_after", "100", "--hid", "(16,16)", "--num_test_episodes", "1",
                 "--exp_name", "pp", "--data_dir", str(tmp_path)])
    assert code == 0
    for s in (1, 2):
        header, rows = run_files.read_progress(str(tmp_path / "pp" / f"pp_s{s}"))
        assert len(rows) == 1 and np.isfinite(float(rows[0][header.index("LossQ")]))
