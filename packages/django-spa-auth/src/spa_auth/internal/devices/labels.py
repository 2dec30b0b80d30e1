"""What a device is, for people, from its user agent: the browser ("Firefox 128") and the
system ("Ubuntu"), each empty when the user agent does not say.

``ua-parser`` (the Browserscope rules, kept up to date in ``ua-parser-builtins``) reads
the user agent. It runs when a device is new or its user agent changed, never on an
authenticated request's path. Both are one plain line (``accounts.mail.one_line``): a
user agent is whatever the client chose to send.
"""

from __future__ import annotations

from typing import Any

import ua_parser
from django.utils.translation import gettext as _

from ..accounts.mail import one_line

_MAX = 100


def parse(user_agent: str) -> dict[str, str]:
    result = ua_parser.parse(user_agent[:512]) if user_agent else None
    browser = result.user_agent if result is not None else None
    system = result.os if result is not None else None
    name = ""
    if browser is not None and browser.family != "Other":
        name = f"{browser.family} {browser.major}" if browser.major else browser.family
    os_name = system.family if system is not None and system.family != "Other" else ""
    return {"browser": one_line(name)[:_MAX], "system": one_line(os_name)[:_MAX]}


def describe(device: Any) -> str:
    """One line for a mail or the audit log: "Firefox 128 on Ubuntu", in the language
    active now."""
    browser = device.browser or _("an unknown browser")
    if not device.system:
        return str(browser)
    return _("%(browser)s on %(system)s") % {"browser": browser, "system": device.system}
