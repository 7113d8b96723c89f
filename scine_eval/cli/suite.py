"""``scine-eval suite ...``: build, generate, inspect and measure prompt suites.

* ``suite generate --scripts DIR --output DIR``: SCINE-Scripts from hand-written scripts, plus SCINE-Visuals
  generated from them (see :mod:`scine_eval.suites.augment`): how the bundled ``scine`` suite is made.
* ``suite build --prompts FILE --output DIR``: any prompts, mapped to the taxonomy (lexicon or LLM mapper)
  and given one question per control.
* ``suite stats [--suite S] [--compare S2]``: counts and diversity, as the paper reported them.
* ``suite mapping [--gold FILE_OR_NAME]``: a mapper's precision and recall per pillar against gold labels (by
  default both bundled held-out sets, the second also by its dev and untouched halves).
"""

from __future__ import annotations

import json
from pathlib import Path

from jsonargparse import ArgumentParser, Namespace
from rich.markup import escape
from rich.table import Table

from scine_eval.cli.output import emit, out
from scine_eval.components import parse_arg_string
from scine_eval.errors import ConfigError
from scine_eval.progress import console as err_console

MAPPERS = ("lexicon", "llm")


def suite_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="scine-eval suite", description="Build, generate, inspect and measure prompt suites.")
    commands = parser.add_subcommands(dest="action")

    generate = ArgumentParser(description="Write a suite of SCINE-Scripts and the SCINE-Visuals generated from them.")
    generate.add_argument("--scripts", type=str, required=True, help="Scripts: a .jsonl file or a folder of them.")
    generate.add_argument("--output", type=str, required=True, help="Folder to write the suite into.")
    generate.add_argument("--per_script", type=int, default=8, help="Visuals prompts per script.")
    generate.add_argument("--seed", type=int, default=0, help="Seed of the sampling.")
    generate.add_argument("--name", type=str, default="scine-eval suite", help="Pretty name in the dataset card.")
    _common(generate)
    commands.add_subcommand("generate", generate, help="SCINE-Scripts plus generated SCINE-Visuals, as a suite folder")

    build = ArgumentParser(description="Map your own prompts to the taxonomy and write them as a suite.")
    build.add_argument("--prompts", type=str, required=True, help="A .txt (one prompt per line) or .jsonl file.")
    build.add_argument("--output", type=str, required=True, help="Folder to write the suite into.")
    _mapper_options(build)
    build.add_argument("--name", type=str, default="my prompts", help="Pretty name in the dataset card.")
    _common(build)
    commands.add_subcommand("build", build, help="your prompts, mapped to the taxonomy, as a suite folder")

    stats = ArgumentParser(description="Counts by suite, role, difficulty, genre, pillar and leaf; lexical diversity.")
    stats.add_argument("--suite", type=str, default=None, help="Suite to describe (default: the default suite).")
    stats.add_argument("--compare", type=str, default=None, help="Another suite to put beside it (e.g. starter).")
    stats.add_argument("--part", choices=["scripts", "visuals"], default=None, help="Only these prompts.")
    stats.add_argument("--format", choices=["table", "json"], default="table", help="Output format.")
    _common(stats)
    commands.add_subcommand("stats", stats, help="counts and lexical diversity of a suite")

    mapping = ArgumentParser(description="A mapper's precision and recall per pillar against gold labels.")
    mapping.add_argument(
        "--gold",
        type=str,
        default=None,
        help="Gold JSONL file or folder, or a bundled set: heldout, heldout_voice (default: both).",
    )
    mapping.add_argument("--scripts", type=str, default=None, help="Also score on these scripts' Events labels.")
    _mapper_options(mapping)
    mapping.add_argument("--format", choices=["table", "json"], default="table", help="Output format.")
    _common(mapping)
    commands.add_subcommand("mapping", mapping, help="a mapper's precision and recall against gold labels")
    return parser


def _mapper_options(parser: ArgumentParser) -> None:
    parser.add_argument("--mapper", choices=MAPPERS, default="lexicon", help="How prompts are mapped to controls.")
    parser.add_argument("--mapper_args", type=str, default="", help="Mapper arguments, e.g. model=PATH for llm.")


def _common(parser: ArgumentParser) -> None:
    parser.add_argument("--taxonomy", type=str, default=None, help="Taxonomy YAML (default: the bundled one).")
    parser.add_argument("--phrases", type=str, default=None, help="Phrase bank folder (default: the bundled one).")


def suite(namespace: Namespace) -> int:
    action = namespace.action
    return {"generate": _generate, "build": _build, "stats": _stats, "mapping": _mapping}[action](namespace[action])


