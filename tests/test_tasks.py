"""Tests of scine_eval.tasks: the bundled families, selection, task YAML files and their faults.

Selection is by name, glob, file and folder; files are ``task:``, ``group:`` and ``include:`` files.

Task files are written into tmp_path; the bundled taxonomy is the one they are checked against.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from scine_eval.errors import ConfigError, UnknownNameError
from scine_eval.suite import Prompt
from scine_eval.tasks import TaskIndex


@pytest.fixture(scope="module")
def index(taxonomy) -> TaskIndex:
    """The bundled task index (read-only in the tests that use it)."""
    return TaskIndex(taxonomy)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def names(tasks) -> list[str]:
    return [task.name for task in tasks]


def prompt(suite: str) -> Prompt:
    return Prompt(id="p", text="A shot.", suite=suite)


# -- the bundled families ---------------------------------------------------------------------------


def test_scine_family_has_a_task_per_node_plus_root(index, taxonomy):
    """Every taxonomy node (pillar, intermediate, leaf) is a task named by its id, plus the root ``scine``."""
    plain = {name for name in index.names() if "/" not in name and name not in ("scripts", "visuals", "multishot")}
    assert plain == {node.id for node in taxonomy} | {"scine"}
    for node in taxonomy:
        task = index.get(node.id)
        assert task.family == "scine" and task.node == node.id
        assert task.leaves == tuple(leaf.id for leaf in taxonomy.leaves(node.id))
        assert task.subtasks == node.children
        assert task.filter == {}


def test_scine_root_groups_the_pillars(index):
    """``scine`` aggregates the four pillars and scores all 76 leaves, macro-averaged."""
    root = index.get("scine")
    assert root.subtasks == ("camera", "lighting", "setup", "events")
    assert len(root.leaves) == 76 and root.is_group
    assert root.aggregation == "macro" and root.rubric == "scine-1-5"


def test_leaf_tasks_are_not_groups(index):
    """A leaf task scores its own leaf and has no members."""
    leaf = index.get("camera.trajectory.static")
    assert leaf.leaves == ("camera.trajectory.static",) and not leaf.is_group


@pytest.mark.parametrize("prefix,suite", [("scripts", "scripts"), ("visuals", "visuals"), ("multishot", "multishot")])
def test_prefixed_families_filter_by_suite(index, taxonomy, prefix, suite):
    """``scripts/...``, ``visuals/...`` and ``multishot/...`` repeat the tree for one sub-suite, with a filter."""
    expected = {f"{prefix}/{node.id}" for node in taxonomy}
    assert {name for name in index.names() if name.startswith(f"{prefix}/")} == expected
    task = index.get(f"{prefix}/camera.trajectory")
    assert task.filter == {"suite": (suite,)}
    assert task.subtasks == tuple(f"{prefix}/{child}" for child in taxonomy["camera.trajectory"].children)
    assert task.accepts(prompt(suite))
    assert not task.accepts(prompt("visuals" if suite != "visuals" else "scripts"))
    root = index.get(prefix)
    assert root.subtasks == tuple(f"{prefix}/{p}" for p in ("camera", "lighting", "setup", "events"))
    assert root.filter == {"suite": (suite,)}


def test_defaults_file_is_included_not_registered(index):
    """``_scine_defaults.yaml`` gives its keys to the families but defines no task itself."""
    assert index.get("visuals/events").version == "1.0"
    assert all("_scine_defaults" not in index.get(name).source for name in index.names())


def test_task_config_records_the_resolved_task(index):
    """``config()`` has the task's name, leaves, members and filter as plain data."""
    config = index.get("scripts/camera.extrinsics").config()
    assert config["task"] == "scripts/camera.extrinsics"
    assert config["leaves"] == ["camera.extrinsics.angle", "camera.extrinsics.height"]
    assert config["subtasks"] == ["scripts/camera.extrinsics.angle", "scripts/camera.extrinsics.height"]
    assert config["filter"] == {"suite": ["scripts"]} and config["family"] == "scine_scripts"


# -- selection --------------------------------------------------------------------------------------


def test_select_exact_name(index):
    """An exact name selects that task only."""
    assert names(index.select(["lighting.position"])) == ["lighting.position"]


def test_select_glob_under_a_pillar(index, taxonomy):
    """``camera.*`` selects every camera node below the pillar, in taxonomy order, not prefixed families."""
    selected = names(index.select(["camera.*"]))
    assert selected == [node.id for node in taxonomy.descendants("camera")][1:]


