"""Tests of scine_eval.taxonomy: the bundled 76-leaf tree, its lookups, and every fault of a taxonomy file.

Invalid files are small YAML trees written into tmp_path; each fault must raise a ConfigError whose
message names the file, the node and what is wrong.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from scine_eval.errors import ConfigError, UnknownNameError
from scine_eval.taxonomy import OPEN, load_taxonomy, parse_taxonomy

# -- the bundled taxonomy ---------------------------------------------------------------------------


def test_bundled_taxonomy_has_76_leaves(taxonomy):
    """The bundled file reconstructs the paper's 76 leaf controls."""
    assert len(taxonomy.leaves()) == 76
    assert all(node.is_leaf and node.question for node in taxonomy.leaves())


def test_leaves_per_pillar(taxonomy):
    """The pillars, in file order, hold 13 camera, 11 lighting, 36 setup and 16 events leaves."""
    counts = {pillar.id: len(taxonomy.leaves(pillar.id)) for pillar in taxonomy.pillars}
    assert counts == {"camera": 13, "lighting": 11, "setup": 36, "events": 16}


def test_node_ids_are_unique_and_children_point_back(taxonomy):
    """Every child lists its parent, and every node's pillar is the first part of its id."""
    for node in taxonomy:
        for child in taxonomy.children(node.id):
            assert child.parent == node.id
        assert node.pillar == node.id.split(".")[0]
    assert len({node.id for node in taxonomy}) == len(list(taxonomy))


def test_getitem_returns_the_node(taxonomy):
    """``taxonomy[id]`` returns the node with that id and its vocabulary."""
    node = taxonomy["camera.trajectory.movement_2d"]
    assert node.name and node.parent == "camera.trajectory"
    assert "pan left" in node.values


def test_getitem_unknown_id_suggests_close_ids(taxonomy):
    """An unknown node id raises UnknownNameError with did-you-mean suggestions."""
    with pytest.raises(UnknownNameError, match=r"unknown taxonomy node 'camera\.trajectroy'.*Did you mean") as info:
        taxonomy["camera.trajectroy"]
    assert "camera.trajectory" in info.value.suggestions


def test_contains(taxonomy):
    """``in`` is true for node ids and false for anything else."""
    assert "lighting.effects" in taxonomy
    assert "lighting.effect" not in taxonomy
    assert 3 not in taxonomy


def test_children_in_file_order(taxonomy):
    """``children`` lists a node's direct children in file order."""
    assert [c.id for c in taxonomy.children("camera.trajectory")] == [
        "camera.trajectory.static",
        "camera.trajectory.movement_2d",
        "camera.trajectory.movement_3d",
        "camera.trajectory.gear",
    ]
    assert taxonomy.children("camera.trajectory.static") == []


def test_leaves_under_a_node_and_a_leaf(taxonomy):
    """``leaves(under)`` gives the leaves below a group, and a leaf itself for a leaf."""
    assert [leaf.id for leaf in taxonomy.leaves("camera.extrinsics")] == [
        "camera.extrinsics.angle",
        "camera.extrinsics.height",
    ]
    assert [leaf.id for leaf in taxonomy.leaves("lighting.position")] == ["lighting.position"]


def test_ancestors_nearest_first(taxonomy):
    """``ancestors`` is the parent chain, nearest first, without the node itself."""
    assert [a.id for a in taxonomy.ancestors("setup.scene.texture.contrast")] == [
        "setup.scene.texture",
        "setup.scene",
        "setup",
    ]
    assert taxonomy.ancestors("setup") == []


def test_descendants_depth_first_with_the_node(taxonomy):
    """``descendants`` starts with the node and walks depth first in file order."""
    ids = [n.id for n in taxonomy.descendants("camera")]
    assert ids[:3] == ["camera", "camera.intrinsics", "camera.intrinsics.lens_size"]
    assert ids.index("camera.intrinsics.iso") < ids.index("camera.extrinsics")
    assert sorted(ids) == sorted(n.id for n in taxonomy if n.id == "camera" or n.id.startswith("camera."))


def test_descendants_of_an_unknown_node(taxonomy):
    """``descendants`` of an unknown id raises UnknownNameError."""
    with pytest.raises(UnknownNameError, match="unknown taxonomy node 'nope'"):
        taxonomy.descendants("nope")


