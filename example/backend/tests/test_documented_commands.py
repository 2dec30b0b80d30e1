"""The documentation's command lines that `make` runs: each names a target or a command the
Makefile has, so that a renamed target, script or flag fails here. Running them would run
`make test` inside `make test`; the commands themselves run in CI, through the Makefile."""

from __future__ import annotations

import re
import shlex

from tests.snippets import ROOT, snippet

MAKEFILE = (ROOT / "Makefile").read_text()
BENCH = ROOT / "bench"


def command_lines(text: str) -> list[list[str]]:
    """The commands of a ```sh block: one a line, or several joined by ``&&``."""
    commands = []
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        while words:
            cut = words.index("&&") if "&&" in words else len(words)
            commands.append(words[:cut])
            words = words[cut + 1 :]
    return commands


def described_targets() -> set[str]:
    """The targets `make help` describes."""
    return set(re.findall(r'@echo "make (\w+) ', MAKEFILE))


def run_by_the_makefile(command: list[str]) -> bool:
    """Whether a recipe runs ``command``, give or take the flags it adds (``--silent``):
    the whole command, up to the end of its line, a ``)``, ``;``, ``&&`` or ``|``."""
    flags = r"(?:\s+--[\w-]+(?:=\S+)?)*"
    pattern = (flags + r"\s+").join(re.escape(word) for word in command) + flags
    return re.search(rf"(?:^|\s|\(){pattern}(?=\s*(?:$|\)|;|&&|\|))", MAKEFILE, re.M) is not None


def test_the_readmes_make_lines_are_targets_make_help_describes() -> None:
    commands = command_lines(snippet("make-targets"))
    assert [argv[0] for argv in commands] == ["make"] * len(commands)
    assert {argv[1] for argv in commands} == {"run", "test"}
    assert {argv[1] for argv in commands} <= described_targets()


def test_the_bench_lines_name_its_target_and_the_knobs_it_reads() -> None:
    sources = "".join(path.read_text() for path in BENCH.glob("*.py"))
    for argv in command_lines(snippet("bench-commands")):
        *assignments, make, target = argv
        assert (make, target) == ("make", "bench") and target in described_targets()
        for assignment in assignments:
            name = assignment.partition("=")[0]
            assert re.search(rf"[\"']{name}[\"']", sources), f"bench/ never reads {name}"


def test_the_packages_development_lines_are_what_make_runs_for_them() -> None:
    for block in (snippet("client-development"), snippet("vue-development")):
        for command in command_lines(block):
            assert run_by_the_makefile(command), f"the Makefile never runs {command}"


def test_the_command_matcher_refuses_what_the_makefile_does_not_run() -> None:
    assert run_by_the_makefile(["npm", "run", "typecheck"])  # written npm run --silent typecheck
    assert not run_by_the_makefile(["npm", "run", "typecheck:all"])
    assert not run_by_the_makefile(["npx", "vitest"])  # it runs npx vitest run