def test_select_glob_on_the_last_part(index):
    """``*.shot_size`` selects the shot-size leaf of every family."""
    assert sorted(names(index.select(["*.shot_size"]))) == [
        "camera.creative_intent.shot_size",
        "multishot/camera.creative_intent.shot_size",
        "scripts/camera.creative_intent.shot_size",
        "visuals/camera.creative_intent.shot_size",
    ]


def test_select_comma_separated_values_in_order_without_repeats(index):
    """Commas separate values; order is kept and a task named twice appears once."""
    selected = names(index.select(["lighting.position, camera.trajectory.static", "lighting.position,scine"]))
    assert selected == ["lighting.position", "camera.trajectory.static", "scine"]


def test_select_a_yaml_file(taxonomy, tmp_path):
    """A ``.yaml`` value loads that file and selects the tasks it defines."""
    path = write(
        tmp_path, "moves.yaml", "task: moves\nnodes: [camera.trajectory.movement_2d, camera.trajectory.gear]\n"
    )
    index = TaskIndex(taxonomy)
    (task,) = index.select([str(path)])
    assert task.name == "moves" and task.source == str(path)
    assert task.leaves == ("camera.trajectory.movement_2d", "camera.trajectory.gear")
    assert "moves" in index.names()


def test_select_a_folder(taxonomy, tmp_path):
    """A folder value loads every task file in it (recursively) and selects them all."""
    folder = tmp_path / "mine"
    write(folder, "a.yaml", "task: mine_a\nnodes: [lighting.position]\n")
    write(folder, "deeper/b.yml", "task: mine_b\nnodes: [lighting.conditions]\n")
    assert sorted(names(TaskIndex(taxonomy).select([str(folder)]))) == ["mine_a", "mine_b"]


def test_include_path_registers_a_folder(taxonomy, tmp_path):
    """Folders passed as ``include_paths`` add their tasks to the index beside the bundled ones."""
    write(tmp_path, "a.yaml", "task: mine_a\nnodes: [lighting]\n")
    index = TaskIndex(taxonomy, include_paths=[tmp_path])
    assert index.get("mine_a").leaves == tuple(leaf.id for leaf in taxonomy.leaves("lighting"))
    assert "scine" in index.names()
    assert names(index.select(["mine_*"])) == ["mine_a"]


def test_include_defaults_off(taxonomy, tmp_path):
    """Without the defaults only the given folders' tasks exist."""
    write(tmp_path, "a.yaml", "task: only\nnodes: [lighting]\n")
    assert TaskIndex(taxonomy, include_paths=[tmp_path], include_defaults=False).names() == ["only"]


def test_closure_adds_members_of_groups_recursively(index):
    """``closure`` holds the selected tasks first, then every member of their groups, depth first."""
    closure = index.closure(index.select(["camera.extrinsics", "lighting.position"]))
    assert list(closure) == [
        "camera.extrinsics",
        "camera.extrinsics.angle",
        "camera.extrinsics.height",
        "lighting.position",
    ]
    assert len(index.closure([index.get("scine")])) == len(index.get("scine").leaves) + 25 + 1


# -- task files -------------------------------------------------------------------------------------


def test_summaries_complete_the_pillars_a_glob_names_and_add_an_overall(index):
    selected = index.select(["camera.*", "lighting.*"])
    assert "camera" not in names(selected)
    added = index.summaries(selected)
    assert names(added) == ["camera", "lighting", "overall"]
    overall = added[-1]
    assert overall.subtasks == ("camera", "lighting") and overall.aggregation == "macro"
    assert set(overall.leaves) == set(index.get("camera").leaves) | set(index.get("lighting").leaves)
    assert names(index.roots([*selected, *added])) == ["overall"]


def test_summaries_lift_only_complete_groups(index):
    partial = index.select(["camera.trajectory.static", "camera.trajectory.gear"])
    assert names(index.summaries(partial)) == ["overall"]  # camera.trajectory has other members
    whole = index.select(["camera.trajectory.*"])
    assert names(index.summaries(whole)) == ["camera.trajectory"]  # one top: no overall
    assert index.summaries(index.select(["scine"])) == []


def test_group_file_aggregates_named_tasks(taxonomy, tmp_path):
    """A ``group:`` aggregates its tasks: their leaves in order, and them as members."""
    path = write(
        tmp_path,
        "g.yaml",
        """\
        group: my_group
        tasks: [camera.trajectory.static, lighting.position, camera.trajectory.static]
        aggregation: micro
        """,
    )
    (group,) = TaskIndex(taxonomy).select([str(path)])
    assert group.subtasks == ("camera.trajectory.static", "lighting.position", "camera.trajectory.static")
    assert group.leaves == ("camera.trajectory.static", "lighting.position")
    assert group.aggregation == "micro" and group.is_group


