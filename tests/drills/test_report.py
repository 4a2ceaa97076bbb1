"""The after-action report is written as Markdown, HTML and a chart image; HTML is escaped, Chinese kept."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from drills.render import Block, Heading, Table, to_html, to_markdown
from drills.report import write_report
from drills.scenario import load_scenario, sample_scenarios
from drills.simulate import simulate
from tests.drills.factories import LIBRARY


def test_the_report_is_written_as_markdown_html_and_an_image(tmp_path: Path) -> None:
    scenario = load_scenario(next(p for p in sample_scenarios() if p.stem == "school_canteen"), LIBRARY)
    result = simulate(scenario, "late", library=LIBRARY, speed=600, exercise_id="ex/7").result
    md, page, image = write_report(result, tmp_path, report_date=date(2026, 12, 1))
    assert [p.name for p in (md, page)] == ["aar-ex_7.md", "aar-ex_7.html"]
    assert image.name == "aar-ex_7-timeline.png"
    assert image.read_bytes().startswith(b"\x89PNG") and image.stat().st_size > 1000
    text = md.read_text(encoding="utf-8")
    assert "# 演练评估报告 After-action report：城关实验小学食堂集体食物中毒桌面推演" in text
    assert f"]({image.name})" in text
    assert (
        "| 通知领导小组及成员单位启动应急响应：优化流程、缩短响应时间 streamline to meet the deadline "
        "| 区食安办 | 2026-12-31 |"
    ) in text
    assert "## 待改进 Areas for improvement" in text and "超时 late by 15 min" in text
    html = page.read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in html and f'<img src="{image.name}"' in html
    assert "城关实验小学" in html


def test_a_perfect_run_lists_strengths_and_no_plan(tmp_path: Path) -> None:
    scenario = load_scenario(next(p for p in sample_scenarios() if p.stem == "rural_dinner"), LIBRARY)
    result = simulate(scenario, "perfect", library=LIBRARY, speed=600).result
    md, _, _ = write_report(result, tmp_path)
    text = md.read_text(encoding="utf-8")
    strengths = text.split("## 优势 Strengths")[1].split("##")[0]
    assert "提前 early" in strengths and "区食安办" in strengths
    assert "| （无）none | — | — |" in text


def test_html_escapes_text_and_markdown_escapes_table_pipes() -> None:
    blocks: list[Block] = [Heading("<script>x</script>", 1), Table(("a|b",), (("1 | 2 <b>",),))]
    page = to_html(blocks, "t & u")
    assert "<script>" not in page and "&lt;script&gt;" in page and "<title>t &amp; u</title>" in page
    assert "1 | 2 &lt;b&gt;" in page
    assert "| a\\|b |" in to_markdown(blocks)
