"""aae_core is the science: it never imports streamlit or ui, and its rooms only point down
(docs/ARCHITECTURE.md, "Rooms"): base <- store <- training; base <- analysis; training may
use analysis; watch uses the base. Checked twice: by importing every module in a fresh
interpreter, and by reading every import statement (also those inside functions, which an
import alone does not run)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "aae_core"
FORBIDDEN = ("streamlit", "ui")
#: room -> the rooms it may import (the base is every module outside these sub-packages)
ALLOWED = {
    "base": {"base"},
    "store": {"base", "store"},
    "analysis": {"base", "analysis"},
    "training": {"base", "store", "analysis", "training"},
    "watch": {"base", "watch"},
    # the browser side: its payloads read models and checkpoints, the take-home page
    # inlines a recorded Watch run
    "web": {"base", "store", "analysis", "watch", "web"},
}
ROOMS = set(ALLOWED) - {"base"}
#: The command line is the entry point: it may reach into every room, and only
#: `python -m aae_core` (aae_core/__main__.py) imports it ...
ENTRY_POINTS = {"aae_core.cli", "aae_core.__main__"}
#: ... and nothing else (a sweep task calls the trainer with typed settings, not the CLI).
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ROOMS else "base"


def imports_of(path: Path) -> list[str]:
    """Every module an import statement in `path` names, at any depth (absolute names;
    relative imports resolved against the file's package)."""
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" \
        else module_name(path)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: resolved against the file's package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{module}" if module else base
            # `from aae_core import analysis` names the sub-package through its alias
            found += [module] + [f"{module}.{alias.name}" for alias in node.names]
    return found


def core_files() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def test_the_scan_sees_every_room():
    rooms = {room_of(module_name(p)) for p in core_files()}
    assert rooms == set(ALLOWED)
    assert len(core_files()) > 40


def test_no_core_module_imports_streamlit_or_ui_even_lazily():
    bad = [f"{p.relative_to(ROOT)}: import {name}" for p in core_files()
           for name in imports_of(p) if name.split(".")[0] in FORBIDDEN]
    assert not bad, "\n".join(bad)


def arrow_allowed(source: str, target: str) -> bool:
    """Whether module `source` of aae_core may import `target` (also of aae_core)."""
    if source in ENTRY_POINTS:
        return True  # the command line reaches into every room
    entry = next((e for e in ENTRY_POINTS if target == e or target.startswith(e + ".")), None)
    if entry is not None:
        return (source, entry) in KNOWN_EXCEPTIONS
    return room_of(target) in ALLOWED[room_of(source)]


def test_rooms_only_point_down():
    bad = [f"{module_name(p)} ({room_of(module_name(p))}) -> {name}"
           for p in core_files() for name in imports_of(p)
           if name.startswith("aae_core.") and not arrow_allowed(module_name(p), name)]
    assert not bad, "arrows back up:\n" + "\n".join(sorted(set(bad)))


def test_the_rule_refuses_an_arrow_back_up():
    assert not arrow_allowed("aae_core.priors", "aae_core.training.train")
    assert not arrow_allowed("aae_core.store.checkpoints", "aae_core.analysis.metrics")
    assert not arrow_allowed("aae_core.analysis.compare", "aae_core.store.catalog")
    assert not arrow_allowed("aae_core.watch.session", "aae_core.training.train")
    assert not arrow_allowed("aae_core.models.aae", "aae_core.cli")
    assert arrow_allowed("aae_core.training.train", "aae_core.analysis.metrics")


def test_importing_all_of_aae_core_loads_neither_streamlit_nor_ui():
    modules = sorted(module_name(p) for p in core_files() if p.name != "__main__.py")
    code = ("import importlib, json, sys\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert "aae_core" in loaded
    assert not loaded & set(FORBIDDEN), sorted(loaded & set(FORBIDDEN))


def test_no_test_module_imports_another():
    """Shared test code lives in tests/helpers.py, tests/conftest.py or tests/tiny_checkpoints.py;
    a test module imported by another would run its tests twice and tie the two together."""
    tests = ROOT / "tests"
    bad = [f"{p.relative_to(ROOT)}: import {name}" for p in sorted(tests.glob("test_*.py"))
           for name in imports_of(p) if name.split(".")[:2][-1].startswith("test_")
           and name.startswith("tests.")]
    assert not bad, "\n".join(bad)
