"""The documentation's code blocks, by name: what the tests build and run.

Every fenced block of the READMEs and of the docs they link carries one of two markers on
the line before it:

- ``<!-- snippet: NAME -->`` … ``<!-- /snippet -->``: a block that a test reads through
  ``snippet("NAME")`` and builds or runs in the ecosystem's default scaffold (a
  ``django-admin startproject`` project, a create-vite app, a shell). A name given in two
  documents must mark the same text.
- ``<!-- not-run: REASON -->``: a block with no language tag that is no code at all (a
  directory tree), with why.

tests/test_snippets.py holds every document to this, and the set of names the documents mark
equal to the set the tests ask for, so that a new block without a test, or a test of a block
that is gone, fails. This module imports nothing of the project's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TESTS = Path(__file__).resolve().parent

_FENCE = re.compile(r"^```(\w*)\s*$")
_SNIPPET = re.compile(r"^<!-- snippet: ([\w-]+) -->$")
_NOT_RUN = re.compile(r"^<!-- not-run: (\S.*\S) -->$")
_END = "<!-- /snippet -->"


@dataclass(frozen=True)
class Block:
    document: Path
    line: int  # of the opening fence, from 1
    language: str
    text: str
    name: str | None  # the snippet's name; None for a block marked not-run, or unmarked
    not_run: str | None  # the reason a not-run block gives
    closed: bool  # a snippet's block is followed by <!-- /snippet -->

    def where(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def documents() -> list[Path]:
    """The READMEs, and every document of docs/ that one of them links."""
    readmes = [ROOT / "README.md", *sorted(ROOT.glob("*/README.md"))]
    readmes += sorted(ROOT.glob("packages/*/README.md"))
    linked = {
        (readme.parent / target).resolve()
        for readme in readmes
        for target in re.findall(r"\]\(([\w./-]+\.md)(?:#[\w-]*)?\)", readme.read_text())
    }
    docs = sorted(path for path in linked if path.parent == ROOT / "docs" and path.is_file())
    return readmes + docs


def blocks(document: Path) -> list[Block]:
    """Every fenced block of ``document``, with the marker on the line before it."""
    lines = document.read_text().splitlines()
    found, index = [], 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
        before = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        named, not_run = _SNIPPET.match(before), _NOT_RUN.match(before)
        after = lines[end + 1] if end + 1 < len(lines) else ""
        found.append(
            Block(
                document=document,
                line=index + 1,
                language=opening.group(1),
                text="\n".join(lines[index + 1 : end]) + "\n",
                name=named.group(1) if named else None,
                not_run=not_run.group(1) if not_run else None,
                closed=after == _END,
            )
        )
        index = end + 1
    return found


@cache
def _named() -> dict[str, list[Block]]:
    named: dict[str, list[Block]] = {}
    for document in documents():
        for block in blocks(document):
            if block.name is not None:
                named.setdefault(block.name, []).append(block)
    return named


def snippet(name: str) -> str:
    """The text of the block marked ``<!-- snippet: NAME -->``, as a reader copies it."""
    copies = _named().get(name)
    assert copies, f"no document marks a block <!-- snippet: {name} -->"
    return copies[0].text


def marked_names() -> dict[str, list[Block]]:
    return _named()
