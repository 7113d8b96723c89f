"""Multi-shot scripts: the shooting-script schema of "The Script is All You Need" (arXiv 2601.17737).

A script is a scene (setting, atmosphere, characters) and a run of numbered shots, each with a time code,
a shot type, a camera movement, an action, dialogue and blocking. :mod:`.script` holds the schema, its
vocabulary (every term maps to SCINE taxonomy leaf values), the JSONL loader and the texts given to
models and alignment judges; :mod:`.render` draws a script with the synthetic renderer as one video with
hard cuts. The bundled scripts are ``task_data/suites/multishot/scripts.jsonl``; ``docs/multishot.md`` explains
the design.
"""
