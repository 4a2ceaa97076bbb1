"""Where the platform may send: the operator's outbound rules for webhook and group-robot addresses.

A webhook or robot address comes from a person's contacts (the district files or `POST /people/{id}/contacts`),
so it is untrusted input: without rules, whoever may edit a contact could make the worker POST incident data to
any host, internal services included. The rules (docs/adr/0021):

    url              http(s) only, a host, no user:password@, no "." or ".." path segments
    webhook_allowlist    a webhook URL must match an entry of TOCSIN_WEBHOOK_ALLOWLIST (empty: no webhook at all)
    robot_host       a robot URL must match an entry of TOCSIN_ROBOT_HOSTS (the vendors' official hosts)
    private_address  the host, and every address it resolves to, must be public (not loopback, private,
                     link-local, multicast, reserved ...) unless in TOCSIN_OUTBOUND_ALLOW_PRIVATE

`check_address` is the static check (no DNS; the API uses it before accepting a contact). `pin` is the check at
delivery: it resolves the host, checks every address, and returns the request aimed at the checked address,
so a DNS answer that changes between check and connect (DNS rebinding) cannot redirect the request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import httpx

from infra.channels.errors import PermanentDeliveryError, TemporaryDeliveryError

__all__ = [
    "DEFAULT_ROBOT_HOSTS",
    "ROBOT_CHANNELS",
    "WEBHOOK_CHANNELS",
    "OutboundPolicy",
    "OutboundRefused",
    "Pinned",
    "UrlRule",
    "check_address",
    "check_contacts",
    "is_robot_name",
    "parse_networks",
    "parse_rules",
    "pin",
    "safe_url",
]

DEFAULT_ROBOT_HOSTS: Final = "oapi.dingtalk.com,qyapi.weixin.qq.com,open.feishu.cn,open.larksuite.com"
ROBOT_CHANNELS: Final = frozenset({"dingtalk", "wecom", "feishu"})
WEBHOOK_CHANNELS: Final = frozenset({"webhook"})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_DEFAULT_PORT = {"http": 80, "https": 443}
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_ALIASES: Mapping[str, tuple[str, ...]] = {
    "loopback": ("127.0.0.0/8", "::1/128"),
    "private": ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"),
    "link-local": ("169.254.0.0/16", "fe80::/10"),
}


class OutboundRefused(PermanentDeliveryError):
    """An address broke an outbound rule; `rule` names it (the message starts with it too)."""

    def __init__(self, rule: str, detail: str, *, channel: str = "") -> None:
        super().__init__(f"outbound rule {rule}: {detail}")
        self.rule = rule
        self.detail = detail
        self.channel = channel
        """The contact channel whose address was refused (check_contacts sets it)."""


@dataclass(frozen=True)
class UrlRule:
    """One allowlist entry: a scheme, a host, a port (None: any) and a path prefix (whole segments)."""

    scheme: str
    host: str
    port: int | None
    path: str = "/"

    def matches(self, url: httpx.URL) -> bool:
        """True when `url` is under this entry."""
        if url.scheme != self.scheme or _host(url) != self.host:
            return False
        if self.port is not None and _port(url) != self.port:
            return False
        prefix = self.path.rstrip("/")
        return url.path == prefix or url.path.startswith(prefix + "/")

    def __str__(self) -> str:
        port = "*" if self.port is None else str(self.port)
        return f"{self.scheme}://{self.host}:{port}{self.path}"


def parse_rules(text: str, variable: str) -> tuple[UrlRule, ...]:
    """Comma-separated hosts (https on port 443) or URL prefixes (port `*`: any); ValueError names `variable`."""
    rules: list[UrlRule] = []
    for raw in (part.strip() for part in text.split(",")):
        if not raw:
            continue
        spec = raw if "://" in raw else f"https://{raw}"
        any_port = re.match(r"^[a-z]+://[^/]+:\*(/|$)", spec) is not None
        try:
            url = httpx.URL(spec.replace(":*", "", 1) if any_port else spec)
        except httpx.InvalidURL as error:
            raise ValueError(f"{variable}: {raw!r} is not a host or URL prefix: {error}") from None
        if url.scheme not in _DEFAULT_PORT or not url.host or url.userinfo or url.query or url.fragment:
            raise ValueError(f"{variable}: {raw!r} must be a host or an http(s)://host[:port|:*][/path] prefix")
        rules.append(UrlRule(url.scheme, _host(url), None if any_port else _port(url), url.path or "/"))
    return tuple(rules)


def parse_networks(text: str, variable: str) -> tuple[IpNetwork, ...]:
    """Comma-separated CIDR networks or the aliases loopback, private, link-local; ValueError names `variable`."""
    networks: list[IpNetwork] = []
    for raw in (part.strip() for part in text.split(",")):
        if not raw:
            continue
        try:
            networks.extend(ipaddress.ip_network(item) for item in _ALIASES.get(raw.lower(), (raw,)))
        except ValueError:
            raise ValueError(
                f"{variable}: {raw!r} is neither a CIDR network nor one of {', '.join(_ALIASES)}"
            ) from None
    return tuple(networks)


@dataclass(frozen=True)
class OutboundPolicy:
    """The operator's outbound rules (from Settings; see infra/notify/factory.py `outbound_policy`)."""

    webhook_allowlist: tuple[UrlRule, ...] = ()
    robot_hosts: tuple[UrlRule, ...] = field(default_factory=lambda: parse_rules(DEFAULT_ROBOT_HOSTS, "robot hosts"))
    allow_private: tuple[IpNetwork, ...] = ()

    def rules_for(self, channel: str) -> tuple[str, str, tuple[UrlRule, ...]]:
        """(rule name, setting name, entries) that a URL of `channel` must match."""
        if channel in ROBOT_CHANNELS:
            return "robot_host", "TOCSIN_ROBOT_HOSTS", self.robot_hosts
        return "webhook_allowlist", "TOCSIN_WEBHOOK_ALLOWLIST", self.webhook_allowlist

    def address_allowed(self, address: IpAddress) -> bool:
        """True for a public address, or one inside an explicitly allowed network."""
        mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        plain = mapped or address
        if any(plain in network for network in self.allow_private):
            return True
        return plain.is_global and not plain.is_multicast


