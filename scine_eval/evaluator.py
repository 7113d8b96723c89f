"""One run: prepare → plan → generate → judge → aggregate → write.

Generation and judging are separate phases: the adapter is closed before the judge is used, a run can
judge videos a previous run made, and a failure on one video or one question is recorded on that sample
(and counted) while the run goes on. Under torchrun or accelerate every rank builds the same plan,
works on its slice, and rank 0 aggregates and writes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from scine_eval.aggregation import Bootstrap, SampleScore, score_tasks
from scine_eval.components import resolve
from scine_eval.contracts.judge import JudgeItem, Judgement, item_key, judge_registry
from scine_eval.contracts.model import SEED_RECIPE, GeneratedVideo, GenerationRequest, ModelAdapter, model_registry
from scine_eval.distributed import from_environment
from scine_eval.errors import ConfigError, ScineEvalError, VideoError
from scine_eval.judge_loop import judge_items
from scine_eval.measure import build_metrics, measure, metric_videos
from scine_eval.multishot.shots import script_shots
from scine_eval.options import RunConfig
from scine_eval.plan import Context, Plan, Sample
from scine_eval.progress import progress_bar
from scine_eval.results import RunOutput, build_results, safe_name, write_outputs
from scine_eval.store import VideoRecord, VideoStore
from scine_eval.suite import Prompt, Question
from scine_eval.tasks import Task
from scine_eval.taxonomy import Taxonomy
from scine_eval.video import probe, sha256_file
from scine_eval.workers import component_pool, run_batches, worker_count, workers_wanted

log = logging.getLogger("scine_eval")


def evaluate(config: RunConfig | None = None, **overrides: Any) -> RunOutput:
    """Runs one evaluation and returns its results (rank 0 also writes them).

    Args:
        config: the run's options (defaults when None).
        **overrides: fields of :class:`RunConfig` to replace
            (``evaluate(model="cached", model_args="path=videos", tasks=["camera.*"])``).
    """
    config = replace(config or RunConfig(), **overrides)
    context = prepare(config)
    plan = make_plan(context)
    videos = generate(context, plan)  # closes the model: its weights leave memory before the judge's arrive
    measured = measure(context.metrics, metric_videos(videos, context.suite)) if context.dist.is_main else {}
    context.judge = context.judge_component.build()
    judgements = judge(context, plan, videos)
    output = aggregate(context, plan, videos, judgements, measured)
    if context.dist.is_main and context.output_dir is not None:
        write_outputs(output, context.output_dir, config.log_samples)
    return output


def prepare(config: RunConfig) -> Context:
    """Resolves names and files, and checks the output folder, before any expensive work."""
    taxonomy = config.load_taxonomy()
    index = config.task_index(taxonomy)
    selected = index.select(config.tasks)
    scored = [*selected, *index.summaries(selected)]  # pillar and overall rows even for globs
    suite = config.load_suite(taxonomy)
    # Every name, argument and option is checked before either class is built: building one may load
    # model weights, and a typo in --judge must not cost a model load.
    model_part = resolve(model_registry, config.model, config.model_args)
    judge_part = resolve(judge_registry, config.judge, config.judge_args)
    metrics = build_metrics(config.metrics)
    model = model_part.build()
    dist = from_environment()
    output_dir = _output_dir(config, model) if dist.is_main else None
    return Context(
        config=config,
        taxonomy=taxonomy,
        suite=suite,
        tasks=index.closure(scored),
        requested=[task.name for task in selected],
        roots=[task.name for task in index.roots(scored)],
        model=model,
        model_component=model_part,
        judge_component=judge_part,
        metrics=metrics,
        dist=dist,
        store=config.video_store(),
        cache=config.judgement_cache(),
        output_dir=output_dir,
    )


def _output_dir(config: RunConfig, model: ModelAdapter) -> Path | None:
    if config.output_path is None:
        return None
    name = model.model_info().get("model_name") or model.name
    folder = Path(config.output_path).expanduser() / safe_name(str(name))
    probe_file = folder / ".scine-eval-write-test"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe_file.write_text("ok")
        probe_file.unlink()
    except OSError as error:
        raise ConfigError(f"output folder is not writable: {error.strerror or error}", path=folder) from None
    return folder


def make_plan(context: Context) -> Plan:
    """The samples of every non-group task, and the unique (prompt, seed) videos they need.

    With ``--generate covered`` (the default) a video is planned only if the judge covers one of its questions:
    the others would be made and never read (with the probe, 60 % of the bundled suite's clips).
    """
    config, suite = context.config, context.suite
    samples: dict[str, list[Sample]] = {}
    original: dict[str, int] = {}
    for task in context.tasks.values():
        if task.is_group:
            continue
        questions = [q for q in suite.questions_for(task.leaves) if task.accepts(suite.prompts[q.prompt_id])]
        original[task.name] = len(questions) * config.videos_per_prompt
        if config.limit is not None:
            kept = list(dict.fromkeys(q.prompt_id for q in questions))[: config.limit]
            questions = [q for q in questions if q.prompt_id in set(kept)]
        samples[task.name] = [
            Sample(
                task.name,
                suite.prompts[q.prompt_id],
                _asked(task, q, context.taxonomy),
                context.taxonomy[q.node_id],
                config.seed + j,
                j,
                task.rubric,
            )
            for q in questions
            for j in range(config.videos_per_prompt)
        ]
    every = {(s.prompt.id, s.sample_index) for task in samples.values() for s in task}
    covers = context.judge_component.cls.covers_node  # the judge is built after generation: ask its class
    pairs = sorted(
        every
        if config.generate == "all" or context.metrics  # metrics measure every video, not the judged ones
        else {(s.prompt.id, s.sample_index) for task in samples.values() for s in task if covers(s.node)}
    )
    requests = [
        GenerationRequest(
            prompt_id=p,
            prompt=suite.prompts[p].text,
            seed=config.seed + j,
            sample_index=j,
            output_path=_store_path(context, suite.prompts[p], config.seed + j),
            controls=suite.controls(p),
            shots=script_shots(suite.scripts[p]) if p in suite.scripts else (),
        )
        for p, j in pairs
    ]
    return Plan(samples=samples, original=original, requests=requests, not_generated=len(every) - len(pairs))


def _asked(task: Task, question: Question, taxonomy: Taxonomy) -> Question:
    """The question as the task asks it: the suite's wording, or the task's template."""
    if task.question_template is None:
        return question
    return question.model_copy(update={"text": task.question_template.format(value=question.value)})


def _store_path(context: Context, prompt: Prompt, seed: int) -> Path:
    controls = context.suite.controls(prompt.id) if context.model.uses_controls else ()
    if context.model.uses_controls and prompt.id in context.suite.scripts:  # a renderer draws each shot's controls
        shots = script_shots(context.suite.scripts[prompt.id])
        controls = (*controls, *((f"shot {i}:{leaf}", value) for i, shot in enumerate(shots)
                                 for leaf, value in shot.controls))  # fmt: skip
    return context.store.path_for(context.model.fingerprint, prompt.id, prompt.text, seed, controls)


def generate(context: Context, plan: Plan) -> dict[tuple[str, int], VideoRecord]:
    """Videos for every request: from the store, from the adapter, or an error saying why not."""
    mine = context.dist.shard(plan.requests)
    records: dict[tuple[str, int], VideoRecord] = {}
    todo = []
    for request in mine:
        if request.output_path.is_file():
            metadata = VideoStore.metadata(request.output_path)
            records[(request.prompt_id, request.seed)] = _record(request, request.output_path, metadata)
        else:
            todo.append(
                (
                    request.output_path,
                    replace(request, output_path=VideoStore.partial_path(request.output_path)),
                )
            )
    per_call = max(1, context.model.batch_size)
    batches = [todo[start : start + per_call] for start in range(0, len(todo), per_call)]
    final_of = {request.output_path: final for final, request in todo}
    workers = (
        worker_count(context.config.num_workers, len(batches), context.dist.world_size)
        if context.model.cpu_bound
        else 1
    )
    with (
        component_pool(context.model_component, workers if len(batches) > 1 else 1) as pool,
        progress_bar("generate", len(todo), enabled=context.dist.is_main and bool(todo), unit="videos") as advance,
    ):

        def store(requests: list[GenerationRequest], out: list[GeneratedVideo] | BaseException) -> None:
            for record in _batch_records(context.model.name, requests, out, final_of):
                records[(record.prompt_id, record.seed)] = record
            advance(len(requests))

        requests = [[request for _, request in batch] for batch in batches]
        run_batches(pool, context.model, "generate", requests, store)
    context.model.close()
    merged = {key: rec for part in context.dist.all_gather(records) for key, rec in part.items()}
    failed = [rec for rec in merged.values() if not rec.ok]
    if failed and context.config.strict:
        listing = "; ".join(f"{r.prompt_id} seed {r.seed}: {r.error}" for r in failed[:10])
        raise ScineEvalError(f"{len(failed)} video(s) missing or unusable (--strict): {listing}")
    return merged


def _batch_records(
    model: str,
    requests: list[GenerationRequest],
    out: list[GeneratedVideo] | BaseException,
    final_of: dict[Path, Path],
) -> list[VideoRecord]:
    """The records of one ``generate`` call: its results, or (it raised, here or in a worker) its failure."""
    if not isinstance(out, BaseException) and len(out) != len(requests):
        out = TypeError(f"generate() returned {len(out)} results for {len(requests)} requests")
    if isinstance(out, BaseException):  # one failing call must not end a long run; it is recorded per request
        log.warning("generation failed for %d request(s) from %s (%s): %s", len(requests), requests[0].prompt_id,
                    model, out)  # fmt: skip
        reason = f"generation failed: {type(out).__name__}: {out}"
        return [VideoRecord(r.prompt_id, r.seed, r.sample_index, None, error=reason) for r in requests]
    pairs = zip(requests, out, strict=True)
    return [_stored(request, result, final_of[request.output_path]) for request, result in pairs]


def _stored(request: GenerationRequest, result: GeneratedVideo, final: Path) -> VideoRecord:
    """The record of one result: its error, or its file (moved into the store first when written there)."""
    if result.path is None:
        return VideoRecord(request.prompt_id, request.seed, request.sample_index, None,
                           error=result.error or "no video", metadata=result.metadata)  # fmt: skip
    path = Path(result.path)
    if path == request.output_path:  # written into the store: move it into place only now it is complete
        VideoStore.commit(path, final, result.metadata)
        path = final
    return _record(request, path, result.metadata)


def _record(request: GenerationRequest, path: Path, metadata: dict | None = None) -> VideoRecord:
    """Probes the file so corrupt, empty or frameless videos fail here, per sample, with their cause."""
    try:
        info = probe(path)
        digest = sha256_file(path)
    except VideoError as error:
        return VideoRecord(
            request.prompt_id,
            request.seed,
            request.sample_index,
            str(path),
            error=error.cause,
            metadata=metadata or {},
        )
    details = {key: value for key, value in asdict(info).items() if key != "path"}
    return VideoRecord(
        request.prompt_id,
        request.seed,
        request.sample_index,
        str(path),
        sha256=digest,
        info=details,
        metadata=metadata or {},
    )


def judge(context: Context, plan: Plan, videos: dict[tuple[str, int], VideoRecord]) -> dict[tuple[str, str], Judgement]:
    """A judgement for every (video, item) with a usable video and a node the judge covers.

    Items are grouped by video (a judge may encode a video once for all its questions), videos are
    sliced across ranks, cached judgements are reused, and new ones are cached batch by batch.
    """
    judge_obj = context.judge
    items: dict[str, dict[str, JudgeItem]] = defaultdict(dict)
    for sample in (s for task in plan.samples.values() for s in task):
        video = videos.get((sample.prompt.id, sample.seed))
        if video is not None and video.ok and judge_obj.covers(sample.node):
            item = JudgeItem(
                Path(video.path),
                video.sha256,
                sample.seed,
                sample.prompt,
                sample.question,
                sample.node,
                sample.rubric,
            )
            items[video.sha256].setdefault(item.key, item)
    mine = context.dist.shard(sorted(items))
    done = judge_items(judge_obj, context.cache, {video: items[video] for video in mine},
                       progress=context.dist.is_main, component=context.judge_component,
                       num_workers=workers_wanted(context.config.num_workers, context.dist.world_size))  # fmt: skip
    judge_obj.close()
    return {key: j for part in context.dist.all_gather(done) for key, j in part.items()}


def aggregate(
    context: Context,
    plan: Plan,
    videos: dict[tuple[str, int], VideoRecord],
    judgements: dict[tuple[str, str], Judgement],
    measured: dict[str, dict[str, Any]] | None = None,
) -> RunOutput:
    """Attaches each sample's judgement (or why it has none) and scores the task tree."""
    logged: dict[str, list[dict]] = {}
    scored: dict[str, list[SampleScore]] = {}
    for name, samples in plan.samples.items():
        logged[name] = [_outcome(context, sample, videos, judgements) for sample in samples]
        scored[name] = [
            SampleScore(r["prompt_id"], r["node_id"], r["score"]) for r in logged[name] if r["score"] is not None
        ]
    prompts = [s.prompt_id for rows in scored.values() for s in rows]
    bootstrap = Bootstrap(prompts, iters=context.config.bootstrap_iters, seed=context.config.seed)
    scores = score_tasks(context.tasks, scored, bootstrap)
    return build_results(context, plan, videos, logged, scored, scores, bootstrap, SEED_RECIPE, measured or {})


_NOT_GENERATED = VideoRecord("", 0, 0, None, error="not generated: the judge covers none of its questions")


def _outcome(
    context: Context,
    sample: Sample,
    videos: dict[tuple[str, int], VideoRecord],
    judgements: dict[tuple[str, str], Judgement],
) -> dict[str, Any]:
    video = videos.get((sample.prompt.id, sample.seed), _NOT_GENERATED)
    key = item_key(sample.prompt, sample.question, sample.rubric)
    if not context.judge.covers(sample.node):  # first: an uncovered question's video may not have been made
        status, judgement = (
            "not_covered",
            Judgement.abstain(f"judge {context.judge.name!r} does not cover {sample.node.id!r}"),
        )
    elif not video.ok:
        status, judgement = (
            ("missing_video" if video.path is None else "video_error"),
            Judgement.abstain(video.error),
        )
    else:
        judgement = judgements[(video.sha256, key)]
        status = "scored" if judgement.score is not None else "unscored"
    return {
        "prompt_id": sample.prompt.id,
        "prompt": sample.prompt.text,
        "seed": sample.seed,
        "question_id": sample.question.id,
        "node_id": sample.node.id,
        "value": sample.question.value,
        "question": sample.question.text,
        "rubric": sample.rubric,
        "video": video.path,
        "video_sha256": video.sha256,
        "video_metadata": video.metadata,
        "status": status,
        "score": judgement.score,
        "reason": judgement.reason,
        "raw": judgement.raw,
        "question_hash": sample.question.sha256,
        "item_hash": key,
    }
