from setuptools import find_packages, setup

setup(
    name="spinup",
    version="0.1.0",
    description="SpinningUp-style deep RL (VPG, TD3) with PyTorch and JAX backends on one shared loop",
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
        "torch==2.13.0",
        "jax",
        "jaxlib",
        "dm-haiku",
        "optax",
    ],
    extras_require={
        # Ray runs grids on a cluster (--engine ray); the tests run it on a local instance.
        "ray": ["ray"],
        # MP4 video (test_policy --video x.mp4) needs an ffmpeg binary.
        "video": ["imageio-ffmpeg"],
        "test": ["pytest", "pytest-timeout", "ray", "imageio-ffmpeg"],
    },
)
