"""Generate, rotate, list and retire the asymmetric access-token signing keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from spa_auth.conf import get_settings
from spa_auth.internal.tokens import keyset


class Command(BaseCommand):
    # The checks warn, or refuse to serve, while there is no key set (W014, E014), and this
    # command is what creates it: they must never stand in its way.
    requires_system_checks = []
    help = (
        "Manage the access-token key set. Rotation: `rotate` (the new key signs, the old one "
        "still verifies), then `retire OLD_KID` once an access-token lifetime has passed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="show the keys and their status")
        add = sub.add_parser("add", help="add a key published ahead of use (status next)")
        add.add_argument("--alg", default=None)
        rotate = sub.add_parser("rotate", help="add a key and make it the signing key")
        rotate.add_argument("--alg", default=None)
        activate = sub.add_parser("activate", help="make a key the signing key")
        activate.add_argument("kid")
        retire = sub.add_parser("retire", help="remove a key that no longer signs")
        retire.add_argument("kid")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        conf = get_settings()
        if not conf.keyset_file:
            raise CommandError("Set SPA_AUTH['KEYSET_FILE'] (JWT_KEYSET_FILE) first.")
        path = Path(conf.keyset_file)
        try:
            keys = keyset.read(path)
        except keyset.KeysetError as exc:
            raise CommandError(str(exc)) from exc
        alg = options.get("alg") or conf.algorithm
        if action == "list":
            for key in keys:
                self.stdout.write(f"{key.kid}\t{key.alg}\t{key.status}")
            return
        if action in ("add", "rotate"):
            try:
                new = keyset.generate(alg)
            except keyset.KeysetError as exc:
                raise CommandError(str(exc)) from exc
            keys.append(new)
            if action == "rotate":
                keys = _activate(keys, new.kid)
            self.stdout.write(f"{action}: {new.kid} ({alg})")
        elif action == "activate":
            keys = _activate(keys, options["kid"])
            self.stdout.write(f"activated {options['kid']}")
        elif action == "retire":
            keys = _retire(keys, options["kid"])
            self.stdout.write(f"retired {options['kid']}")
        keyset.write(path, keys)


def _activate(keys: list[keyset.StoredKey], kid: str) -> list[keyset.StoredKey]:
    if kid not in {key.kid for key in keys}:
        raise CommandError(f"No key {kid!r}.")
    return [
        keyset.StoredKey(
            key.kid,
            key.alg,
            "active" if key.kid == kid else ("verify" if key.status == "active" else key.status),
            key.private_pem,
        )
        for key in keys
    ]


def _retire(keys: list[keyset.StoredKey], kid: str) -> list[keyset.StoredKey]:
    target = next((key for key in keys if key.kid == kid), None)
    if target is None:
        raise CommandError(f"No key {kid!r}.")
    if target.status == "active":
        raise CommandError("The active key signs new tokens: rotate to another key first.")
    return [key for key in keys if key.kid != kid]
