"""Library warnings, said once in our words or silenced where they start, so that a run prints
its config, its epoch table and its progress bar.

- gymnasium warns in every process that makes a ``-v4`` env that a newer version exists.
  ``note_env`` says once per command what that means (a grid's workers and async envs inherit
  ``SPINUP_NOTED`` from the process that said it), and gymnasium's warning is filtered.
- MuJoCo 4 warns, and appends to ``MUJOCO_LOG.TXT`` in the working directory, each time it
  compiles a model whose XML sets ``settotalmass``, as gymnasium's HalfCheetah (v4 and v5)
  does. MuJoCo still applies it (the masses are the published ones), so that warning is
  dropped; any other MuJoCo warning is printed once per process, and none goes to a log file.
"""
import os
import sys
import warnings

NOTED = "SPINUP_NOTED"  # keys of the notes said, comma-separated, inherited by subprocesses
_installed = False


def say_once(key, message):
    """Print ``message`` (to stderr) unless this process or the one that started it has."""
    said = os.environ.get(NOTED, "").split(",")
    if key in said:
        return False
    os.environ[NOTED] = ",".join([k for k in said if k] + [key])
    print(message, file=sys.stderr, flush=True)
    return True


def _mujoco_warning(message):
    if "settotalmass" in message:
        return
    say_once("mujoco:" + message[:40].replace(",", " "), f"MuJoCo warning: {message}")


def quiet_libraries():
    """Install the filters of this module (once per process; cheap after that)."""
    global _installed
    if _installed:
        return
    _installed = True
    import gymnasium  # noqa: F401  (its own "once" filter must sit behind ours)
    warnings.filterwarnings("ignore", message=r".*The environment \S+ is out of date",
                            category=DeprecationWarning)
    try:
        import mujoco
    except ImportError:
        return
    mujoco.set_mju_user_warning(_mujoco_warning)


def note_env(env_id):
    """Say once what gymnasium's out-of-date warning about ``env_id`` means."""
    if not isinstance(env_id, str):
        return
    from gymnasium.envs import registration
    try:
        ns, name, version = registration.parse_env_id(env_id)
        newest = registration.find_highest_version(ns, name)
    except Exception:  # an id gymnasium cannot parse: nothing to say about its version
        return
    if version is None or newest is None or newest <= version:
        return
    newer = registration.get_env_id(ns, name, newest)
    say_once(f"env:{env_id}",
             f"note: gymnasium lists {env_id} as out of date ({newer} is its maintained "
             f"version; same task, with bugs fixed, so returns are close but not identical). "
             f"spinup's benchmarks use {env_id} to compare with published results; "
             f"--env {newer} works as well.")
