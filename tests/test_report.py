"""``spinup.run report DIR... --out SITE``: a static site opened in a real headless Chromium
(a screenshot; no console error, no failed request, no image that did not load), and bad
input said in one line while the rest is built."""
import importlib.util
import os
import shutil

import pytest
from PIL import Image

from spinup import vpg_jax, vpg_pytorch
from spinup.algos.common.envs import EnvFn
from spinup.commands import report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
KW = dict(epochs=3, steps_per_epoch=200, max_ep_len=100, profile="update")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Two seeds of VPG PyTorch (with a GIF beside the first) and one of VPG JAX, profiled."""
    root = tmp_path_factory.mktemp("data")
    for fn, seeds in ((vpg_pytorch, (0, 1)), (vpg_jax, (0,))):
        for s in seeds:
            out = root / fn.__name__ / f"{fn.__name__}_s{s}"
            fn(EnvFn("CartPole-v1"), seed=s, **KW,
               logger_kwargs=dict(output_dir=str(out), verbose=False))
    frames = [Image.new("RGB", (48, 32), (60 * i, 120, 200)) for i in range(4)]
    frames[0].save(root / "vpg_pytorch" / "vpg_pytorch_s0" / "video.gif", save_all=True,
                   append_images=frames[1:], duration=100, loop=0)
    return root


def browser_missing(chromium=CHROMIUM):
    """Why the browser test cannot run here, saying how to get what is missing; None when it
    can."""
    missing = []
    if chromium is None:
        missing.append("Debian's chromium (sudo apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install -e \".[test]\")")
    if not missing:
        return None
    return ("opens the report in a headless browser and needs " + " and ".join(missing)
            + "; .ci/run installs both")


def test_the_skip_says_how_to_get_the_browser():
    why = browser_missing(chromium=None)
    assert "sudo apt-get install chromium" in why and ".ci/run" in why


def test_site_in_headless_chromium(data, tmp_path, capsys):
    why = browser_missing()
    if why is not None:
        if os.environ.get("CI"):
            pytest.fail("CI " + why)
        pytest.skip(why)
    from playwright.sync_api import sync_playwright
    site = tmp_path / "site"
    assert report.main([str(data), "--out", str(site)]) == 0
    out = capsys.readouterr().out
    assert "wrote" in out and "2 group(s)" in out
    assert "vpg (jax) on CartPole-v1: no video" in out  # said once, the rest built
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
            "--disable-background-networking", "--disable-component-update"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else 0)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("requestfailed", lambda r: problems.append(f"{r.url}: {r.failure}"))
            page.goto((site / "index.html").as_uri(), wait_until="load")
            images = page.evaluate("Array.from(document.images).map(i => "
                                   "[i.getAttribute('src'), i.complete && i.naturalWidth > 0])")
            svgs = page.evaluate("document.querySelectorAll('svg.icicle rect').length")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
    srcs = [s for s, _ in images]
    assert [s for s, ok in images if not ok] == []
    # Per group a learning curve and phase bars; the GIF of the PyTorch group.
    assert sum(s.endswith("_curve.png") for s in srcs) == 2
    assert sum(s.endswith("_phases.png") for s in srcs) == 2
    # Files are named by group: algorithm, env and a hash of the settings the runs share.
    slug = next(s for s in srcs if s.startswith("img/vpg_pytorch_CartPole-v1_"))
    slug = slug[len("img/"):-len("_curve.png")] if slug.endswith("_curve.png") else \
        slug[len("img/"):-len("_phases.png")]
    assert srcs.count(f"media/{slug}.gif") == 1
    assert [s for s in srcs if s.startswith("media/")] == [f"media/{slug}.gif"]
    assert svgs > 5  # the icicle graphs drawn from the .prof files
    with Image.open(tmp_path / "report.png") as shot:
        assert shot.width == 1100 and shot.height > 900


def test_bad_input_is_one_line_each_and_the_rest_is_built(data, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert report.main([str(empty), "--out", str(tmp_path / "none")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"report: {empty}: no runs there (no folder holds config.json and " \
                     "progress.txt)"
    assert "No runs to show." in (tmp_path / "none" / "index.html").read_text()

    runs = tmp_path / "runs"
    shutil.copytree(data / "vpg_pytorch", runs)
    (runs / "vpg_pytorch_s0" / "video.gif").unlink()
    prof = runs / "vpg_pytorch_s0" / "profile" / "update.prof"
    prof.write_bytes(b"not a profile")
    assert report.main([str(runs), "--out", str(tmp_path / "site")]) == 0
    out = capsys.readouterr().out.splitlines()
    notes = [ln for ln in out if ln.startswith("report: ")]
    assert len(notes) == 2, out
    assert notes[0].startswith(f"report: vpg (pytorch) on CartPole-v1: profile {prof} is "
                               "unreadable (")
    assert notes[1].startswith("report: vpg (pytorch) on CartPole-v1: no video (")
    assert "python -m spinup.run test_policy" in notes[1]
    page = (tmp_path / "site" / "index.html").read_text()
    # The other seed's profile is shown instead; curves and phase bars are there.
    assert "vpg_pytorch_s1/profile/update.prof" in page and "<svg class=\"icicle\"" in page
    curves = list((tmp_path / "site" / "img").glob("vpg_pytorch_CartPole-v1_*_curve.png"))
    assert len(curves) == 1 and curves[0].stat().st_size > 0
    assert "is unreadable" in page and "no video" in page


def test_icicle_boxes_sit_inside_their_callers(data):
    import pstats
    stats = pstats.Stats(str(data / "vpg_jax" / "vpg_jax_s0" / "profile" / "update.prof"))
    boxes, total = report.icicle_boxes(stats)
    assert total > 0 and boxes
    eps = 1e-9
    for depth, start, width, _, _ in boxes:
        assert 0 <= start and start + width <= 1 + eps
        if depth:  # some box one row up covers it
            assert any(d == depth - 1 and s - eps <= start and start + width <= s + w + eps
                       for d, s, w, _, _ in boxes)


@pytest.mark.parametrize("env,have_pygame,needs", [
    ("Pendulum-v1", False, True), ("CartPole-v1", False, True), ("Pendulum-v1", True, False),
    ("HalfCheetah-v4", False, False)])
def test_the_video_hint_names_what_the_command_needs(env, have_pygame, needs):
    """The hint for a missing video gives the command that records one, and first, where the
    env is drawn with pygame and pygame is missing, how to install it (the command alone
    would fail: 'pygame is not installed')."""
    text = report.video_hint(env, "/data/r", have_pygame=have_pygame)
    assert "python -m spinup.run test_policy /data/r --video /data/r/video.gif" in text
    assert ("pip install pygame" in text and ".[video]" in text) == needs


def test_a_grids_variants_are_groups_of_their_own(tmp_path, capsys):
    """Two pi_lr variants of two seeds each: two groups of two runs, each named by the
    setting that sets it apart, with its settings on the page; seeds stay together."""
    from spinup.run import main
    assert main(["vpg_jax", "--env", "CartPole-v1", "--epochs", "2", "--steps_per_epoch",
                 "100", "--train_v_iters", "1", "--pi_lr", "0.001", "0.01", "--seed", "0",
                 "10", "--data_dir", str(tmp_path / "d"), "--exp_name", "g"]) == 0
    built, notes = report.build([str(tmp_path / "d")], str(tmp_path / "site"))
    page = (tmp_path / "site" / "index.html").read_text()
    assert built == 2
    for lr in ("0.001", "0.01"):
        assert f"vpg (jax) on CartPole-v1 [pi_lr={lr}]</h2>" in page
    assert page.count("<p>2 run(s), seeds 0, 10;") == 2
    assert page.count("<details><summary>Settings") == 2 and "<code>pi_lr</code>" in page
