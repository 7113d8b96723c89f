"""Bundled task data, installed as ``scine_eval.task_data``: the taxonomy, task families and suites."""
