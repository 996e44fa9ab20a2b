"""A deterministic demo workspace that reads like the real thing: missions, portfolio, indicators."""