@pytest.mark.parametrize("spelling", ["pan left", "Pan Left", "  PAN   left ", "pan_left"])
def test_canonical_value_forgives_case_and_spacing(taxonomy, spelling):
    """Values match the vocabulary whatever their case, spacing or underscores."""
    assert taxonomy.canonical_value("camera.trajectory.movement_2d", spelling) == "pan left"


def test_canonical_value_rejects_unknown_values_listing_the_valid_ones(taxonomy):
    """A value outside the vocabulary raises ValueError naming the leaf and listing the valid values."""
    with pytest.raises(
        ValueError,
        match=r"'pan sideways' is not a value of 'camera\.trajectory\.movement_2d'; "
        r"valid: pan left, pan right",
    ):
        taxonomy.canonical_value("camera.trajectory.movement_2d", "pan sideways")


def test_canonical_value_of_an_open_leaf_is_the_stripped_text(taxonomy):
    """An open leaf accepts any non-empty text, stripped."""
    assert taxonomy["setup.subjects.costume"].is_open
    assert taxonomy.canonical_value("setup.subjects.costume", "  a red raincoat ") == "a red raincoat"
    with pytest.raises(ValueError, match="empty value for open leaf 'setup.subjects.costume'"):
        taxonomy.canonical_value("setup.subjects.costume", "   ")


def test_canonical_value_of_a_group_is_an_error(taxonomy):
    """Asking a value of a non-leaf node is an error that says questions must name a leaf."""
    with pytest.raises(ValueError, match="'camera' is not a leaf; questions must name a leaf"):
        taxonomy.canonical_value("camera", "wide")


def test_every_question_renders_for_every_value(taxonomy):
    """Each leaf's question renders, without placeholders, for each of its values (open leaves for any text)."""
    for leaf in taxonomy.leaves():
        values = leaf.values if leaf.values is not None else ["a red umbrella"]
        for value in values:
            question = leaf.question_for(value)
            assert "{" not in question and "}" not in question, (leaf.id, value)
            assert question.endswith("?"), (leaf.id, value)
            if value not in leaf.value_questions:
                assert value in question, (leaf.id, value)


def test_value_questions_replace_the_template(taxonomy):
    """A value with its own wording uses it instead of the template."""
    node = taxonomy["camera.trajectory.movement_2d"]
    assert node.question_for("zoom in") == node.value_questions["zoom in"]
    assert node.question_for("pan left") == node.question.format(value="pan left")


def test_question_for_a_group_is_an_error(taxonomy):
    """A group node has no question."""
    with pytest.raises(ValueError, match="node 'camera' is not a leaf and has no question"):
        taxonomy["camera"].question_for("x")


def test_provenance_values_and_notes(taxonomy):
    """Provenance is 'paper' or 'reconstructed', and every reconstructed node says why in a note."""
    assert {node.provenance for node in taxonomy} == {"paper", "reconstructed"}
    for node in taxonomy:
        if node.provenance == "reconstructed":
            assert node.note, node.id


def test_to_dict_round_trips_through_a_file(taxonomy, tmp_path):
    """``to_dict`` is in the file's schema: dumped to YAML it loads to the same nodes."""
    data = taxonomy.to_dict()
    assert len(data["nodes"]) == len(taxonomy.nodes)
    assert next(n for n in data["nodes"] if n["id"] == "setup.subjects.costume")["values"] == OPEN
    path = tmp_path / "dumped.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    reloaded = load_taxonomy(path)
    assert reloaded.nodes == taxonomy.nodes
    assert reloaded.name == taxonomy.name and reloaded.version == taxonomy.version


def test_load_taxonomy_default_is_the_bundled_file():
    """With no path, ``load_taxonomy`` reads the bundled taxonomy.yaml."""
    taxonomy = load_taxonomy()
    assert Path(taxonomy.path).name == "taxonomy.yaml"
    assert re.fullmatch(r"[0-9a-f]{64}", taxonomy.sha256)


# -- invalid files ----------------------------------------------------------------------------------

VALID = {
    "version": "test-1",
    "name": "Tiny",
    "nodes": [
        {"id": "camera", "name": "Camera", "description": "The camera.", "provenance": "paper"},
        {
            "id": "camera.shot_size",
            "parent": "camera",
            "name": "Shot size",
            "description": "How much of the subject is in frame.",
            "provenance": "paper",
            "values": ["close up", "wide shot"],
            "question": "Is the shot a {value}?",
        },
        {
            "id": "camera.prop",
            "parent": "camera",
            "name": "Prop",
            "description": "A prop.",
            "provenance": "reconstructed",
            "values": "open",
            "question": "Is there a {value}?",
        },
    ],
}


