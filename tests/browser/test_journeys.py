"""A duty officer's journeys in the console, in Debian's Chromium, on the real platform (worker, API, broker)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, in_thread, sign_in
from tests.e2e.kafka_io import produce_raw
from tests.e2e.platform import Platform, incident_for_venue
from tests.factories import report_dict
from tests.integration.channels.receivers import SmtpReceiver

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def produce_report(platform: Platform, **overrides: Any) -> dict[str, Any]:
    """A report written straight onto the reports topic, as a hospital's own Kafka client would."""
    report = report_dict(**overrides)
    value = json.dumps(report, ensure_ascii=False).encode()
    key = report["report_id"].encode()
    in_thread(lambda: asyncio.run(produce_raw(platform.bootstrap, platform.topic("reports"), value, key=key)))
    return report


def incident_of(platform: Platform, report: dict[str, Any]) -> dict[str, Any]:
    """The incident the report became, once the read model has it."""
    venue = report["location"]["venue"]
    found: dict[str, Any] = platform.wait_for(
        lambda: incident_for_venue(platform, venue), what=f"an incident at {venue}"
    )
    return found


def open_incident(page: Page, platform: Platform, incident_id: str) -> None:
    """Open one incident's page and wait until its commands are enabled (the incident has loaded)."""
    page.goto(f"{platform.base_url}/console/#/incidents/{incident_id}")
    expect(page.get_by_role("button", name="调整响应级别…")).to_be_enabled()


def test_sign_in_lands_on_the_attention_view_in_chinese(page: Page, console_platform: Platform) -> None:
    sign_in(page, console_platform)
    expect(page.get_by_role("heading", name="需要处理", level=1)).to_be_visible()
    expect(page.locator("#who")).to_contain_text("e2e")
    expect(page.locator("#zone")).to_contain_text("Asia/Shanghai (UTC+8)")
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def test_a_report_produced_to_kafka_appears_in_the_attention_view(page: Page, console_platform: Platform) -> None:
    sign_in(page, console_platform)
    expect(page.get_by_role("heading", name="需要处理", level=1)).to_be_visible()
    page.get_by_label("新的 II/I 级事件声音提示").check()  # plays once when ticked
    page.wait_for_function("() => window.Tocsin.lastChime > 0")
    ticked = page.evaluate("() => window.Tocsin.lastChime")
    report = produce_report(console_platform, facts={"cases": 60}, venue_type="school")
    venue = report["location"]["venue"]
    new = page.locator("section[data-kind='opened'], section[data-kind='raised']").locator("li", has_text=venue)
    expect(new.first).to_be_visible()
    expect(page).to_have_title(re.compile(r"^\(.*\) Tocsin"))
    page.wait_for_function(f"() => window.Tocsin.lastChime > {ticked}")  # a new level II incident: the tones


def test_a_duty_officer_acknowledges_an_alert_from_the_attention_view(page: Page, console_platform: Platform) -> None:
    report = produce_report(console_platform, facts={"cases": 40})
    incident = incident_of(console_platform, report)
    sign_in(page, console_platform)
    alerts = page.locator(f"section[data-kind='alert'] li[data-incident='{incident['id']}']")
    expect(alerts.first).to_be_visible()
    before = alerts.count()
    alerts.first.get_by_role("button", name="确认收到警报").click()
    expect(page.locator("#flash")).to_contain_text("确认警报：已生效")
    expect(alerts).to_have_count(before - 1)


def test_a_failed_delivery_shows_its_recipient_channel_and_reason(
    page: Page, console_platform: Platform, smtp: SmtpReceiver
) -> None:
    smtp.fail_next(2, "550 5.1.1 mailbox unavailable")  # two pages refused for good by the mail server
    produce_report(console_platform, facts={"cases": 40})
    sign_in(page, console_platform)
    failed = page.locator("section[data-kind='failed_delivery'] li")
    expect(failed).to_have_count(2)
    expect(failed.first).to_contain_text("电子邮件")
    expect(failed.first).to_contain_text("550")
    incident_id = failed.first.get_attribute("data-incident")
    open_incident(page, console_platform, str(incident_id))
    deliveries = page.locator("section", has=page.get_by_role("heading", name="通知投递"))
    expect(deliveries.get_by_role("heading", name=re.compile("投递失败"))).to_be_visible()
    row = deliveries.locator("tr.failed-row, table").first.locator("tbody tr").first
    expect(row).to_contain_text("电子邮件")
    expect(row).to_contain_text("550")


