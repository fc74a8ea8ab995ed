"""Pure escalation rules: data in, decision out. No I/O, no FastAPI, no SQLAlchemy."""
