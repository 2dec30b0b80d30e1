"""The CAPTCHA's public surface: the base class of a project's own provider, and the one
check a project's own door calls.

A provider of the project's own is named by its dotted path in
``SPA_AUTH["CAPTCHA"]["PROVIDER"]``; a door of its own calls
``require_captcha(request, "signup")`` (or another of ``DOORS``) before it acts.
"""

from .internal.captcha.config import DOORS
from .internal.captcha.providers import CaptchaProvider, Expected
from .internal.captcha.services import require_captcha

__all__ = ["DOORS", "CaptchaProvider", "Expected", "require_captcha"]
