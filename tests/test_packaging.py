"""The built distribution: what the wheel holds, and that an installed wheel works away from the repository.

The extension folders live inside the package (``scine_eval/models`` ...; the repository's top-level
``models/``, ``judges/``, ``leaderboard/`` and ``tasks/`` are links to them): they must install as
``scine_eval.models`` and so on (never a generic top-level ``models`` in site-packages), with the task data
(taxonomy, families, starter suite) inside the package.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

REQUIRED = [
    "scine_eval/__init__.py",
    "scine_eval/__main__.py",
    "scine_eval/cli/__init__.py",
    "scine_eval/models/__init__.py",
    "scine_eval/models/base.py",
    "scine_eval/models/cached.py",
    "scine_eval/judges/__init__.py",
    "scine_eval/judges/base.py",
    "scine_eval/judges/human.py",
    "scine_eval/leaderboard/hf.py",
    "scine_eval/task_data/__init__.py",
    "scine_eval/task_data/taxonomy.yaml",
    "scine_eval/task_data/families/scine.yaml",
    "scine_eval/task_data/suites/starter/prompts.jsonl",
    "scine_eval/task_data/suites/starter/questions.jsonl",
]

# Runs in the installed copy: every module and data file must come from there, not from the repository.
PROBE = """
import json, sys
from pathlib import Path

site = Path(sys.argv[1]).resolve()
import scine_eval
import scine_eval.judges.human
import scine_eval.leaderboard.hf
import scine_eval.models.cached
import scine_eval.task_data
from scine_eval.judges import judge_registry
from scine_eval.models import model_registry
from scine_eval.suite import load_suite
from scine_eval.taxonomy import load_taxonomy

modules = [scine_eval, scine_eval.models.cached, scine_eval.judges.human, scine_eval.leaderboard.hf,
           scine_eval.task_data]
taxonomy = load_taxonomy()
suite = load_suite(None, taxonomy)
print(json.dumps({
    "files": {m.__name__: str(Path(m.__file__).resolve()) for m in modules},
    "site": str(site),
    "taxonomy_path": str(Path(taxonomy.path).resolve()),
    "leaves": len(taxonomy.leaves()),
    "prompts": len(suite.prompts),
    "questions": len(suite.questions),
    "models": model_registry.names(),
    "judges": judge_registry.names(),
    "model_classes": [model_registry.get(n).__module__ for n in model_registry.names()],
    "meta_path": [getattr(f, "__name__", type(f).__name__) for f in sys.meta_path],
    "top_level_models": __import__("importlib.util").util.find_spec("models") is not None,
}))
"""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    return {**env, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home"),
            "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """An sdist and a wheel built from it (as a release does), from a copy of the repository.

    Building in a copy leaves no ``build/`` or ``*.egg-info`` in the working tree. Tests make no network
    calls, so the build backend comes from the environment (no build isolation): the ``test`` extra
    installs ``build`` and ``setuptools>=77``.
    """
    base = tmp_path_factory.mktemp("packaging")
    source, out = base / "source", base / "dist"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", "__pycache__", "*.egg-info", "build", "dist", ".pytest_cache", ".ruff_cache", ".benchmarks",
        "results", ".venv", "venv"))
    command = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out)]
    done = subprocess.run(command, cwd=source, env=_env(base), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def wheel(dist) -> Path:
    [path] = dist.glob("scine_eval-*.whl")
    return path


@pytest.fixture(scope="module")
def wheel_files(wheel) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_the_wheel_holds_the_package_and_its_data(wheel_files):
    missing = [name for name in REQUIRED if name not in wheel_files]
    assert not missing, f"missing from the wheel: {missing}"
    families = [n for n in wheel_files if n.startswith("scine_eval/task_data/families/") and n.endswith(".yaml")]
    assert len(families) >= 2


def test_every_source_package_is_in_the_wheel(wheel_files):
    """A new sub-package must be listed in pyproject's ``packages``; this catches one that is not."""
    sources = {p.parent.relative_to(REPO).as_posix() for p in (REPO / "scine_eval").rglob("__init__.py")}
    shipped = {name.rsplit("/", 1)[0] for name in wheel_files if name.endswith("/__init__.py")}
    assert sources <= shipped, f"not in the wheel: {sorted(sources - shipped)}"


