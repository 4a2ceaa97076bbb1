"""A copy of the sample district whose people are reachable on real local receivers (bench/receivers.py).

Shared by the benchmarks and the end-to-end tests; bench/ never imports tests/.
"""

from __future__ import annotations

from pathlib import Path

from infra.district import dump_organisation, load_organisation, parse_organisation, write_organisation


def district_on_receivers(
    directory: Path, *, webhook_base: str, email_domain: str = "district.test", flaky: dict[str, str] | None = None
) -> Path:
    """Write the sample district to `directory`, every person with an e-mail and a webhook on local receivers.

    `flaky` maps person id → a webhook base URL to use for that person instead (e.g. a receiver told to fail).
    """
    data = dump_organisation(load_organisation())
    for person in data["people"]["people"]:
        base = (flaky or {}).get(person["id"], webhook_base)
        person["contacts"] = {"email": f"{person['id']}@{email_domain}", "webhook": f"{base}/{person['id']}"}
    write_organisation(parse_organisation(data), directory)
    return directory
