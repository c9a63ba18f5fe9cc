"""PPO, TRPO, DDPG and SAC end to end through the command line, in both backends: a short
HalfCheetah run writes SpinningUp's columns, a config naming the algorithm, a profile and a
model that `test_policy` runs; bad input is one line before any work; a diverged run stops
and keeps the last good model; the name alone takes the default backend."""
import json

import gymnasium as gym
import numpy as np
import pytest

from spinup.algos import registry, runs
from spinup.algos.common.checks import InputError
from spinup.algos.common.envs import EnvFn
from spinup.run import main
from spinup.utils import run_files

TIME = ["TimeEnv", "TimeAct", "TimeUpdate", "TimeTest", "TimeEpoch", "Time"]


def stats(*names):
    return [f"{p}{n}" for n in names for p in ("Average", "Std", "Max", "Min")]


ON = ["Epoch", *stats("EpRet"), "EpLen", *stats("VVals"), "TotalEnvInteracts"]
OFF = ["Epoch", *stats("EpRet", "TestEpRet"), "EpLen", "TestEpLen", "TotalEnvInteracts"]
COLUMNS = {
    "ppo": ON + ["LossPi", "LossV", "DeltaLossPi", "DeltaLossV", "Entropy", "KL", "ClipFrac",
                 "StopIter"] + TIME,
    "trpo": ON + ["LossPi", "LossV", "DeltaLossPi", "DeltaLossV", "Entropy", "KL",
                  "BacktrackIters"] + TIME,
    "npg": ON + ["LossPi", "LossV", "DeltaLossPi", "DeltaLossV", "Entropy", "KL"] + TIME,
    "ddpg": OFF + stats("QVals") + ["LossPi", "LossQ"] + TIME,
    "sac": OFF + stats("Q1Vals", "Q2Vals", "LogPi") + ["LossPi", "LossQ", "Alpha"] + TIME,
    "sac_auto": OFF + stats("Q1Vals", "Q2Vals", "LogPi") + ["LossPi", "LossQ", "Alpha",
                                                           "LossAlpha"] + TIME,
}
FLAGS = {
    "ppo": ["--steps_per_epoch", "300", "--epochs", "2", "--train_pi_iters", "5",
            "--train_v_iters", "5", "--hid", "(16,16)", "--max_ep_len", "100"],
    "off": ["--steps_per_epoch", "200", "--epochs", "2", "--start_steps", "100",
            "--update_after", "100", "--update_every", "50", "--batch_size", "32",
            "--num_test_episodes", "1", "--max_ep_len", "100", "--hid", "(32,32)"],
}
FLAGS["trpo"] = ["--steps_per_epoch", "300", "--epochs", "2", "--train_v_iters", "5", "--hid",
                 "(16,16)", "--max_ep_len", "100"]
CASES = [("ppo", "pytorch", []), ("ppo", "jax", []), ("trpo", "pytorch", []),
         ("trpo", "jax", ["--algo", "npg"]), ("ddpg", "pytorch", []),
         ("ddpg", "jax", []), ("sac", "pytorch", []), ("sac", "jax", ["--alpha", "auto"])]


def read(run_dir):
    header, rows = run_files.read_progress(str(run_dir))
    return header, {h: [float(r[i]) for r in rows] for i, h in enumerate(header)}


@pytest.mark.parametrize("algo,backend,extra", CASES,
                         ids=[f"{a}_{b}" + ("-auto" if e else "") for a, b, e in CASES])
def test_cli_run_logs_profiles_and_saves_a_policy(algo, backend, extra, tmp_path, capsys):
    on = registry.family(algo) == "on_policy"
    flags = FLAGS[algo if on else "off"] + extra
    assert main([f"{algo}_{backend}", "--env", "HalfCheetah-v4", "--seed", "3", "--exp_name",
                 "e2e", "--data_dir", str(tmp_path), "--profile", "update", *flags]) == 0
    run_dir = tmp_path / "e2e" / "e2e_s3"
    cfg = json.loads((run_dir / "config.json").read_text())
    assert cfg["algo"] == f"{algo}_{backend}" and cfg["seed"] == 3
    assert cfg["ac_kwargs"] == dict(hidden_sizes=[16, 16] if on else [32, 32],
                                    activation="tanh" if on else "relu")
    header, col = read(run_dir)
    variant = dict(sac="sac_auto", trpo="npg").get(algo) if extra else algo
    assert header == COLUMNS[variant]
    if algo == "trpo":  # SpinningUp's argument algo is config.json's variant
        assert cfg["variant"] == variant
    epochs, steps = ([0, 1], 300) if on else ([1, 2], 200)
    assert col["Epoch"] == epochs and col["TotalEnvInteracts"] == [steps, 2 * steps]
    assert all(np.isfinite(v).all() for v in col.values())
    assert col["EpLen"][-1] == 100
    if algo == "ppo":
        assert all(0 <= s <= 5 for s in col["StopIter"])
    if algo == "trpo":  # every update within the KL radius (0 when the search accepts none)
        assert all(0 <= kl <= 0.01 for kl in col["KL"])
    if algo == "sac":
        alpha = col["Alpha"]
        if extra:  # learned: from 1, down while the policy's entropy exceeds -act_dim
            assert alpha[1] < alpha[0] < 1.0
        else:
            assert alpha == pytest.approx([0.2, 0.2])
    assert (run_dir / "profile" / "update.prof").stat().st_size > 0

    capsys.readouterr()
    assert main(["test_policy", str(run_dir), "-n", "2", "-l", "50", "-d"]) == 0
    out = capsys.readouterr().out.strip().splitlines()[-1]
    assert out.startswith("AverageEpRet") and "AverageEpLen 50.0" in out
    # The saved deterministic policy acts as the run's final learner would.
    learner = runs.load(str(run_dir))
    obs = gym.make("HalfCheetah-v4").observation_space.sample().astype(np.float32)
    other = runs.load(str(run_dir), backend="jax" if backend == "pytorch" else "pytorch")
    np.testing.assert_allclose(other.act(obs), learner.act(obs), rtol=1e-4, atol=1e-5)


