"""The contracts the core runs on: what a model adapter, a judge and a results exporter must do.

Extensions (``scine_eval.models``, ``scine_eval.judges``, ``scine_eval.leaderboard`` and plugins) implement
them and register by name; the core reaches them only through these registries, never by import.
"""
