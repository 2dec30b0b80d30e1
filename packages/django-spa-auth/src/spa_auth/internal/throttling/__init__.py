"""Rate limits: counters in their own table, reservations, and the client's address
they count under. Imports no other wing."""
