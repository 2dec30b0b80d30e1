"""What a device is, for people, from its user agent: the browser ("Firefox 128") and the
system ("Ubuntu"), each empty when the user agent does not say.

``ua-parser`` (the Browserscope rules, kept up to date in ``ua-parser-builtins``) reads
the user agent when a device is shown (the list, the notice, after the response), never
on a sign-in's or an authenticated request's path: its first call in a process compiles
its rules. Both are one plain line (``accounts.mail.one_line``): a
user agent is whatever the client chose to send.
"""

from __future__ import annotations

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


def describe(user_agent: str) -> str:
    """One line for a mail: "Firefox 128 on Ubuntu", in the language active now."""
    parsed = parse(user_agent)
    browser = parsed["browser"] or _("an unknown browser")
    if not parsed["system"]:
        return str(browser)
    return _("%(browser)s on %(system)s") % {"browser": browser, "system": parsed["system"]}
