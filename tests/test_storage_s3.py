"""The blob store in an S3 bucket, against a real S3-protocol server on loopback (moto's
standalone server): objects named <prefix>/ab/cd/<sha256>, written once and hash-checked on
read; a scrape with `--blobs s3://bucket/prefix` that keeps every blob in the bucket and
none on disk; `reparse`, `export`, `status` and `serve` that find the bucket from `--db`
alone; and one clear line, exit code 1, when the store cannot be used."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_server import PortalServer
from s3_server import SECRET_KEY, Relay, S3Server, free_port, s3_environment, start_s3_server
from sqlalchemy import create_engine, select, text
from test_cli_jobs import county_site, report_page

from harvester.storage.blobs import BlobError, BlobStoreUnavailable
from harvester.storage.models import Blob, CrawlRun, RunLock
from harvester.storage.s3blobs import S3BlobStore

ROOT = Path(__file__).parent.parent
BUCKET = "harvest-blobs"
PREFIX = "county/blobs"
STORE = f"s3://{BUCKET}/{PREFIX}"
FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 4}
# What must never reach the S3 side of a command from our own environment.
HARVESTER_VARIABLES = ("HARVESTER_DATABASE_URL", "HARVESTER_DATA_DIR", "HARVESTER_BLOBS")


@pytest.fixture
def s3(tmp_path: Path) -> Iterator[S3Server]:
    server = start_s3_server(tmp_path / "moto.log")
    try:
        server.make_bucket(BUCKET)
        yield server
    finally:
        server.stop()


@pytest.fixture
def store(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3BlobStore:
    for name, value in s3.env.items():
        monkeypatch.setenv(name, value)
    return S3BlobStore(STORE)


def user_env(extra: dict[str, str]) -> dict[str, str]:
    """A user's environment: no harvester settings of ours, the given ones, fast crawls."""
    env = {k: v for k, v in os.environ.items() if k not in HARVESTER_VARIABLES}
    env.pop("HARVESTER_PROXY", None)
    env.update(
        PYTHONPATH=str(ROOT), HARVESTER_SCRAPY_SETTINGS=json.dumps(FAST), COLUMNS="200", **extra
    )
    return env