def _data(ns: Namespace):
    from scine_eval.suites.phrases import load_phrase_bank
    from scine_eval.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(ns.taxonomy)
    return taxonomy, load_phrase_bank(taxonomy, ns.phrases)


def _mapper(name: str, args: str, taxonomy, bank):
    options = parse_arg_string(args)
    if name == "lexicon":
        from scine_eval.suites.mapping.lexicon import LexiconMapper

        return LexiconMapper(taxonomy, bank, **options)
    from scine_eval.suites.mapping.llm import LLMMapper

    if "model" not in options:
        raise ConfigError("the llm mapper needs --mapper_args model=PATH_OR_HUB_ID")
    return LLMMapper(taxonomy=taxonomy, **options)


def _generate(ns: Namespace) -> int:
    from scine_eval.suites.augment import VisualsGenerator
    from scine_eval.suites.mapping.lexicon import LexiconMapper
    from scine_eval.suites.sources import load_scripts
    from scine_eval.suites.writer import question_rows, write_suite

    taxonomy, bank = _data(ns)
    scripts = load_scripts(ns.scripts, taxonomy)
    visuals = VisualsGenerator(taxonomy, bank, LexiconMapper(taxonomy, bank), seed=ns.seed).generate(
        scripts, ns.per_script
    )
    prompts, questions = [], []
    for s in scripts:
        prompts.append({"id": s.id, "text": s.text, "suite": "scripts", "role": None, "difficulty": None,
                        "genre": s.genre, "duration": s.duration})  # fmt: skip
        questions += question_rows(s.id, s.events, taxonomy)
    for v in visuals:
        prompts.append({"id": v.id, "text": v.text, "suite": "visuals", "role": v.role, "difficulty": v.difficulty,
                        "genre": v.script.genre, "duration": v.script.duration})  # fmt: skip
        asked = v.controls + (v.script.events if v.role == "director" else ())
        questions += question_rows(v.id, asked, taxonomy)
    description = (
        f"{len(scripts)} SCINE-Scripts prompts (hand-written narrative single shots, with the Events controls each "
        f"sets) and {len(visuals)} SCINE-Visuals prompts generated from them ({ns.per_script} per script, seed "
        f"{ns.seed}: camera, lighting and setup controls injected by role and difficulty), {len(questions)} questions."
    )
    folder = write_suite(ns.output, prompts, questions, ns.name, description)
    err_console.print(f"wrote {len(prompts)} prompts and {len(questions)} questions to {escape(str(folder))}",
                      highlight=False)  # fmt: skip
    return 0


def _build(ns: Namespace) -> int:
    from scine_eval.suites.sources import read_prompt_file
    from scine_eval.suites.writer import question_rows, write_suite

    taxonomy, bank = _data(ns)
    source = read_prompt_file(ns.prompts)
    mapper = _mapper(ns.mapper, ns.mapper_args, taxonomy, bank)
    mappings = mapper.map([p.text for p in source.prompts])
    prompts, questions, failed, empty = [], [], [], []
    for prompt, mapping in zip(source.prompts, mappings, strict=True):
        if not mapping.ok:
            failed.append((prompt.id, mapping.error))
            continue
        rows = question_rows(prompt.id, [(c.node, c.value) for c in mapping.controls], taxonomy)
        if not rows:
            empty.append(prompt.id)
            continue
        pillars = {taxonomy[r["node_id"]].pillar for r in rows}
        kind = "scripts" if pillars == {"events"} else "visuals"
        prompts.append({"id": prompt.id, "text": prompt.text, "suite": kind, "role": None, "difficulty": None,
                        "genre": prompt.genre, "duration": prompt.duration})  # fmt: skip
        questions += rows
    if not prompts:
        raise ConfigError(f"no prompt could be mapped to any control ({len(source.prompts)} read)", path=ns.prompts)
    folder = write_suite(ns.output, prompts, questions, ns.name,
                         f"{len(prompts)} prompts mapped with the {mapper.name} mapper, {len(questions)} questions.")
    notes = [f"skipped {len(source.empty)} empty line(s)" if source.empty else "",
             f"{len(source.duplicates)} duplicate(s) (lines {_lines(source.duplicates)})" if source.duplicates else "",
             f"{len(empty)} prompt(s) with no control found" if empty else "",
             f"{len(failed)} prompt(s) the mapper failed on: " + "; ".join(f"{i}: {e}" for i, e in failed[:5])
             if failed else ""]  # fmt: skip
    for note in filter(None, notes):
        err_console.print(f"[yellow]{escape(note)}[/]", highlight=False)
    err_console.print(f"wrote {len(prompts)} prompts and {len(questions)} questions to {escape(str(folder))}",
                      highlight=False)  # fmt: skip
    return 0


