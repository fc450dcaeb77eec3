"""`harvester parse FILE`: one local document to its JSON record (no database needed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

EXIT_FAILED = 1
TEXT_SUFFIXES = {".txt", ".text"}


def _decode(data: bytes) -> str | None:
    """Text of a .txt file (UTF-8, else GB18030), or None when it is not text at all."""
    if b"\x00" in data[:4096]:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(EXIT_FAILED)


def _is_report(record: dict[str, Any]) -> bool:
    tables = any(record.get(k) for k in ("proactive", "applications", "review_litigation"))
    return bool(tables or record.get("era") or (record.get("title") and record.get("year")))


def record_of_file(path: Path, **context: Any) -> dict[str, Any]:
    """The record of a local file; raises click-friendly SystemExit on unreadable input.

    Documents are normalised by normalize_isolated, within the same document budget as
    the processing after a crawl (docs/crawling.md, "The document budget")."""
    from harvester.parser import parse_document, parse_text

    try:
        from harvester.normalize import NormalizeError, normalize_isolated
        from harvester.normalize.core import check_size
    except ImportError as exc:  # the normaliser is part of the package; say so if it is broken
        _fail(
            f"{path}: cannot read {path.suffix or 'this'} files: harvester.normalize unavailable ({exc})"
        )
        raise  # unreachable
    try:
        size = path.stat().st_size
        if size:
            check_size(size)  # a file over the document-size limit is never read
    except NormalizeError as exc:
        _fail(f"{path}: not a readable document: {exc.reason}")
    except OSError as exc:
        _fail(f"{path}: cannot read: {exc.strerror}")
    data = path.read_bytes()
    if not data.strip():
        _fail(f"{path}: the file is empty")
    if path.suffix.lower() in TEXT_SUFFIXES:
        text = _decode(data)
        if text is None:
            _fail(f"{path}: not a text file (binary content or unknown encoding)")
        assert text is not None
        return parse_text(text, **context)
    try:
        doc = normalize_isolated(data, filename=path.name)
    except NormalizeError as exc:
        _fail(f"{path}: not a readable document: {exc.reason}")
        raise  # unreachable
    return parse_document(doc, **context)


def _summary(record: dict[str, Any]) -> str:
    """One line for stderr: body, year, era, checks, completeness, warnings."""
    failed = [c["rule"] for c in record["checks"] if not c["ok"]]
    comp = (record.get("completeness") or {}).get("overall")
    read = f", {comp['read']}/{comp['expected']} cells read" if comp else ""
    if record.get("from_prose"):
        read = f", {len(record['from_prose'])} figures from prose"
    return (
        f"{record.get('agency')} {record.get('year')}: era {record.get('era')}, "
        f"{len(record['checks'])} checks ({len(failed)} failed{': ' + ', '.join(failed) if failed else ''})"
        f"{read}, {len(record['warnings'])} warnings"
    )


def _folder(folder: Path, quiet: bool, **context: Any) -> None:
    """Every file below `folder` (sorted), one record per line (JSONL) on stdout; files that
    are not reports or cannot be read are named on stderr and skipped."""
    from harvester.parser.completeness import is_read

    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    reports = read = 0
    for path in files:
        own = dict(context)
        own["url"] = context.get("url") or path.resolve().as_uri()
        try:
            record = record_of_file(path, **own)
        except SystemExit:  # the reason is already on stderr
            continue
        if not _is_report(record):
            reasons = "; ".join(record.get("warnings", [])[:3]) or "no title, year or tables"
            click.echo(f"{path}: skipped, not a report ({reasons})", err=True)
            continue
        reports += 1
        read += is_read(record)
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        if not quiet:
            click.echo(f"{path}: {_summary(record)}", err=True)
    if not quiet:
        click.echo(
            f"{len(files)} files: {reports} reports ({read} read, completeness ≥ 50 %), "
            f"{len(files) - reports} skipped",
            err=True,
        )
    if not reports:
        raise SystemExit(EXIT_FAILED)


@click.command()
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--json", "as_json", is_flag=True, help="Print the record only (one JSON object, no summary)."
)
@click.option("--quiet", "-q", is_flag=True, help="No summary on stderr.")
@click.option("--county", default=None, help="County to record (e.g. 寿县).")
@click.option("--adcode", default=None, help="6-digit division code to record.")
@click.option("--url", default=None, help="Source URL to record.")
def parse(
    file: Path, as_json: bool, quiet: bool, county: str | None, adcode: str | None, url: str | None
) -> None:
    """Parse one report file (.txt, .html, .docx, .doc, .pdf, …) and print its JSON record;
    given a folder, parse every file in it (and below) and print one record per line.

    The record follows the public schema (docs/record-schema.md). A summary of the era,
    failed checks, cells read and warnings goes to stderr unless --json or --quiet. In a
    folder each record's `url` is its file's file:// address (unless --url is given); files
    that are not reports are named on stderr and skipped.

    \b
    Examples:
      harvester parse report.pdf
      harvester parse report.txt --json | jq .applications.received
      harvester parse saved-reports/ > reports.jsonl
    """
    if file.is_dir():
        _folder(file, quiet or as_json, county=county, adcode=adcode, url=url)
        return
    record = record_of_file(file, county=county, adcode=adcode, url=url)
    if not _is_report(record):
        reasons = "; ".join(record.get("warnings", [])[:3]) or "no title, year or tables"
        _fail(f"{file}: does not look like a 政府信息公开工作年度报告 ({reasons})")
    indent = None if as_json else 2
    sys.stdout.write(json.dumps(record, ensure_ascii=False, indent=indent) + "\n")
    if not (as_json or quiet):
        click.echo(_summary(record), err=True)


if __name__ == "__main__":
    parse()
