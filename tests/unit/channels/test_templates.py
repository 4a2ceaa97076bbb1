"""Templates render Chinese safely; idempotency keys are deterministic and unambiguous."""

from __future__ import annotations

import pytest

from infra.channels import MessageTemplate, TemplateBook, TemplateError, compose_message, idempotency_key
from infra.channels.templates import DEFAULT_TEMPLATE
from tests.unit.channels.fakes import START

TEMPLATE = MessageTemplate(
    name="notify_cdc",
    subject="【${level_name}】${title}",
    body="患病 ${cases} 人，死亡 ${deaths} 人。请立即按职责开展处置。",
)
VALUES = {"level_name": "较大", "title": "某小学食物中毒", "cases": 120, "deaths": 0}


def test_a_template_renders_chinese() -> None:
    assert TEMPLATE.render(VALUES) == ("【较大】某小学食物中毒", "患病 120 人，死亡 0 人。请立即按职责开展处置。")


def test_a_missing_value_names_the_placeholder() -> None:
    with pytest.raises(TemplateError, match="cases, deaths"):
        TEMPLATE.render({"level_name": "较大", "title": "x"})


def test_a_malformed_template_is_refused_when_built() -> None:
    with pytest.raises(TemplateError, match="malformed"):
        MessageTemplate(subject="${oops", body="")


def test_values_are_never_expanded_again() -> None:
    subject, _ = TEMPLATE.render({**VALUES, "title": "${cases} $deaths"})
    assert subject == "【较大】${cases} $deaths"


def test_the_book_falls_back_to_the_default_template() -> None:
    book = TemplateBook({"notify_cdc": TEMPLATE})
    assert book.for_action("notify_cdc") is TEMPLATE
    assert book.for_action("seal_premises") is DEFAULT_TEMPLATE


def test_composed_messages_are_deterministic_per_incident_action_recipient_and_attempt() -> None:
    first = compose_message(
        TEMPLATE, VALUES, incident_id="INC-1", action_key="notify_cdc", recipient_id="cdc", created_at=START
    )
    again = compose_message(
        TEMPLATE, VALUES, incident_id="INC-1", action_key="notify_cdc", recipient_id="cdc", created_at=START
    )
    retry = compose_message(
        TEMPLATE,
        VALUES,
        incident_id="INC-1",
        action_key="notify_cdc",
        recipient_id="cdc",
        created_at=START,
        attempt_key="manual-1",
    )
    assert first == again
    assert first.idempotency_key == idempotency_key("INC-1", "notify_cdc", "cdc")
    assert retry.idempotency_key != first.idempotency_key
    assert retry.id != first.id
    assert first.subject == "【较大】某小学食物中毒"


def test_idempotency_keys_cannot_collide_by_shifting_separators() -> None:
    assert idempotency_key("a:b", "c", "d") != idempotency_key("a", "b:c", "d")
    assert idempotency_key("a", "b", "c", "") != idempotency_key("a", "b", "c", "1")
