"""Tests of scine_eval.registry, including a real third-party plugin discovered through entry points.

Covered: decorators, aliases, contract checks at registration, did-you-mean, lazy entries.

The plugin is a package and a ``.dist-info`` folder written into tmp_path and put on ``sys.path``, so
``importlib.metadata`` finds it exactly as it finds an installed wheel. Every registry here is fresh, so
the package's shared registries are never changed.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from scine_eval.contracts.judge import Judge, Judgement, judge_registry
from scine_eval.contracts.model import ModelAdapter, model_registry
from scine_eval.errors import UnknownNameError
from scine_eval.registry import RegistrationError, Registry
from scine_eval.tasks import TaskIndex


class Shape:
    name = ""


class Circle(Shape):
    pass


class Square(Shape):
    pass


class NotAShape:
    pass


def fresh() -> Registry:
    return Registry("shape", Shape)


def write_module(folder: Path, name: str, text: str) -> None:
    (folder / f"{name}.py").write_text(textwrap.dedent(text))


@pytest.fixture
def modules(tmp_path, monkeypatch):
    """A folder on sys.path for throwaway modules; they are forgotten after the test."""
    folder = tmp_path / "modules"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    before = set(sys.modules)
    yield folder
    for name in set(sys.modules) - before:
        if name.startswith("scine_test_"):
            del sys.modules[name]


# -- registration -----------------------------------------------------------------------------------


def test_decorator_registers_and_sets_name():
    """``@register(name)`` registers the class and sets its ``name``."""
    registry = fresh()

    @registry.register("circle")
    class Round(Shape):
        pass

    assert registry.get("circle") is Round
    assert Round.name == "circle"
    assert registry.names() == ["circle"]


def test_aliases_resolve_to_the_canonical_name():
    """Aliases find the same object and resolve to the canonical name; ``names`` lists them only if asked."""
    registry = fresh()
    registry.register("circle", "round", "disc")(Circle)
    assert registry.get("round") is registry.get("disc") is Circle
    assert registry.resolve("disc") == "circle"
    assert registry.aliases_of("circle") == ["disc", "round"]
    assert registry.names() == ["circle"]
    assert registry.names(include_aliases=True) == ["circle", "disc", "round"]
    assert "round" in registry and "oval" not in registry and 3 not in registry
    assert list(registry) == ["circle"]


def test_wrong_class_is_rejected_at_registration():
    """A class that does not subclass the base fails at registration, naming the class and the base."""
    registry = fresh()
    with pytest.raises(
        RegistrationError,
        match=r"shape 'bad': tests\.test_registry\.NotAShape is not a "
        r"tests\.test_registry\.Shape",
    ):
        registry.register("bad")(NotAShape)
    assert "bad" not in registry


def test_instances_are_checked_too():
    """``add`` accepts an instance of the base and rejects one of another type, naming it."""
    registry = fresh()
    circle = Circle()
    registry.add("one", circle)
    assert registry.get("one") is circle
    with pytest.raises(RegistrationError, match=r"shape 'two': 42 is not a tests\.test_registry\.Shape"):
        registry.add("two", 42)


def test_name_clash_is_an_error():
    """Two different objects under one name fail, naming both."""
    registry = fresh()
    registry.add("shape", Circle)
    with pytest.raises(
        RegistrationError,
        match=r"shape 'shape' is already registered to tests\.test_registry\.Circle; "
        r"cannot register tests\.test_registry\.Square under the same name",
    ):
        registry.add("shape", Square)
    assert registry.get("shape") is Circle


def test_registering_the_same_object_twice_is_fine():
    """Re-registering the same object under its name (a re-import) is not a clash."""
    registry = fresh()
    registry.add("circle", Circle)
    registry.add("circle", Circle)
    assert registry.names() == ["circle"]


def test_unknown_name_suggests_close_names():
    """An unknown name raises UnknownNameError with close names and aliases as suggestions."""
    registry = fresh()
    registry.register("circle", "round")(Circle)
    registry.register("square")(Square)
    with pytest.raises(UnknownNameError, match=r"unknown shape 'cirlce'\. Did you mean 'circle'\?") as info:
        registry.get("cirlce")
    assert info.value.suggestions == ["circle"]
    assert info.value.kind == "shape" and info.value.name == "cirlce"
    with pytest.raises(UnknownNameError, match=r"unknown shape 'rounds'\. Did you mean 'round'"):
        registry.resolve("rounds")


def test_unknown_name_without_close_matches_has_no_hint():
    """A name like nothing registered gets no did-you-mean."""
    registry = fresh()
    registry.add("circle", Circle)
    with pytest.raises(UnknownNameError, match=r"^unknown shape 'zzz'\.$") as info:
        registry.get("zzz")
    assert info.value.suggestions == []


# -- lazy entries -----------------------------------------------------------------------------------


def test_lazy_entry_is_imported_only_on_first_get(modules):
    """An ``add_lazy`` target is listed at once but imported only when first looked up."""
    write_module(
        modules,
        "scine_test_lazy",
        """\
        from tests.test_registry import Shape

        class Triangle(Shape):
            pass
        """,
    )
    registry = fresh()
    registry.add_lazy("triangle", "scine_test_lazy:Triangle", aliases=["tri"])
    assert "triangle" in registry.names() and "tri" in registry
    assert "scine_test_lazy" not in sys.modules
    triangle = registry.get("tri")
    assert "scine_test_lazy" in sys.modules
    assert triangle.__name__ == "Triangle" and registry.get("triangle") is triangle


def test_lazy_target_must_be_module_colon_attribute():
    """``add_lazy`` refuses a target without ``:``."""
    with pytest.raises(RegistrationError, match=r"lazy shape 'x': target 'pkg\.mod\.X' is not 'module:attribute'"):
        fresh().add_lazy("x", "pkg.mod.X")


def test_lazy_entry_of_the_wrong_class_fails_on_get(modules):
    """A lazy target that is not a subclass of the base fails the check when loaded."""
    write_module(modules, "scine_test_wrong", "class Blob:\n    pass\n")
    registry = fresh()
    registry.add_lazy("blob", "scine_test_wrong:Blob")
    with pytest.raises(RegistrationError, match=r"shape 'blob': scine_test_wrong\.Blob is not a"):
        registry.get("blob")


@pytest.mark.parametrize(
    "target,error",
    [
        ("scine_test_absent:Thing", "No module named 'scine_test_absent'"),
        ("scine_test_present:Absent", "has no attribute 'Absent'"),
    ],
)
def test_lazy_entry_that_cannot_load(modules, target, error):
    """A lazy target whose module or attribute is missing says which and why."""
    write_module(modules, "scine_test_present", "X = 1\n")
    registry = fresh()
    registry.add_lazy("thing", target)
    with pytest.raises(RegistrationError, match=rf"shape 'thing': cannot load '{target}': .*{error}"):
        registry.get("thing")


def test_unregistered_module_colon_class_name_loads_and_is_checked(modules):
    """``get("module:Class")`` imports a one-off class, checks it, and registers it under that name."""
    write_module(
        modules,
        "scine_test_oneoff",
        """\
        from tests.test_registry import Shape

        class Hexagon(Shape):
            pass

        class NotOne:
            pass
        """,
    )
    registry = fresh()
    hexagon = registry.get("scine_test_oneoff:Hexagon")
    assert hexagon.__name__ == "Hexagon"
    assert "scine_test_oneoff:Hexagon" in registry.names()
    with pytest.raises(RegistrationError, match=r"scine_test_oneoff\.NotOne is not a tests\.test_registry\.Shape"):
        registry.get("scine_test_oneoff:NotOne")


def test_a_failed_module_colon_class_lookup_leaves_nothing_behind(modules):
    """A ``module:Class`` name that fails to load or to pass the check is not listed afterwards."""
    write_module(modules, "scine_test_failing", "class NotOne:\n    pass\n")
    registry = fresh()
    registry.add("circle", Circle)
    for name in ("scine_test_failing:NotOne", "scine_test_failing:Missing"):
        with pytest.raises(RegistrationError):
            registry.get(name)
        assert name not in registry
    assert registry.names() == ["circle"]


def test_loaded_class_without_a_name_gets_the_registered_one(modules):
    """A lazily loaded class that sets no ``name`` itself (even if a parent does) gets the name it was loaded under."""
    write_module(
        modules,
        "scine_test_named",
        """\
        from tests.test_registry import Shape

        class Anonymous(Shape):
            pass

        class Named(Shape):
            name = "my-name"

        class Child(Named):
            pass
        """,
    )
    registry = fresh()
    registry.add_lazy("anon", "scine_test_named:Anonymous")
    registry.add_lazy("named", "scine_test_named:Named")
    registry.add_lazy("child", "scine_test_named:Child")
    assert registry.get("anon").name == "anon"
    assert registry.get("named").name == "my-name"
    assert registry.get("child").name == "child"


def test_builtin_package_is_scanned_on_first_lookup(modules):
    """The first lookup imports every public module of the built-in package, so their decorators run."""
    package = modules / "scine_test_builtins"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from scine_eval.registry import Registry\n"
        "from tests.test_registry import Shape\n"
        "registry = Registry('shape', Shape, builtin_package='scine_test_builtins')\n"
    )
    (package / "circle.py").write_text(
        "from scine_test_builtins import registry\n"
        "from tests.test_registry import Shape\n"
        "@registry.register('circle', 'round')\n"
        "class Circle(Shape):\n    pass\n"
    )
    (package / "_private.py").write_text("raise RuntimeError('private modules are not scanned')\n")
    import scine_test_builtins

    assert "scine_test_builtins.circle" not in sys.modules
    assert scine_test_builtins.registry.names(include_aliases=True) == ["circle", "round"]
    assert "scine_test_builtins.circle" in sys.modules
    assert "scine_test_builtins._private" not in sys.modules


def test_shared_registries_hold_the_builtins():
    """``judge_registry`` and ``model_registry`` find the bundled judge and adapter with their aliases."""
    from scine_eval.judges.human import HumanAnnotations
    from scine_eval.models.cached import CachedVideos

    assert judge_registry.get("annotations") is HumanAnnotations and HumanAnnotations.name == "human"
    assert model_registry.get("folder") is CachedVideos and CachedVideos.name == "cached"


# -- a third-party plugin through entry points ------------------------------------------------------

PLUGIN = '''\
"""A tiny third-party scine-eval plugin: one judge, one model adapter, one folder of tasks."""

from pathlib import Path

from scine_eval.contracts.judge import Judge, Judgement
from scine_eval.contracts.model import GeneratedVideo, ModelAdapter


class ConstantJudge(Judge):
    """Scores every item 4."""

    def score(self, items):
        return [Judgement(score=4.0, raw="constant") for _ in items]


class NoVideos(ModelAdapter):
    """Never has a video."""

    def generate(self, requests):
        return [GeneratedVideo(r, None, error="no videos here") for r in requests]


def task_folder():
    return Path(__file__).parent / "tasks"
'''

ENTRY_POINTS = """\
[scine_eval.judges]
demo-judge = scine_plugin_demo:ConstantJudge

