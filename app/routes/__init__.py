"""HTTP routes: thin — verify, parse, delegate, respond."""
