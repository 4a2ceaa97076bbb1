"""The web console: the static files in api/console/ served at /console, and / redirecting there.

Plain HTML, CSS and JavaScript with no build step and nothing fetched from other hosts (docs/console.md,
docs/adr/0019). The console talks to the API with the bearer token the user signs in with; serving its
files needs no token. None of it appears in the OpenAPI document.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

__all__ = ["CONSOLE_DIR", "CONSOLE_PATH", "ConsoleFiles", "mount_console"]

CONSOLE_DIR = Path(__file__).with_name("console")
"""The console's files (shipped as package data of `api`)."""
CONSOLE_PATH = "/console"

SECURITY_HEADERS = {
    # Scripts only from the console itself: a value from the API can never run as code. Inline styles and
    # data: images are for the after-action report, which is shown in a sandboxed frame.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "connect-src 'self'; frame-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # revalidate (ETag) so an upgraded API serves the matching console
}


class ConsoleFiles(StaticFiles):
    """Static files with the console's security headers."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file (or index.html for the directory), with the security headers added."""
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


def mount_console(app: FastAPI) -> None:
    """Serve the console at /console/ and redirect / to it (both left out of the OpenAPI document)."""
    app.mount(CONSOLE_PATH, ConsoleFiles(directory=CONSOLE_DIR, html=True), name="console")

    @app.get("/", include_in_schema=False)
    async def console_home(request: Request) -> RedirectResponse:
        """Browsers that open the API's address land on the console."""
        return RedirectResponse(f"{request.scope.get('root_path', '')}{CONSOLE_PATH}/")