[scine_eval.models]
demo-model = scine_plugin_demo:NoVideos

[scine_eval.tasks]
demo-tasks = scine_plugin_demo:task_folder
"""


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """Installs ``scine_plugin_demo`` into a tmp folder on sys.path, as a wheel would, and removes it after."""
    site = tmp_path / "site-packages"
    package = site / "scine_plugin_demo"
    (package / "tasks").mkdir(parents=True)
    (package / "__init__.py").write_text(PLUGIN)
    (package / "tasks" / "demo_camera.yaml").write_text(
        "task: demo_camera_moves\nnodes: [camera.trajectory.movement_2d, camera.trajectory.movement_3d]\n"
        "description: The plugin's camera-move task.\n"
    )
    (package / "tasks" / "_not_a_task.yaml").write_text("rubric: plugin-rubric\n")
    dist_info = site / "scine_plugin_demo-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: scine-plugin-demo\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("scine_plugin_demo", None)


def judges() -> Registry:
    return Registry(judge_registry.kind, judge_registry.base, entry_point_group=judge_registry.entry_point_group)


def models() -> Registry:
    return Registry(model_registry.kind, model_registry.base, entry_point_group=model_registry.entry_point_group)


def test_plugin_distribution_is_visible_to_importlib_metadata(plugin):
    """The tmp dist-info is found like an installed wheel (the premise of the tests below)."""
    import importlib.metadata

    assert importlib.metadata.version("scine-plugin-demo") == "0.1"
    groups = {ep.group for ep in importlib.metadata.distribution("scine-plugin-demo").entry_points}
    assert groups == {"scine_eval.judges", "scine_eval.models", "scine_eval.tasks"}


def test_plugin_entries_are_listed_without_importing_the_plugin(plugin):
    """A registry lists the plugin's judge and model by entry-point name before importing its package."""
    judge_names, model_names = judges().names(), models().names()
    assert "demo-judge" in judge_names and "demo-model" in model_names
    assert "scine_plugin_demo" not in sys.modules


