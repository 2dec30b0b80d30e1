"""Second factors: TOTP, recovery codes, passkeys, step-up, and the staff enrolment
link. Imports ``accounts`` and the wings below it, never ``login`` or ``api``."""