def test_group_naming_an_unknown_task(taxonomy, tmp_path):
    """A group member that is not a task is an unknown-name error with suggestions."""
    path = write(tmp_path, "g.yaml", "group: g\ntasks: [lighting.positoin]\n")
    with pytest.raises(UnknownNameError, match=r"unknown task 'lighting\.positoin'.*'lighting\.position'"):
        TaskIndex(taxonomy).select([str(path)])


def test_group_in_a_folder_may_name_tasks_of_a_later_file(taxonomy, tmp_path):
    """A group file that sorts before the file defining its members still loads from a folder."""
    write(tmp_path, "all.yaml", "group: all_mine\ntasks: [my_task]\n")
    write(tmp_path, "my_task.yaml", "task: my_task\nnodes: [camera.trajectory]\n")
    index = TaskIndex(taxonomy, include_paths=[tmp_path])
    assert index.get("all_mine").subtasks == ("my_task",)
    assert index.get("all_mine").leaves == index.get("my_task").leaves


def test_underscore_files_are_not_registered(taxonomy, tmp_path):
    """Files starting with ``_`` in a folder are only included, never loaded as tasks."""
    write(tmp_path, "_hidden.yaml", "task: hidden\nnodes: [lighting]\n")
    write(tmp_path, "shown.yaml", "task: shown\nnodes: [lighting]\n")
    index = TaskIndex(taxonomy, include_paths=[tmp_path], include_defaults=False)
    assert index.names() == ["shown"]


def test_include_inherits_and_the_child_overrides(taxonomy, tmp_path):
    """``include:`` inherits the parent's keys and the including file's keys win."""
    write(
        tmp_path,
        "_base.yaml",
        """\
        rubric: base-rubric
        aggregation: micro
        version: 2
        filter: {suite: visuals}
        description: from the base
        """,
    )
    path = write(
        tmp_path,
        "child.yaml",
        """\
        include: _base.yaml
        task: child
        nodes: [lighting.position]
        aggregation: macro
        """,
    )
    (task,) = TaskIndex(taxonomy).select([str(path)])
    assert task.rubric == "base-rubric" and task.version == "2" and task.description == "from the base"
    assert task.filter == {"suite": ("visuals",)}
    assert task.aggregation == "macro"


