"""What the diffusers text-to-video adapter stands on (the adapter is ``scine_eval/models/diffusers.py``).

Model presets with their own defaults and frame rules, pipeline loading with named errors, and the export
of a pipeline's frames into the video store.
"""
