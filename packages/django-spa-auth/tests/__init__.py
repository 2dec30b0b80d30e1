"""The package's own tests: a minimal project around spa_auth, independent of the example.

Run ``nox`` from the package root (the supported matrix, against the built package), or
``pytest tests`` there in any environment where the package is installed; set
``SPA_AUTH_TEST_USER_MODEL=accounts.EmailUser`` and ``DATABASE_URL`` to pick the cell.
"""
