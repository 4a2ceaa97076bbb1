"""A discussion-based exercise in the console, in Debian's Chromium, on the real platform: the facilitator closes
the phases, a participant answers, an evaluator rates, and the report and the tracked improvement plan follow —
each page live, never reloaded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, exercise_user, sign_in, start_tabletop
from tests.browser.test_fit_and_readable import CONTRAST_PROBLEMS, OVERFLOW, SHOWN_KEYS, UNLABELLED
from tests.e2e.platform import Platform

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ANSWER = "2 小时内报告区食安办，组织就医，封存留样"


@pytest.fixture
def tabs(browser: Browser) -> Iterator[list[Page]]:
    """Tabs of their own (each its own sessionStorage, so its own user), closed after the test."""
    opened: list[Page] = []
    yield opened
    for tab in opened:
        tab.context.close()


def open_tab(browser: Browser, tabs: list[Page], viewport: ViewportSize = DESKTOP) -> Page:
    tab = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="UTC").new_page()
    tab.set_default_timeout(30_000)
    tabs.append(tab)
    return tab


def open_run(page: Page, platform: Platform, exercise_id: str, token: str | None = None) -> None:
    """Sign in and open the run's page; wait for the tabletop panel."""
    sign_in(page, platform, token)
    expect(page.locator("#who")).not_to_be_empty()
    page.goto(f"{platform.base_url}/console/#/drills/{exercise_id}")
    expect(page.locator("section.tabletop")).to_be_visible(timeout=60_000)


