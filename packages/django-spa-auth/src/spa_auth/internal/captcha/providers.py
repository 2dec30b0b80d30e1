"""The CAPTCHA providers: what each posts to its verify URL and what its answer must say.

A provider is a small class on ``CaptchaProvider``; the built-in ones are named by a word
in ``SPA_AUTH["CAPTCHA"]["PROVIDER"]``, a project's own by its dotted path. Every one
posts ``secret``, ``response`` and ``remoteip`` form-encoded (the siteverify protocol
Turnstile, hCaptcha and reCAPTCHA share) and requires ``success: true``; what else an
answer must say (its hostname, its action, its score) is ``refusal``'s to decide.
Imports nothing of this package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Expected:
    """What the answer of one verify call must match: the door asking (reCAPTCHA v3's and
    Turnstile's action), the app's hostnames, and v3's lowest acceptable score."""

    door: str
    hostnames: frozenset[str]
    min_score: float


class CaptchaProvider:
    """One CAPTCHA service. Subclass it, set ``name`` and ``verify_url``, and override
    ``refusal`` to check more of the answer (call ``super()`` first)."""

    name = ""
    verify_url = ""
    # Longer answers are refused without asking the provider.
    max_answer_length = 8192

    def payload(self, secret: str, response: str, remote_ip: str | None) -> dict[str, str]:
        """The form posted to the verify URL."""
        form = {"secret": secret, "response": response}
        if remote_ip:
            form["remoteip"] = remote_ip
        return form

    def refusal(self, answer: dict[str, Any], expected: Expected) -> str | None:
        """Why ``answer`` does not let the request through, or None when it does."""
        if answer.get("success") is not True:
            codes = answer.get("error-codes")
            return f"not a success: {codes!r}"[:200]
        hostname = answer.get("hostname")
        # A token solved on another site that embeds our (public) site key: refused
        # wherever the provider names the page's host (the keys' own domain list aside).
        if expected.hostnames and hostname is not None and hostname not in expected.hostnames:
            return f"solved on {str(hostname)[:100]!r}"
        return None


class Turnstile(CaptchaProvider):
    name = "turnstile"
    verify_url = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
    max_answer_length = 2048

    def refusal(self, answer: dict[str, Any], expected: Expected) -> str | None:
        # The widget names its door in ``action``; a widget of the project's own that
        # sets none answers an empty one, which the hostname check still binds.
        action = answer.get("action")
        if action and action != expected.door:
            return f"action {str(action)[:50]!r} is not {expected.door!r}"
        return super().refusal(answer, expected)


class HCaptcha(CaptchaProvider):
    name = "hcaptcha"
    verify_url = "https://api.hcaptcha.com/siteverify"


class RecaptchaV2(CaptchaProvider):
    name = "recaptcha_v2"
    verify_url = "https://www.google.com/recaptcha/api/siteverify"


class RecaptchaV3(RecaptchaV2):
    """reCAPTCHA v3 answers a score (1.0 a person, 0.0 a bot) and the action the page
    named, which must be this door's: a token earned on an easy page is not spent here."""

    name = "recaptcha_v3"

    def refusal(self, answer: dict[str, Any], expected: Expected) -> str | None:
        refused = super().refusal(answer, expected)
        if refused:
            return refused
        if answer.get("action") != expected.door:
            return f"action {str(answer.get('action'))[:50]!r} is not {expected.door!r}"
        score = answer.get("score")
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            return "no score"
        if score < expected.min_score:
            return f"score {score} under {expected.min_score}"
        return None


BUILT_IN: dict[str, type[CaptchaProvider]] = {
    cls.name: cls for cls in (Turnstile, HCaptcha, RecaptchaV2, RecaptchaV3)
}
