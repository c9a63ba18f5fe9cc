"""Compiled PyTorch (``compile='default'``, spinup/algos/pytorch/compiled.py) computes what eager
PyTorch computes: for every algorithm, from the same weights and batch, the same losses and
gradients and the same block of updates (parameters, optimizer states, logged statistics), to
float32 rounding; each update is whole graphs with no break; checkpoints cross between the
modes; every algorithm trains with ``--compile default`` through the CLI; a mode that cannot
run here is one line before any work.

Compiling costs seconds per function, so the learners are tiny and each is built once per
module (``compiled_pair``)."""
import json
import os
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import torch

from spinup.algos import registry
from spinup.algos.common.spec import build_learner
from spinup.algos.pytorch.compiled import graph_counts

OBS = gym.spaces.Box(-np.inf, np.inf, (5,), np.float32)
BOX = gym.spaces.Box(-2.0, 2.0, (2,), np.float32)
ALGOS = list(registry.ALGOS)
RTOL, ATOL = 2e-5, 2e-6  # float32: the compiled graph sums in another order


class Spaces:
    observation_space, action_space = OBS, BOX


def make(algo, mode):
    spec = registry.ALGOS[algo].spec()
    hyper = dict(alpha="auto", train_v_iters=3, train_pi_iters=4)  # each where it applies
    args = dict(spec.defaults, ac_kwargs=dict(hidden_sizes=(16, 16), activation="tanh"),
                seed=3, **{k: v for k, v in hyper.items() if k in spec.defaults})
    return build_learner(spec, registry.ALGOS[algo].learner_class("pytorch"), args, Spaces,
                         device="cpu", compile=mode)


def batch(algo, seed):
    rng = np.random.default_rng(seed)
    if registry.ALGOS[algo].spec().family == "on_policy":
        return dict(obs=rng.standard_normal((64, 5)).astype(np.float32),
                    act=rng.uniform(-2, 2, (64, 2)).astype(np.float32),
                    ret=rng.standard_normal(64).astype(np.float32),
                    adv=rng.standard_normal(64).astype(np.float32),
                    logp=(rng.standard_normal(64) * 0.1 - 3.5).astype(np.float32))
    shape = (4, 32)
    return dict(obs=rng.standard_normal(shape + (5,)).astype(np.float32),
                act=rng.uniform(-2, 2, shape + (2,)).astype(np.float32),
                rew=rng.standard_normal(shape).astype(np.float32),
                obs2=rng.standard_normal(shape + (5,)).astype(np.float32),
                done=(rng.uniform(size=shape) < 0.2).astype(np.float32))


@pytest.fixture(scope="module")
def compiled_pair():
    """(eager, compiled) learners of an algorithm from the same seed, built once each."""
    made = {}

    def get(algo):
        if algo not in made:
            made[algo] = make(algo, "none"), make(algo, "default")
        return made[algo]
    return get


def losses(learner, algo, data):
    """(optimizer name, loss function, its arguments) of each of the learner's steps."""
    t = {k: learner._tensor(v[0]) if v.ndim > 1 and algo in ("ddpg", "td3", "sac") else
         torch.as_tensor(v) for k, v in data.items()}
    if algo in ("ddpg", "td3"):
        eps = torch.as_tensor(np.random.default_rng(1).standard_normal((32, 2)), dtype=torch.float32)
        return [("q", learner.compute_loss_q, t, eps if algo == "td3" else None),
                ("pi", learner.compute_loss_pi, t)]
    if algo == "sac":
        rng = np.random.default_rng(1)
        eps = [torch.as_tensor(rng.standard_normal((32, 2)), dtype=torch.float32) for _ in "ab"]
        alpha = learner.current_alpha()
        logp = torch.as_tensor(rng.standard_normal(32), dtype=torch.float32)
        return [("q", learner.compute_loss_q, t, eps[0], alpha),
                ("pi", learner.compute_loss_pi, t, eps[1], alpha),
                ("alpha", learner.compute_loss_alpha, logp)]
    steps = [("vf", learner.compute_loss_v, t)]
    if "pi" in learner.optimizers:  # TRPO steps its policy without an optimizer
        steps.append(("pi", learner.compute_loss_pi, t))
    return steps


def assert_close(a, b, what):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               rtol=RTOL, atol=ATOL, err_msg=what)


@pytest.mark.parametrize("algo", ALGOS)
def test_compiled_losses_and_gradients_equal_eager(algo, compiled_pair):
    eager, comp = compiled_pair(algo)
    data = batch(algo, 0)
    for (name, fn_e, *args_e), (_, fn_c, *args_c) in zip(losses(eager, algo, data),
                                                         losses(comp, algo, data)):
        loss_e, grads_e = eager.loss_and_grads(name, fn_e, *args_e)
        loss_c, grads_c = comp.loss_and_grads(name, fn_c, *args_c)
        assert_close(loss_e, loss_c, f"{algo} {name} loss")
        assert set(grads_e) == set(grads_c) and grads_e
        for k in grads_e:
            assert_close(grads_e[k], grads_c[k], f"{algo} {name} gradient {k}")
        assert float(np.abs(grads_e[k]).max()) > 0  # a gradient that could differ


