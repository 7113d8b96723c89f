"""Tests of the ``cached`` model adapter (models/cached.py) and of ``--model_args`` (scine_eval.components).

The adapter only locates files, so the "videos" here are small placeholder files in tmp_path.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scine_eval.components import instantiate, parse_arg_string
from scine_eval.contracts.model import GenerationRequest, model_registry
from scine_eval.errors import ConfigError
from scine_eval.models.cached import CachedVideos


def request(prompt_id: str = "p1", seed: int = 0) -> GenerationRequest:
    return GenerationRequest(
        prompt_id=prompt_id, prompt="A shot.", seed=seed, sample_index=0, output_path=Path("/nonexistent/unused.mp4")
    )


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not really a video")
    return path


def manifest(folder: Path, rows: list, name: str = "manifest.jsonl") -> Path:
    path = folder / name
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return path


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "wan-2.1"
    root.mkdir()
    return root


# -- locating videos --------------------------------------------------------------------------------


def test_registered_as_cached_and_folder():
    """The adapter is registered as ``cached`` with the alias ``folder``."""
    assert model_registry.get("cached") is CachedVideos is model_registry.get("folder")
    assert CachedVideos.name == "cached"


def test_naming_convention(folder):
    """Without a manifest, ``{prompt_id}-{seed}.mp4`` in the folder is the video of a request."""
    video = touch(folder / "p1-3.mp4")
    (result,) = CachedVideos(str(folder)).generate([request("p1", 3)])
    assert result.path == video.resolve() and result.error is None
    assert result.request == request("p1", 3)


def test_custom_pattern(folder):
    """``pattern`` changes the file name, and may put videos in sub-folders."""
    video = touch(folder / "seed7" / "p1.mp4")
    (result,) = CachedVideos(str(folder), pattern="seed{seed}/{prompt_id}.mp4").generate([request("p1", 7)])
    assert result.path == video.resolve()


def test_results_keep_request_order(folder):
    """``generate`` returns one result per request, in order, found or not."""
    touch(folder / "b-0.mp4")
    results = CachedVideos(str(folder)).generate([request("a"), request("b"), request("c")])
    assert [r.request.prompt_id for r in results] == ["a", "b", "c"]
    assert [r.path is not None for r in results] == [False, True, False]


def test_missing_video_is_an_error_on_that_request(folder):
    """A missing file is a GeneratedVideo with no path and an error naming the expected path."""
    (result,) = CachedVideos(str(folder)).generate([request("p1", 0)])
    assert result.path is None
    assert result.error == f"missing video: expected {folder.resolve() / 'p1-0.mp4'}"


def test_a_folder_where_a_video_should_be_is_missing(folder):
    """A directory at the expected path is not a video."""
    (folder / "p1-0.mp4").mkdir()
    (result,) = CachedVideos(str(folder)).generate([request("p1", 0)])
    assert result.path is None and "missing video" in result.error


def test_manifest_rows_override_the_convention(folder):
    """A manifest row (path relative to the folder) wins over the naming convention for its request."""
    listed = touch(folder / "renders" / "take-2.mp4")
    touch(folder / "p1-0.mp4")
    conventional = touch(folder / "p2-0.mp4")
    manifest(folder, [{"prompt_id": "p1", "seed": 0, "path": "renders/take-2.mp4"}])
    adapter = CachedVideos(str(folder))
    first, second = adapter.generate([request("p1"), request("p2")])
    assert first.path == listed.resolve()
    assert second.path == conventional.resolve()


def test_manifest_given_explicitly(folder, tmp_path):
    """``manifest=PATH`` outside the folder is read, its paths still relative to the folder."""
    video = touch(folder / "x.mp4")
    path = manifest(tmp_path, [{"prompt_id": "p1", "seed": 5, "path": "x.mp4"}], name="elsewhere.jsonl")
    (result,) = CachedVideos(str(folder), manifest=str(path)).generate([request("p1", 5)])
    assert result.path == video.resolve()


def test_manifest_seed_may_be_a_numeric_string(folder):
    """A seed written as a string of digits is read as that integer."""
    video = touch(folder / "x.mp4")
    manifest(folder, [{"prompt_id": "p1", "seed": "4", "path": "x.mp4"}])
    assert CachedVideos(str(folder)).locate("p1", 4) == video.resolve()


def test_manifest_blank_lines_are_skipped(folder):
    """Blank lines in a manifest are ignored and line numbers still count them."""
    manifest(
        folder,
        [{"prompt_id": "p1", "seed": 0, "path": "a.mp4"}, "", "  ", {"prompt_id": "p1", "seed": 0, "path": "b.mp4"}],
    )
    with pytest.raises(ConfigError, match=r"manifest\.jsonl: line 4: prompt 'p1' seed 0 is listed twice"):
        CachedVideos(str(folder))


def test_manifest_path_listed_but_missing(folder):
    """A manifest row whose file is absent gives a missing-video error with the listed path."""
    manifest(folder, [{"prompt_id": "p1", "seed": 0, "path": "gone/v.mp4"}])
    (result,) = CachedVideos(str(folder)).generate([request("p1")])
    assert result.error == f"missing video: expected {folder.resolve() / 'gone' / 'v.mp4'}"


# -- escaping the folder ----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["../x.mp4", "sub/../../x.mp4"])
def test_manifest_path_escaping_the_folder(folder, bad):
    """A relative manifest path that leaves the folder is rejected at construction with file and line."""
    touch(folder.parent / "x.mp4")
    path = manifest(
        folder, [{"prompt_id": "p0", "seed": 0, "path": "ok.mp4"}, {"prompt_id": "p1", "seed": 0, "path": bad}]
    )
    with pytest.raises(
        ConfigError,
        match=rf"{re.escape(str(path))}: line 2: path {re.escape(repr(bad))} escapes the "
        "video folder",
    ):
        CachedVideos(str(folder))


def test_manifest_absolute_path_elsewhere(folder, tmp_path):
    """An absolute manifest path outside the folder is rejected."""
    outside = touch(tmp_path / "other" / "v.mp4")
    manifest(folder, [{"prompt_id": "p1", "seed": 0, "path": str(outside)}])
    with pytest.raises(ConfigError, match=r"manifest\.jsonl: line 1: path '.*other/v\.mp4' escapes the video folder"):
        CachedVideos(str(folder))


def test_manifest_absolute_path_inside_is_fine(folder):
    """An absolute path that points inside the folder is accepted."""
    video = touch(folder / "v.mp4")
    manifest(folder, [{"prompt_id": "p1", "seed": 0, "path": str(video)}])
    assert CachedVideos(str(folder)).locate("p1", 0) == video.resolve()


def test_symlink_out_of_the_folder_is_rejected(folder, tmp_path):
    """A manifest path through a symlink that leaves the folder is rejected (paths are resolved first)."""
    (tmp_path / "outside").mkdir()
    (folder / "link").symlink_to(tmp_path / "outside")
    manifest(folder, [{"prompt_id": "p1", "seed": 0, "path": "link/v.mp4"}])
    with pytest.raises(ConfigError, match="escapes the video folder"):
        CachedVideos(str(folder))


def test_prompt_id_escaping_through_the_pattern(folder):
    """A prompt id that would leave the folder through the pattern is an error on that request, not a crash."""
    touch(folder / "ok-0.mp4")
    escaping, fine = CachedVideos(str(folder)).generate([request("../../etc/passwd"), request("ok")])
    assert escaping.path is None
    assert re.search(
        r"model_args pattern: prompt '\.\./\.\./etc/passwd': path '\.\./\.\./etc/passwd-0\.mp4' escapes "
        "the video folder",
        escaping.error,
    )
    assert fine.path is not None and fine.error is None


def test_pattern_with_an_unknown_placeholder(folder):
    """A pattern naming a placeholder other than prompt_id and seed is rejected at construction."""
    with pytest.raises(ConfigError, match=r"model_args pattern '\{prompt\}\.mp4'.*prompt_id, seed"):
        CachedVideos(str(folder), pattern="{prompt}.mp4")


# -- malformed manifests ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line,message",
    [
        ('{"prompt_id": "p1", "seed": 0, "path": ', r"line 2: not JSON"),
        ('{"prompt_id": "p1", "path": "a.mp4"}', r"line 2: missing key 'seed' \(rows need prompt_id, seed, path\)"),
        ('{"seed": 0, "path": "a.mp4"}', r"line 2: missing key 'prompt_id'"),
        ('{"prompt_id": "p1", "seed": 0}', r"line 2: missing key 'path'"),
        ('{"prompt_id": "p1", "seed": "zero", "path": "a.mp4"}', r"line 2: seed 'zero' is not an integer"),
        ('{"prompt_id": "p1", "seed": null, "path": "a.mp4"}', r"line 2: seed None is not an integer"),
        ('{"prompt_id": "p1", "seed": 1.5, "path": "a.mp4"}', r"line 2: seed 1\.5 is not an integer"),
        ('{"prompt_id": "p1", "seed": true, "path": "a.mp4"}', r"line 2: seed True is not an integer"),
        ('["p1", 0, "a.mp4"]', r"line 2: .*not a JSON object"),
        ('"p1-0.mp4"', r"line 2: .*not a JSON object"),
        ('{"prompt_id": "p0", "seed": 0, "path": "b.mp4"}', r"line 2: prompt 'p0' seed 0 is listed twice"),
    ],
)
def test_malformed_manifest_names_file_and_line(folder, line, message):
    """Each manifest fault is a ConfigError naming the file and the line."""
    path = manifest(folder, [{"prompt_id": "p0", "seed": 0, "path": "a.mp4"}, line])
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: {message}"):
        CachedVideos(str(folder))


def test_folder_not_found(tmp_path):
    """A video folder that does not exist is an error naming it and the model_args key."""
    with pytest.raises(
        ConfigError,
        match=rf"{re.escape(str(tmp_path / 'absent'))}: video folder not found "
        r"\(model_args path=\.\.\.\)",
    ):
        CachedVideos(str(tmp_path / "absent"))


def test_folder_that_is_a_file(tmp_path):
    """A file given as the video folder is 'not found' as a folder."""
    path = touch(tmp_path / "video.mp4")
    with pytest.raises(ConfigError, match="video folder not found"):
        CachedVideos(str(path))


def test_explicit_manifest_not_found(folder, tmp_path):
    """An explicit ``manifest=`` that does not exist is an error naming it."""
    with pytest.raises(ConfigError, match=rf"{re.escape(str(tmp_path / 'm.jsonl'))}: manifest not found"):
        CachedVideos(str(folder), manifest=str(tmp_path / "m.jsonl"))


# -- spec, fingerprint and model info ---------------------------------------------------------------


def test_fingerprint_changes_with_the_manifest(folder):
    """The spec holds the manifest's hash, so editing the manifest changes the fingerprint."""
    without = CachedVideos(str(folder))
    assert without.spec()["manifest_sha256"] is None
    manifest(folder, [{"prompt_id": "p1", "seed": 0, "path": "a.mp4"}])
    first = CachedVideos(str(folder))
    manifest(folder, [{"prompt_id": "p1", "seed": 0, "path": "b.mp4"}])
    second = CachedVideos(str(folder))
    assert len({without.fingerprint, first.fingerprint, second.fingerprint}) == 3
    assert second.fingerprint == CachedVideos(str(folder)).fingerprint


