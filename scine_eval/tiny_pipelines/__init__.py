"""Tiny random text-to-video pipelines, built offline, for tests, benchmarks and trying the harness without weights.

Each family's builder assembles a real diffusers pipeline from tiny configs (as in diffusers' own fast tests),
with tokenizers made locally (``ByT5Tokenizer()`` in T5 slots, a hand-written CLIP vocabulary, a byte-level
BPE trained on a few sentences), and writes it with ``save_pretrained``. Tests then load the folder with
``DiffusionPipeline.from_pretrained`` exactly as users load a Hub id. Weights are random: the videos mean
nothing; the folders check loading, argument plumbing, frame rules, export and the run end to end.
"""
