"""Escalator: runs a support organisation's escalation process on Zendesk."""

__version__ = "0.1.0"
