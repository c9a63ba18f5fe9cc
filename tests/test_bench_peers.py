"""bench --peers: this project against Stable-Baselines3 and SBX, in its smoke mode (tiny
runs; CI installs Stable-Baselines3 only, so SBX is timed only where the peers extra is)."""
import json

import pytest

from spinup.commands import bench, bench_peers

HAS_SB3 = "sb3" in bench_peers.available_peers()[0]


def test_smoke_times_ours_and_the_installed_peers(tmp_path):
    """Both backends (PyTorch eager and compiled) and Stable-Baselines3 (when installed) run
    TD3 at the smoke sizes; each run gives one time per chunk and a rate over the chunks
    after the skipped ones."""
    path = tmp_path / "peers.json"
    assert bench.main(["--peers", "--smoke", "--only", "sb3", "--json", str(path)]) == 0
    res = json.loads(path.read_text())
    assert res["smoke"] is True and res["threads"] == 1 and list(res["algos"]) == ["td3"]
    td3 = res["algos"]["td3"]
    expected = ({"spinup_jax", "spinup_pytorch", "spinup_pytorch_compiled"}
                | ({"sb3"} if HAS_SB3 else set()))
    assert set(td3["steps_per_s"]) == expected
    size = bench_peers.sizes("td3", smoke=True)
    for runs in td3["runs"].values():
        (run,) = runs
        assert len(run["chunk_seconds"]) == size.chunks and min(run["chunk_seconds"]) > 0
        measured = run["chunk_seconds"][size.skip:]
        assert run["steps_per_s"] == pytest.approx(len(measured) * size.chunk / sum(measured))
        assert run["best_chunk_steps_per_s"] == pytest.approx(size.chunk / min(measured))
    for c, runs in td3["runs"].items():
        assert td3["best_chunk_steps_per_s"][c] >= td3["steps_per_s"][c]
    text = bench_peers.format_table(res)
    assert "spinup JAX" in text and "spinup PyTorch" in text and "spinup PyTorch comp." in text
    if not HAS_SB3:
        assert "not timed: Stable-Baselines3 (not installed)" in text


@pytest.mark.skipif(not HAS_SB3, reason="stable-baselines3 not installed")
def test_peer_ppo_epochs_are_rollout_plus_training():
    """A PPO epoch of the peer is timed from one rollout's start to the next (collection and
    the training on it), as this project's epochs are."""
    size = bench_peers.sizes("ppo", smoke=True)
    chunks = bench_peers.run_peer("sb3", "ppo", bench_peers.SMOKE["ppo"], size, 0, "cpu")
    assert len(chunks) == size.chunks and min(chunks) > 0


def test_our_flags_hold_the_shared_settings():
    """The settings reach this project's runs as its own flags (checked by its parser when
    the runs start)."""
    size = bench_peers.sizes("td3")
    flags = bench_peers.our_flags("td3", bench_peers.SETTINGS["td3"], size)
    value = dict(zip(flags[::2], flags[1::2]))
    assert value["--hid"] == "(256,256,)" and value["--batch_size"] == "100"
    assert value["--update_every"] == "50" and value["--start_steps"] == "1000"
    assert value["--steps_per_epoch"] == "1000" and value["--epochs"] == str(size.chunks)
    ppo = dict(zip(*[iter(bench_peers.our_flags("ppo", bench_peers.SETTINGS["ppo"],
                                               bench_peers.sizes("ppo")))] * 2))
    assert ppo["--train_pi_iters"] == ppo["--train_v_iters"] == "80"
    assert ppo["--target_kl"] == "1e9"


def test_unknown_algorithm_or_peer_is_refused(capsys):
    for argv in (["--peers", "a2c"], ["--peers", "--only", "rllib"]):
        with pytest.raises(SystemExit):
            bench.main(argv)
        assert "unknown algorithm or peer" in capsys.readouterr().err