def test_a_duty_officer_completes_a_task_on_its_row(page: Page, console_platform: Platform) -> None:
    report = produce_report(console_platform, facts={"cases": 40})
    incident = incident_of(console_platform, report)
    sign_in(page, console_platform)
    open_incident(page, console_platform, incident["id"])
    row = page.locator("tr", has=page.locator("button[data-action='complete-task']")).first
    step = row.get_attribute("data-step")
    row.get_by_role("button", name="报告完成…").click()
    row.get_by_role("textbox").fill("已采样 12 份，送检")
    row.get_by_role("button", name="提交完成").click()
    done = page.locator(f"tr[data-step='{step}']")
    expect(done.locator(".badge.state-completed")).to_have_text("已完成")
    # The timeline: deliveries only on demand.
    timeline = page.locator("section", has=page.get_by_role("heading", name="时间线"))
    expect(timeline.locator("td", has_text="立案").first).to_be_visible()
    expect(timeline.locator("td", has_text="通知投递")).to_have_count(0)
    timeline.get_by_label("显示投递记录").check()
    expect(timeline.locator("td", has_text="通知投递").first).to_be_visible()


def test_a_duty_officer_proposes_the_end_with_a_reason(page: Page, console_platform: Platform) -> None:
    report = produce_report(console_platform, facts={"cases": 35})
    incident = incident_of(console_platform, report)
    sign_in(page, console_platform)
    open_incident(page, console_platform, incident["id"])
    panel = page.locator("section", has=page.get_by_role("heading", name="终止响应"))
    expect(panel).to_contain_text("项条件未满足")
    panel.get_by_role("button", name="提请终止响应…").click()
    dialog = page.get_by_role("dialog", name="提请终止响应")
    expect(dialog.get_by_role("button", name="提请终止响应")).to_be_disabled()
    dialog.get_by_label("理由（必填）").fill("现场已控制，请领导小组审议")
    dialog.get_by_role("button", name="提请终止响应").click()
    expect(page.locator("h1 .badge.state-termination_proposed")).to_have_text("已提请终止")
    expect(panel.get_by_role("button", name="批准终止响应…")).to_be_disabled()


def test_changing_the_level_shows_what_it_triggers_and_asks_to_confirm(page: Page, console_platform: Platform) -> None:
    report = produce_report(console_platform, facts={"cases": 35})
    incident = incident_of(console_platform, report)
    sign_in(page, console_platform)
    open_incident(page, console_platform, incident["id"])
    page.get_by_role("button", name="调整响应级别…").click()
    dialog = page.get_by_role("dialog", name="调整响应级别")
    confirm = dialog.get_by_role("button", name=re.compile("确认调整"))
    expect(dialog.get_by_label("新级别")).to_have_value("")
    expect(confirm).to_be_disabled()
    dialog.get_by_label("新级别").select_option("II")
    dialog.get_by_label("理由（必填）").fill("学校食堂，学生 35 人发病，领导小组决定提级")
    expect(dialog.locator(".effect")).to_contain_text("将启动的步骤")
    expect(dialog.locator(".effect")).to_contain_text("将通知")
    expect(confirm).to_have_text("确认调整为 Ⅱ级 重大")
    page.screenshot(path=str(ARTIFACTS / "level-dialog-1366.png"))
    confirm.click()
    expect(page.locator("h1 .badge.level-II")).to_be_visible()
    expect(page.locator("#flash")).to_contain_text("调整级别：已生效")


def test_a_commander_approves_termination_after_setting_the_signals(page: Page, console_platform: Platform) -> None:
    long_ago = (datetime.now(UTC) - timedelta(days=6)).replace(microsecond=0)
    report = produce_report(console_platform, facts={"cases": 35}, reported_at=long_ago.isoformat())
    incident = incident_of(console_platform, report)
    sign_in(page, console_platform)
    open_incident(page, console_platform, incident["id"])
    panel = page.locator("section", has=page.get_by_role("heading", name="终止响应"))
    expect(panel.get_by_role("button", name="批准终止响应…")).to_be_disabled()
    stable = long_ago.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
    panel.locator("fieldset", has_text="患者得到救治").get_by_label(re.compile("时间")).fill(stable)
    panel.locator("fieldset", has_text="现场、可疑食品").get_by_label("已确认").check()
    panel.locator("fieldset", has_text="次生、衍生危害").get_by_label("已确认").check()
    panel.get_by_role("button", name="保存条件状态").click()
    expect(panel).to_contain_text("还有 1 项条件未满足")  # the expert group's assessment
    experts = page.locator("section", has=page.get_by_role("heading", name="专家组研判"))
    experts.get_by_label("专家").fill("王教授（市疾控中心）、李主任（区人民医院）")
    experts.get_by_label("研判结论").fill("患者病情稳定，超过最长潜伏期无新发病例")
    experts.get_by_label("建议").select_option("terminate")
    experts.get_by_role("button", name="记录研判").click()
    expect(experts.locator("table")).to_contain_text("终止响应")
    expect(panel).to_contain_text("所有条件均已满足")
    # Once every criterion holds, the incident's writer proposes the end by itself (playbooks/handlers.py).
    expect(page.locator("h1 .badge.state-termination_proposed")).to_have_text("已提请终止")
    expect(panel.get_by_role("button", name="提请终止响应…")).to_be_disabled()
    approve = panel.get_by_role("button", name="批准终止响应…")
    expect(approve).to_be_enabled()
    approve.click()
    dialog = page.get_by_role("dialog", name="批准终止响应")
    dialog.get_by_label("理由（必填）").fill("领导小组同意终止")
    dialog.get_by_role("button", name="批准终止响应").click()
    expect(page.locator("h1 .badge.state-closed")).to_have_text("已终止")
    expect(panel).to_contain_text("响应已终止")