def test_include_paths_are_relative_to_the_including_file(taxonomy, tmp_path, monkeypatch):
    """An included path is resolved against the including file's folder, not the working directory."""
    write(tmp_path, "shared/_common.yaml", "rubric: shared-rubric\n")
    path = write(tmp_path, "tasks/mine/t.yaml", "include: ../../shared/_common.yaml\ntask: t\nnodes: [lighting]\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    (task,) = TaskIndex(taxonomy).select([str(path)])
    assert task.rubric == "shared-rubric"


def test_include_of_a_file_with_another_kind(taxonomy, tmp_path):
    """A file that includes a task file and says ``group:`` is a group (the inherited kind is dropped)."""
    write(tmp_path, "_t.yaml", "task: base_task\nnodes: [lighting]\nrubric: r2\n")
    path = write(tmp_path, "g.yaml", "include: _t.yaml\ngroup: g\ntasks: [lighting.position]\n")
    (group,) = TaskIndex(taxonomy).select([str(path)])
    assert group.name == "g" and group.rubric == "r2" and group.subtasks == ("lighting.position",)


def test_include_chain_of_three_files(taxonomy, tmp_path):
    """Includes chain: the nearest file wins key by key."""
    write(tmp_path, "_a.yaml", "rubric: ra\nversion: a\ndescription: a\n")
    write(tmp_path, "_b.yaml", "include: _a.yaml\nversion: b\n")
    path = write(tmp_path, "c.yaml", "include: _b.yaml\ntask: c\nnodes: [lighting]\ndescription: c\n")
    (task,) = TaskIndex(taxonomy).select([str(path)])
    assert (task.rubric, task.version, task.description) == ("ra", "b", "c")


def test_include_cycle(taxonomy, tmp_path):
    """Two files that include each other are an include-cycle error naming the chain."""
    write(tmp_path, "_a.yaml", "include: _b.yaml\nrubric: a\n")
    write(tmp_path, "_b.yaml", "include: _a.yaml\nrubric: b\n")
    path = write(tmp_path, "t.yaml", "include: _a.yaml\ntask: t\nnodes: [lighting]\n")
    with pytest.raises(ConfigError, match=r"include cycle: .*_a\.yaml -> .*_b\.yaml -> .*_a\.yaml"):
        TaskIndex(taxonomy).select([str(path)])


def test_include_missing_file(taxonomy, tmp_path):
    """An included file that does not exist names the including file and where it looked."""
    path = write(tmp_path, "t.yaml", "include: _gone.yaml\ntask: t\nnodes: [lighting]\n")
    with pytest.raises(
        ConfigError,
        match=rf"{re.escape(str(path))}: key 'include': included file '_gone\.yaml' not "
        "found",
    ):
        TaskIndex(taxonomy).select([str(path)])


def test_include_must_be_one_path(taxonomy, tmp_path):
    """``include`` takes one path, not a list."""
    path = write(tmp_path, "t.yaml", "include: [_a.yaml, _b.yaml]\ntask: t\nnodes: [lighting]\n")
    with pytest.raises(ConfigError, match=r"key 'include': 'include' must be one file path"):
        TaskIndex(taxonomy).select([str(path)])


def test_question_template_is_kept(taxonomy, tmp_path):
    """A task's ``question_template`` is recorded for the runner to re-word questions."""
    path = write(tmp_path, "t.yaml", "task: t\nnodes: [lighting]\nquestion_template: 'Rate: {value}?'\n")
    (task,) = TaskIndex(taxonomy).select([str(path)])
    assert task.question_template == "Rate: {value}?"


# -- errors -----------------------------------------------------------------------------------------


def test_unknown_task_name_suggests(index):
    """An unknown task name is an UnknownNameError with close names as suggestions."""
    with pytest.raises(UnknownNameError, match=r"unknown task 'camerra'\. Did you mean 'camera'") as info:
        index.select(["camerra"])
    assert info.value.suggestions[0] == "camera"


def test_cli_unknown_task_exits_2(tmp_path, monkeypatch, capsys):
    """``scine-eval --tasks camerra`` prints the did-you-mean message and exits with code 2, no traceback."""
    from scine_eval.cli import main

    monkeypatch.chdir(tmp_path)
    code = main(["--tasks", "camerra", "--output_path", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown task 'camerra'" in err and "'camera'" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_glob_matching_nothing(index):
    """A glob that matches no task is an unknown-pattern error."""
    with pytest.raises(UnknownNameError, match=r"unknown task pattern 'cinematography\.\*'"):
        index.select(["cinematography.*"])


def test_glob_matching_nothing_suggests_similar_names(index):
    """A glob with a typo suggests names sharing its words."""
    with pytest.raises(UnknownNameError, match=r"unknown task pattern 'lighting\.positoin\*'. Did you mean") as info:
        index.select(["lighting.positoin*"])
    assert "lighting.position" in info.value.suggestions


def test_a_registered_name_wins_over_a_folder_of_the_same_name(index, tmp_path, monkeypatch):
    """``--tasks events`` selects the task even when the working directory holds a folder named ``events``."""
    (tmp_path / "events").mkdir()
    monkeypatch.chdir(tmp_path)
    assert names(index.select(["events"])) == ["events"]


def test_a_folder_without_task_files(taxonomy, tmp_path):
    """Selecting a folder that holds no task files is an error, not a silent empty selection."""
    write(tmp_path, "_only_included.yaml", "rubric: x\n")
    with pytest.raises(ConfigError, match=rf"{re.escape(str(tmp_path))}: no task files"):
        TaskIndex(taxonomy).select([str(tmp_path)])


def test_yaml_path_not_found(index, tmp_path):
    """A ``.yaml`` value that does not exist names the path."""
    path = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: task file or folder not found"):
        index.select([str(path)])


def test_include_path_not_found(taxonomy, tmp_path):
    """An ``include_paths`` folder that does not exist is an error naming it."""
    with pytest.raises(ConfigError, match=r"absent: task file or folder not found"):
        TaskIndex(taxonomy, include_paths=[tmp_path / "absent"])


def test_malformed_yaml_names_file_and_line(taxonomy, tmp_path):
    """A YAML syntax error names the file and the line."""
    path = write(tmp_path, "bad.yaml", "task: t\nnodes: [lighting\nrubric: x\n")
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: line \d+: invalid YAML"):
        TaskIndex(taxonomy, include_paths=[tmp_path])


def test_file_that_is_not_a_mapping(taxonomy, tmp_path):
    """A task file holding a list is an error saying it must be a mapping."""
    path = write(tmp_path, "list.yaml", "- task: t\n")
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: a task file must be a YAML mapping"):
        TaskIndex(taxonomy).select([str(path)])


def test_unknown_key_names_file_and_key(taxonomy, tmp_path):
    """A misspelt key is an error naming the file and the key."""
    path = write(tmp_path, "t.yaml", "task: t\nnodes: [lighting]\nrubrik: x\n")
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: key 'rubrik': unknown key"):
        TaskIndex(taxonomy).select([str(path)])


def test_bad_filter_facet(taxonomy, tmp_path):
    """Filtering on something that is not a prompt facet lists the facets."""
    path = write(tmp_path, "t.yaml", "task: t\nnodes: [lighting]\nfilter: {studio: a24}\n")
    with pytest.raises(
        ConfigError,
        match=rf"{re.escape(str(path))}: key 'filter': .*cannot filter on 'studio'; "
        "prompt facets are suite, role, difficulty, genre",
    ):
        TaskIndex(taxonomy).select([str(path)])


def test_bad_aggregation(taxonomy, tmp_path):
    """``aggregation`` is micro or macro."""
    path = write(tmp_path, "t.yaml", "task: t\nnodes: [lighting]\naggregation: median\n")
    with pytest.raises(ConfigError, match=r"key 'aggregation': Input should be 'micro' or 'macro'"):
        TaskIndex(taxonomy).select([str(path)])


def test_question_template_without_value(taxonomy, tmp_path):
    """A ``question_template`` must contain ``{value}`` once."""
    path = write(tmp_path, "t.yaml", "task: t\nnodes: [lighting]\nquestion_template: Is it right?\n")
    with pytest.raises(ConfigError, match=r"key 'question_template': .*must contain '\{value\}' exactly once"):
        TaskIndex(taxonomy).select([str(path)])


@pytest.mark.parametrize(
    "text,message",
    [
        ("description: no kind\n", "exactly one of 'family', 'task' or 'group'"),
        ("task: t\ngroup: g\nnodes: [lighting]\ntasks: [lighting]\n", "exactly one of 'family', 'task' or 'group'"),
        ("task: t\n", "a 'task' needs 'nodes'"),
        ("group: g\n", "a 'group' needs 'tasks'"),
    ],
)
def test_file_kind_errors(taxonomy, tmp_path, text, message):
    """A file must be exactly one kind, and a task needs nodes and a group needs tasks."""
    path = write(tmp_path, "t.yaml", text)
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: .*{re.escape(message)}"):
        TaskIndex(taxonomy).select([str(path)])


def test_unknown_node_suggests(taxonomy, tmp_path):
    """``nodes`` naming an unknown taxonomy node says so with did-you-mean."""
    path = write(tmp_path, "t.yaml", "task: t\nnodes: [lighting.positon]\n")
    with pytest.raises(
        ConfigError,
        match=rf"{re.escape(str(path))}: key 'nodes': 'lighting\.positon' is not a "
        r"taxonomy node; did you mean 'lighting\.position'",
    ):
        TaskIndex(taxonomy).select([str(path)])


def test_task_defined_in_two_files(taxonomy, tmp_path):
    """The same task name in two files is an error naming both files."""
    first = write(tmp_path, "a.yaml", "task: twice\nnodes: [lighting]\n")
    second = write(tmp_path, "b.yaml", "task: twice\nnodes: [camera]\n")
    with pytest.raises(
        ConfigError,
        match=rf"{re.escape(str(second))}: task 'twice' is also defined in "
        rf"{re.escape(str(first))}",
    ):
        TaskIndex(taxonomy, include_paths=[tmp_path])


def test_a_task_clashing_with_a_bundled_one(taxonomy, tmp_path):
    """A user file may not redefine a bundled task name."""
    path = write(tmp_path, "t.yaml", "task: camera\nnodes: [camera.trajectory]\n")
    with pytest.raises(ConfigError, match=r"task 'camera' is also defined in .*scine\.yaml"):
        TaskIndex(taxonomy, include_paths=[path])


def test_loading_the_same_file_twice_is_not_a_clash(taxonomy, tmp_path):
    """Selecting a file already loaded through an include path returns the same tasks."""
    path = write(tmp_path, "t.yaml", "task: t\nnodes: [lighting]\n")
    index = TaskIndex(taxonomy, include_paths=[tmp_path])
    assert index.select([str(path)]) == [index.get("t")]
