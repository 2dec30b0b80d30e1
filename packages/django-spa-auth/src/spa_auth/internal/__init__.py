"""Private modules of spa_auth: they may change in any release. Import from the public
modules (see the package README) instead."""