def test_a_draft_is_edited_previewed_as_cap_and_approved_from_the_attention_view(
    page: Page, console_platform: Platform
) -> None:
    report = produce_report(console_platform, facts={"cases": 45})
    incident = incident_of(console_platform, report)
    sign_in(page, console_platform)
    open_incident(page, console_platform, incident["id"])
    panel = page.locator("#public-info")
    panel.get_by_label("类别").select_option("information")
    panel.get_by_role("button", name="按模板起草").click()
    editor = panel.locator("form.draft-editor")
    expect(editor.get_by_label("标题")).not_to_have_value("")
    expect(editor.locator("pre.cap")).to_contain_text("<status>Draft</status>")
    editor.get_by_label("标题").fill("关于城关街道一起学校食堂食物中毒事件的情况通报")
    editor.get_by_role("button", name="保存修改").click()
    expect(editor.locator("pre.cap")).to_contain_text("关于城关街道一起学校食堂食物中毒事件的情况通报")
    page.get_by_role("link", name=re.compile("需要处理")).click()
    headline = "关于城关街道一起学校食堂食物中毒事件的情况通报"
    draft = page.locator(f"section[data-kind='draft'] li[data-incident='{incident['id']}']", has_text=headline)
    expect(draft).to_be_visible()
    draft.get_by_role("link", name="审阅草稿").click()
    expect(editor.get_by_label("标题")).to_have_value(headline)  # the editor opens on that draft
    editor.get_by_role("button", name="批准发布").click()
    page.get_by_role("dialog", name="批准向公众发布").get_by_role("button", name="批准发布").click()
    expect(panel.locator("tr", has_text=headline).locator(".badge")).to_have_text("已发布")


def test_a_drill_is_started_paused_and_finished_and_its_report_opens_without_a_reload(
    page: Page, console_platform: Platform
) -> None:
    sign_in(page, console_platform)
    page.get_by_role("link", name="演练").click()
    row = page.locator("tr", has_text="城关实验小学")
    row.get_by_label("倍速").fill("120")
    row.get_by_role("button", name="开始").click()
    expect(page).to_have_url(re.compile(r"#/drills/EX-"))
    pause = page.get_by_role("button", name="暂停")
    expect(pause).to_be_enabled(timeout=60_000)
    pause.click()
    expect(page.locator("h1 .badge.state-paused")).to_be_visible()
    page.get_by_role("button", name="继续").click()
    expect(page.locator("h1 .badge.state-running")).to_be_visible()
    page.get_by_role("button", name="结束").click()
    page.get_by_role("dialog", name="结束").get_by_role("button", name="结束").click()
    expect(page.locator("h1 .badge.state-finished")).to_be_visible(timeout=60_000)
    show = page.get_by_role("button", name="查看评估报告")
    expect(show).to_be_enabled(timeout=60_000)
    show.click()
    expect(page.locator("iframe.report")).to_be_visible()
    expect(page.locator(".progress .scenario-time").first).to_contain_text("推演时间")


