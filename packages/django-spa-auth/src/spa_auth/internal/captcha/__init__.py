"""The CAPTCHA in front of the doors bots use: its providers, its settings, and the one
check the views call (``services.require_captcha``)."""
