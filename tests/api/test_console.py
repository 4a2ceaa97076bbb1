"""The web console: served at /console without a build step, kept out of the OpenAPI document, and honest —
every API operation its JavaScript calls exists in the API, and its inject buttons follow the runner's states."""

from __future__ import annotations

import json
import re
import tomllib
from fnmatch import fnmatch
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from api.console import CONSOLE_DIR
from api.routers.cases import PERSONAL_DATA_ROLES
from drills.result import INJECT_TRANSITIONS

ROOT = Path(__file__).resolve().parents[2]
JS_FILES = sorted(CONSOLE_DIR.glob("*.js"))
OPERATION = re.compile(r'"(GET|POST|PUT|PATCH|DELETE) (/api/v1[^"\s]*)"')
PARAM = re.compile(r"\{[^}/]+\}")


class _Assets(HTMLParser):
    """The scripts and stylesheets a page references."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "script" and attr.get("src"):
            self.scripts.append(str(attr["src"]))
        if tag == "link" and attr.get("rel") == "stylesheet" and attr.get("href"):
            self.styles.append(str(attr["href"]))


def assets() -> _Assets:
    parser = _Assets()
    parser.feed((CONSOLE_DIR / "index.html").read_text(encoding="utf-8"))
    return parser


def js_operations() -> set[tuple[str, str]]:
    """(method, path template) of every API call in the console's JavaScript."""
    found = set()
    for path in JS_FILES:
        found |= {(m.group(1), m.group(2)) for m in OPERATION.finditer(path.read_text(encoding="utf-8"))}
    return found


def js_object(name: str) -> Any:
    """A JSON-literal constant of drills.js (`const NAME = {...};` on one line)."""
    match = re.search(rf"const {name} = (\{{.*?\}});", (CONSOLE_DIR / "drills.js").read_text(encoding="utf-8"))
    assert match, f"drills.js has no one-line JSON constant {name}"
    return json.loads(match.group(1))


def template(path: str) -> str:
    return PARAM.sub("{}", path)


async def test_the_console_page_loads_its_scripts_and_stylesheet(client: httpx.AsyncClient) -> None:
    reply = await client.get("/console/")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    page = assets()
    assert page.scripts == [
        "lang-zh.js",
        "lang-en.js",
        "api.js",
        "ui.js",
        "attention.js",
        "publicinfo.js",
        "warnings.js",
        "incidents.js",
        "drills.js",
        "tabletop.js",
        "console.js",
    ]
    assert page.styles == ["console.css"]
    assert {f.name for f in JS_FILES} == set(page.scripts), "every script in api/console/ is loaded, and only those"


async def test_each_console_file_is_served_with_its_content_type(client: httpx.AsyncClient) -> None:
    page = assets()
    for name in page.scripts:
        reply = await client.get(f"/console/{name}")
        assert reply.status_code == 200, name
        assert reply.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript"), name
        assert reply.text == (CONSOLE_DIR / name).read_text(encoding="utf-8")
    for name in page.styles:
        reply = await client.get(f"/console/{name}")
        assert reply.status_code == 200, name
        assert reply.headers["content-type"].startswith("text/css"), name


async def test_console_files_need_no_token_and_carry_a_strict_content_security_policy(
    client: httpx.AsyncClient,
) -> None:
    reply = await client.get("/console/console.js")
    assert reply.status_code == 200
    policy = reply.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert reply.headers["x-content-type-options"] == "nosniff"


async def test_a_missing_console_file_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/console/nothing-here.js")).status_code == 404


async def test_the_root_and_the_bare_console_path_redirect_to_the_console(client: httpx.AsyncClient) -> None:
    root = await client.get("/")
    assert root.status_code in (302, 307)
    assert root.headers["location"].endswith("/console/")
    bare = await client.get("/console")
    assert bare.status_code in (301, 307, 308)
    assert bare.headers["location"].endswith("/console/")