def write(tmp_path: Path, data: object, name: str = "taxonomy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def variant(**changes) -> dict:
    """A copy of VALID with node fields changed: ``changes`` maps node index to a dict (None deletes)."""
    data = copy.deepcopy(VALID)
    for index, fields in changes.items():
        node = data["nodes"][int(index.lstrip("n"))]
        for key, value in fields.items():
            if value is None:
                node.pop(key, None)
            else:
                node[key] = value
    return data


def test_a_minimal_valid_file_loads(tmp_path):
    """The tiny tree used below loads, with an open leaf and a listed vocabulary."""
    taxonomy = load_taxonomy(write(tmp_path, VALID))
    assert [leaf.id for leaf in taxonomy.leaves()] == ["camera.shot_size", "camera.prop"]
    assert taxonomy["camera.prop"].is_open
    assert taxonomy["camera.shot_size"].values == ("close up", "wide shot")


def test_duplicate_id(tmp_path):
    """A node id written twice names the file and the node."""
    data = copy.deepcopy(VALID)
    data["nodes"].append(copy.deepcopy(data["nodes"][1]))
    path = write(tmp_path, data)
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: node 'camera\.shot_size': duplicate id"):
        load_taxonomy(path)


def test_missing_required_field(tmp_path):
    """A node without ``name`` names the file, the node and the missing key."""
    path = write(tmp_path, variant(n1={"name": None}))
    with pytest.raises(
        ConfigError, match=rf"{re.escape(str(path))}: node 'camera\.shot_size': key 'name': Field required"
    ):
        load_taxonomy(path)


def test_node_without_id_is_named_by_position(tmp_path):
    """A node without ``id`` is named by its index in ``nodes``."""
    path = write(tmp_path, variant(n2={"id": None}))
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: nodes\[2\]: key 'id': Field required"):
        load_taxonomy(path)


def test_unknown_node_key(tmp_path):
    """A misspelt node key is an error naming the key, not silently ignored."""
    path = write(tmp_path, variant(n1={"colour": "red"}))
    with pytest.raises(
        ConfigError, match=rf"{re.escape(str(path))}: node 'camera\.shot_size': key 'colour': unknown key"
    ):
        load_taxonomy(path)


def test_unknown_top_level_key(tmp_path):
    """An unknown top-level key is an error naming the key."""
    path = write(tmp_path, {**VALID, "author": "me"})
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: key 'author': unknown key"):
        load_taxonomy(path)


def test_bad_id_spelling(tmp_path):
    """An id that is not dotted snake_case says what an id looks like."""
    path = write(tmp_path, variant(n2={"id": "Camera.Prop"}))
    with pytest.raises(ConfigError, match=r"node 'Camera\.Prop': key 'id'.*not a dotted snake_case id"):
        load_taxonomy(path)


def test_bad_provenance(tmp_path):
    """Provenance must be 'paper' or 'reconstructed'."""
    path = write(tmp_path, variant(n1={"provenance": "guess"}))
    with pytest.raises(
        ConfigError,
        match=r"node 'camera\.shot_size': key 'provenance': Input should be 'paper' or "
        r"'reconstructed'",
    ):
        load_taxonomy(path)


def test_dangling_parent(tmp_path):
    """A parent that is not a node in the file names the node and the parent."""
    path = write(tmp_path, variant(n2={"parent": "lighting"}))
    with pytest.raises(
        ConfigError,
        match=rf"{re.escape(str(path))}: node 'camera\.prop': parent 'lighting' is not a "
        "node in this file",
    ):
        load_taxonomy(path)


def test_parent_cycle(tmp_path):
    """A parent chain that loops is an error naming a node on the loop."""
    data = copy.deepcopy(VALID)
    data["nodes"] += [
        {"id": "a", "parent": "b", "name": "A", "description": "a", "provenance": "paper"},
        {"id": "b", "parent": "a", "name": "B", "description": "b", "provenance": "paper"},
    ]
    path = write(tmp_path, data)
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: node '[ab]': parent chain loops back to '[ab]'"):
        load_taxonomy(path)


def test_self_parent_is_a_cycle(tmp_path):
    """A node that is its own parent is a cycle."""
    path = write(tmp_path, variant(n0={"parent": "camera"}))
    with pytest.raises(ConfigError, match=r"node 'camera': parent chain loops back to 'camera'"):
        load_taxonomy(path)


def test_leaf_without_values(tmp_path):
    """A leaf needs ``values``; the message says a list or 'open'."""
    path = write(tmp_path, variant(n1={"values": None}))
    with pytest.raises(
        ConfigError,
        match=rf"{re.escape(str(path))}: node 'camera\.shot_size': a leaf needs 'values' "
        r"\(a list, or 'open' for free text\)",
    ):
        load_taxonomy(path)


def test_leaf_with_empty_values(tmp_path):
    """An empty vocabulary is an error."""
    path = write(tmp_path, variant(n1={"values": []}))
    with pytest.raises(ConfigError, match=r"node 'camera\.shot_size': 'values' is empty"):
        load_taxonomy(path)


def test_leaf_without_question(tmp_path):
    """A leaf needs a question template."""
    path = write(tmp_path, variant(n2={"question": None}))
    with pytest.raises(
        ConfigError,
        match=rf"{re.escape(str(path))}: node 'camera\.prop': a leaf needs a 'question' "
        r"template containing '\{value\}'",
    ):
        load_taxonomy(path)


@pytest.mark.parametrize("question", ["Is the shot wide?", "Is it a {value} or a {value}?"])
def test_question_must_hold_value_once(tmp_path, question):
    """A question without ``{value}``, or with it twice, is an error."""
    path = write(tmp_path, variant(n1={"question": question}))
    with pytest.raises(
        ConfigError,
        match=rf"{re.escape(str(path))}: node 'camera\.shot_size': 'question' must "
        r"contain '\{value\}' exactly once",
    ):
        load_taxonomy(path)


@pytest.mark.parametrize("field", [{"values": ["a", "b"]}, {"question": "Is it {value}?"}])
def test_non_leaf_with_values_or_question(tmp_path, field):
    """A node with children may not carry ``values`` or ``question``."""
    path = write(tmp_path, variant(n0=field))
    with pytest.raises(
        ConfigError,
        match=rf"{re.escape(str(path))}: node 'camera': only leaves take 'values' and "
        "'question'",
    ):
        load_taxonomy(path)


def test_value_questions_naming_an_unknown_value(tmp_path):
    """``value_questions`` keys must be values of the leaf; the message lists the strays."""
    path = write(tmp_path, variant(n1={"value_questions": {"close up": "Close?", "medium": "Medium?"}}))
    with pytest.raises(
        ConfigError,
        match=rf"{re.escape(str(path))}: node 'camera\.shot_size': value_questions names "
        r"values not in 'values': \['medium'\]",
    ):
        load_taxonomy(path)


def test_no_pillar(tmp_path):
    """A file whose nodes all have parents (impossible without a cycle) or no nodes has no pillar."""
    path = write(tmp_path, {**VALID, "nodes": []})
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: no pillar"):
        load_taxonomy(path)


def test_malformed_yaml_names_the_line(tmp_path):
    """A YAML syntax error names the file and the line."""
    path = tmp_path / "broken.yaml"
    path.write_text('version: "1"\nname: x\nnodes:\n  - id: camera\n    name: [unclosed\n')
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: line \d+: invalid YAML"):
        load_taxonomy(path)


def test_a_file_that_is_not_a_mapping(tmp_path):
    """A YAML list instead of a mapping is a ConfigError naming the file."""
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: .*valid dictionary"):
        load_taxonomy(path)


def test_file_not_found(tmp_path):
    """A missing taxonomy file is a ConfigError naming the path."""
    path = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: taxonomy file not found"):
        load_taxonomy(path)


def test_parse_taxonomy_hash_follows_content():
    """The taxonomy hash changes with the content and not with the file path."""
    first = parse_taxonomy(copy.deepcopy(VALID), "a.yaml")
    same = parse_taxonomy(copy.deepcopy(VALID), "b.yaml")
    changed = parse_taxonomy(variant(n1={"description": "Other."}), "a.yaml")
    assert first.sha256 == same.sha256 != changed.sha256
