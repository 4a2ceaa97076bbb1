"""The console fits 1366 px and a 390 px phone, meets WCAG AA contrast, labels every control, speaks Chinese by
default (English on request) with no bare ids, shows times in the district's zone, and guards forms on a 404."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, exercise_user, in_thread, sign_in, start_tabletop
from tests.e2e.kafka_io import produce_raw
from tests.e2e.platform import Platform, incident_for_venue
from tests.factories import report_dict

# Every text element's contrast against the background behind it (WCAG 2.x relative luminance), computed from
# the browser's computed styles. Disabled controls are exempt (WCAG 1.4.3); patterned backgrounds use their colour.
CONTRAST_PROBLEMS = """
() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(',').map((x) => parseFloat(x));
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
  const over = (top, bottom) => ({ r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
  function background(el) {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg && bg.a > 0) { layers.push(bg); if (bg.a >= 1) break; }
    }
    let colour = { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  }
  const problems = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    const exempt = '[disabled], :disabled, [hidden], .visually-hidden, .skip, noscript, option, dialog:not([open])';
    if (!own || el.closest(exempt)) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility === 'hidden' || style.display === 'none' || box.width === 0 || box.height === 0) continue;
    const fg = parse(style.color); if (!fg) continue;
    const bg = background(el);
    const text = over(fg, bg);
    const l1 = lum(text), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(style.fontSize); const bold = parseInt(style.fontWeight, 10) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const what = `${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}"`;
    if (ratio < needed) problems.push(`${what}: ${ratio.toFixed(2)} < ${needed}`);
  }
  return problems;
}
"""

UNLABELLED = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter((el) => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
    && !el.getAttribute('aria-labelledby'))
  .map((el) => el.outerHTML.slice(0, 120))
"""

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"

SHOWN_KEYS = """
() => { const text = document.body.innerText;
  return Object.keys(window.Tocsin.dict.zh).filter((k) => k.includes('.') && text.includes(k)); }
"""

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture(scope="module")
def sample(console_platform: Platform) -> dict[str, Any]:
    """An incident with tasks, alerts and deliveries to look at (a school canteen, 60 ill: level II)."""
    report = report_dict(facts={"cases": 60, "hospitalized": 4})
    key, value = report["report_id"].encode(), json.dumps(report, ensure_ascii=False).encode()
    topic = console_platform.topic("reports")
    in_thread(lambda: asyncio.run(produce_raw(console_platform.bootstrap, topic, value, key=key)))
    venue = report["location"]["venue"]
    found: dict[str, Any] = console_platform.wait_for(lambda: incident_for_venue(console_platform, venue), what=venue)
    return found


def open_page(browser: Browser, platform: Platform, viewport: ViewportSize) -> Page:
    """A new tab at `viewport`, on a PC whose own clock is set to UTC, signed in."""
    page = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="UTC").new_page()
    page.set_default_timeout(30_000)
    sign_in(page, platform)
    expect(page.get_by_role("heading", name="需要处理", level=1)).to_be_visible()
    return page


def views(platform: Platform, incident_id: str) -> list[tuple[str, str]]:
    """(name, address) of each page checked."""
    base = f"{platform.base_url}/console/#"
    return [
        ("attention", f"{base}/attention"),
        ("incidents", f"{base}/incidents"),
        ("incident", f"{base}/incidents/{incident_id}"),
        ("drills", f"{base}/drills"),
    ]


def settle(page: Page, name: str) -> None:
    """Wait until the view has drawn its data."""
    if name == "incident":
        expect(page.get_by_role("button", name="调整响应级别…")).to_be_enabled()
        expect(page.locator("tr[data-step]").first).to_be_visible()
    elif name == "attention":
        expect(page.locator(".attention-panel").first).to_be_visible()
    else:
        expect(page.locator("table.grid").first).to_be_visible()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_no_page_scrolls_sideways(
    browser: Browser, console_platform: Platform, sample: dict[str, Any], viewport: ViewportSize
) -> None:
    page = open_page(browser, console_platform, viewport)
    for name, address in views(console_platform, sample["id"]):
        page.goto(address)
        settle(page, name)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{viewport['width']}.png"), full_page=name != "incident")
        assert page.evaluate(OVERFLOW) <= 0, f"{name} at {viewport['width']} px scrolls sideways"
        expect(page.get_by_role("button", name="退出")).to_be_in_viewport()
    page.context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_text_meets_aa_contrast_and_every_control_has_a_label(
    browser: Browser, console_platform: Platform, sample: dict[str, Any], viewport: ViewportSize
) -> None:
    page = open_page(browser, console_platform, viewport)
    for name, address in views(console_platform, sample["id"]):
        page.goto(address)
        settle(page, name)
        assert page.evaluate(CONTRAST_PROBLEMS) == [], name
        assert page.evaluate(UNLABELLED) == [], name
    page.context.close()


def test_the_keyboard_reaches_the_skip_link_then_the_navigation(
    browser: Browser, console_platform: Platform, sample: dict[str, Any]
) -> None:
    page = open_page(browser, console_platform, DESKTOP)
    page.reload()
    expect(page.locator(".attention-panel").first).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("跳到主要内容")
    order = []
    for _ in range(4):
        page.keyboard.press("Tab")
        order.append(page.evaluate("() => document.activeElement.textContent.trim()"))
    assert [o.split()[0] for o in order] == ["Tocsin", "需要处理", "事件", "预警"]  # 需要处理 carries its count
    positive = "() => Array.from(document.querySelectorAll('[tabindex]')).filter((el) => el.tabIndex > 0).length"
    assert page.evaluate(positive) == 0, "no tabindex above 0: the order is the page's order"
    page.context.close()


