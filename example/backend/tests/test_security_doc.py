"""docs/security.md cites a test for every defence: each cited test must exist."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
DOC = TESTS.parents[2] / "docs" / "security.md"
ALIASES = {
    "attacker": "security/test_active_attacker.py",
    "attacks": "security/test_attacks.py",
    "live_attacks": "live/test_attacks_live.py",
    "properties": "test_properties.py",
    "accounts": "test_accounts.py",
    "live_accounts": "live/test_accounts_live.py",
    "mfa": "test_mfa.py",
    "passkeys": "test_passkeys.py",
    "attacker_doors": "security/test_account_doors.py",
}


def citations() -> list[tuple[str, str]]:
    """(file, test name or "") for every test the document names; ``::name`` alone
    continues the file named before it in the same table cell."""
    found: list[tuple[str, str]] = []
    for line in DOC.read_text().splitlines():
        for cell in line.split("|"):
            current = ""
            for text in re.findall(r"`([^`]+)`", cell):
                head, sep, name = text.partition("::")
                if sep:
                    current = ALIASES.get(head, head) if head else current
                    found.append((current, name))
                elif text.endswith(".py") and text.startswith(
                    ("test", "security/", "live/", "e2e/")
                ):
                    found.append((text, ""))
    return found


def test_every_test_the_security_model_cites_exists():
    cited = citations()
    assert len(cited) > 60
    missing = []
    for path, name in cited:
        source = TESTS / path
        if not source.is_file():
            missing.append(path)
        elif name and not re.search(rf"^def {name}\b", source.read_text(), re.MULTILINE):
            missing.append(f"{path}::{name}")
    assert missing == []