def test_test_policy_refuses_deterministic_and_stochastic_together(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["test_policy", str(tmp_path), "-d", "--stochastic"])
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["ppo", "trpo", "ddpg", "sac"])
def test_name_alone_takes_the_default_backend(name, monkeypatch):
    from spinup import user_config
    monkeypatch.setitem(user_config.DEFAULT_BACKEND, name, "jax")
    assert registry.resolve(name) == f"{name}_jax"
    monkeypatch.setitem(user_config.DEFAULT_BACKEND, name, "pytorch")
    assert registry.entry_point(name).__name__ == f"{name}_pytorch"


@pytest.mark.parametrize("algo,kwargs,named", [
    ("ppo_jax", dict(clip_ratio=0), "clip_ratio=0"),
    ("ppo_pytorch", dict(target_kl=-0.01), "target_kl=-0.01"),
    ("ppo_jax", dict(train_pi_iters=0), "train_pi_iters=0"),
    ("ddpg_jax", dict(act_noise=-1), "act_noise=-1"),
    ("ddpg_pytorch", dict(policy_delay=2), "does not take policy_delay"),
    ("sac_jax", dict(alpha="learned"), "alpha='learned': expected a number > 0 (a fixed "
                                       "temperature) or 'auto'"),
    ("sac_pytorch", dict(alpha=0.0), "alpha=0.0"),
    ("sac_jax", dict(lr=0), "lr=0"),
    ("sac_jax", dict(pi_lr=1e-3), "does not take pi_lr"),
    ("trpo_jax", dict(algo="ppo"), "algo='ppo': expected one of 'trpo', 'npg'"),
    ("trpo_pytorch", dict(backtrack_coeff=1.0), "backtrack_coeff=1.0: expected a number in (0"),
    ("trpo_jax", dict(cg_iters=0), "cg_iters=0"),
    ("trpo_jax", dict(delta=-0.01), "delta=-0.01"),
    ("trpo_pytorch", dict(damping_coeff="0.1"), "damping_coeff='0.1'"),
    ("trpo_jax", dict(pi_lr=1e-3), "does not take pi_lr"),
])
def test_bad_input_is_one_line_naming_the_value(algo, kwargs, named):
    env = gym.make("Pendulum-v1")
    with pytest.raises(InputError) as e:
        registry.check_args(algo, kwargs, env)
    assert named in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("algo", ["ddpg_pytorch", "sac_jax"])
def test_discrete_actions_are_refused_before_any_work(algo, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(InputError, match="Box"):
        registry.entry_point(algo)(EnvFn("CartPole-v1"), logger_kwargs=dict(
            output_dir=str(out)))
    assert not out.exists()


@pytest.mark.parametrize("algo,lr", [("ddpg_jax", dict(q_lr=1e30)),
                                     ("sac_pytorch", dict(lr=1e30))])
def test_diverged_run_stops_and_keeps_the_last_good_model(algo, lr, tmp_path):
    """Epoch 1 has no updates and saves the initial model; the first block of epoch 2, with
    an absurd learning rate, overflows the networks."""
    with pytest.raises(FloatingPointError, match=r"Loss\w+ is (nan|inf|-inf) at epoch 2.*"
                                                 r"last good model \(epoch 1\)"):
        registry.entry_point(algo)(
            EnvFn("Pendulum-v1"), ac_kwargs=dict(hidden_sizes=(16,)), steps_per_epoch=100,
            epochs=3, start_steps=100, update_after=101, update_every=50, batch_size=32,
            num_test_episodes=1, logger_kwargs=dict(output_dir=str(tmp_path), verbose=False),
            **lr)
    fresh = runs.learner_from_config(algo, runs.read_config(str(tmp_path))[0],
                                     gym.make("Pendulum-v1"))
    saved = runs.load(str(tmp_path)).get_params()
    for k, v in fresh.get_params().items():
        np.testing.assert_array_equal(saved[k], v, err_msg=k)


@pytest.mark.parametrize("algo", ["ppo", "trpo", "ddpg", "sac"])
def test_signature_and_docstring_are_spinningups(algo):
    import inspect
    spec = registry.spec(algo)
    for backend in registry.BACKENDS:
        fn = registry.entry_point(f"{algo}_{backend}")
        params = inspect.signature(fn).parameters
        assert list(params)[:4] == ["env_fn", "actor_critic", "ac_kwargs", "seed"]
        assert {k: params[k].default for k in spec.defaults} == spec.defaults
        assert ("device" in params) == (backend == "pytorch")
        for name in params:
            assert f"\n        {name} " in fn.__doc__, f"{name} is not documented"
