"""--profile writes a loadable .prof holding the update; `compare` reads real runs."""
import pstats

import pytest

from spinup.run import main
from spinup.commands import compare

SHORT_TD3 = ["--env", "Pendulum-v1", "--epochs", "2", "--steps_per_epoch", "300",
             "--start_steps", "100", "--update_after", "100", "--num_test_episodes", "1",
             "--max_ep_len", "100", "--ac_kwargs:hidden_sizes", "(32,32)"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    for algo in ("td3_pytorch", "td3_jax"):
        assert main([algo, *SHORT_TD3, "--profile", "update", "--exp_name", algo,
                     "--data_dir", str(data), "--no_progress"]) == 0
    assert main(["vpg_jax", "--env", "CartPole-v1", "--epochs", "2", "--steps_per_epoch",
                 "200", "--exp_name", "vpg", "--data_dir", str(data), "--no_progress"]) == 0
    return {name: data / name / f"{name}_s0" for name in ("td3_pytorch", "td3_jax", "vpg")}


@pytest.mark.parametrize("algo", ["td3_pytorch", "td3_jax"])
def test_profile_update_holds_the_update_function(runs, algo):
    prof = runs[algo] / "profile" / "update.prof"
    stats = pstats.Stats(str(prof))
    funcs = {func for (_, _, func) in stats.stats}
    assert "update" in funcs
    # only the profiled epoch's update calls: the env loop's step() is not inside
    assert "step" not in {f for (path, _, f) in stats.stats if "gymnasium" in path}


def test_compare_writes_table_png_and_offline_html(runs, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["compare", str(runs["td3_jax"]), str(runs["td3_pytorch"]),
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "ratio to td3_pytorch_s0" in text
    pt_row = next(ln for ln in text.splitlines() if ln.startswith("td3_pytorch_s0"))
    assert "(1.00)" in pt_row  # the reference's ratio to itself
    assert (out / "compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out / "compare.html").read_text()
    assert "data:image/png;base64," in page and "http" not in page.replace("http-equiv", "")
    assert "td3_jax_s0" in page and "snakeviz" in page and "update" in page


def test_compare_ratios_follow_the_phase_times(runs):
    rows, ref = compare.compare([str(runs["td3_jax"]), str(runs["td3_pytorch"])])
    assert ref["algo"] == "td3_pytorch"
    jax_row = next(r for r in rows if r["algo"] == "td3_jax")
    for p in compare.PHASES:
        assert jax_row["ratio"][p] == pytest.approx(jax_row["times"][p] / ref["times"][p])


def test_compare_run_without_profile_says_none(runs, tmp_path):
    assert main(["compare", str(runs["vpg"]), "--out", str(tmp_path)]) == 0
    assert "No profile" in (tmp_path / "compare.html").read_text()


def test_compare_bad_input(runs, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["compare", str(tmp_path / "empty")]) == 2
    assert "progress.txt and config.json are missing" in capsys.readouterr().err
    half = tmp_path / "half"
    half.mkdir()
    (half / "config.json").write_text('{"algo": "td3_jax"}')
    assert main(["compare", str(half)]) == 2
    assert "progress.txt is missing" in capsys.readouterr().err
    assert main(["compare", str(runs["vpg"]), str(runs["td3_jax"])]) == 2
    err = capsys.readouterr().err
    assert "different algorithms" in err and "vpg_jax" in err and "td3_jax" in err