def test_the_wheel_installs_no_generic_top_level_packages(wheel, wheel_files):
    tops = {name.split("/", 1)[0] for name in wheel_files}
    assert tops == {"scine_eval", f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info"}, tops
    for generic in ("models", "judges", "tasks", "leaderboard"):
        assert not any(name.startswith(f"{generic}/") for name in wheel_files), generic
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in wheel_files)
    assert not any(name.startswith("tests/") for name in wheel_files), "tests stay out of the wheel"
    with zipfile.ZipFile(wheel) as archive:
        [top_level] = [n for n in wheel_files if n.endswith(".dist-info/top_level.txt")]
        assert archive.read(top_level).decode().split() == ["scine_eval"]


def test_the_console_script_entry_point(wheel, wheel_files):
    [name] = [n for n in wheel_files if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(wheel) as archive:
        parser = configparser.ConfigParser()
        parser.read_string(archive.read(name).decode())
    assert dict(parser["console_scripts"]) == {"scine-eval": "scine_eval.cli:main"}


def test_the_sdist_holds_the_task_data(dist):
    [sdist] = dist.glob("scine_eval-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for name in ("pyproject.toml", "README.md", "scine_eval/task_data/taxonomy.yaml",
                 "scine_eval/task_data/families/scine.yaml", "scine_eval/task_data/suites/starter/prompts.jsonl",
                 "scine_eval/models/cached.py", "scine_eval/judges/human.py"):
        assert name in names, name


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The wheel installed into a plain folder (no dependencies: the venv's serve)."""
    base = tmp_path_factory.mktemp("installed")
    site = base / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(site),
                           str(wheel)], cwd=base, env=_env(base), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return site


def test_the_installed_wheel_works_outside_the_repository(installed, tmp_path):
    # The venv also holds the repository as an editable install. Its setuptools finder is *appended* to
    # sys.meta_path, after the standard PathFinder, so a folder on PYTHONPATH is searched first and
    # ``scine_eval`` (then its sub-packages, through the parent's __path__) come from the installed copy.
    # The working folder is a tmp folder, so the repository is not on sys.path either. The probe reports
    # where every module came from, so if the editable finder ever won, this test would say so.
    done = subprocess.run([sys.executable, "-c", PROBE, str(installed)], cwd=tmp_path,
                          env=_env(tmp_path, PYTHONPATH=str(installed)), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    site = Path(report["site"])
    for module, file in report["files"].items():
        assert Path(file).is_relative_to(site), f"{module} came from {file}, not the installed wheel"
    assert Path(report["taxonomy_path"]).is_relative_to(site / "scine_eval" / "task_data")
    assert report["leaves"] == 76
    assert report["prompts"] > 0 and report["questions"] > 0
    assert "cached" in report["models"] and "human" in report["judges"]
    assert all(module.startswith("scine_eval.models.") for module in report["model_classes"])
    assert not report["top_level_models"], "no top-level 'models' package is importable"


def test_the_installed_console_script_runs(installed, tmp_path):
    script = installed / "bin" / "scine-eval"
    assert script.is_file()
    env = _env(tmp_path, PYTHONPATH=str(installed))
    done = subprocess.run([sys.executable, str(script), "taxonomy", "--format", "json"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    nodes = json.loads(done.stdout)["nodes"]
    parents = {node.get("parent") for node in nodes}
    assert len([node for node in nodes if node["id"] not in parents]) == 76
    done = subprocess.run([sys.executable, str(script), "validate"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


def test_a_plain_checkout_imports_the_extension_folders(tmp_path):
    """No install needed: a copy of the repository imports ``scine_eval.judges`` and the rest from its own files."""
    copy = tmp_path / "checkout"
    shutil.copytree(REPO, copy, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", "__pycache__", "*.egg-info", "build", "dist", ".venv", "venv", "results"))
    probe = ("import json, scine_eval.judges.probe, scine_eval.models.cached, scine_eval.leaderboard.hf, "
             "scine_eval.task_data; from scine_eval.judges import judge_registry; "
             "print(json.dumps({'files': [m.__file__ for m in (scine_eval.judges.probe, scine_eval.models.cached, "
             "scine_eval.leaderboard.hf)], 'judges': judge_registry.names()}))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=copy, env=_env(tmp_path), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert all(Path(f).resolve().is_relative_to(copy.resolve()) for f in report["files"]), report["files"]
    assert "probe" in report["judges"]
    for link, target in (("models", "scine_eval/models"), ("judges", "scine_eval/judges"),
                         ("leaderboard", "scine_eval/leaderboard"), ("tasks", "scine_eval/task_data")):
        assert (copy / link).is_symlink() and (copy / link).resolve() == (copy / target).resolve(), link
