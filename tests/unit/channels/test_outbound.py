"""The outbound rules on their own: which webhook and robot addresses pass, and which rule refuses the others."""

from __future__ import annotations

import pytest

from infra.channels.outbound import (
    OutboundPolicy,
    OutboundRefused,
    check_address,
    check_contacts,
    parse_networks,
    parse_rules,
    pin,
)

HOOKS = parse_rules("hooks.cdc.example.gov.cn,http://10.1.2.3:8080/tocsin/", "TOCSIN_WEBHOOK_ALLOWLIST")
POLICY = OutboundPolicy(webhook_allowlist=HOOKS)


def _rule(channel: str, address: str, policy: OutboundPolicy = POLICY) -> str:
    with pytest.raises(OutboundRefused) as refused:
        check_address(channel, address, policy)
    assert str(refused.value).startswith(f"outbound rule {refused.value.rule}:")
    return refused.value.rule


@pytest.mark.parametrize(
    "address",
    [
        "https://hooks.cdc.example.gov.cn/anything",
        "https://HOOKS.cdc.example.gov.cn./x?y=1",
        "https://hooks.cdc.example.gov.cn:443/x",
    ],
)
def test_a_host_entry_allows_https_on_that_host_only(address: str) -> None:
    assert check_address("webhook", address, POLICY).host.rstrip(".").lower() == "hooks.cdc.example.gov.cn"


@pytest.mark.parametrize(
    ("address", "rule"),
    [
        ("http://hooks.cdc.example.gov.cn/x", "webhook_allowlist"),  # a host entry means https
        ("https://hooks.cdc.example.gov.cn:8443/x", "webhook_allowlist"),  # and its default port
        ("https://hooks.cdc.example.gov.cn.evil.example/x", "webhook_allowlist"),
        ("https://evil.example/hooks.cdc.example.gov.cn", "webhook_allowlist"),
        ("https://hooks.cdc.example.gov.cn@evil.example/", "url"),  # user info: the host is evil.example
        ("https://user:pw@hooks.cdc.example.gov.cn/", "url"),
        ("ftp://hooks.cdc.example.gov.cn/", "url"),
        ("hooks.cdc.example.gov.cn/x", "url"),
        ("http://10.1.2.3:8080/tocsinx", "webhook_allowlist"),  # a path prefix is whole segments
        ("http://10.1.2.3:8080/tocsin/%2e%2e/admin", "url"),
        ("http://10.1.2.3:8080/tocsin/p-1", "private_address"),  # allowlisted, but a private address
    ],
)
def test_webhook_addresses_outside_the_allowlist_or_private_are_refused_by_rule(address: str, rule: str) -> None:
    assert _rule("webhook", address) == rule


def test_an_empty_allowlist_allows_no_webhook() -> None:
    assert _rule("webhook", "https://hooks.cdc.example.gov.cn/x", OutboundPolicy()) == "webhook_allowlist"


def test_an_allowed_private_network_lets_its_addresses_through() -> None:
    policy = OutboundPolicy(webhook_allowlist=HOOKS, allow_private=parse_networks("10.0.0.0/8", "x"))
    assert check_address("webhook", "http://10.1.2.3:8080/tocsin/p-1", policy).port == 8080


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.1", "2130706433", "0x7f.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "169.254.169.254", "0.0.0.0"],
)
def test_loopback_link_local_and_unspecified_addresses_are_refused_in_every_spelling(host: str) -> None:
    policy = OutboundPolicy(webhook_allowlist=parse_rules(f"http://{host}:*", "x"))
    assert _rule("webhook", f"http://{host}:9000/x", policy) == "private_address"


def test_the_loopback_alias_allows_loopback_and_nothing_else() -> None:
    entries = parse_rules("http://127.0.0.1:*,http://192.168.1.10:*", "x")
    policy = OutboundPolicy(webhook_allowlist=entries, allow_private=parse_networks("loopback", "x"))
    check_address("webhook", "http://127.0.0.1:9000/x", policy)
    assert _rule("webhook", "http://192.168.1.10:9000/x", policy) == "private_address"


@pytest.mark.parametrize(
    "address",
    [
        "https://oapi.dingtalk.com/robot/send?access_token=t",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        "https://open.feishu.cn/open-apis/bot/v2/hook/h",
        "https://open.larksuite.com/open-apis/bot/v2/hook/h",
    ],
)
def test_robots_on_the_vendors_official_hosts_pass_by_default(address: str) -> None:
    check_address("dingtalk", address, OutboundPolicy())


@pytest.mark.parametrize(
    "address",
    [
        "http://oapi.dingtalk.com/robot/send",  # not https
        "https://oapi.dingtalk.com.evil.example/robot/send",
        "https://hooks.cdc.example.gov.cn/robot",  # an allowed webhook host is no robot host
    ],
)
def test_robots_elsewhere_are_refused(address: str) -> None:
    assert _rule("feishu", address) == "robot_host"


def test_the_refusal_never_quotes_the_query_string() -> None:
    with pytest.raises(OutboundRefused) as refused:
        check_address("dingtalk", "https://evil.example/robot?access_token=s3cr3t", POLICY)
    assert "s3cr3t" not in str(refused.value)


def test_contacts_are_checked_only_on_webhook_and_robot_channels() -> None:
    check_contacts(
        {"email": "a@b.example", "sms": "138", "dingtalk": "cdc-duty", "webhook": None, "phone": "http://127.0.0.1/"},
        POLICY,
    )
    with pytest.raises(OutboundRefused, match="robot_name"):
        check_contacts({"wecom": "not a name!"}, POLICY)
    with pytest.raises(OutboundRefused, match="webhook_allowlist"):
        check_contacts({"webhook": "https://evil.example/x"}, POLICY)


@pytest.mark.parametrize(
    ("text", "message"),
    [("ftp://h/", "TOCSIN_X: 'ftp://h/' must be"), ("https://h/?q=1", "must be"), ("http://[::1", "is not")],
)
def test_bad_allowlist_entries_are_start_up_errors_naming_the_variable(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("?", r"\?")):
        parse_rules(text, "TOCSIN_X")


def test_bad_networks_are_start_up_errors_naming_the_variable() -> None:
    with pytest.raises(ValueError, match="TOCSIN_OUTBOUND_ALLOW_PRIVATE: 'intranet'"):
        parse_networks("loopback,intranet", "TOCSIN_OUTBOUND_ALLOW_PRIVATE")


async def test_pin_aims_the_request_at_the_checked_address_and_keeps_the_host_name() -> None:
    policy = OutboundPolicy(
        webhook_allowlist=parse_rules("https://localhost:*", "x"), allow_private=parse_networks("loopback", "x")
    )
    pinned = await pin("webhook", "https://localhost:8443/hooks?x=1", policy)
    assert pinned.url in ("https://127.0.0.1:8443/hooks?x=1", "https://[::1]:8443/hooks?x=1")
    assert pinned.headers == {"Host": "localhost:8443"}
    assert pinned.extensions == {"sni_hostname": "localhost"}  # TLS still verifies the name, not the address