def _lines(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:10])) + (" ..." if len(numbers) > 10 else "")


def _stats(ns: Namespace) -> int:
    from scine_eval.suite import load_suite
    from scine_eval.suites.summary import suite_stats

    taxonomy, _ = _data(ns)
    names = [ns.suite] + ([ns.compare] if ns.compare else [])
    reports = [suite_stats(load_suite(name, taxonomy), taxonomy, ns.part) for name in names]
    if ns.format == "json":
        emit(json.dumps(reports if ns.compare else reports[0], indent=2))
        return 0
    table = Table(title="suite statistics", title_justify="left")
    table.add_column("")
    for report in reports:
        table.add_column(report["suite"], justify="right")
    rows = [("prompts", "prompts"), ("questions", "questions"), ("leaves covered (of 76)", "leaves_covered"),
            ("fewest questions on a leaf", "min_questions_per_leaf")]  # fmt: skip
    for label, key in rows:
        table.add_row(label, *(str(r[key]) for r in reports))
    for group in ("by_suite", "by_role", "by_difficulty", "by_pillar", "questions_per_prompt", "diversity"):
        keys = list(dict.fromkeys(k for r in reports for k in r[group]))
        for key in keys:
            table.add_row(f"{group.replace('_', ' ')}: {key}", *(str(r[group].get(key, "—")) for r in reports))
    table.add_row("genres", *(str(len(r["by_genre"])) for r in reports))
    out.print(table)
    leaves = Table(title="questions per leaf", title_justify="left")
    leaves.add_column("leaf")
    for report in reports:
        leaves.add_column(report["suite"], justify="right")
    for leaf in reports[0]["by_leaf"]:
        leaves.add_row(leaf, *(str(r["by_leaf"].get(leaf, 0)) for r in reports))
    out.print(leaves)
    return 0


def _mapping(ns: Namespace) -> int:
    from scine_eval.suites.mapping.quality import BUNDLED_GOLD, GoldExample, bundled_gold, load_gold, mapping_quality
    from scine_eval.suites.sources import load_scripts

    taxonomy, bank = _data(ns)
    mapper = _mapper(ns.mapper, ns.mapper_args, taxonomy, bank)
    names = [ns.gold] if ns.gold else list(BUNDLED_GOLD)
    if ns.gold and ns.gold not in BUNDLED_GOLD and not Path(ns.gold).exists():
        raise ConfigError(f"no such gold file, nor a bundled set (bundled: {', '.join(BUNDLED_GOLD)})", path=ns.gold)
    sets = {name: load_gold(bundled_gold(name) if name in BUNDLED_GOLD else name, taxonomy) for name in names}
    scored = {name: {node for e in examples for node, _ in e.labels} for name, examples in sets.items()}
    for name, examples in list(sets.items()):
        for split in dict.fromkeys(e.split for e in examples if e.split):  # a split set's halves, on its leaves
            sets[f"{name} ({split})"] = [e for e in examples if e.split == split]
            scored[f"{name} ({split})"] = scored[name]
    if ns.scripts:
        sets["scripts (events)"] = [GoldExample(s.id, s.text, s.events) for s in load_scripts(ns.scripts, taxonomy)]
    reports = {name: mapping_quality(mapper, examples, taxonomy, scored.get(name)) for name, examples in sets.items()}
    if ns.format == "json":
        emit(json.dumps(reports, indent=2))
        return 0
    for name, report in reports.items():
        table = Table(title=escape(f"{report['mapper']} mapper on {name}: {report['examples']} prompts"),
                      title_justify="left",
                      caption="value level: leaf and value must match (open leaves: leaf only); leaf level: leaf only",
                      caption_justify="left")  # fmt: skip
        for column in ("pillar", "gold", "predicted", "precision", "recall", "F1", "leaf precision", "leaf recall"):
            table.add_column(column, justify="left" if column == "pillar" else "right")
        for pillar, r in [*report["pillars"].items(), ("overall", report["overall"])]:
            table.add_row(pillar, str(r["gold"]), str(r["predicted"]), *(_pct(r[k]) for k in
                          ("precision", "recall", "f1", "leaf_precision", "leaf_recall")),
                          style="bold" if pillar == "overall" else None)  # fmt: skip
        out.print(table)
    return 0


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"