def test_fingerprint_changes_with_pattern_and_folder(folder, tmp_path):
    """Another pattern or folder is another fingerprint; the spec names the adapter."""
    other = tmp_path / "other"
    other.mkdir()
    base = CachedVideos(str(folder))
    assert base.spec()["adapter"] == "cached" and base.spec()["root"] == str(folder.resolve())
    assert base.fingerprint != CachedVideos(str(folder), pattern="{prompt_id}_{seed}.mp4").fingerprint
    assert base.fingerprint != CachedVideos(str(other)).fingerprint


def test_model_info_uses_model_name(folder):
    """``model_name`` and ``revision`` are what leaderboards show; the folder name is the default name."""
    assert CachedVideos(str(folder)).model_info() == {"model_name": "wan-2.1", "model_sha": "", "model_dtype": ""}
    info = CachedVideos(str(folder), model_name="Wan 2.1 14B", revision="abc123").model_info()
    assert info == {"model_name": "Wan 2.1 14B", "model_sha": "abc123", "model_dtype": ""}


# -- --model_args -----------------------------------------------------------------------------------


def test_instantiate_from_an_arg_string(folder):
    """``instantiate`` builds the adapter from parsed ``--model_args``."""
    adapter = instantiate("model", "cached", CachedVideos, parse_arg_string(f"path={folder},model_name=wan"))
    assert adapter.root == folder.resolve() and adapter.model_name == "wan"


