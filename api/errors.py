"""Error bodies and the responses every route documents: the body always says why, in words.

ApiError            an HTTP error with a reason (body {"detail": ...})
 ├── Unauthorized   401: no credentials, or credentials we do not accept
 ├── Forbidden      403: known caller, wrong role or outside their unit/exercise
 ├── NotFound       404: no such thing (or one the caller may not see)
 └── Conflict       409: the worker rejected the command
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, status
from pydantic import BaseModel, Field


class Problem(BaseModel):
    """An error body: what is wrong, in words."""

    detail: str = Field(examples=["no incident with id 'inc-42'"])


class ApiError(HTTPException):
    """An HTTP error whose `detail` tells the caller what is wrong and what to do."""

    code = status.HTTP_400_BAD_REQUEST

    def __init__(self, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(self.code, detail, headers)


class Unauthorized(ApiError):
    """401 with a WWW-Authenticate challenge."""

    code = status.HTTP_401_UNAUTHORIZED

    def __init__(self, detail: str) -> None:
        super().__init__(detail, {"WWW-Authenticate": 'Bearer realm="tocsin"'})


class Forbidden(ApiError):
    """403: authenticated, but not allowed."""

    code = status.HTTP_403_FORBIDDEN


class NotFound(ApiError):
    """404: nothing with that id that the caller may see."""

    code = status.HTTP_404_NOT_FOUND


class Conflict(ApiError):
    """409: the incident's writer rejected the command."""

    code = status.HTTP_409_CONFLICT


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


Responses = dict[int | str, dict[str, Any]]

AUTH: Responses = {
    400: _problem(
        "A malformed request: NUL in the URL, a cursor or Last-Event-ID this API did not issue, or an unacceptable body"
    ),
    401: _problem("No bearer token, or one that is unknown, expired or revoked"),
    403: _problem("The caller's roles, unit or exercise do not allow this"),
}
BODY: Responses = {
    413: _problem("The body is larger than the API accepts"),
    415: _problem("The body is not application/json"),
}
NOT_FOUND: Responses = {404: _problem("No such incident, step or playbook (or one the caller may not see)")}
KAFKA_DOWN: Responses = {
    503: _problem(
        "Kafka did not confirm the message in time; the body says whether it may still be written (in doubt) "
        "and whether repeating the call is safe"
    )
}
