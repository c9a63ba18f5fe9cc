from setuptools import find_packages, setup

setup(
    name="spinup",
    version="0.1.0",
    description="SpinningUp-style deep RL (VPG, TRPO, PPO, DDPG, TD3, SAC) with PyTorch and JAX "
                "backends on one shared loop",
    packages=find_packages(include=["spinup", "spinup.*"]),
    python_requires=">=3.10",
    install_requires=[
        "numpy",
        "gymnasium[mujoco]",
        "mujoco",
        "cloudpickle",
        "matplotlib",
        "pillow",  # test_policy --video writes GIFs
        "imageio",  # ... and MP4s, with imageio-ffmpeg
        "snakeviz",
        "tqdm",  # the progress bar
        "tensorboardX",  # TensorBoard event files beside progress.txt (utils/tensorboard.py)
        # Ranges here; the exact set tested is constraints.txt (`pip install -e . -c
        # constraints.txt`), so that a torch already installed (a CUDA build) is kept.
        "torch>=2.13",
        "jax",
        "jaxlib",
        "dm-haiku",
        "optax",
    ],
    extras_require={
        # Ray runs grids on a cluster (--engine ray); the tests run it on a local instance.
        "ray": ["ray"],
        # MP4 video (test_policy --video x.mp4) needs an ffmpeg binary; the classic-control
        # and Box2D envs draw their frames with pygame (MuJoCo's with its own renderer).
        "video": ["imageio-ffmpeg", "pygame"],
        # Viewing the event files (the writer, tensorboardX, is a dependency).
        "tensorboard": ["tensorboard"],
        # bench --peers: the libraries users would pick instead (Stable-Baselines3, SBX).
        "peers": ["stable-baselines3", "sbx-rl"],
        # SB3 alone for bench --peers --smoke: one 190 kB wheel whose dependencies are ours
        # (SBX would add flax, orbax, tensorstore and tfp: ~31 MB of wheels, slow imports).
        # tensorboard: a real server for tests/test_tensorboard.py; playwright drives Debian's
        # chromium for tests/test_report.py (.ci/run installs chromium).
        "test": ["pytest", "pytest-timeout", "ray", "imageio-ffmpeg", "stable-baselines3",
                 "tensorboardX", "tensorboard", "playwright"],
    },
)
