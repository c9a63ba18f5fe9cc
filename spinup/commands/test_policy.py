"""Run a saved policy: ``python -m spinup.run test_policy RUN_DIR [--len/-l L]
[--episodes/-n N] [--norender/-nr] [--itr/-i last] [--deterministic/-d | --stochastic]``,
or record it without a display: ``... test_policy RUN_DIR --video out.gif`` (see video.py).

``spinup.utils.test_policy`` is this module: SpinningUp's ``load_policy_and_env`` and
``run_policy`` work on the runs of either backend."""
import argparse
import os
import os.path as osp
import time

import numpy as np

from spinup.algos.common.checks import InputError


def run_info(run_dir):
    """(algorithm name such as 'td3_jax', config dict) of a run folder, validated (a missing
    or damaged config.json, or one of a newer format, is a one-line error)."""
    from spinup.utils.run_files import read_config
    cfg = read_config(run_dir)
    return cfg["algo"], cfg


def load_policy(run_dir, backend=None, device=None):
    """The saved agent of a run (an object with ``act(obs, deterministic=True)``) and a factory
    for its environment. ``backend`` runs a policy in the other backend than the one that
    trained it."""
    from spinup.algos import runs
    from spinup.algos.common.envs import env_fn_from_config
    _, cfg = run_info(run_dir)
    agent = runs.load(run_dir, backend=backend, device=device)
    return agent, env_fn_from_config(cfg)


def check_itr(itr, flag=None):
    """SpinningUp's ``itr``: runs here keep one model, the last saved ('last' or -1)."""
    if itr in ("last", -1, "-1"):
        return "last"
    given = f"{flag} {itr}" if flag else f"itr={itr!r}"
    raise InputError(f"{given}: a run here keeps only its last model (model/, overwritten "
                     "at each save), not one per epoch; use 'last' (or -1)")


def load_policy_and_env(fpath, itr="last", deterministic=False):
    """SpinningUp's loader: ``(env, get_action)`` for the run folder ``fpath`` of either
    backend. ``get_action(obs)`` returns the action as NumPy: the policy's sample, or with
    ``deterministic=True`` its mean (VPG/PPO: the Gaussian's mean or likeliest action; SAC:
    act_limit * tanh(mu)); TD3 and DDPG act deterministically either way, without their
    exploration noise. ``env`` is made from what config.json records. ``itr`` must be
    'last' (or -1): only the last model is kept."""
    check_itr(itr)
    from spinup.algos import registry
    agent, env_fn = load_policy(fpath)
    deterministic = bool(deterministic) or \
        registry.spec(run_info(fpath)[0]).deterministic_policy
    return env_fn(), _get_action(agent, deterministic)


def run_policy(env, get_action, max_ep_len=None, num_episodes=100, render=True):
    """SpinningUp's runner: ``num_episodes`` episodes of ``get_action`` in ``env`` (cut at
    ``max_ep_len`` steps when given), printing ``Episode i  EpRet ...  EpLen ...`` for each,
    then EpRet's and EpLen's statistics through an EpochLogger (which writes them under
    /tmp/experiments). ``render`` opens a window when there is a display (an env made
    without ``render_mode='human'`` is remade with it). Returns the (return, length) of each
    episode."""
    if env is None:
        raise InputError("run_policy: env is None; make the environment yourself, e.g. "
                         "env = gymnasium.make('CartPole-v1')")
    from spinup.utils.logx import EpochLogger
    if render and getattr(env, "render_mode", None) != "human":
        env, render = _human_twin(env)
    logger = EpochLogger()
    episodes = run_episodes(env, get_action, max_ep_len, num_episodes, render)
    for ep_ret, ep_len in episodes:
        logger.store(EpRet=ep_ret, EpLen=ep_len)
    logger.log_tabular("EpRet", with_min_and_max=True)
    logger.log_tabular("EpLen", average_only=True)
    logger.dump_tabular()
    logger.close()
    return episodes


def _human_twin(env):
    """(env, render) for ``render=True`` with an env made without a window (gymnasium fixes
    the render mode when it makes an env): the same env in a window when there is a display
    and gymnasium's spec can remake it, else ``env`` itself, not rendered, saying why."""
    spec = getattr(env, "spec", None)
    if os.environ.get("DISPLAY") and spec is not None:
        import gymnasium as gym
        print("rendering in a window: the same env, remade with render_mode='human'")
        return gym.make(spec, render_mode="human"), True
    why = "no display (DISPLAY is unset)" if not os.environ.get("DISPLAY") else \
        "gymnasium cannot remake this env"
    print(f"not rendering: {why}; render=False silences this")
    return env, False


def run_episodes(env, get_action, max_ep_len=None, num_episodes=10, render=False, seed=0,
                 max_steps=None, on_step=None):
    """Returns the (return, length) of each episode of ``get_action(obs) -> action`` finished
    within ``num_episodes`` episodes and ``max_steps`` steps. ``on_step(env)`` runs after each
    reset and step (e.g. to keep a frame)."""
    episodes = []
    o, _ = env.reset(seed=seed)
    ep_ret, ep_len, n, t = 0.0, 0, 0, 0
    while n < num_episodes and (max_steps is None or t < max_steps):
        if on_step is not None:
            on_step(env)
        if render:
            env.render()
            time.sleep(1e-3)
        a = get_action(o)
        o, r, terminated, truncated, _ = env.step(a)
        ep_ret += float(r)
        ep_len += 1
        t += 1
        if terminated or truncated or (max_ep_len and ep_len == max_ep_len):
            episodes.append((ep_ret, ep_len))
            print("Episode %d \t EpRet %.3f \t EpLen %d" % (n, ep_ret, ep_len))
            o, _ = env.reset()
            ep_ret, ep_len, n = 0.0, 0, n + 1
    if ep_len:
        print("Episode %d \t EpRet %.3f \t EpLen %d (unfinished)" % (n, ep_ret, ep_len))
    return episodes


