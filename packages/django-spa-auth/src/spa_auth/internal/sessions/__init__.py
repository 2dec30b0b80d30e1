"""Sessions: the store and its prepared SQL, refresh rotation, revocation, the refresh
cookie, and the receivers of Django's login signals. Imports ``tokens`` and
``throttling`` only; knows nothing of accounts or second factors."""
