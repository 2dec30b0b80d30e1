"""Accounts: addresses, mailed keys, sign-up, verification, password reset, email
change, deletion, and the mail outbox (``tasks``). Imports the wings below it
(``sessions``, ``tokens``, ``throttling``), never ``mfa``, ``login`` or ``api``."""