def readable(page: Page, what: str) -> None:
    """No sideways scrolling, AA contrast, a label on every control, no dictionary key on screen."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=str(ARTIFACTS / f"{what}-{width}.png"), full_page=True)
    assert page.evaluate(OVERFLOW) <= 0, f"{what} at {width} px scrolls sideways"
    assert page.evaluate(CONTRAST_PROBLEMS) == [], what
    assert page.evaluate(UNLABELLED) == [], what
    assert page.evaluate(SHOWN_KEYS) == [], what


def test_a_tabletop_exercise_is_facilitated_answered_rated_and_its_plan_tracked_live(
    page: Page, browser: Browser, console_platform: Platform, tabs: list[Page]
) -> None:
    exercise_id = start_tabletop(console_platform)
    town = exercise_user(console_platform, "unit_responder", exercise_id, unit="town_office")
    evaluator = exercise_user(console_platform, "evaluator", exercise_id)

    facilitator = page
    open_run(facilitator, console_platform, exercise_id)
    board = facilitator.locator("section.tabletop")
    first, last = board.locator("[data-phase='first_hour']"), board.locator("[data-phase='aftermath']")
    expect(first.locator(".phase-state")).to_have_text("进行中")
    expect(last.locator(".phase-state")).to_have_text("未开始")
    expect(last.locator("[data-question]")).to_have_count(0)  # a phase not reached shows no question yet
    expect(board).to_contain_text("街道：第一个小时做什么？")

    participant = open_tab(browser, tabs)
    open_run(participant, console_platform, exercise_id, town)
    question = participant.locator("[data-question='town_first_hour']")
    expect(question.get_by_label("你的回答")).to_be_visible()
    expect(question.get_by_label("回答单位")).to_have_count(0)  # a unit's user answers for their own unit
    expect(question.locator("details")).to_have_count(0)  # the expected points are for the facilitator and evaluators
    question.get_by_label("你的回答").fill(ANSWER)
    question.get_by_role("button", name="提交回答").click()
    expect(question.locator("ul.answers")).to_contain_text(ANSWER)
    expect(participant.locator("#flash")).to_contain_text("已生效")

    on_board = board.locator("[data-question='town_first_hour']")
    expect(on_board.locator("ul.answers")).to_contain_text(ANSWER)  # live on the facilitator's page

    rater = open_tab(browser, tabs)
    open_run(rater, console_platform, exercise_id, evaluator)
    rated = rater.locator("[data-question='town_first_hour']")
    expect(rated.locator("ul.answers")).to_contain_text(ANSWER)
    expect(rated.locator("details summary")).to_have_text("预案要点")
    expect(rater.get_by_role("button", name="暂停")).to_have_count(0)  # an evaluator judges, the controller steers
    rated.get_by_label("评估等级").select_option("S")
    rated.get_by_label("说明").fill("未提及登记就餐人员")
    rated.get_by_role("button", name="记录评估").click()
    expect(rated.locator("ul.ratings")).to_contain_text("未提及登记就餐人员")
    expect(on_board.locator("ul.ratings")).to_contain_text("S 有一些挑战")  # live on the facilitator's page
    expect(on_board.locator("ul.ratings")).to_contain_text("未提及登记就餐人员")
    expect(question.locator("ul.ratings")).to_contain_text("未提及登记就餐人员")  # and the participant's

    expect(board.get_by_role("status").filter(has_text="等待导调结束本阶段")).to_be_visible(timeout=60_000)
    close = board.get_by_role("button", name="结束本阶段，进入下一阶段")
    close.click()
    facilitator.get_by_role("dialog", name="结束本阶段，进入下一阶段").get_by_role("button", name="结束本阶段").click()
    expect(first.locator(".phase-state")).to_have_text("已结束")
    expect(last.locator(".phase-state")).to_have_text("进行中")
    expect(last).to_contain_text("T+2 天：患者全部出院。")
    expect(participant.locator("[data-phase='aftermath'] .phase-state")).to_have_text("进行中")

    summary = rater.locator("[data-question='summary']")
    summary.get_by_label("评估等级").select_option("U")
    summary.get_by_label("说明").fill("未提总结评估报告时限")
    summary.get_by_role("button", name="记录评估").click()
    expect(last.locator("[data-question='summary'] ul.ratings")).to_contain_text("U 未能完成")

    board.get_by_role("button", name="结束最后阶段，结束演练").click()
    facilitator.get_by_role("dialog", name="结束最后阶段，结束演练").get_by_role("button", name="结束最后阶段").click()
    expect(facilitator.locator("h1 .badge.state-finished")).to_be_visible(timeout=60_000)
    expect(board.locator("form")).to_have_count(0)  # nothing more to answer or rate
    show = facilitator.get_by_role("button", name="查看评估报告")
    expect(show).to_be_enabled(timeout=60_000)
    show.click()
    report = facilitator.frame_locator("iframe.report")
    expect(report.locator("body")).to_contain_text(ANSWER)
    expect(report.locator("body")).to_contain_text("未提及登记就餐人员")
    expect(report.locator("body")).to_contain_text("未提总结评估报告时限")

    plan = facilitator.locator(".improvement-plan")
    expect(plan.get_by_role("heading", name="改进计划")).to_be_visible(timeout=60_000)
    item = plan.locator("tbody tr", has_text="区食安办").last
    expect(item.locator(".badge")).to_have_text("未开始")
    item.get_by_label("状态").select_option("in_progress")
    item.get_by_label("进展说明").fill("已修订总结评估流程")
    item.get_by_role("button", name="更新状态").click()
    expect(item.locator(".badge")).to_have_text("进行中")
    expect(item.locator("ul.history")).to_contain_text("已修订总结评估流程")
    item.get_by_label("状态").select_option("done")
    item.get_by_label("进展说明").fill("已复训")
    item.get_by_role("button", name="更新状态").click()
    expect(item.locator(".badge")).to_have_text("已完成")
    expect(item.locator("ul.history li")).to_have_count(2)
    facilitator.screenshot(path=str(ARTIFACTS / "tabletop-plan-1366.png"), full_page=True)

    # The participant, who may not read the run itself, sees the plan once it is written, and may track only
    # the items of their own unit.
    own = participant.locator(".improvement-plan")
    expect(own.get_by_role("heading", name="改进计划")).to_be_visible(timeout=60_000)
    expect(own.locator("tbody tr", has_text="区食安办").last.locator(".badge")).to_have_text("已完成")
    expect(own.locator("tbody tr", has_text="区食安办").get_by_role("button", name="更新状态")).to_have_count(0)

    for tab, what in ((facilitator, "tabletop-finished"), (participant, "tabletop-participant-finished")):
        for viewport in (DESKTOP, PHONE):
            tab.set_viewport_size(viewport)
            readable(tab, what)
