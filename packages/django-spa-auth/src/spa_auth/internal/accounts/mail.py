"""Account mail through Django's email framework, from overridable templates.

Each mail is three templates under ``spa_auth/mail/``: ``<name>_subject.txt``,
``<name>.txt`` and ``<name>.html``. A project overrides any of them by putting its own
at the same path in a template directory searched first.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from ...conf import AuthSettings
from ...errors import MailNotConfiguredError


def one_line(text: str) -> str:
    """Text a person chose, as one plain line for pages and mails: control, format
    (bidirectional overrides), surrogate and separator characters become one space."""
    kept = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    return " ".join(kept.split())


def link(conf: AuthSettings, path: str, key: str) -> str:
    """A link into the SPA with the key in the fragment: browsers never send a fragment
    to a server, so neither logs nor a mail scanner's fetch ever see the key, and
    opening the link spends nothing; the page posts the key."""
    if not conf.frontend_url:
        raise MailNotConfiguredError("SPA_AUTH['FRONTEND_URL'] is not set")
    return f"{conf.frontend_url.rstrip('/')}{path}#key={key}"


def send(name: str, to: str, context: dict[str, Any], conf: AuthSettings) -> None:
    """Render mail ``name`` and send it to ``to``; the mail server's errors propagate."""
    context = {"site_name": conf.site_name, **context}
    subject = render_to_string(f"spa_auth/mail/{name}_subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # one line: a header cannot hold a newline
        body=render_to_string(f"spa_auth/mail/{name}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string(f"spa_auth/mail/{name}.html", context), "text/html")
    message.send()
