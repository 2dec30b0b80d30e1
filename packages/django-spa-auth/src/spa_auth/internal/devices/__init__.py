"""Devices: the browsers an account signed in from, known by a long-lived cookie, and the
notice mailed when a sign-in comes from a new one. Imports the wings below it
(``accounts`` for the mail, ``sessions``, ``throttling``), never ``mfa``, ``login`` or
``api``."""
