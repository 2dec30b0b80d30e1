"""A user model unlike Django's: a UUID key and the email as the username."""
