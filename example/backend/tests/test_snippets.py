"""Every code block of the documentation is built or run by a test, or says why it is not.

The markers are tests/snippets.py's; the names the tests ask for are read from the tests'
source (each ``snippet("NAME")`` call with a literal name), so that the set of names the
documents mark and the set the tests read are compared without running the tests.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.snippets import TESTS, blocks, documents, marked_names


def names_the_tests_read() -> dict[str, list[str]]:
    """Each name given to ``snippet(...)`` in the tests, with the modules that give it."""
    read: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "snippet"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                read.setdefault(node.args[0].value, []).append(str(path.relative_to(TESTS)))
    return read


def test_every_code_block_is_a_snippet_or_says_why_it_is_not_run() -> None:
    unmarked = [
        block.where()
        for document in documents()
        for block in blocks(document)
        if block.name is None and block.not_run is None
    ]
    assert not unmarked, (
        "mark each block <!-- snippet: NAME --> (and read it in a test with snippet('NAME')), "
        f"or <!-- not-run: REASON --> when it is no code: {unmarked}"
    )


def test_a_block_in_a_language_is_never_marked_not_run() -> None:
    """A block tagged ```sh, ```ts, ```python … is code, which a test runs; not-run is for
    the untagged ones (a directory tree, a sample of output)."""
    tagged = [
        block.where()
        for document in documents()
        for block in blocks(document)
        if block.not_run is not None and block.language
    ]
    assert not tagged, f"code marked not-run: {tagged}"


def test_every_snippet_is_closed_after_its_block() -> None:
    unclosed = [
        copy.where() for copies in marked_names().values() for copy in copies if not copy.closed
    ]
    assert not unclosed, f"<!-- /snippet --> missing after: {unclosed}"


def test_a_name_given_in_two_places_marks_the_same_text() -> None:
    for name, copies in marked_names().items():
        texts = {copy.text for copy in copies}
        assert len(texts) == 1, f"{name} differs between {[c.where() for c in copies]}"


def test_the_tests_read_every_snippet_and_only_those() -> None:
    marked, read = set(marked_names()), names_the_tests_read()
    assert not marked - set(read), f"marked, read by no test: {sorted(marked - set(read))}"
    assert not set(read) - marked, f"read, marked nowhere: {sorted(set(read) - marked)}"


def test_the_documents_include_the_readmes_and_the_docs_they_link() -> None:
    names = {str(path.relative_to(TESTS.parents[2])) for path in documents()}
    assert {"README.md", "packages/client/README.md", "docs/deployment.md"} <= names
    assert all(Path(name).suffix == ".md" for name in names)
