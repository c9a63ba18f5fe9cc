"""Record a saved policy to a GIF or MP4 without a display: ``test_policy RUN --video out.gif``.

MuJoCo renders through OpenGL. Without a display the backends are EGL (a GPU, or Mesa's
software rasteriser) and OSMesa; ``MUJOCO_GL`` picks one and must be set before MuJoCo's
rendering is first imported. A backend whose libraries are missing can abort the process or
leave it unable to render, so each is tried in a short child process first.
"""
import importlib.util
import math
import os
import os.path as osp
import subprocess
import sys
import tempfile

import numpy as np

from spinup.algos.common.checks import InputError

VIDEO_EXTS = (".gif", ".mp4")
# Headless backends in the order tried, with the Debian/Ubuntu packages each one needs.
GL_PACKAGES = {"egl": "libegl1 libopengl0 libgl1-mesa-dri", "osmesa": "libosmesa6"}
# MuJoCo's default 4096x4096 shadow map costs most of a software-rendered frame (at 320x240,
# 2.5-5x slower than with 512 on a 2-core CPU); at GIF sizes a 512 map looks the same.
SHADOW_SIZE = 512
FLOOR_SIZE = 1000.0  # metres of floor drawn each way from the origin
GIF_COLORS = 128
# Renders one frame of a one-geom model: enough to load the GL libraries and make a context.
# A missing library often surfaces as an odd error deep in PyOpenGL, so name it instead.
_PROBE = """
import ctypes.util, os, sys
try:
    import mujoco
    m = mujoco.MjModel.from_xml_string('<mujoco><worldbody><light pos="0 0 2"/>'
                                       '<geom size=".1"/></worldbody></mujoco>')
    r = mujoco.Renderer(m, 16, 16)
    r.update_scene(mujoco.MjData(m))
    assert r.render().shape == (16, 16, 3)
    r.close()
except Exception as e:
    libs = {"egl": ["EGL", "OpenGL"], "osmesa": ["OSMesa"]}.get(os.environ["MUJOCO_GL"], [])
    missing = ["lib%s" % n for n in libs if ctypes.util.find_library(n) is None]
    lines = str(e).strip().splitlines() or [""]
    sys.exit(" and ".join(missing) + " not found" if missing
             else "%s: %s" % (type(e).__name__, lines[0]))
"""


class RenderSetupError(InputError):
    """This machine lacks something recording needs (GL libraries, ffmpeg, a renderer for the
    environment). Reported like bad input: one line, exit status 2."""


