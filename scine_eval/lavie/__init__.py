"""LaVie (Wang et al. 2023, arXiv 2309.15103; github.com/Vchitect/LaVie), re-implemented on diffusers components.

A cascade of three latent diffusion UNets inflated from Stable Diffusion: base text-to-video (16 frames at
320x512), temporal interpolation (16 -> 61 frames) and video super-resolution (x4). The modules, one concept each:

* :mod:`~scine_eval.lavie.config`: the networks' sizes and switches, and the released values;
* :mod:`~scine_eval.lavie.rotary`, :mod:`~scine_eval.lavie.temporal`: rotary positions and temporal attention;
* :mod:`~scine_eval.lavie.resnet`, :mod:`~scine_eval.lavie.transformer`, :mod:`~scine_eval.lavie.unet`: the 3D UNet;
* :mod:`~scine_eval.lavie.convert`: released state dicts to this layout (the identity, give or take two details);
* :mod:`~scine_eval.lavie.sampling`: the interpolation stage's respaced DDIM and frame copying;
* :mod:`~scine_eval.lavie.pipeline`: ``LaviePipeline``, and what is and is not faithful to the release;
* :mod:`~scine_eval.lavie.loading`: finding the files, reading checkpoints without running pickles.

Importing this package does not import torch; the torch modules load when a pipeline is built.
``docs/lavie.md`` has the commands, defaults and their provenance.
"""