@dataclass(frozen=True)
class Pinned:
    """A request aimed at a checked address: the URL with the address, the Host header and the TLS name."""

    url: str
    headers: dict[str, str]
    extensions: dict[str, str]


def safe_url(url: str) -> str:
    """The URL without user info or query string (which often hold a token), for messages."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "<invalid URL>"
    return str(parsed.copy_with(query=None, fragment=None, userinfo=b""))


def is_robot_name(address: str) -> bool:
    """True when a robot contact is a name (resolved through TOCSIN_CHANNEL_SECRETS_FILE), not a URL."""
    return _NAME.fullmatch(address) is not None


def check_address(channel: str, address: str, policy: OutboundPolicy, *, label: str | None = None) -> httpx.URL:
    """The parsed URL of a webhook or robot `address` if it keeps the rules without DNS; else OutboundRefused.

    Messages name the address as `label` when given (a robot's name: its URL holds the robot's token)."""
    url = _parse(address, label)
    rule, setting, entries = policy.rules_for(channel)
    if not any(entry.matches(url) for entry in entries):
        allowed = ", ".join(str(entry) for entry in entries) or "nothing: the list is empty"
        raise OutboundRefused(rule, f"{label or safe_url(address)} is not allowed by {setting} (allowed: {allowed})")
    literal = _numeric(_host(url))
    if literal is not None and not policy.address_allowed(literal):
        raise OutboundRefused("private_address", f"{_host(url)} is a {_kind(literal)} address{_HINT}")
    return url


def check_contacts(contacts: Mapping[str, str | None], policy: OutboundPolicy) -> None:
    """Check the webhook and robot addresses among a person's new `contacts` (a robot name passes); else refuse."""
    for channel, address in contacts.items():
        if not address:
            continue
        if channel in ROBOT_CHANNELS and "://" not in address:
            if not is_robot_name(address):
                detail = "a robot is a URL or a name of letters, digits, '_', '.', '-' (at most 64)"
                raise OutboundRefused("robot_name", detail, channel=channel)
            continue
        if channel in ROBOT_CHANNELS | WEBHOOK_CHANNELS:
            try:
                check_address(channel, address, policy)
            except OutboundRefused as error:
                raise OutboundRefused(error.rule, error.detail, channel=channel) from None


async def pin(channel: str, address: str, policy: OutboundPolicy, *, label: str | None = None) -> Pinned:
    """Check `address`, resolve its host and check every address; the request aimed at the first one."""
    url = check_address(channel, address, policy, label=label)
    host, port = _host(url), _port(url)
    literal = _numeric(host)
    if literal is not None:
        resolved = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            raise TemporaryDeliveryError(f"cannot resolve {host}: {error}") from error
        resolved = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
        if not resolved:
            raise TemporaryDeliveryError(f"{host} resolves to no address")
    for address_ in resolved:
        if not policy.address_allowed(address_):
            raise OutboundRefused("private_address", f"{host} resolves to a {_kind(address_)} address{_HINT}")
    headers = {"Host": url.netloc.decode("ascii")}
    extensions = {"sni_hostname": host} if url.scheme == "https" else {}
    return Pinned(str(url.copy_with(host=str(resolved[0]))), headers, extensions)


_HINT = " (TOCSIN_OUTBOUND_ALLOW_PRIVATE allows chosen networks)"


def _parse(address: str, label: str | None) -> httpx.URL:
    try:
        url = httpx.URL(address)
    except httpx.InvalidURL:
        raise OutboundRefused("url", f"{label or 'the address'} is not a valid URL") from None
    where = label or safe_url(address)
    if url.scheme not in _DEFAULT_PORT or not url.host:
        raise OutboundRefused("url", f"{where} is not an http(s) URL with a host")
    if url.userinfo:
        raise OutboundRefused("url", f"{where} carries user info (user:password@)")
    if any(segment in (".", "..") for segment in url.path.split("/")):
        raise OutboundRefused("url", f"{where} has '.' or '..' path segments")
    return url


def _host(url: httpx.URL) -> str:
    return url.host.rstrip(".").lower()


def _port(url: httpx.URL) -> int:
    return url.port or _DEFAULT_PORT[url.scheme]


def _numeric(host: str) -> IpAddress | None:
    """The address a numeric host means to the resolver (127.1 and 2130706433 included), without DNS."""
    try:
        infos = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except (OSError, UnicodeError):
        return None
    return ipaddress.ip_address(str(infos[0][4][0]).split("%", 1)[0])


def _kind(address: IpAddress) -> str:
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    plain = mapped or address
    for name, test in (
        ("loopback", plain.is_loopback),
        ("link-local", plain.is_link_local),
        ("multicast", plain.is_multicast),
        ("unspecified", plain.is_unspecified),
        ("private", plain.is_private),
    ):
        if test:
            return name
    return "non-public"
