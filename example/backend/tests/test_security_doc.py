"""docs/security.md cites the tests that prove each defence: every row of a table with a
"test" column names test functions (``file::test_name``), and each of them exists."""

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
    "provider_doors": "security/test_provider_doors.py",
    "providers": "test_providers.py",
    "live_providers": "live/test_providers_live.py",
    "provider_side": "security/test_provider_side_doors.py",
    "autofill": "security/test_passkey_autofill.py",
    "captcha_doors": "security/test_captcha_doors.py",
    "breach": "security/test_breached_passwords.py",
    "devices": "test_devices.py",
    "device_doors": "security/test_device_doors.py",
    "live_devices": "live/test_devices_live.py",
    "login_code": "test_login_code.py",
    "cross": "security/test_cross_feature_attacks.py",
    "live_login_code": "live/test_login_code_live.py",
}


def cited_cells() -> list[tuple[str, str]]:
    """(the row's first cell, its "test" cell) for every row of every table that has one."""
    found: list[tuple[str, str]] = []
    column: int | None = None
    for line in DOC.read_text().splitlines():
        if not line.startswith("|"):
            column = None  # the table, if any, has ended
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if column is None:  # the header row
            column = cells.index("test") if "test" in cells else -1
        elif column >= 0 and not re.fullmatch(r"[|:\- ]+", line):
            found.append((cells[0], cells[column]))
    return found


def citations(cell: str) -> list[tuple[str, str]]:
    """(file, test name) for every code span of a cell; ``::name`` alone continues the
    file named before it. A span that is not ``file::name`` gives an empty name."""
    found: list[tuple[str, str]] = []
    current = ""
    for text in re.findall(r"`([^`]+)`", cell):
        head, sep, name = text.partition("::")
        if sep and head:
            current = ALIASES.get(head, head)
        found.append((current if sep else text, name))
    return found


def test_every_row_cites_test_functions_not_bare_files():
    cells = cited_cells()
    assert len(cells) > 60
    vague = [
        row
        for row, cell in cells
        if not citations(cell) or any(not name for _, name in citations(cell))
    ]
    assert vague == []  # the numbers of the rows whose test cell names no function


def test_every_test_the_security_model_cites_exists():
    cited = [found for _, cell in cited_cells() for found in citations(cell)]
    assert len(cited) > 60
    missing = []
    for path, name in cited:
        source = TESTS / path
        if not source.is_file():
            missing.append(path)
        elif not re.search(rf"^(async )?def {re.escape(name)}\b", source.read_text(), re.M):
            missing.append(f"{path}::{name}")
    assert missing == []