def test_chinese_by_default_english_on_request_and_no_ids_on_screen(
    browser: Browser, console_platform: Platform, sample: dict[str, Any]
) -> None:
    page = open_page(browser, console_platform, DESKTOP)
    page.goto(f"{console_platform.base_url}/console/#/incidents/{sample['id']}")
    settle(page, "incident")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert page.evaluate(SHOWN_KEYS) == []
    developer_words = ("NotificationSent", "DecideLevel", "report_up", "regions.townships", "pending", "venue_type =")
    for developer_word in developer_words:
        assert developer_word not in page.locator("main").inner_text()
    page.get_by_label("界面语言").select_option("en")
    expect(page.get_by_role("heading", name="Tasks and alerts")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.evaluate(SHOWN_KEYS) == []
    page.get_by_label("Language").select_option("zh")
    expect(page.get_by_role("heading", name="任务与警报")).to_be_visible()
    page.context.close()


def test_times_are_in_the_district_zone_on_a_pc_set_to_utc(
    browser: Browser, console_platform: Platform, sample: dict[str, Any]
) -> None:
    page = open_page(browser, console_platform, DESKTOP)
    page.goto(f"{console_platform.base_url}/console/#/incidents/{sample['id']}")
    settle(page, "incident")
    opened = datetime.fromisoformat(sample["opened_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    shown = page.locator("dd time").nth(1)  # first report, opened, updated
    expect(shown).to_have_text(opened.strftime("%Y-%m-%d %H:%M:%S"))
    expect(page.locator("#zone")).to_have_text("时区 Asia/Shanghai (UTC+8)")
    page.context.close()


def test_an_unknown_incident_says_so_and_its_forms_stay_disabled(browser: Browser, console_platform: Platform) -> None:
    page = open_page(browser, console_platform, DESKTOP)
    page.goto(f"{console_platform.base_url}/console/#/incidents/INC-NOPE")
    expect(page.get_by_role("alert")).to_contain_text("没有编号为 INC-NOPE 的事件")
    expect(page.get_by_role("button", name="调整响应级别…")).to_be_disabled()
    expect(page.get_by_label("备注内容")).to_be_disabled()
    page.context.close()


@pytest.fixture(scope="module")
def a_warning(console_platform: Platform) -> str:
    """A standalone warning waiting for approval (issued through the API), for the warning pages."""
    body = {"hazard": "野生毒蘑菇中毒", "warning_level": "orange", "areas": ["城关街道"], "basis": "抽检趋势"}
    with console_platform.client() as client:
        reply = client.post("/api/v1/warnings", params={"wait": 10}, json=body)
    assert reply.status_code in (200, 202), reply.text
    warning_id: str = reply.json()["warning_id"]
    return warning_id


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_the_warning_pages_fit_are_readable_and_label_every_control(
    browser: Browser, console_platform: Platform, a_warning: str, viewport: ViewportSize
) -> None:
    page = open_page(browser, console_platform, viewport)
    base = f"{console_platform.base_url}/console/#"
    page.goto(f"{base}/warnings")
    expect(page.locator(f"tr[data-warning='{a_warning}'] .badge.warning-orange")).to_have_text("橙色预警")
    expect(page.locator("form.issue-warning")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"warnings-{viewport['width']}.png"), full_page=True)
    assert page.evaluate(OVERFLOW) <= 0, f"the warnings at {viewport['width']} px scroll sideways"
    assert page.evaluate(CONTRAST_PROBLEMS) == []
    assert page.evaluate(UNLABELLED) == []
    page.goto(f"{base}/warnings/{a_warning}")
    expect(page.locator("#warning-bulletins form.draft-editor pre.cap")).to_contain_text("<msgType>Alert</msgType>")
    expect(page.locator("h1 .badge.state-w_draft")).to_have_text("待审批")
    page.screenshot(path=str(ARTIFACTS / f"warning-{viewport['width']}.png"), full_page=True)
    assert page.evaluate(OVERFLOW) <= 0, f"a warning at {viewport['width']} px scrolls sideways"
    assert page.evaluate(CONTRAST_PROBLEMS) == []
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate(SHOWN_KEYS) == [], "no dictionary key on screen"
    page.context.close()


@pytest.fixture(scope="module")
def a_tabletop(console_platform: Platform) -> tuple[str, str]:
    """A discussion-based exercise in play (its first phase) and an evaluator of it: (exercise id, their token)."""
    exercise_id = start_tabletop(console_platform)
    return exercise_id, exercise_user(console_platform, "evaluator", exercise_id)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_the_tabletop_panel_fits_is_readable_and_labels_every_control(
    browser: Browser, console_platform: Platform, a_tabletop: tuple[str, str], viewport: ViewportSize
) -> None:
    exercise_id, evaluator = a_tabletop
    # the facilitator (a commander: the phase control and the answer forms), then the evaluator (the rating forms)
    for who, token in (("facilitator", console_platform.token), ("evaluator", evaluator)):
        page = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="UTC").new_page()
        page.set_default_timeout(30_000)
        sign_in(page, console_platform, token)
        expect(page.locator("#who")).not_to_be_empty()
        page.goto(f"{console_platform.base_url}/console/#/drills/{exercise_id}")
        panel = page.locator("section.tabletop")
        expect(panel.locator("[data-phase='first_hour'] .phase-state")).to_have_text("进行中", timeout=60_000)
        expect(panel.locator("[data-question='town_first_hour'] form").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"tabletop-{who}-{viewport['width']}.png"), full_page=True)
        assert page.evaluate(OVERFLOW) <= 0, f"the tabletop page at {viewport['width']} px scrolls sideways ({who})"
        assert page.evaluate(CONTRAST_PROBLEMS) == [], who
        assert page.evaluate(UNLABELLED) == [], who
        assert page.evaluate(SHOWN_KEYS) == [], who
        page.context.close()