def test_a_warning_is_issued_found_in_the_attention_view_previewed_and_approved_by_publicity(
    page: Page, console_platform: Platform
) -> None:
    duty = console_platform.add_user("duty-wrn-console", "duty_officer")
    publicity = console_platform.add_user("publicity-wrn-console", "publicity")
    hazard = f"野生毒蘑菇中毒（{uuid.uuid4().hex[:6]}）"
    sign_in(page, console_platform, duty)
    expect(page.get_by_role("heading", name="需要处理", level=1)).to_be_visible()
    page.get_by_role("link", name="预警", exact=True).click()
    expect(page.get_by_role("heading", name="预警", level=1)).to_be_visible()
    form = page.locator("form.issue-warning")
    form.get_by_label("危害").fill(hazard)
    form.get_by_label("预警级别").select_option("yellow")
    form.get_by_label("发布范围").fill("城关街道、东城街道")
    form.get_by_label("依据").fill("近两周抽检发现多批次野生菌含毒")
    form.get_by_role("button", name="按模板起草预警").click()
    expect(page).to_have_url(re.compile(r"#/warnings/WRN-"))
    warning_id = page.url.rsplit("/", 1)[-1]
    expect(page.locator("h1")).to_contain_text(hazard)
    expect(page.locator("h1 .badge.state-w_draft")).to_have_text("待审批")
    editor = page.locator("#warning-bulletins form.draft-editor")
    expect(editor.get_by_label("标题")).not_to_have_value("")
    expect(editor.get_by_role("button", name="批准发布")).to_have_count(0)  # a duty officer issues, never approves

    page.get_by_role("button", name="退出").click()
    sign_in(page, console_platform, publicity)
    draft = page.locator(f"section[data-kind='draft'] li[data-incident='{warning_id}']")
    expect(draft).to_contain_text(hazard)
    expect(draft.locator(".badge.warning-yellow")).to_have_text("黄色预警")
    expect(page.locator("section[data-kind='draft'] h2")).not_to_have_text(re.compile(r"\(0\)"))
    draft.get_by_role("link", name="审阅草稿").click()
    expect(page).to_have_url(re.compile(f"#/warnings/{warning_id}$"))
    cap = editor.locator("pre.cap")
    expect(cap).to_contain_text("<status>Draft</status>")
    expect(cap).to_contain_text("<msgType>Alert</msgType>")
    expect(cap).to_contain_text("黄色预警")
    editor.get_by_role("button", name="批准发布").click()
    page.get_by_role("dialog", name="批准向公众发布").get_by_role("button", name="批准发布").click()
    expect(page.locator("h1 .badge.state-w_active")).to_have_text("发布中", timeout=60_000)
    expect(page.locator("#warning-bulletins tbody tr").first.locator(".badge.state")).to_have_text("已发布")
    page.get_by_role("link", name="返回预警列表").click()
    row = page.locator(f"tr[data-warning='{warning_id}']")
    expect(row.locator(".badge.state-w_active")).to_have_text("发布中")
    expect(row.locator(".badge.warning-yellow")).to_be_visible()
    page.get_by_role("link", name=re.compile("需要处理")).click()
    expect(page.locator(f"section[data-kind='draft'] li[data-incident='{warning_id}']")).to_have_count(0)


def test_a_live_warning_is_raised_to_orange_and_lifted_from_its_page(page: Page, console_platform: Platform) -> None:
    hazard = f"野生毒蘑菇中毒（{uuid.uuid4().hex[:6]}）"
    with console_platform.client() as client:
        issued = client.post(
            "/api/v1/warnings",
            params={"wait": 10},
            json={"hazard": hazard, "warning_level": "yellow", "areas": ["城关街道"]},
        ).json()
        warning_id, draft_id = issued["warning_id"], issued["draft_id"]
        approved = client.post(f"/api/v1/warnings/{warning_id}/public-info/{draft_id}/approve", params={"wait": 10})
        assert approved.status_code == 200, approved.text
    sign_in(page, console_platform)
    expect(page.get_by_role("heading", name="需要处理", level=1)).to_be_visible()
    page.goto(f"{console_platform.base_url}/console/#/warnings/{warning_id}")
    head = page.locator("h1")
    expect(head.locator(".badge.state-w_active")).to_have_text("发布中", timeout=60_000)
    decisions = page.locator("form.adjust-warning")
    decisions.get_by_label("新的预警级别").select_option("orange")
    decisions.get_by_role("button", name="起草调整").click()
    editor = page.locator("#warning-bulletins form.draft-editor")
    expect(editor.locator("pre.cap")).to_contain_text("<msgType>Update</msgType>")
    editor.get_by_role("button", name="批准发布").click()
    page.get_by_role("dialog", name="批准向公众发布").get_by_role("button", name="批准发布").click()
    expect(head.locator(".badge.warning-orange")).to_have_text("橙色预警", timeout=60_000)
    page.get_by_role("button", name="解除预警…").click()
    dialog = page.get_by_role("dialog", name="解除预警")
    dialog.get_by_label("理由（必填）").fill("抽检连续两周合格")
    dialog.get_by_role("button", name="解除预警").click()
    expect(editor.locator("pre.cap")).to_contain_text("<msgType>Cancel</msgType>")
    editor.get_by_role("button", name="批准发布").click()
    page.get_by_role("dialog", name="批准向公众发布").get_by_role("button", name="批准发布").click()
    expect(head.locator(".badge.state-w_lifted")).to_have_text("已解除", timeout=60_000)
    expect(page.locator("#warning-bulletins tbody tr")).to_have_count(3)
