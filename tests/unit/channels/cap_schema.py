"""The official CAP 1.2 schema, found through TOCSIN_CAP_XSD or beside the repository in shared/standards."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest
import xmlschema

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_XSD = REPO_ROOT / ".." / "shared" / "standards" / "cap-v1.2.xsd"


def cap_xsd_path() -> Path:
    """Where the CAP 1.2 XSD is: $TOCSIN_CAP_XSD, else <repo>/../shared/standards/cap-v1.2.xsd."""
    return Path(os.environ.get("TOCSIN_CAP_XSD") or DEFAULT_XSD).resolve()


@cache
def cap_schema() -> xmlschema.XMLSchema:
    """The parsed schema; fails the test (never skips) when the file is missing."""
    path = cap_xsd_path()
    if not path.is_file():
        pytest.fail(f"CAP 1.2 schema not found at {path}; set TOCSIN_CAP_XSD or put shared/ beside the repository")
    return xmlschema.XMLSchema(str(path))


def assert_valid_cap(xml: str) -> None:
    """Fail with the schema's reason unless `xml` is a valid CAP 1.2 alert."""
    errors = list(cap_schema().iter_errors(xml))
    assert not errors, f"invalid CAP 1.2: {errors[0]}\n{xml}"
