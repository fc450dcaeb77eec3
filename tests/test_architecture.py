"""The shape docs/architecture.md promises: no import cycles among product modules, small
modules, and the Scrapy components reaching one another only through harvester.*."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 500
COMPONENTS = ("spiders", "middlewares", "extensions", "pipelines")


def _tool():  # noqa: ANN202 - the module object
    spec = importlib.util.spec_from_file_location(
        "import_cycles", ROOT / "tools" / "import_cycles.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cycle_finder_finds_a_cycle() -> None:
    tool = _tool()
    assert tool.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert tool.cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_among_product_modules() -> None:
    tool = _tool()
    assert tool.cycles(tool.import_graph(tool.module_files(ROOT))) == []


def test_no_product_module_over_500_lines() -> None:
    tool = _tool()
    long = {
        str(path.relative_to(ROOT)): n
        for path in tool.module_files(ROOT).values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_scrapy_components_and_harvester_do_not_import_one_another() -> None:
    tool = _tool()
    graph = tool.import_graph(tool.module_files(ROOT))
    crossing = sorted(
        (module, target)
        for module, targets in graph.items()
        for target in targets
        if target.split(".")[0] in COMPONENTS and target.split(".")[0] != module.split(".")[0]
    )
    assert crossing == []
