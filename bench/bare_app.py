"""The baseline for the ingest benchmark: one endpoint that answers 202 and does nothing else,
served by uvicorn with the same options as `escalator serve`."""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, Response

app = FastAPI()


@app.post("/webhooks/zendesk", status_code=202)
async def accept() -> Response:
    """Answer 202 without reading, verifying or storing anything."""
    return Response(status_code=202)


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8100
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