def check_video_args(path, video_len, every, fps, width, height):
    """Validate the video flags before any work; nothing is written here."""
    if osp.isdir(path):
        raise InputError(f"--video {path!r} is a folder; give a file name such as "
                         f"{osp.join(path, 'policy.gif')!r}")
    ext = osp.splitext(path)[1].lower()
    if ext not in VIDEO_EXTS:
        raise InputError(f"--video {path!r}: expected a file name ending in "
                         f"{' or '.join(VIDEO_EXTS)}")
    folder = osp.dirname(osp.abspath(path))
    if not osp.isdir(folder):
        raise InputError(f"--video {path!r}: folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"--video {path!r}: folder {folder!r} is not writable")
    for flag, v in (("--video_len", video_len), ("--every", every), ("--width", width),
                    ("--height", height)):
        if v is not None and v < 1:
            raise InputError(f"{flag} {v}: expected a positive integer")
    if fps is not None and not (math.isfinite(fps) and fps > 0):
        raise InputError(f"--fps {fps}: expected a positive number")
    if ext == ".mp4":
        if width % 2 or height % 2:
            raise InputError(f"--width {width} --height {height}: an MP4 (H.264, yuv420p) needs "
                             "an even width and height")
        if importlib.util.find_spec("imageio_ffmpeg") is None:
            raise RenderSetupError(f"--video {path!r}: writing MP4 needs ffmpeg, which is not "
                                   "installed; pip install imageio-ffmpeg (or write a .gif)")
    return ext


def is_mujoco_env(env_id):
    """Whether gymnasium builds ``env_id`` from a MuJoCo module (without importing MuJoCo)."""
    import gymnasium as gym
    ep = gym.spec(env_id).entry_point
    module = ep if isinstance(ep, str) else getattr(ep, "__module__", "")
    return "mujoco" in module


def _probe(backend, own_choice=True):
    """None if ``backend`` can render here, else the last line of what went wrong."""
    env = dict(os.environ, MUJOCO_GL=backend)
    if own_choice and env.get("PYOPENGL_PLATFORM", backend) != backend:
        env.pop("PYOPENGL_PLATFORM")  # left over from another backend; mujoco would refuse
    try:
        proc = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                              text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "no frame within 60 s"
    if proc.returncode == 0:
        return None
    lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
    return (lines[-1] if lines else f"exit status {proc.returncode}")[:200]


def choose_gl_backend():
    """Set ``MUJOCO_GL`` for this process to a backend that renders here and return its name:
    the user's own choice if set, else egl, then osmesa. Call before MuJoCo is imported."""
    if os.environ.get("MUJOCO_GL"):
        backend = os.environ["MUJOCO_GL"].lower()
        why = _probe(backend, own_choice=False)
        if why is not None:
            fix = (f"install {GL_PACKAGES[backend]} (Debian/Ubuntu)" if backend in GL_PACKAGES
                   else "glfw needs a display" if backend == "glfw"
                   else "expected egl, osmesa or glfw")
            raise RenderSetupError(f"MUJOCO_GL={backend} cannot render here ({why}); {fix}, or "
                                   "unset MUJOCO_GL to let test_policy try egl, then osmesa")
        os.environ["MUJOCO_GL"] = backend  # gymnasium takes lower case only
        return backend
    failures = []
    for backend in GL_PACKAGES:
        why = _probe(backend)
        if why is None:
            os.environ["MUJOCO_GL"] = backend
            if os.environ.get("PYOPENGL_PLATFORM", backend) != backend:
                del os.environ["PYOPENGL_PLATFORM"]
            return backend
        failures.append(f"{backend}: {why}")
    raise RenderSetupError(
        f"no headless OpenGL backend works here ({'; '.join(failures)}); on Debian/Ubuntu "
        f"apt-get install {GL_PACKAGES['egl']} (MUJOCO_GL=egl) or {GL_PACKAGES['osmesa']} "
        "(MUJOCO_GL=osmesa)")


def make_render_env(env_fn, env_id, mujoco, width, height):
    """The run's environment in ``rgb_array`` mode, set up for quick software rendering."""
    if not mujoco:
        return env_fn(render_mode="rgb_array")  # renders at its own size; frames are resized
    env = env_fn(render_mode="rgb_array", width=width, height=height)
    import mujoco as mj
    model = env.unwrapped.model
    model.vis.quality.shadowsize = SHADOW_SIZE  # read when the GL context is made
    track = mj.mj_name2id(model, mj.mjtObj.mjOBJ_CAMERA, "track")
    if track >= 0:  # the model's camera that follows the body; the default one stays put
        env.unwrapped.mujoco_renderer.camera_id = track
    for g in np.flatnonzero(model.geom_type == mj.mjtGeom.mjGEOM_PLANE):
        # A plane collides everywhere; its size only says how much is drawn (HalfCheetah's:
        # 40 m, left behind in a few seconds by a trained runner). Draw FLOOR_SIZE, same tiles.
        scale = FLOOR_SIZE / model.geom_size[g, :2].max()
        if scale > 1 and model.geom_matid[g] >= 0:
            model.geom_size[g, :2] *= scale
            model.mat_texrepeat[model.geom_matid[g]] *= scale
    return env


class FrameRecorder:
    """``run_policy``'s ``on_step``: keeps every ``every``-th frame, the first included. Frames
    of another size (non-MuJoCo envs render at their own) are scaled to fit width x height."""

    def __init__(self, env_id, every, width, height):
        self.env_id, self.every, self.box = env_id, every, (width, height)
        self.frames, self.calls = [], 0

    def __call__(self, env):
        if self.calls % self.every == 0:
            self.frames.append(self._frame(env))
        self.calls += 1

    def _frame(self, env):
        try:
            f = env.render()
        except Exception as e:  # pygame or GL missing, a bad context, ...: one line, the cause
            msg = (str(e).strip().splitlines() or [""])[0]
            raise RenderSetupError(f"{self.env_id} cannot render frames here: "
                                   f"{type(e).__name__}: {msg}") from e
        f = np.asarray(f)
        if f.ndim != 3 or f.shape[2] not in (3, 4):
            raise RenderSetupError(f"{self.env_id} rendered {f.shape}, not an RGB image")
        f = np.ascontiguousarray(f[:, :, :3], dtype=np.uint8)
        h, w = f.shape[:2]
        if (w, h) != self.box:
            from PIL import Image
            scale = min(self.box[0] / w, self.box[1] / h)
            size = (max(2, 2 * round(w * scale / 2)), max(2, 2 * round(h * scale / 2)))  # even: MP4
            f = np.asarray(Image.fromarray(f).resize(size, Image.BILINEAR))
        return f


def write_video(path, frames, fps):
    """Write ``frames`` (H x W x 3 uint8) to ``path`` (.gif or .mp4) through a temporary file in
    the same folder, so an existing file is replaced only by a complete one."""
    ext = osp.splitext(path)[1].lower()
    fd, tmp = tempfile.mkstemp(dir=osp.dirname(osp.abspath(path)),
                               prefix="." + osp.basename(path) + ".", suffix=ext)
    os.close(fd)
    try:
        if ext == ".gif":
            _write_gif(tmp, frames, fps)
        else:
            import imageio.v3 as iio
            iio.imwrite(tmp, np.stack(frames), extension=ext, plugin="FFMPEG", fps=fps,
                        codec="libx264", quality=7, macro_block_size=2)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; the video is not
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def _write_gif(path, frames, fps, colors=GIF_COLORS):
    """One palette for all frames, made from a sample of them, so colours do not flicker, and no
    dithering: its noise defeats GIF's LZW compression (1.7x larger files for HalfCheetah)."""
    from PIL import Image
    sample = np.concatenate(frames[::max(1, len(frames) // 8)], axis=0)
    palette = Image.fromarray(sample).quantize(colors, method=Image.Quantize.MAXCOVERAGE)
    ims = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE)
           for f in frames]
    # Durations are in ms; GIF stores them in 10 ms steps.
    ims[0].save(path, format="GIF", save_all=True, append_images=ims[1:],
                duration=round(1000 / fps), loop=0)