def test_instantiate_rejects_an_unknown_argument_naming_the_valid_ones(folder):
    """An argument the adapter does not take is named, with the valid arguments listed."""
    with pytest.raises(
        ConfigError,
        match=r"model 'cached' takes no argument 'fps'; valid arguments: path, manifest, "
        "pattern, model_name, revision",
    ):
        instantiate("model", "cached", CachedVideos, {"path": str(folder), "fps": 8})


def test_instantiate_reports_a_missing_required_argument():
    """A required argument left out is named with an example."""
    with pytest.raises(ConfigError, match=r"model 'cached' needs the argument 'path' \(e\.g\. path=\.\.\.\)"):
        instantiate("model", "cached", CachedVideos, {})


def test_instantiate_passes_anything_to_kwargs():
    """A class taking ``**kwargs`` receives every argument."""

    class Open:
        def __init__(self, **kwargs):
            self.kwargs = kwargs

    assert instantiate("judge", "open", Open, {"a": 1, "b": None}).kwargs == {"a": 1, "b": None}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("seed=3", {"seed": 3}),
        ("seed=-2", {"seed": -2}),
        ("scale=7.5", {"scale": 7.5}),
        ("scale=1e-3", {"scale": 0.001}),
        ("flag=true,other=False", {"flag": True, "other": False}),
        ("revision=None,x=null", {"revision": None, "x": None}),
        ("path=videos/run 1", {"path": "videos/run 1"}),
        (" path = videos , seed = 0 ", {"path": "videos", "seed": 0}),
        ("pattern={prompt_id}=x", {"pattern": "{prompt_id}=x"}),
        ("empty=", {"empty": ""}),
        ("a=1,,b=2,", {"a": 1, "b": 2}),
        ("", {}),
        (None, {}),
    ],
)
def test_parse_arg_string_coercions(text, expected):
    """Ints, floats, booleans and None are converted; everything else stays a string; blanks are skipped."""
    parsed = parse_arg_string(text)
    assert parsed == expected
    assert [type(v) for v in parsed.values()] == [type(v) for v in expected.values()]


def test_parse_arg_string_passes_a_mapping_through():
    """A mapping (from a config file) comes back as a dict, values unchanged."""
    assert parse_arg_string({"seed": "3", "x": [1]}) == {"seed": "3", "x": [1]}


@pytest.mark.parametrize("text,part", [("a", "a"), ("path=x,oops", "oops"), ("=3", "=3")])
def test_parse_arg_string_rejects_a_part_without_key_value(text, part):
    """A part that is not ``key=value`` is a ConfigError quoting it with an example."""
    with pytest.raises(
        ConfigError, match=rf"^'{re.escape(part)}' is not key=value \(write e\.g\. 'path=videos,seed=0'\)"
    ):
        parse_arg_string(text)
