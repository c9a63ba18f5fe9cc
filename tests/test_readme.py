"""The README's Python example of loading a trained policy runs as written, on a short run
at the path it names (the training part of the example is the CLI's, tested elsewhere)."""
import os
import os.path as osp
import re

from spinup import td3_jax
from spinup.algos.common.envs import EnvFn

README = osp.join(osp.dirname(osp.abspath(__file__)), "..", "README.md")


def python_blocks():
    return re.findall(r"```python\n(.*?)```", open(README).read(), re.S)


def test_loading_a_trained_policy_runs_as_the_readme_shows(tmp_path, monkeypatch, capsys):
    block = next(b for b in python_blocks() if "runs.load(" in b)
    example = block[block.index("# a trained policy"):]
    monkeypatch.chdir(tmp_path)
    td3_jax(EnvFn("HalfCheetah-v4"), epochs=1, steps_per_epoch=300, start_steps=100,
            update_after=100, update_every=50, num_test_episodes=1, max_ep_len=100,
            ac_kwargs=dict(hidden_sizes=(16, 16)),
            logger_kwargs=dict(output_dir="data/hc", verbose=False))
    names = {}
    exec(compile(example, "README.md", "exec"), names)
    assert names["action"].shape == (6,)
    assert type(names["learner"]).__module__.startswith("spinup.algos.pytorch.")
    out = capsys.readouterr().out
    assert out.count("EpRet") >= 3 and "AverageEpRet" in out
    assert os.path.isdir("data/hc/model")