@pytest.mark.parametrize("algo", ALGOS)
def test_compiled_block_of_updates_equals_eager_in_whole_graphs(algo, compiled_pair):
    eager, comp = compiled_pair(algo)
    eager.load_state_dict(comp.state_dict())  # the same start, whatever ran before
    graphs_before, breaks_before = graph_counts()
    for seed in (1, 2):
        data = batch(algo, seed)
        noise = None
        if registry.ALGOS[algo].spec().family == "off_policy":
            noise = eager.draw_noise(4, 32)
            noise = None if noise is None else (
                {k: v.numpy() for k, v in noise.items()} if isinstance(noise, dict)
                else noise.numpy())
            info_e, info_c = eager.update(data, noise), comp.update(data, noise)
        else:
            info_e, info_c = eager.update(data), comp.update(data)
        assert set(info_e) == set(info_c)
        for k in info_e:
            assert_close(info_e[k], info_c[k], f"{algo} {k}")
    state_e, state_c = eager.state_dict(), comp.state_dict()
    moved = 0
    for k, v in state_e.items():
        if k.startswith(("params/", "pi_opt/", "q_opt/", "vf_opt/", "alpha_opt/")):
            assert_close(v, state_c[k], f"{algo} {k}")
            moved += k.endswith("/step") and float(v) > 0
    assert moved  # the optimizers stepped
    graphs, breaks = (a - b for a, b in zip(graph_counts(), (graphs_before, breaks_before)))
    assert breaks == 0
    assert graphs <= 3, f"{algo}: {graphs} graphs compiled for its updates"


@pytest.mark.parametrize("algo", ["td3", "ppo"])
def test_checkpoints_cross_between_eager_and_compiled(algo, compiled_pair):
    """A compiled learner's checkpoint continues eager, and an eager one's compiled, with the
    numbers the other mode would have."""
    eager, comp = compiled_pair(algo)
    comp.update(batch(algo, 5))
    for src, dst in ((comp, eager), (eager, comp)):
        dst.load_state_dict(src.state_dict())
        data = batch(algo, 6)
        a, b = src.update(data), dst.update(data)
        for k in a:
            assert_close(a[k], b[k], f"{algo} {k} after loading")
        for k, v in src.get_params().items():
            assert_close(v, dst.get_params()[k], k)


def cli(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "spinup.run", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, SPINUP_NO_PROGRESS="1", **(env or {})))


SHORT = {"off_policy": ["--env", "Pendulum-v1", "--steps_per_epoch", "200", "--start_steps",
                        "100", "--update_after", "100", "--update_every", "50",
                        "--num_test_episodes", "1", "--max_ep_len", "100"],
         "on_policy": ["--env", "CartPole-v1", "--steps_per_epoch", "200",
                       "--train_v_iters", "5"]}


@pytest.mark.parametrize("algo", ALGOS)
def test_every_algorithm_trains_compiled_through_the_cli(algo, tmp_path):
    family = registry.ALGOS[algo].spec().family
    r = cli(f"{algo}_pytorch", *SHORT[family], "--hid", "(16,16)", "--epochs", "2",
            "--compile", "default", "--exp_name", "c", "--data_dir", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    run = tmp_path / "c" / "c_s0"
    assert json.loads((run / "config.json").read_text())["compile"] == "default"
    rows = (run / "progress.txt").read_text().splitlines()
    head, last = rows[0].split("\t"), rows[-1].split("\t")
    epochs = [int(row.split("\t")[0]) for row in rows[1:]]
    assert len(epochs) == 2 and epochs[1] == epochs[0] + 1
    loss = float(last[head.index("LossV" if family == "on_policy" else "LossQ")])
    assert np.isfinite(loss)
    if algo in ("td3", "ppo"):  # and it resumes eager from the compiled run's checkpoint
        r = cli("resume", str(run), "--epochs", "3", "--compile", "none", cwd=tmp_path)
        assert r.returncode == 0, r.stderr[-2000:]
        rows = (run / "progress.txt").read_text().splitlines()
        assert len(rows) == 4 and int(rows[-1].split("\t")[0]) == epochs[1] + 1


def test_modes_that_cannot_run_here_stop_before_any_work(tmp_path):
    r = cli("td3_pytorch", "--env", "Pendulum-v1", "--compile", "cudagraphs", "--device", "cpu",
            "--data_dir", str(tmp_path), cwd=tmp_path)
    assert r.returncode != 0 and "CUDA graphs need a CUDA device" in r.stderr
    r = cli("vpg_pytorch", "--env", "CartPole-v1", "--compile", "fast", "--data_dir",
            str(tmp_path), cwd=tmp_path)
    assert "compile='fast': expected one of 'none', 'default', 'cudagraphs'" in r.stderr
    r = cli("vpg_jax", "--env", "CartPole-v1", "--compile", "default", "--data_dir",
            str(tmp_path), cwd=tmp_path)
    assert r.returncode != 0 and "does not take --compile" in r.stderr
    # No C++ compiler on the PATH: the real search, in a PATH that holds only Python.
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python").symlink_to(sys.executable)
    r = cli("sac_pytorch", "--env", "Pendulum-v1", "--compile", "default", "--device", "cpu",
            "--data_dir", str(tmp_path), cwd=tmp_path, env={"PATH": str(bare)})
    assert r.returncode != 0 and "needs a C++ compiler" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]  # no run folder was made
