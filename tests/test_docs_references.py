"""What the code cites exists: every `docs/ARCHITECTURE.md, "Section"` names a heading of
docs/ARCHITECTURE.md, and no comment points at documents outside the repository (the
user's SPEC.md or ARCHITECTURE.md) or at an issue number."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ARCHITECTURE.md"
SOURCES = [p for pattern in ("*.py", "*.js", "*.sh")
           for p in ROOT.rglob(pattern)
           if not {".venv", "runs", "node_modules", ".git"} & set(p.relative_to(ROOT).parts)
           and p != Path(__file__).resolve()]  # this file names the patterns it looks for
CITATION = re.compile(r'docs/ARCHITECTURE\.md,\s*"([^"]+)"')


def _joined(text: str) -> str:
    """Comment lines joined into one, so a citation wrapped over two lines reads whole."""
    return re.sub(r"\s*\n\s*(?:#+|//+)?\s*", " ", text)


def headings() -> set[str]:
    return {m.group(1).strip() for m in re.finditer(r"^#+\s+(.+)$",
                                                    DOC.read_text(encoding="utf-8"), re.M)}


def test_sources_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in SOURCES}
    assert {"aae_core/config.py", "aae_core/web/pad/js/pad.js",
            "checkpoints/make_checkpoints.sh"} <= names


def test_every_cited_section_exists():
    known, cited = headings(), {}
    for path in SOURCES:
        for section in CITATION.findall(_joined(path.read_text(encoding="utf-8"))):
            cited.setdefault(section, []).append(path.relative_to(ROOT).as_posix())
    assert cited, "no citation of docs/ARCHITECTURE.md found"
    missing = {s: files for s, files in cited.items() if s not in known}
    assert not missing, f"sections cited but not in docs/ARCHITECTURE.md: {missing}"


def test_no_pointer_to_documents_outside_the_repository_or_to_issue_numbers():
    outside = re.compile(r"\bSPEC\b|(?<!docs/)ARCHITECTURE\.md|\b[Ii]ssue[ _]?#?\d+")
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
             for p in SOURCES
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if outside.search(line)]
    assert not found, "\n".join(found)