def _get_action(agent, deterministic):
    return lambda o: agent.act(np.asarray(o, dtype=np.float32), deterministic=deterministic)


def main(argv=None):
    """The ``test_policy`` subcommand."""
    p = argparse.ArgumentParser(prog="python -m spinup.run test_policy",
                                description="Run the saved policy of a run for some episodes, "
                                "or record it to a GIF/MP4 with --video.")
    p.add_argument("run_dir")
    p.add_argument("--len", "-l", type=int, default=0, help="max episode length (0: env's)")
    p.add_argument("--episodes", "-n", type=int, default=10)
    p.add_argument("--itr", "-i", default="last",
                   help="which saved model: only 'last' (or -1); runs keep their last model")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--deterministic", "-d", action="store_true",
                      help="the policy's deterministic action: its mean (SAC: act_limit * "
                      "tanh(mu); VPG/PPO: the Gaussian's mean or the likeliest action); the "
                      "default here (SpinningUp samples SAC's actions unless -d)")
    mode.add_argument("--stochastic", action="store_true",
                      help="sample actions instead of the deterministic ones (TD3 and DDPG "
                      "add their Gaussian exploration noise)")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--render", action="store_true",
                       help="open a window even if no display is known (DISPLAY unset)")
    shown.add_argument("--norender", "-nr", action="store_true",
                       help="do not open a window (the default without a display)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--backend", choices=("pytorch", "jax"), default=None,
                   help="run the policy in this backend (default: the one that trained it)")
    p.add_argument("--device", default=None, help="PyTorch device (default: cuda if any)")
    v = p.add_argument_group("video (headless; MUJOCO_GL is chosen unless set: egl, then osmesa)")
    v.add_argument("--video", metavar="PATH",
                   help="record to PATH: .gif, or .mp4 (needs pip install imageio-ffmpeg)")
    v.add_argument("--video_len", type=int, default=300,
                   help="env steps to record, across episodes (default 300)")
    v.add_argument("--every", type=int, default=None,
                   help="keep every k-th frame (default 2 for .gif, 1 for .mp4)")
    v.add_argument("--fps", type=float, default=None,
                   help="frames per second of the video (default: the env's real time)")
    v.add_argument("--width", type=int, default=320, help="frame width in pixels (default 320)")
    v.add_argument("--height", type=int, default=240, help="frame height (default 240)")
    args = p.parse_args(argv)
    check_itr(args.itr, "--itr")
    if args.episodes < 1:
        raise InputError(f"--episodes {args.episodes}: expected an integer >= 1")
    if args.len < 0:
        raise InputError(f"--len {args.len}: expected 0 (the env's limit) or a positive integer")
    if args.device is not None:
        from spinup.algos.common.checks import device
        device(args.device)
    if args.video is not None:
        return record_video(args)
    render = args.render or (not args.norender and bool(os.environ.get("DISPLAY")))
    if not (render or args.norender):
        print("no display (DISPLAY is unset): running without a window; --video records one")
    agent, env_fn = load_policy(args.run_dir, args.backend, args.device)
    env = env_fn(render_mode="human") if render else env_fn()
    eps = np.array(run_episodes(env, _get_action(agent, not args.stochastic), args.len or None,
                                args.episodes, render, args.seed))
    print(f"AverageEpRet {eps[:, 0].mean():.3f} +- {eps[:, 0].std():.3f} over {len(eps)} "
          f"episodes; AverageEpLen {eps[:, 1].mean():.1f}")
    return 0


def record_video(args):
    """``--video``: check everything cheap first, pick the GL backend before MuJoCo loads, then
    run the policy keeping frames and write the file."""
    from spinup.algos.common.envs import env_fn_from_config
    from spinup.commands import video
    if args.render:
        raise InputError("--render opens a window and --video records without one; give one")
    ext = video.check_video_args(args.video, args.video_len, args.every, args.fps, args.width,
                                 args.height)
    every = args.every or (2 if ext == ".gif" else 1)
    env_id = env_fn_from_config(run_info(args.run_dir)[1]).env_id
    mujoco = video.is_mujoco_env(env_id)
    gl = video.choose_gl_backend() if mujoco else None
    agent, env_fn = load_policy(args.run_dir, args.backend, args.device)
    env = video.make_render_env(env_fn, env_id, mujoco, args.width, args.height)
    fps = args.fps or env.metadata.get("render_fps", 30) / every
    rec = video.FrameRecorder(env_id, every, args.width, args.height)
    t0 = time.perf_counter()
    run_episodes(env, _get_action(agent, not args.stochastic), args.len or None,
                 args.episodes, seed=args.seed, max_steps=args.video_len, on_step=rec)
    dt = time.perf_counter() - t0
    env.close()
    video.write_video(args.video, rec.frames, fps)
    h, w = rec.frames[0].shape[:2]
    print(f"Wrote {args.video}: {len(rec.frames)} frames {w}x{h} at "
          f"{fps:g} fps, {osp.getsize(args.video) / 1024:.0f} KB; policy + rendering "
          f"{len(rec.frames) / dt:.1f} frames/s" + (f", MUJOCO_GL={gl}" if gl else ""))
    return 0
