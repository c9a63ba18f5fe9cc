"""DDPG (Lillicrap et al. 2016, as SpinningUp writes it) in PyTorch: TD3's learner with one
critic, no target policy smoothing and a policy step after every critic step (as SBX writes
it). Its arguments, documentation and log columns are its own (spinup.algos.common.ddpg)."""
from spinup.algos.common.ddpg import SPEC
from spinup.algos.common.spec import make_entry_point
from spinup.algos.pytorch.td3.td3 import TD3Learner


class DDPGLearner(TD3Learner):
    """Actor, critic 'q', their targets and optimizers: TD3's updates with one critic, no
    target noise and ``policy_delay=1``. Logs LossQ, LossPi ``[n]`` and QVals ``[n, batch]``
    per block; its updates draw no random numbers."""

    def __init__(self, obs_space, act_space, hidden_sizes=(256, 256), activation="relu", *,
                 gamma, polyak, pi_lr, q_lr, act_noise, seed=0, dtype="float32", device=None,
                 compile="none"):
        super().__init__(obs_space, act_space, hidden_sizes, activation, gamma=gamma,
                         polyak=polyak, pi_lr=pi_lr, q_lr=q_lr, act_noise=act_noise,
                         target_noise=None, noise_clip=None, policy_delay=1, critics=("q",),
                         seed=seed, dtype=dtype, device=device, compile=compile)


ddpg_pytorch = make_entry_point(SPEC, "pytorch", DDPGLearner, __name__)