async def test_the_console_is_not_part_of_the_api_schema(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/" not in paths
    assert not [p for p in paths if p.startswith("/console")]


async def test_every_api_operation_the_console_calls_exists(app: FastAPI) -> None:
    calls = js_operations()
    assert len(calls) >= 20, "the console's paths table was not found"
    schema = app.openapi()["paths"]
    offered = {(method.upper(), template(path)) for path, item in schema.items() for method in item}
    missing = sorted(f"{method} {path}" for method, path in calls if (method, template(path)) not in offered)
    assert missing == [], f"the console calls operations the API does not have: {missing}"


def test_the_console_names_api_paths_only_in_its_paths_table() -> None:
    for path in JS_FILES:
        text = path.read_text(encoding="utf-8")
        assert text.count("/api/v1") == len(OPERATION.findall(text)), (
            f'{path.name} mentions /api/v1 outside a "METHOD /api/v1/..." entry: the test above cannot check it'
        )


def test_inject_buttons_follow_the_runner_s_state_table() -> None:
    actions: dict[str, list[str]] = js_object("INJECT_ACTIONS")
    target: dict[str, str] = js_object("ACTION_TARGET")
    assert set(actions) == set(INJECT_TRANSITIONS)
    for state, allowed in INJECT_TRANSITIONS.items():
        assert {target[action] for action in actions[state]} == allowed, state
    assert {template(p).rsplit("/", 1)[1] for m, p in js_operations() if "/injects/" in p} == set(target)


def test_the_console_loads_nothing_from_other_hosts() -> None:
    for path in CONSOLE_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[\w.-]+\.[a-z]{2,}/", text), f"{path.name} refers to another host"
        assert "@import" not in text and "url(" not in text, f"{path.name} loads a resource"


def test_the_console_files_are_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns: list[str] = config["tool"]["setuptools"]["package-data"].get("api", [])
    for path in CONSOLE_DIR.iterdir():
        relative = path.relative_to(CONSOLE_DIR.parent).as_posix()
        assert any(fnmatch(relative, p) for p in patterns), f"{relative} would be missing from the wheel"


def test_the_console_shows_the_case_list_to_the_roles_the_api_lets_read_it() -> None:
    text = (CONSOLE_DIR / "incidents.js").read_text(encoding="utf-8")
    match = re.search(r"const PERSONAL_DATA_ROLES = (\[.*?\]);", text)
    assert match, "incidents.js has no one-line PERSONAL_DATA_ROLES list"
    assert tuple(json.loads(match.group(1))) == PERSONAL_DATA_ROLES
    assert ("GET", "/api/v1/incidents/{incident_id}/cases") in js_operations()
    assert 'api.download("cases", params, { format: "csv" }' in text, "the case list's CSV export"


DICTIONARY_ENTRY = re.compile(r'^    ("(?:[^"\\]|\\.)*"): ("(?:[^"\\]|\\.)*"),$', re.MULTILINE)
TEXT_KEY = re.compile(r'\bt\("([\w.]+)"')


def dictionary(lang: str) -> dict[str, str]:
    """The entries of lang-LANG.js (one `"key": "text",` per line)."""
    text = (CONSOLE_DIR / f"lang-{lang}.js").read_text(encoding="utf-8")
    return {json.loads(k): json.loads(v) for k, v in DICTIONARY_ENTRY.findall(text)}


def test_every_language_has_the_same_words() -> None:
    chinese, english = dictionary("zh"), dictionary("en")
    assert len(chinese) > 300, "lang-zh.js was not read"
    assert sorted(set(chinese) ^ set(english)) == []


def test_every_text_the_console_shows_is_in_the_dictionaries() -> None:
    chinese = dictionary("zh")
    used = set(re.findall(r'data-t="([^"]+)"', (CONSOLE_DIR / "index.html").read_text(encoding="utf-8")))
    for path in JS_FILES:
        if not path.name.startswith("lang-"):
            used |= {key for key in TEXT_KEY.findall(path.read_text(encoding="utf-8")) if not key.endswith(".")}
    assert len(used) > 200
    assert sorted(used - set(chinese)) == []


def test_the_chinese_dictionary_is_chinese() -> None:
    untranslated = {k: v for k, v in dictionary("zh").items() if not re.search(r"[\u4e00-\u9fff]", v)}
    # Symbols, product names and channel brands may stay as they are.
    assert set(untranslated) <= {"delivery.line", "channel.webhook", "pi.editor"} | {
        k for k, v in untranslated.items() if not re.search(r"[A-Za-z]{3,}", v)
    }, untranslated


def test_the_attention_view_knows_every_kind_the_api_lists() -> None:
    from api.routers.attention import KINDS

    text = (CONSOLE_DIR / "attention.js").read_text(encoding="utf-8")
    assert re.findall(r'\{ kind: "(\w+)"', text) == list(KINDS)
    for kind in KINDS:
        assert f"attention.kind.{kind}" in dictionary("zh")
