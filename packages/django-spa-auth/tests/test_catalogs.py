"""The shipped catalogs: every message of the sources and templates has a French and a
German translation, none fuzzy, and the compiled ``.mo`` says what the ``.po`` says.

``makemessages`` (xgettext, the gettext tools) runs on a copy of the app, so that the
catalogs in the tree are only read.
"""

from __future__ import annotations

import gettext
import re
import shutil
from pathlib import Path

import pytest
import spa_auth
from django.core.management import call_command

LANGUAGES = ("fr", "de")
APP = Path(spa_auth.__file__).parent


def entries(po: Path) -> list[tuple[list[str], str, str]]:
    """``(flags, msgid, msgstr)`` of every entry but the header, obsolete ones left out."""
    found = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        flags = [f.strip() for line in lines if line.startswith("#,") for f in line[2:].split(",")]
        fields: dict[str, str] = {}
        current = None
        for line in lines:
            match = re.match(r'^(msgid|msgstr) (".*")$', line)
            if match:
                current = match.group(1)
                fields[current] = _unquote(match.group(2))
            elif line.startswith('"') and current is not None:
                fields[current] += _unquote(line)
        if fields.get("msgid"):
            found.append((flags, fields["msgid"], fields.get("msgstr", "")))
    return found


def _unquote(quoted: str) -> str:
    return quoted[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the app whose catalogs ``makemessages`` brought up to date with the sources."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.fail("the gettext tools are missing (apt-get install gettext)")
    copy = tmp_path_factory.mktemp("catalogs") / "spa_auth"
    shutil.copytree(APP, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(copy)
        call_command("makemessages", locale=list(LANGUAGES), no_location=True, verbosity=0)
    return copy


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_the_sources_has_a_translation_that_is_not_fuzzy(
    extracted: Path, language: str
) -> None:
    found = entries(extracted / "locale" / language / "LC_MESSAGES" / "django.po")
    assert len(found) > 100
    untranslated = [msgid for _flags, msgid, msgstr in found if not msgstr]
    fuzzy = [msgid for flags, msgid, _msgstr in found if "fuzzy" in flags]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_in_the_tree_holds_every_message_of_the_sources(
    extracted: Path, language: str
) -> None:
    path = Path("locale") / language / "LC_MESSAGES" / "django.po"
    shipped = {msgid for _flags, msgid, _msgstr in entries(APP / path)}
    current = {msgid for _flags, msgid, _msgstr in entries(extracted / path)}
    assert sorted(current - shipped) == []  # new in the sources: run makemessages
    assert sorted(shipped - current) == []  # gone from the sources: drop it


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_says_what_the_po_says(language: str) -> None:
    directory = APP / "locale" / language / "LC_MESSAGES"
    with (directory / "django.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)
    stale = [
        msgid
        for _flags, msgid, msgstr in entries(directory / "django.po")
        if catalog.gettext(msgid) != msgstr
    ]
    assert stale == []  # compile it: msgfmt, or django-admin compilemessages
