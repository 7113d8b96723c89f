"""Tests of the ``cached`` model adapter (models/cached.py) and of ``--model_args`` (scine_eval.components).

The adapter only locates files, so the "videos" here are small placeholder files in tmp_path.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scine_eval import evaluate
from scine_eval.components import instantiate, parse_arg_string
from scine_eval.contracts.model import GenerationRequest, model_registry
from scine_eval.errors import ConfigError
from scine_eval.models.cached import CachedVideos
from scine_eval.results import safe_name


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


def test_a_folder_where_a_video_should_be_is_handed_on_not_missing(folder):
    """A directory at the expected path is there, so it is not "missing": probing it says what it is."""
    (folder / "p1-0.mp4").mkdir()
    (result,) = CachedVideos(str(folder)).generate([request("p1", 0)])
    assert result.path == folder.resolve() / "p1-0.mp4" and result.error is None


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
def test_manifest_path_escaping_the_folder_fails_that_sample(folder, bad):
    """A manifest path that leaves the folder fails its own sample, naming the row, the path and where it leads."""
    touch(folder.parent / "x.mp4")
    good = touch(folder / "ok.mp4")
    path = manifest(
        folder, [{"prompt_id": "p0", "seed": 0, "path": "ok.mp4"}, {"prompt_id": "p1", "seed": 0, "path": bad}]
    )
    fine, escaping = CachedVideos(str(folder)).generate([request("p0"), request("p1")])
    assert fine.path == good.resolve() and fine.error is None
    assert escaping.path is None
    assert escaping.error == (
        f"{path}: line 2 (prompt 'p1' seed 0): path {bad!r} escapes the video folder {str(folder.resolve())!r}: "
        f"it leads to {str(folder.parent.resolve() / 'x.mp4')!r}; a video must be a file inside the folder "
        "(relative to it, or absolute within it)"
    )


def test_manifest_absolute_path_elsewhere_fails_that_sample(folder, tmp_path):
    """An absolute manifest path outside the folder fails that sample."""
    outside = touch(tmp_path / "other" / "v.mp4")
    manifest(folder, [{"prompt_id": "p1", "seed": 0, "path": str(outside)}])
    (result,) = CachedVideos(str(folder)).generate([request("p1")])
    assert result.path is None
    assert re.search(r"manifest\.jsonl: line 1 \(prompt 'p1' seed 0\): path '.*other/v\.mp4' escapes the video folder",
                     result.error)  # fmt: skip
    with pytest.raises(ConfigError, match="escapes the video folder"):
        CachedVideos(str(folder)).locate("p1", 0)


def test_manifest_absolute_path_inside_is_fine(folder):
    """An absolute path that points inside the folder is accepted (where a path leads matters, not its spelling)."""
    video = touch(folder / "v.mp4")
    manifest(folder, [{"prompt_id": "p1", "seed": 0, "path": str(video)}])
    assert CachedVideos(str(folder)).locate("p1", 0) == video.resolve()


def test_symlinked_folder_out_of_the_folder_fails_that_sample(folder, tmp_path):
    """A manifest path through a symlinked folder that leaves the folder fails that sample, saying so."""
    touch(tmp_path / "outside" / "v.mp4")
    (folder / "link").symlink_to(tmp_path / "outside")
    manifest(folder, [{"prompt_id": "p1", "seed": 0, "path": "link/v.mp4"}])
    (result,) = CachedVideos(str(folder)).generate([request("p1")])
    assert result.path is None
    assert "path 'link/v.mp4' escapes the video folder" in result.error
    assert f"it leads through a symlink to {str((tmp_path / 'outside' / 'v.mp4').resolve())!r}" in result.error


def test_symlinked_file_out_of_the_folder_fails_that_sample(folder, tmp_path):
    """A symlink named like a video, in the folder, that points outside fails that sample (manifest or pattern)."""
    secret = touch(tmp_path / "secret.mp4")
    (folder / "p1-0.mp4").symlink_to(secret)
    (folder / "listed.mp4").symlink_to(secret)
    manifest(folder, [{"prompt_id": "p2", "seed": 0, "path": "listed.mp4"}])
    by_pattern, by_manifest = CachedVideos(str(folder)).generate([request("p1"), request("p2")])
    assert by_pattern.path is None and "model_args pattern: prompt 'p1': path 'p1-0.mp4' escapes" in by_pattern.error
    assert by_manifest.path is None and "line 1 (prompt 'p2' seed 0): path 'listed.mp4' escapes" in by_manifest.error
    assert "through a symlink" in by_pattern.error and "through a symlink" in by_manifest.error


def test_symlink_inside_the_folder_is_fine(folder):
    """A symlink that stays inside the folder is followed."""
    video = touch(folder / "takes" / "best.mp4")
    (folder / "p1-0.mp4").symlink_to(video)
    (result,) = CachedVideos(str(folder)).generate([request("p1")])
    assert result.path == video.resolve() and result.error is None


def test_a_symlink_loop_fails_only_that_sample(folder):
    """A symlink pointing at itself never raises out of ``generate``; the other requests are unaffected."""
    (folder / "p1-0.mp4").symlink_to(folder / "p1-0.mp4")
    video = touch(folder / "p2-0.mp4")
    looping, fine = CachedVideos(str(folder)).generate([request("p1"), request("p2")])
    assert fine.path == video.resolve()
    # Python < 3.13 cannot resolve the loop (an error here); later versions hand it on and probing fails it.
    assert (looping.path is None and "p1-0.mp4" in looping.error) or looping.path == folder.resolve() / "p1-0.mp4"


def test_escaping_rows_fail_their_samples_and_the_run_goes_on(videos, tmp_path, suite):
    """In a whole run, a row leading out of the folder and a directory are per-sample failures with their causes."""
    static = [q for q in suite.questions if q.node_id == "camera.trajectory.static"]
    escaping, directory = static[0].prompt_id, static[1].prompt_id
    manifest(videos.root, [{"prompt_id": escaping, "seed": 0, "path": "../annotations.jsonl"}])
    (videos.root / f"{directory}-0.mp4").unlink()
    (videos.root / f"{directory}-0.mp4").mkdir()
    output = evaluate(
        model="cached",
        model_args=videos.model_args(),
        judge="human",
        judge_args=videos.judge_args(),
        tasks=["camera.trajectory.static"],
        output_path=str(tmp_path / "out"),
        cache_dir=str(tmp_path / "cache"),
        bootstrap_iters=50,
    )
    record = output.results["videos"]
    failures = {f["prompt_id"]: f for f in record["failures"]}
    assert set(failures) == {escaping, directory}
    assert failures[escaping]["path"] is None
    expected = f"line 1 (prompt {escaping!r} seed 0): path '../annotations.jsonl' escapes the video folder"
    assert expected in failures[escaping]["error"]
    assert failures[directory]["error"] == "is a directory, not a video file"
    assert failures[directory]["path"] == str((videos.root / f"{directory}-0.mp4").resolve())
    assert (record["missing"], record["unusable"]) == (1, 1)
    assert output.results["results"]["camera.trajectory.static"]["n_samples"] > 0


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
        ('{"prompt_id": "p1", "seed": 0, "path": null}', r"line 2: path None is not a string"),
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


@pytest.mark.parametrize(
    "name,expected",
    [
        ("..", "__"),
        (".", "_"),
        ("", "_"),
        ("...", "___"),
        (".hidden", "_hidden"),
        ("../../etc", "____..__etc"),
        ("a/b", "a__b"),
        ("a\\b", "a__b"),
        ("/abs", "__abs"),
        ("a\0b", "a__b"),
        ("Wan 2.1", "Wan__2.1"),
        ("Wan-2.1_14B", "Wan-2.1_14B"),
        ("a..b", "a..b"),
        ("nul", "nul_"),
        ("COM1.txt", "COM1_.txt"),
    ],
)
def test_safe_name_is_one_harmless_path_component(name, expected):
    """Names become one folder name: no separators, never ``.``/``..``/empty/hidden; ordinary names unchanged."""
    assert safe_name(name) == expected
    assert Path(expected).name == expected and len(Path(expected).parts) == 1


def test_safe_name_cuts_long_names_keeping_them_distinct():
    """A name over 200 bytes is cut to 200 and ends in a hash of the whole name."""
    first, second = safe_name("é" * 300 + "a"), safe_name("é" * 300 + "b")
    assert first != second
    assert len(first.encode()) <= 200 and len(second.encode()) <= 200
    assert first.startswith("é" * 90)


@pytest.mark.parametrize("name", ["..", "../escaped", "/tmp/abs", ".", "a/../../b"])
def test_model_name_cannot_write_outside_the_output_path(videos, tmp_path, name):
    """Whatever ``model_name`` holds, every file the run writes lands in one folder inside ``--output_path``."""
    out = tmp_path / "nest" / "out"
    output = evaluate(
        model="cached",
        model_args=f"{videos.model_args()},model_name={name}",
        judge="human",
        judge_args=videos.judge_args(),
        tasks=["camera.trajectory.static"],
        output_path=str(out),
        cache_dir=str(tmp_path / "cache"),
        bootstrap_iters=50,
        log_samples=True,
    )
    assert output.results["config"]["model_name"] == name
    written = {path.resolve() for path in output.files.values()}
    assert written and {path.parent for path in written} == {(out / safe_name(name)).resolve()}
    assert (out / safe_name(name)).resolve().parent == out.resolve()
    outside = [p for p in (tmp_path / "nest").rglob("*") if p.is_file() and out.resolve() not in p.resolve().parents]
    assert outside == []
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "nest" / "escaped").exists()


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
