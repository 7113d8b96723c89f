"""Set-level video metrics (``--metrics clipsim,vsa,fvd,is``), each a :class:`~scine_eval.contracts.metric.VideoMetric`.

One module per concept: the metrics register themselves (``clipsim``, ``vsa``, ``fvd``, ``is``); the
maths they share lives beside them as plain functions (:mod:`.frechet`, :func:`.inception_score.inception_score`,
:func:`.vsa.vsa_of_segments`), and so do the backbones (:mod:`.i3d`, :mod:`.clip_backbone`) and shot
detection (:mod:`.shots`). Importing any of these modules never imports torch or transformers: the metric
registry imports all of them to find the built-ins. See ``docs/metrics.md`` for the protocols.
"""