def test_plugin_judge_and_model_load_on_first_use(plugin):
    """Looking a plugin entry up imports it, checks it, names it, and it works."""
    registry = judges()
    judge_cls = registry.get("demo-judge")
    assert "scine_plugin_demo" in sys.modules
    assert issubclass(judge_cls, Judge) and judge_cls.__name__ == "ConstantJudge"
    assert judge_cls.name == "demo-judge"
    assert judge_cls().score([object(), object()]) == [Judgement(4.0, raw="constant")] * 2
    model_cls = models().get("demo-model")
    assert issubclass(model_cls, ModelAdapter) and model_cls.name == "demo-model"
    assert model_cls().spec() == {"adapter": "demo-model"}


def test_plugin_entry_in_the_wrong_group_fails_the_contract(plugin):
    """A plugin model declared as a judge fails the base-class check when loaded."""
    (plugin / "scine_plugin_demo-0.1.dist-info" / "entry_points.txt").write_text(
        "[scine_eval.judges]\nwrong = scine_plugin_demo:NoVideos\n"
    )
    with pytest.raises(
        RegistrationError,
        match=r"judge 'wrong': scine_plugin_demo\.NoVideos is not a "
        r"scine_eval\.contracts\.judge\.Judge",
    ):
        judges().get("wrong")


