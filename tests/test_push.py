"""``scine-eval push``: a real huggingface_hub client against a small fake Hub on 127.0.0.1.

The fake Hub serves what ``HfApi`` calls for a push (create repo, repo info, recursive tree, preupload,
validate-yaml, NDJSON commit with inline base64 files), keeps each repo's files in memory and records every
request, so the tests can assert what was committed file by file, that a second push commits nothing,
that an interrupted push completes, and that the token never leaks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scine_eval.errors import ConfigError
from scine_eval.leaderboard.push import details_card, git_blob_sha1, push_results, push_run, read_run

TOKEN = "hf_SCINEfakeTOKEN_7f3a9c_do_not_leak"
TIME = "2026-01-02T03-04-05.000006"
MODEL = "My Model/v1"
SAFE = "My__Model__v1"
_REPO_PATH = re.compile(r"^/api/datasets/(?P<repo>[^/]+/[^/]+)/(?P<op>tree|preupload|commit)/main")


class FakeHub(ThreadingHTTPServer):
    """In-memory Hub: repo id → {path: bytes}; ``token`` is the only accepted one; ``fail`` forces errors."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.token = TOKEN
        self.repos: dict[str, dict[str, bytes]] = {}
        self.private: dict[str, bool] = {}
        self.commits: list[tuple[str, dict[str, bytes]]] = []
        self.requests: list[dict] = []
        self.fail: dict[tuple[str, str], int] = {}  # (repo, op) → HTTP status to answer
        self.timeout = 5

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeHub

    def log_message(self, *args) -> None:  # quiet
        pass

    def _reply(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 10_000_000)) if length else b""
        self.server.requests.append(
            {"method": self.command, "path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        return body

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {self.server.token}":
            return True
        self._reply(401, {"error": "Invalid username or password."})
        return False

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._record()
        if not self._authorised():
            return
        match = _REPO_PATH.match(self.path)
        info = re.match(r"^/api/datasets/([^/]+/[^/?]+)(?:/revision/main)?(?:\?|$)", self.path)
        if match and match["op"] == "tree":
            repo = match["repo"]
            if (repo, "tree") in self.server.fail or repo not in self.server.repos:
                return self._reply(self.server.fail.get((repo, "tree"), 404), {"error": "Repository not found"},
                                   {"X-Error-Code": "RepoNotFound"})  # fmt: skip
            files = self.server.repos[repo]
            entries = [{"type": "file", "path": p, "size": len(b), "oid": git_blob_sha1(b)} for p, b in files.items()]
            return self._reply(200, sorted(entries, key=lambda e: e["path"]))
        if info and info[1] in self.server.repos:
            return self._reply(200, {"id": info[1], "sha": "0" * 40, "private": self.server.private[info[1]]})
        self._reply(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self._record()
        if not self._authorised():
            return
        if self.path.startswith("/api/repos/create"):
            payload = json.loads(body)
            repo = f"{payload['organization']}/{payload['name']}"
            if repo in self.server.repos:
                # the Hub's 409 names the repo's url, which create_repo(exist_ok=True) returns
                return self._reply(409, {"error": "You already created this dataset repo",
                                         "url": f"{self.server.url}/datasets/{repo}"})  # fmt: skip
            self.server.repos[repo] = {}
            self.server.private[repo] = payload.get("visibility") == "private" or bool(payload.get("private"))
            return self._reply(200, {"url": f"{self.server.url}/datasets/{repo}", "name": repo})
        if self.path.startswith("/api/validate-yaml"):
            return self._reply(200, {"errors": [], "warnings": []})
        match = _REPO_PATH.match(self.path)
        if not match or match["repo"] not in self.server.repos:
            return self._reply(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
        repo, op = match["repo"], match["op"]
        if (repo, op) in self.server.fail:
            return self._reply(self.server.fail[(repo, op)], {"error": "refused"})
        if op == "preupload":
            files = json.loads(body)["files"]
            existing = self.server.repos[repo]
            return self._reply(200, {"files": [
                {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False,
                 "oid": git_blob_sha1(existing[f["path"]]) if f["path"] in existing else None}
                for f in files
            ]})  # fmt: skip
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        assert lines[0]["key"] == "header"
        added = {}
        for line in lines[1:]:
            assert line["key"] == "file" and line["value"]["encoding"] == "base64", line
            added[line["value"]["path"]] = base64.b64decode(line["value"]["content"])
        self.server.repos[repo].update(added)
        self.server.commits.append((repo, added))
        oid = hashlib.sha1(body).hexdigest()
        self._reply(200, {"commitUrl": f"{self.server.url}/datasets/{repo}/commit/{oid}", "commitOid": oid})


@pytest.fixture
def hub(monkeypatch) -> Iterator[FakeHub]:
    """A fake Hub in a thread; huggingface_hub's offline switch (set by conftest) is lifted for these tests only."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    server = FakeHub()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _results() -> dict:
    """The golden results record (a real run's, its volatile keys filled back), renamed to this module's model."""
    record = json.loads((Path(__file__).parent / "golden" / "results_synthetic_probe.json").read_text())
    record.update(date=1.0, start_time="2026-01-02T03:04:05", end_time="2026-01-02T03:04:06", git_hash=None,
                  total_evaluation_time_seconds=1.0, task_hashes={}, environment={"python": "3", "platform": "x",
                  "packages": {}})  # fmt: skip
    record["config"].update(model_name=MODEL, model_sha="s1", judge_spec={"judge": "probe"})
    record["scine_eval_version"] = "0.0.test"
    record["suite"]["version"] = "starter@abc"
    record["results"]["camera.trajectory.movement_2d"].update(
        {"score,probe": 4.0, "score_norm,probe": 75.0, "score_ci_low,probe": 3.5, "score_ci_high,probe": 4.5,
         "n_samples": 3}
    )  # fmt: skip
    return record


def write_run(folder: Path, time: str = TIME) -> Path:
    """A run as ``scine-eval run`` writes it: results, leaderboard and one samples file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"leaderboard_{time}.json").write_text('{"config": {}, "results": {}}\n')
    (folder / f"samples_camera.trajectory.movement_2d_{time}.jsonl").write_text('{"doc_id": 0, "score": 4}\n')
    path = folder / f"results_{time}.json"
    path.write_text(json.dumps(_results(), indent=2) + "\n")
    return path


def test_push_commits_each_file_once_and_a_second_push_commits_nothing(hub, tmp_path):
    path = write_run(tmp_path / "out" / SAFE)
    reports = push_run(path, "org", token=TOKEN, endpoint=hub.url)

    results_repo, details_repo = "org/scine-eval-results", f"org/details_{SAFE}"
    assert [r.repo_id for r in reports] == [results_repo, details_repo]
    assert hub.private == {results_repo: True, details_repo: True}
    assert [repo for repo, _ in hub.commits] == [results_repo, details_repo]
    folder = path.parent
    assert hub.repos[results_repo] == {
        f"{SAFE}/results_{TIME}.json": path.read_bytes(),
        f"{SAFE}/leaderboard_{TIME}.json": (folder / f"leaderboard_{TIME}.json").read_bytes(),
    }
    details = hub.repos[details_repo]
    samples = f"{SAFE}/samples_camera.trajectory.movement_2d_{TIME}.jsonl"
    assert set(details) == {f"{SAFE}/results_{TIME}.json", samples, "README.md"}
    assert details[samples] == (folder / f"samples_camera.trajectory.movement_2d_{TIME}.jsonl").read_bytes()
    card = details["README.md"].decode()
    assert f'- config_name: "{SAFE}__camera.trajectory.movement_2d"' in card
    assert f'  - split: 2026_01_02T03_04_05.000006\n    path: ["{samples}"]' in card
    assert f'  - split: latest\n    path: ["{samples}"]' in card
    assert '- config_name: "results"' in card
    assert "judge: `probe`" in card and "suite version: `starter@abc`" in card
    assert "| camera.trajectory.movement_2d | 4.000 | 75.0 | 3.500-4.500 | 3 |" in card

    commits_before, requests_before = len(hub.commits), len(hub.requests)
    again = push_run(path, "org", token=TOKEN, endpoint=hub.url)
    assert len(hub.commits) == commits_before
    assert all(not r.uploaded and r.unchanged for r in again)
    later = [r["path"] for r in hub.requests[requests_before:]]
    assert later and not [p for p in later if "/commit/" in p or "/preupload/" in p]


def test_a_newer_run_moves_latest_and_keeps_older_splits(hub, tmp_path):
    first = write_run(tmp_path / SAFE)
    push_run(first, "org", token=TOKEN, endpoint=hub.url, details=True)
    newer = "2026-02-01T00-00-00.000000"
    push_run(write_run(tmp_path / SAFE, newer), "org", token=TOKEN, endpoint=hub.url)
    card = hub.repos[f"org/details_{SAFE}"]["README.md"].decode()
    assert "split: 2026_01_02T03_04_05.000006" in card and "split: 2026_02_01T00_00_00.000000" in card
    assert f'  - split: latest\n    path: ["{SAFE}/samples_camera.trajectory.movement_2d_{newer}.jsonl"]' in card
    # the second run's commit holds only its own files and the new card
    repo, added = hub.commits[-1]
    assert repo == f"org/details_{SAFE}" and all(newer in p or p == "README.md" for p in added)


def test_no_details_and_public(hub, tmp_path):
    push_run(write_run(tmp_path / SAFE), "org", private=False, token=TOKEN, endpoint=hub.url, details=False)
    assert list(hub.repos) == ["org/scine-eval-results"] and hub.private["org/scine-eval-results"] is False


def test_an_interrupted_push_completes_on_rerun(hub, tmp_path):
    path = write_run(tmp_path / SAFE)
    details_repo = f"org/details_{SAFE}"
    hub.fail[(details_repo, "commit")] = 403
    with pytest.raises(ConfigError, match=details_repo):
        push_run(path, "org", token=TOKEN, endpoint=hub.url)
    assert hub.repos[details_repo] == {}  # nothing half written
    assert [repo for repo, _ in hub.commits] == ["org/scine-eval-results"]
    del hub.fail[(details_repo, "commit")]
    reports = push_run(path, "org", token=TOKEN, endpoint=hub.url)
    assert [repo for repo, _ in hub.commits] == ["org/scine-eval-results", details_repo]
    assert not reports[0].uploaded and len(reports[1].uploaded) == 3


def test_the_token_never_leaks(hub, tmp_path, monkeypatch, capsys, caplog):
    """A distinctive token, from HF_TOKEN: in no log, output, written file or error, success or failure."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    path = write_run(tmp_path / SAFE)
    push_results(tmp_path, "org", endpoint=hub.url)
    assert hub.requests and all(r["auth"] == f"Bearer {TOKEN}" for r in hub.requests)  # it was the one used
    hub.token = "hf_another_one"  # now the server refuses it
    path.write_text(path.read_text() + " ")  # a change, so the push goes as far as it can
    with pytest.raises(ConfigError) as error:
        push_run(path, "org", endpoint=hub.url)
    texts = [str(error.value), repr(error.value), str(error.value.__cause__), str(error.value.__context__)]
    captured = capsys.readouterr()
    texts += [captured.out, captured.err, caplog.text]
    texts += [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    texts += [b.decode(errors="replace") for files in hub.repos.values() for b in files.values()]
    texts += [r["body"].decode(errors="replace") for r in hub.requests]
    assert not [t for t in texts if TOKEN in t]


def test_a_refused_token_is_a_clear_error_before_any_commit(hub, tmp_path):
    hub.token = "hf_the_real_one"
    with pytest.raises(ConfigError) as error:
        push_run(write_run(tmp_path / SAFE), "org", token=TOKEN, endpoint=hub.url)
    message = str(error.value)
    assert "org/scine-eval-results" in message and "401" in message and "hf auth login" in message
    assert TOKEN not in message and not hub.commits


def test_an_unknown_repo_is_a_clear_error(hub, tmp_path):
    hub.repos["org/scine-eval-results"] = {}
    hub.private["org/scine-eval-results"] = True
    hub.fail[("org/scine-eval-results", "tree")] = 404
    with pytest.raises(ConfigError, match=r"org/scine-eval-results: repo not found .*--org"):
        push_run(write_run(tmp_path / SAFE), "org", token=TOKEN, endpoint=hub.url)
    assert not hub.commits


def test_offline_and_missing_token_are_clear_errors_with_no_request(hub, tmp_path, monkeypatch):
    from huggingface_hub import constants

    path = write_run(tmp_path / SAFE)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ConfigError, match=r"scine-eval-results.*HF_HUB_OFFLINE"):
        push_run(path, "org", token=TOKEN, endpoint=hub.url)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-home"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "empty-home" / "token"))
    with pytest.raises(ConfigError, match=r"no Hugging Face token.*hf auth login"):
        push_run(path, "org", endpoint=hub.url)
    assert not hub.requests


def test_bad_inputs(tmp_path):
    with pytest.raises(ConfigError, match="no results_"):
        push_results(tmp_path, "org")
    bad = tmp_path / "results_2026.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match=r"results_2026.json: not valid JSON \(truncated\?\)"):
        read_run(bad)
    bad.write_text(json.dumps({**_results(), "schema_version": 7}))
    with pytest.raises(ConfigError, match="unknown schema_version 7; expected 1"):
        read_run(bad)


def test_the_card_is_deterministic_and_valid_yaml(tmp_path):
    import yaml

    run = read_run(write_run(tmp_path / SAFE))
    card = details_card(run, sorted(run.samples), sorted(run.files))
    assert card == details_card(run, sorted(run.samples), sorted(run.files))
    meta = yaml.safe_load(card.split("---")[1])
    assert [c["config_name"] for c in meta["configs"]] == [f"{SAFE}__camera.trajectory.movement_2d", "results"]


def test_cli(hub, tmp_path, monkeypatch, capsys):
    from scine_eval.leaderboard.push_command import push, push_parser

    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub.url)
    write_run(tmp_path / SAFE)
    namespace = push_parser().parse_args([str(tmp_path), "--org", "org", "--no_details", "--format", "json"])
    assert push(namespace) == 0
    reports = json.loads(capsys.readouterr().out)
    assert reports[0]["repo_id"] == "org/scine-eval-results" and len(reports[0]["uploaded"]) == 2
    assert list(hub.repos) == ["org/scine-eval-results"]
    assert push_parser().parse_args([str(tmp_path), "--org", "o", "--public"]).public is True


def test_a_run_pushes_its_own_files_with_push_to_hub(hub, tmp_path, monkeypatch, capsys):
    from scine_eval.cli import main

    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", hub.url)
    out = tmp_path / "out"
    code = main(["--tasks", "camera.trajectory.movement_2d", "--model_args", "duration=2.0,fps=8,size=96",
                 "--bootstrap_iters", "0", "--log_samples", "--push_to_hub", "--hub_results_org", "org",
                 "--output_path", str(out), "--cache_dir", str(tmp_path / "cache")])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert set(hub.repos) == {"org/scine-eval-results", "org/details_synthetic"}
    [results] = (out / "synthetic").glob("results_*.json")
    assert TOKEN not in capsys.readouterr().err and TOKEN not in results.read_text()


def test_push_to_hub_needs_an_org_and_an_output_path(capsys):
    from scine_eval.cli import main

    assert main(["--push_to_hub", "--tasks", "camera.*"]) == 2
    assert "--push_to_hub needs --hub_results_org ORG" in capsys.readouterr().err
    assert main(["--push_to_hub", "--hub_results_org", "org", "--output_path", "", "--tasks", "camera.*"]) == 2
    assert "give --output_path too" in capsys.readouterr().err
