"""How a person gets in: a password, the second step, a passkey, re-authentication. Asks
``accounts`` whether the address is proven and ``mfa`` whether a factor is due, then
``sessions`` to open one. Imported only by ``api`` and the public modules."""