def test_broken_plugin_entry_names_the_entry_point(plugin):
    """An entry point whose attribute is missing names the entry point in the error."""
    (plugin / "scine_plugin_demo-0.1.dist-info" / "entry_points.txt").write_text(
        "[scine_eval.models]\nbroken = scine_plugin_demo:Gone\n"
    )
    with pytest.raises(RegistrationError, match=r"model 'broken': cannot load entry point 'scine_plugin_demo:Gone'"):
        models().get("broken")


def test_judge_registry_discovers_the_plugin_beside_builtins(plugin):
    """A registry built like ``judge_registry`` (built-in package and group) lists built-ins and the plugin."""
    registry = Registry("judge", Judge, entry_point_group="scine_eval.judges", builtin_package="scine_eval.judges")
    assert "demo-judge" in registry.names()
    assert registry.get("demo-judge").__module__ == "scine_plugin_demo"
    assert "demo-judge" not in judge_registry._objects  # the shared registry was not touched


def test_plugin_does_not_shadow_a_builtin(plugin):
    """An entry point named like an already registered object does not replace it."""
    (plugin / "scine_plugin_demo-0.1.dist-info" / "entry_points.txt").write_text(
        "[scine_eval.judges]\nhuman = scine_plugin_demo:ConstantJudge\n"
    )
    from scine_eval.judges.human import HumanAnnotations

    registry = Registry("judge", Judge, entry_point_group="scine_eval.judges")
    registry.add("human", HumanAnnotations)
    assert registry.get("human") is HumanAnnotations


def test_task_index_picks_up_the_plugin_task_folder(plugin, taxonomy):
    """TaskIndex loads the folder a ``scine_eval.tasks`` entry point returns, skipping ``_`` files."""
    index = TaskIndex(taxonomy)
    task = index.get("demo_camera_moves")
    assert task.leaves == ("camera.trajectory.movement_2d", "camera.trajectory.movement_3d")
    assert Path(task.source).parent.name == "tasks" and "scine_plugin_demo" in task.source
    assert "scine" in index.names()
    assert index.select(["demo_*"]) == [task]


def test_task_index_without_the_plugin(taxonomy):
    """Without the plugin on sys.path its tasks do not exist (the tests above leave nothing behind)."""
    with pytest.raises(UnknownNameError, match="unknown task 'demo_camera_moves'"):
        TaskIndex(taxonomy).get("demo_camera_moves")


def test_broken_task_plugin_names_itself(plugin, taxonomy):
    """A task entry point that fails to load is a ConfigError naming the plugin entry."""
    from scine_eval.errors import ConfigError

    (plugin / "scine_plugin_demo-0.1.dist-info" / "entry_points.txt").write_text(
        "[scine_eval.tasks]\ndemo-tasks = scine_plugin_demo:no_such_function\n"
    )
    with pytest.raises(
        ConfigError,
        match=r"task plugin 'demo-tasks' \(scine_plugin_demo:no_such_function\) failed "
        "to load",
    ):
        TaskIndex(taxonomy)


def test_evaluate_with_the_plugin_judge(plugin, videos, tmp_path, monkeypatch):
    """A run with ``judge="demo-judge"`` scores with the plugin and records it under its entry-point name."""
    from scine_eval import evaluate
    from scine_eval.options import RunConfig

    registry = Registry("judge", Judge, entry_point_group="scine_eval.judges", builtin_package="scine_eval.judges")
    monkeypatch.setattr("scine_eval.evaluator.judge_registry", registry)
    config = RunConfig(
        model="cached",
        model_args=videos.model_args(),
        judge="demo-judge",
        tasks=["lighting.position"],
        output_path=None,
        cache_dir=str(tmp_path / "cache"),
        bootstrap_iters=0,
    )
    output = evaluate(config)
    assert output.results["results"]["lighting.position"]["score,demo-judge"] == pytest.approx(4.0)
