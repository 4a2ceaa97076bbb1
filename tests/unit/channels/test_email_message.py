"""The MIME message an e-mail delivery sends: UTF-8, exercise headers, no header injection."""

from __future__ import annotations

import pytest

from infra.channels import PermanentDeliveryError, mark_exercise
from infra.channels.email import build_email
from tests.unit.channels.fakes import message


def test_line_breaks_in_a_subject_fold_into_spaces() -> None:
    mail = build_email(message(subject="学校食堂\r\nBcc: evil@example.org"), "tocsin@example.org", "cdc@example.org")
    assert mail["Subject"] == "学校食堂 Bcc: evil@example.org"
    assert mail["Bcc"] is None


def test_an_address_with_a_line_break_is_refused() -> None:
    with pytest.raises(PermanentDeliveryError, match="header"):
        build_email(message(), "tocsin@example.org", "cdc@example.org\nBcc: evil@example.org")


def test_a_drill_mail_carries_the_exercise_headers_and_marking() -> None:
    mail = build_email(mark_exercise(message(mode="exercise", exercise_id="EX-9")), "t@example.org", "p@example.org")
    assert mail["X-Tocsin-Mode"] == "exercise"
    assert mail["X-Tocsin-Exercise-Id"] == "EX-9"
    assert str(mail["Subject"]).startswith("【演练】 EXERCISE")
    assert mail.get_content().startswith("【演练】 EXERCISE")