def harvester(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harvester", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_put_get_verify_exists_and_a_corrupted_object(store: S3BlobStore, s3: S3Server) -> None:
    data = "2023年政府信息公开工作年度报告".encode()
    sha = hashlib.sha256(data).hexdigest()
    assert not store.exists(sha) and not store.verify(sha)
    assert store.put(data) == (sha, True)
    assert store.put(data) == (sha, False)  # stored once
    assert s3.keys(BUCKET) == [f"{PREFIX}/{sha[:2]}/{sha[2:4]}/{sha}"]
    assert store.get(sha) == data
    assert store.exists(sha) and store.verify(sha)

    missing = "0" * 64
    with pytest.raises(BlobError, match=f"not found: expected an object at {STORE}/00/00/"):
        store.get(missing)

    key = f"{PREFIX}/{sha[:2]}/{sha[2:4]}/{sha}"
    s3.client().put_object(Bucket=BUCKET, Key=key, Body=b"flipped bytes")  # through the S3 API
    assert store.exists(sha) and not store.verify(sha)
    with pytest.raises(BlobError, match=f"blob {STORE}/{sha[:2]}/.* is corrupt: expected sha256"):
        store.get(sha)
    assert store.put(data) == (sha, True)  # a corrupt object is replaced
    assert store.get(sha) == data
    with pytest.raises(BlobError, match="64-character"):
        store.get("../../etc/passwd")


def test_a_missing_bucket_and_a_dead_endpoint_are_one_clear_error(
    s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in s3.env.items():
        monkeypatch.setenv(name, value)
    absent = S3BlobStore("s3://no-such-bucket/x")
    with pytest.raises(BlobStoreUnavailable, match="the bucket no-such-bucket does not exist"):
        absent.check_writable()
    port = free_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    dead = S3BlobStore(STORE)
    with pytest.raises(BlobStoreUnavailable) as caught:
        dead.put(b"bytes that must not be lost silently")
    message = str(caught.value)
    assert message.startswith(f"blob store {STORE} (endpoint http://127.0.0.1:{port}): ")
    assert "cannot be reached; check AWS_ENDPOINT_URL" in message
    assert "\n" not in message and SECRET_KEY not in message


def _free_port_with_403() -> int:
    """A free local port whose number holds "403" (40300-40399)."""
    for port in range(40300, 40400):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 40300-40399")


def test_a_dead_endpoint_is_not_called_access_denied_for_the_digits_in_its_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # CI once said "access denied" of an endpoint that had died: its port was 40361, and
    # the message's URL holds the port and the object's hash, either of which may read 403.
    port = _free_port_with_403()
    for name, value in s3_environment(f"http://127.0.0.1:{port}").items():
        monkeypatch.setenv(name, value)
    data = next(
        payload
        for n in range(10_000)
        if "403" in hashlib.sha256(payload := f"report {n}".encode()).hexdigest()
    )
    with pytest.raises(BlobStoreUnavailable) as caught:
        S3BlobStore(STORE).put(data)
    message = str(caught.value)
    assert hashlib.sha256(data).hexdigest() in message and f":{port}" in message
    assert "cannot be reached; check AWS_ENDPOINT_URL" in message, message
    assert "access denied" not in message


def test_scrape_into_s3_then_reparse_export_status_and_serve_from_db_alone(
    s3: S3Server, tmp_path: Path
) -> None:
    site = county_site(
        "寿县", {2020: report_page("寿县", 2020, "000"), 2019: report_page("寿县", 2019, "000")}
    )
    db_file = tmp_path / "db" / "harvester.sqlite"
    db_file.parent.mkdir()
    db = f"sqlite:///{db_file}"
    work = tmp_path / "work"
    work.mkdir()
    env = user_env(s3.env)
    with PortalServer(site) as portal:
        done = harvester(env, work, "scrape", "寿县", "--url", portal.url, "--db", db,
                         "--blobs", f"{STORE}/", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["outcome"] == "ok"

    engine = create_engine(db)
    with engine.connect() as connection:
        shas = sorted(connection.scalars(select(Blob.sha256)))
        recorded = connection.scalar(text("SELECT value FROM setting WHERE name = 'blob_store'"))
        dump = "\n".join(connection.connection.iterdump())
    engine.dispose()
    assert recorded == STORE  # the trailing slash is not part of the store
    assert len(shas) >= 4  # home, column, two reports (and robots.txt)
    objects = s3.keys(BUCKET, PREFIX + "/")
    assert sorted(k for k in objects if not k.endswith("/write-check")) == sorted(
        f"{PREFIX}/{s[:2]}/{s[2:4]}/{s}" for s in shas
    )
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.name in shas]  # none on disk
    assert SECRET_KEY not in dump and SECRET_KEY not in done.stdout + done.stderr

    exported = tmp_path / "first.jsonl"
    first = harvester(env, work, "export", "--db", db, "-q", "-o", str(exported))
    assert first.returncode == 0, first.stderr
    before = [json.loads(line) for line in exported.read_text("utf-8").splitlines()]
    assert sorted(r["year"] for r in before) == [2019, 2020]

    elsewhere = tmp_path / "elsewhere"  # another working directory: only --db says where
    elsewhere.mkdir()
    again = harvester(env, elsewhere, "reparse", "--db", db, "--json")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["blob_store"] == STORE
    assert (summary["versions"], summary["unreadable_documents"]) == (2, 0)
    assert summary["reports_with_tables"] == 2
    after_file = tmp_path / "after.jsonl"
    after = harvester(env, elsewhere, "export", "--db", db, "-q", "-o", str(after_file))
    assert after.returncode == 0, after.stderr
    assert [json.loads(line) for line in after_file.read_text("utf-8").splitlines()] == before
    status = harvester(env, elsewhere, "status", "--db", db, "--json")
    assert json.loads(status.stdout)["blob_store"] == STORE
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.name in shas]

    port = free_port()
    served = subprocess.Popen(
        [sys.executable, "-m", "harvester", "serve", "--db", str(db_file), "--port", str(port)],
        env=env,
        cwd=elsewhere,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        sha = before[0]["documents"][0]["sha256"]
        body = _get_when_up(f"http://127.0.0.1:{port}/-/blob/{sha}", served)
        assert hashlib.sha256(body).hexdigest() == sha
    finally:
        served.terminate()
        out, _err = served.communicate(timeout=30)
    assert f"documents from {STORE}" in out


def _get_when_up(url: str, process: subprocess.Popen[str]) -> bytes:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.read()
        except OSError:
            if process.poll() is not None:
                raise AssertionError(f"serve exited: {process.communicate()}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_an_unusable_store_stops_a_command_with_one_line(s3: S3Server, tmp_path: Path) -> None:
    db_file = tmp_path / "harvester.sqlite"
    db = f"sqlite:///{db_file}"
    port = free_port()  # nothing listens there
    dead = user_env(s3_environment(f"http://127.0.0.1:{port}"))
    unreachable = harvester(dead, tmp_path, "scrape", "寿县", "--url", "http://127.0.0.1:9/",
                            "--db", db, "--blobs", STORE)  # fmt: skip
    assert unreachable.returncode == 1, unreachable.stderr
    lines = unreachable.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in unreachable.stderr
    assert lines[0].startswith(f"Error: blob store {STORE} (endpoint http://127.0.0.1:{port}): ")
    assert "the endpoint cannot be reached; check AWS_ENDPOINT_URL" in lines[0]
    assert SECRET_KEY not in unreachable.stderr + unreachable.stdout

    live = user_env(s3.env)
    no_bucket = harvester(live, tmp_path, "scrape", "寿县", "--url", "http://127.0.0.1:9/",
                          "--db", db, "--blobs", "s3://no-such-bucket/p")  # fmt: skip
    assert no_bucket.returncode == 1, no_bucket.stderr
    assert "the bucket no-such-bucket does not exist; create it" in no_bucket.stderr
    assert "Traceback" not in no_bucket.stderr
    engine = create_engine(db)
    with engine.connect() as connection:
        assert connection.scalar(select(CrawlRun.id).limit(1)) is None  # no run recorded
    engine.dispose()

    secret = harvester(live, tmp_path, "status", "--db", db, "--blobs",
                       f"s3://{SECRET_KEY}@{BUCKET}/x")  # fmt: skip
    assert secret.returncode == 2 and "takes no credentials" in secret.stderr
    assert SECRET_KEY not in secret.stderr + secret.stdout


def test_denied_access_stops_a_scrape_with_one_line(tmp_path: Path) -> None:
    guarded = start_s3_server(tmp_path / "moto.log", authenticate=True)
    try:
        guarded.make_bucket(BUCKET)
        db = f"sqlite:///{tmp_path / 'harvester.sqlite'}"
        result = harvester(user_env(guarded.env), tmp_path, "scrape", "寿县", "--url",
                           "http://127.0.0.1:9/", "--db", db, "--blobs", STORE)  # fmt: skip
    finally:
        guarded.stop()
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(f"Error: blob store {STORE} (endpoint {guarded.endpoint}): ")
    assert "access denied; check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY" in lines[0]
    assert SECRET_KEY not in result.stderr


def test_reparse_of_a_recorded_s3_store_whose_endpoint_is_down(
    s3: S3Server, tmp_path: Path
) -> None:
    db_file = tmp_path / "harvester.sqlite"
    db = f"sqlite:///{db_file}"
    live = user_env(s3.env)
    site = county_site("寿县", {2020: report_page("寿县", 2020, "000")})
    with PortalServer(site) as portal:
        done = harvester(live, tmp_path, "scrape", "寿县", "--url", portal.url, "--db", db,
                         "--blobs", STORE, "-q")  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    port = free_port()
    dead = user_env(s3_environment(f"http://127.0.0.1:{port}"))
    result = harvester(dead, tmp_path, "reparse", "--db", db)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"blob store {STORE} (endpoint http://127.0.0.1:{port})" in result.stderr
    assert "cannot be reached" in result.stderr


def test_an_endpoint_that_dies_mid_crawl_stops_the_crawl_and_loses_no_blob(
    s3: S3Server, tmp_path: Path
) -> None:
    relay = Relay(int(s3.endpoint.rsplit(":", 1)[1]))
    db_file = tmp_path / "harvester.sqlite"
    db = f"sqlite:///{db_file}"
    env = user_env(s3_environment(relay.endpoint))
    env["HARVESTER_SCRAPY_SETTINGS"] = json.dumps({**FAST, "CONCURRENT_REQUESTS": 1})
    years = range(2010, 2024)
    site = county_site("寿县", {y: report_page("寿县", y, "000", note=str(y)) for y in years})
    with PortalServer(site, latency=0.3) as portal:
        process = subprocess.Popen(
            [sys.executable, "-m", "harvester", "scrape", "寿县", "--url", portal.url,
             "--db", db, "--blobs", STORE, "--json"],
            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while len(s3.keys(BUCKET, PREFIX + "/")) < 6 and process.poll() is None:
            assert time.monotonic() < deadline, "the crawl stored nothing within 120 s"
            time.sleep(0.1)
        relay.cut()
        out, err = process.communicate(timeout=240)
        asked = [path for path, _ in portal.answers if path.startswith("/xxgk/nb/20")]
    assert process.returncode == 1, (out[-2000:], err[-3000:])
    assert "Traceback" not in err
    (said,) = [line for line in err.splitlines() if line.startswith("Error:")]
    assert said.startswith(f"Error: the crawl stopped: blob store {STORE} (endpoint "), said
    assert "cannot be reached" in said
    summary = json.loads(out)  # --json stays valid
    assert summary["outcome"] == "failed"
    assert len(asked) < len(years) - 3, asked  # it stopped instead of fetching on
    engine = create_engine(db)
    with engine.connect() as connection:
        run = connection.execute(select(CrawlRun.outcome, CrawlRun.failures)).one()
        locks = connection.execute(select(RunLock)).all()
        stored = list(connection.scalars(select(Blob.sha256)))
    engine.dispose()
    assert run.outcome == "failed" and any(STORE in f["reason"] for f in run.failures)
    assert locks == []
    keys = set(s3.keys(BUCKET, PREFIX + "/"))  # the server itself kept everything
    assert stored and all(f"{PREFIX}/{s[:2]}/{s[2:4]}/{s}" in keys for s in stored)
