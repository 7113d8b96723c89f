"""Contract tests every model adapter and every judge inherits.

A registered adapter or judge gets one small subclass in ``tests/test_contracts.py`` that says how to build
it and what to feed it; the tests here then check what the runner relies on:

* batch in, batch out: one result per request or item, in order;
* a failure on one input comes back as data (a ``GeneratedVideo`` with ``error``, an abstaining
  ``Judgement``), never as an exception, and the other inputs of the batch are unaffected;
* the fingerprint changes with every option that changes pixels (adapters) or scores (judges), and not
  with options that only change speed or memory;
* a bad argument is a ``ConfigError`` naming it, raised before anything is built;
* the spec is JSON, so results and caches can record it.

Everything is built through :func:`scine_eval.components.resolve`, the path ``--model_args`` and
``--judge_args`` take.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pytest

from scine_eval.components import resolve
from scine_eval.contracts.judge import Judge, JudgeItem, Judgement, judge_registry
from scine_eval.contracts.model import GeneratedVideo, GenerationRequest, ModelAdapter, model_registry
from scine_eval.errors import ConfigError


class AdapterContract:
    """What every model adapter must do.

    A subclass sets ``name``, ``pixel_options`` and ``bad_arguments`` and provides the fixtures ``base_args``,
    ``requests`` (at least two that succeed) and ``failing_request``.
    """

    name: ClassVar[str]
    pixel_options: ClassVar[Mapping[str, Any]] = {}
    """Each option, set to this value over ``base_args``, must change the fingerprint."""
    neutral_options: ClassVar[Mapping[str, Any]] = {}
    """Each must leave the fingerprint alone (it changes no pixel)."""
    bad_arguments: ClassVar[Mapping[str, Any]] = {}
    """Each must be refused by ``resolve`` with a ConfigError naming it."""

    def build(self, args: Mapping[str, Any]) -> ModelAdapter:
        return resolve(model_registry, self.name, dict(args)).build()

    def test_batch_in_batch_out(self, base_args, requests: Sequence[GenerationRequest]):
        results = self.build(base_args).generate(requests)
        assert [r.request for r in results] == list(requests)
        assert all(isinstance(r, GeneratedVideo) for r in results)
        assert all(r.path is not None and r.error is None for r in results), [r.error for r in results]

    def test_a_failure_is_returned_not_raised(self, base_args, requests, failing_request):
        batch = [requests[0], failing_request, requests[1]]
        results = self.build(base_args).generate(batch)
        assert [r.request for r in results] == batch
        assert results[1].error and results[1].path is None
        assert results[0].error is None and results[2].error is None

    def test_the_fingerprint_follows_every_pixel_option(self, base_args):
        base = self.build(base_args).fingerprint
        for key, value in self.pixel_options.items():
            assert self.build({**base_args, key: value}).fingerprint != base, key
        for key, value in self.neutral_options.items():
            assert self.build({**base_args, key: value}).fingerprint == base, key

    def test_bad_arguments_are_refused_before_building(self, base_args):
        for key, value in self.bad_arguments.items():
            with pytest.raises(ConfigError, match=key):
                resolve(model_registry, self.name, {**base_args, key: value})

    def test_spec_and_model_info_are_json(self, base_args):
        adapter = self.build(base_args)
        json.dumps(adapter.spec())
        assert {"model_name", "model_sha", "model_dtype"} <= set(adapter.model_info())


class JudgeContract:
    """What every judge must do.

    A subclass sets ``name``, ``score_options`` and ``bad_arguments`` and provides the fixtures ``base_args``,
    ``items`` (at least two that the judge scores) and ``failing_item``.
    """

    name: ClassVar[str]
    score_options: ClassVar[Mapping[str, Any]] = {}
    """Each option, set to this value over ``base_args``, must change the fingerprint."""
    neutral_options: ClassVar[Mapping[str, Any]] = {}
    """Each must leave the fingerprint alone (speed or memory only)."""
    bad_arguments: ClassVar[Mapping[str, Any]] = {}

    def build(self, args: Mapping[str, Any]) -> Judge:
        return resolve(judge_registry, self.name, dict(args)).build()

    @pytest.fixture
    def judge(self, base_args):
        judge = self.build(base_args)
        yield judge
        judge.close()

    def test_batch_in_batch_out(self, judge, items: Sequence[JudgeItem]):
        judgements = judge.score(items)
        assert len(judgements) == len(items) and all(isinstance(j, Judgement) for j in judgements)
        assert all(j.score is not None for j in judgements), [j.reason for j in judgements]
        assert [j.score for j in judge.score(list(reversed(items)))] == [j.score for j in reversed(judgements)]

    def test_a_failure_is_returned_not_raised(self, judge, items, failing_item):
        judgements = judge.score([items[0], failing_item, items[1]])
        assert len(judgements) == 3
        assert judgements[1].score is None and judgements[1].reason
        assert judgements[0].score is not None and judgements[2].score is not None

    def test_the_fingerprint_follows_every_score_option(self, judge, base_args):
        for key, value in self.score_options.items():
            other = self.build({**base_args, key: value})
            assert other.fingerprint != judge.fingerprint, key
            other.close()
        for key, value in self.neutral_options.items():
            other = self.build({**base_args, key: value})
            assert other.fingerprint == judge.fingerprint, key
            other.close()

    def test_bad_arguments_are_refused_before_building(self, base_args):
        for key, value in self.bad_arguments.items():
            with pytest.raises(ConfigError, match=key):
                resolve(judge_registry, self.name, {**base_args, key: value})

    def test_describe_and_spec(self, judge):
        info = type(judge).describe()
        assert {"covers", "input"} <= set(info)
        json.dumps(judge.spec())
