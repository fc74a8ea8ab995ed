"""Zendesk + Statuspage simulator: a real HTTP server with in-memory state, for demos and tests."""

from app.sandbox.app import create_sandbox_app, serve_sandbox
from app.sandbox.config import SandboxConfig

__all__ = ["SandboxConfig", "create_sandbox_app", "serve_sandbox"]
