"""`python -m spinup.run`: parsing, grids, bad input (one-line error, exit 2, nothing started)."""
import json
import os
import subprocess
import sys

import pytest

from spinup.run import main, parse_flags

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def spinup_run(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               SPINUP_NO_PROGRESS="1")
    return subprocess.run([sys.executable, "-m", "spinup.run", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=600)


def test_parse_flags_literals_shorthands_and_shortcuts():
    d, sh = parse_flags(["--env", "CartPole-v1", "--hid[h]", "[32,32]", "(64,)", "--pi_lr",
                         "3e-4", "--dt", "--act", "tanh", "--x:y", "-1", "--name", "a b"])
    assert d == {"env_name": ["CartPole-v1"], "ac_kwargs:hidden_sizes": [[32, 32], (64,)],
                 "pi_lr": [3e-4], "datestamp": [True], "ac_kwargs:activation": ["tanh"],
                 "x:y": [-1], "name": ["a b"]}
    assert sh == {"ac_kwargs:hidden_sizes": "h"}


BAD = [
    (["td4", "--env", "CartPole-v1"], ["unknown algorithm 'td4'", "td3"]),
    (["vpg_torch", "--env", "CartPole-v1"], ["unknown algorithm 'vpg_torch'", "vpg_pytorch"]),
    (["td3_jax", "--env", "HalfCheetahh-v4"],
     ["unknown environment id 'HalfCheetahh-v4'", "did you mean HalfCheetah-v4"]),
    (["vpg_jax", "--env", "CartPole-v1", "--epoch", "3"],
     ["does not take --epoch", "did you mean --epochs", "--steps_per_epoch"]),
    (["vpg_jax", "--env", "CartPole-v1", "--epochs", "-1"], ["epochs=-1", ">= 1"]),
    (["td3_jax", "--env", "Pendulum-v1", "--epochs", "0", "2"], ["epochs=0", ">= 1"]),
    (["vpg_pytorch", "--env", "CartPole-v1", "--hid", "abc"],
     ["hidden_sizes='abc'", "list of positive integers"]),
    (["td3_pytorch", "--env", "Pendulum-v1", "--act", "relux"],
     ["activation='relux'", "relu"]),
    (["vpg_jax", "--env", "CartPole-v1", "--exp_name", "a", "b"],
     ["--exp_name takes one value, got 2"]),
    (["vpg_jax", "--env", "CartPole-v1", "--data_dir", "x", "y"],
     ["--data_dir takes one value, got 2"]),
    (["vpg_jax", "--env", "CartPole-v1", "--num_workers", "1", "2"],
     ["--num_workers takes one value, got 2"]),
    (["vpg_jax", "--env", "CartPole-v1", "--num_workers", "0"], ["num_workers=0"]),
    (["vpg_jax", "--epochs", "2"], ["no environment given", "--env"]),
    (["vpg_jax", "CartPole-v1"], ["comes before any flag"]),
    (["vpg_jax", "--env", "CartPole-v1", "--seed", "0", "--seed", "1"], ["given twice"]),
    (["td3_jax", "--env", "CartPole-v1"], ["Box", "CartPole-v1 has Discrete(2)"]),
    (["td3_jax", "--env", "Pendulum-v1", "--seed", str(2**64)],
     [f"seed={2**64}", "expected an integer in [0, "]),
    (["vpg_pytorch", "--env", "CartPole-v1", "--seed", "-1"], ["seed=-1"]),
    # sizes the machine cannot hold: one line naming the flag, before any work
    (["vpg_pytorch", "--env", "CartPole-v1", "--hid", "[100000000]"],
     ["hidden_sizes=(100000000,)", "more than this machine's"]),
    (["td3_jax", "--env", "Pendulum-v1", "--hid", "[100000000]"],
     ["hidden_sizes=(100000000,)", "more than this machine's"]),
    (["vpg_jax", "--env", "CartPole-v1", "--steps_per_epoch", str(10**12)],
     [f"steps_per_epoch={10**12}", "more than this machine's"]),
    (["sac_jax", "--env", "Pendulum-v1", "--replay_size", str(10**12)],
     [f"replay_size={10**12}: the replay buffer", "more than this machine's"]),
]


@pytest.mark.parametrize("argv,fragments", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_error_before_any_work(argv, fragments, tmp_path, capsys):
    data_dir = tmp_path / "data"
    code = main(argv + ["--data_dir", str(data_dir)] if "--data_dir" not in argv else argv)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("error: ") and len(err.splitlines()) == 1, err
    for frag in fragments:
        assert frag in err
    assert not data_dir.exists()  # nothing was launched


def test_bad_input_exit_status_from_a_real_process(tmp_path):
    proc = spinup_run("vpg_jax", "--env", "HalfCheetahh-v4", cwd=tmp_path)
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: unknown environment id 'HalfCheetahh-v4'; did you mean "
                           "HalfCheetah-v4")


def test_help_prints_the_docstring(capsys):
    assert main(["td3", "--help"]) == 0
    out = capsys.readouterr().out
    assert "policy_delay" in out and "polyak" in out
    assert main([]) == 0
    assert "Usage" in capsys.readouterr().out


@pytest.mark.parametrize("algo", ["sac", "ppo", "ddpg_pytorch", "trpo_jax"])
def test_help_lists_every_flag_with_its_default_in_plain_text(algo, capsys):
    """Each flag on its line with its type and default (also those the long documentation
    leaves to the signature), the arguments that are not flags named as such, no raw
    reStructuredText."""
    import inspect

    from spinup.algos import registry
    assert main([algo, "--help"]) == 0
    out = capsys.readouterr().out
    assert ".. math::" not in out and ":math:" not in out and "``" not in out
    flags = {ln.split()[0]: ln for ln in out.splitlines() if ln.startswith("  --")}
    params = inspect.signature(registry.entry_point(algo)).parameters
    for name, p in params.items():
        if name in ("env_fn", "actor_critic", "logger_kwargs"):
            assert f"--{name}" not in flags and name in out  # "Not flags: ..."
        elif name == "ac_kwargs":
            assert "--hid," in flags and "--act," in flags
        else:
            assert f"--{name}" in flags, name
            assert f" {p.default!r} " in flags[f"--{name}"], (name, flags[f"--{name}"])
    assert "--env" in flags and "(required)" in flags["--env"]


def test_cli_grid_runs_two_variants_in_parallel(tmp_path):
    proc = spinup_run("vpg_pytorch", "--env", "CartPole-v1", "--epochs", "2",
                      "--steps_per_epoch", "300", "--hid[h]", "[16]", "[8,8]",
                      "--num_workers", "2", "--exp_name", "cli", "--data_dir", str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for name, hid in (("cli_h16", [16]), ("cli_h8-8", [8, 8])):
        run = tmp_path / name / f"{name}_s0"
        rows = (run / "progress.txt").read_text().splitlines()
        assert len(rows) == 3
        header = rows[0].split("\t")
        assert int(rows[2].split("\t")[header.index("TotalEnvInteracts")]) == 600
        cfg = json.loads((run / "config.json").read_text())
        assert cfg["ac_kwargs"]["hidden_sizes"] == hid
        assert cfg["exp_name"] == name


@pytest.mark.parametrize("argv,model", [
    (["vpg_jax", "--epochs", "2", "--steps_per_epoch", "2000"], "weights.npz"),
    (["td3_pytorch", "--epochs", "2", "--steps_per_epoch", "400", "--start_steps", "200",
      "--update_after", "200", "--num_test_episodes", "1", "--max_ep_len", "200"],
     "weights.npz"),
])
def test_halfcheetah_cli_run_then_test_policy_and_plot(argv, model, tmp_path):
    proc = spinup_run(*argv, "--env", "HalfCheetah-v4", "--exp_name", "hc",
                      "--data_dir", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run = tmp_path / "hc" / "hc_s0"
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["algo"] == argv[0] and cfg["env_fn"]["env_id"] == "HalfCheetah-v4"
    rows = (run / "progress.txt").read_text().splitlines()
    assert len(rows) == 3
    assert (run / "model" / model).stat().st_size > 0
    assert f"python -m spinup.run test_policy {run}" in proc.stdout

    proc = spinup_run("test_policy", str(run), "--episodes", "2", "--len", "50", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("\t EpLen 50\n") == 2 and "AverageEpRet" in proc.stdout

    proc = spinup_run("plot", str(tmp_path / "hc"), "--out", str(tmp_path / "c.png"),
                      cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_test_policy_and_plot_bad_input(tmp_path, capsys):
    assert main(["test_policy", str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["test_policy", str(tmp_path)]) == 2
    assert "config.json is missing" in capsys.readouterr().err
    assert main(["plot", str(tmp_path)]) == 2
    assert "no progress.txt under" in capsys.readouterr().err


def test_plot_smooths_runs_shorter_than_the_window(tmp_path):
    """--smooth wider than the runs (one epoch here) still plots: the window is cut to the
    data."""
    run = tmp_path / "one" / "one_s0"
    run.mkdir(parents=True)
    (run / "progress.txt").write_text("Epoch\tAverageEpRet\tTotalEnvInteracts\n0\t1.5\t100\n")
    out = tmp_path / "p.png"
    assert main(["plot", str(tmp_path / "one"), "--smooth", "2", "-y", "AverageEpRet",
                 "--out", str(out)]) == 0
    assert out.stat().st_size > 0
