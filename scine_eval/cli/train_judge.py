"""``scine-eval train-judge``: fine-tune the Bradley-Terry judge on preference pairs, then use it as ``--judge bt``.

    scine-eval train-judge --annotations ratings.jsonl --output_dir runs/scorer           # the paper's recipe
    scine-eval train-judge --synthetic lighting.color_temperature --base /models/tiny      # offline proof
    torchrun --nproc_per_node 8 -m scine_eval train-judge --annotations ... --gradient_checkpointing

The options are :class:`~scine_eval.bt.config.TrainConfig` (optimisation, LoRA, input spec) and
:class:`~scine_eval.bt.data.PairSource` (annotations or rendered pairs, ties, the prompt split); the run
prints the pair counts, trains with a progress bar showing loss and validation accuracy, and writes the
scorer folder (see docs/bt-judge.md). Rerunning an interrupted command resumes from its checkpoint.
"""

from __future__ import annotations

from pathlib import Path

from jsonargparse import ArgumentParser, Namespace
from rich.markup import escape
from rich.table import Table

from scine_eval.bt.config import TrainConfig, require_training_stack
from scine_eval.bt.data import PairSource
from scine_eval.cli.parsing import add_dataclass_arguments, config_from, config_parser
from scine_eval.distributed import from_environment
from scine_eval.options import RunConfig
from scine_eval.progress import console

__all__ = ["train_judge", "train_judge_parser"]


def train_judge_parser() -> ArgumentParser:
    parser = config_parser(
        "scine-eval train-judge",
        "Fine-tune a Qwen2.5-VL Bradley-Terry judge (LoRA + linear head) on preference pairs from expert "
        "annotations or from the synthetic renderer; the output folder is a judge: --judge bt "
        "--judge_args pretrained=OUTPUT_DIR.",
        "example: scine-eval train-judge --annotations ratings.jsonl --output_dir runs/scorer --gradient_checkpointing",
        PairSource,
        TrainConfig,
    )
    add_dataclass_arguments(parser, RunConfig, only=("taxonomy", "suite", "cache_dir"))
    return parser


def train_judge(namespace: Namespace) -> int:
    require_training_stack()
    from scine_eval.bt.data import training_pairs
    from scine_eval.bt.train import train
    from scine_eval.judge_eval.preferences import pairs_table
    from scine_eval.suite import load_suite
    from scine_eval.taxonomy import load_taxonomy

    source: PairSource = config_from(namespace, PairSource)
    config: TrainConfig = config_from(namespace, TrainConfig)
    dist = from_environment()
    suite = load_suite(namespace.suite, load_taxonomy(namespace.taxonomy))
    split = training_pairs(source, suite, Path(namespace.cache_dir).expanduser())
    if dist.is_main:
        console.print(pairs_table(split))
    _, report = train(config, split.train, split.validation, dist)
    if dist.is_main:
        console.print(_summary(report, config.output_dir))
        if report.get("finished"):
            use = f"--judge bt --judge_args pretrained={config.output_dir}"
            console.print(f"[dim]judge with it:[/] {escape(use)}", highlight=False, soft_wrap=True)
    return 0


def _summary(report: dict, output_dir: str) -> Table:
    table = Table(title="train-judge", title_justify="left", show_header=False)
    table.add_column("", style="dim")
    table.add_column("")
    accuracy = report.get("validation_accuracy")
    rows = {
        "steps": f"{report['steps_done']} of {report['steps']}",
        "loss": f"{report['loss_first']:.4f} → {report['loss_last']:.4f}" if report["loss_first"] is not None else "-",
        "validation accuracy": "-" if accuracy is None else f"{accuracy:.3f}",
        "throughput": f"{report['pairs_per_second']:.2f} pairs/s ({report['seconds']:.0f} s)",
    }
    if report.get("finished"):
        calibration = report["calibration"]
        rows["calibration"] = f"1-5 score = {calibration['scale']:.3f} × raw + {calibration['shift']:.3f}"
    else:
        rows["stopped"] = f"checkpoint in {escape(output_dir)}/checkpoint: rerun the command to continue"
    for name, value in rows.items():
        table.add_row(name, value)
    return table
