"""Session-backed JWT authentication for Django REST Framework and single-page apps.

Short-lived access tokens (JWT, held in the app's memory) are tied to a server-side
session; the session's refresh token rotates on every use and lives in an httpOnly
cookie. Revoking the session refuses its access tokens on their very next use.

The public surface is the package README's table: ``authentication``, ``backends``,
``middleware``, ``wsgi``, ``handlers``, ``parsers``, ``pagination``, ``forms``,
``signals``, ``serializers``, ``errors``, ``conf`` and ``urls``. ``spa_auth.internal`` is
private and may change in any release.
"""
