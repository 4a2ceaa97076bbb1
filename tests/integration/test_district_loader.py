"""The sample district loads from its YAML files, and a broken file gives an error that says where."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from infra.district import (
    SAMPLE_DIR,
    DistrictDataError,
    dump_organisation,
    load_organisation,
    parse_organisation,
    write_organisation,
)
from playbooks.organisation import Organisation
from tests.unit.organisation.factories import small_org

ROOT = Path(__file__).resolve().parents[2]
MEMBER_UNITS = {
    "district_office", "market_regulation", "health_commission", "cdc", "education", "police", "publicity",
    "agriculture", "inspection_institute", "hospitals",
}  # fmt: skip


@pytest.fixture(scope="module")
def org() -> Organisation:
    return load_organisation()


def test_the_sample_has_27_towns_and_831_villages(org: Organisation) -> None:
    assert [t.id for t in org.towns()] == [f"town_{n:02d}" for n in range(1, 28)]
    villages = [v for t in org.towns() for v in org.villages(t.id)]
    assert [v.id for v in villages] == [f"village_{n:03d}" for n in range(1, 832)]


def test_every_village_has_a_coordinator_and_every_town_supervisors(org: Organisation) -> None:
    assert all(len(org.holders(v.id, "coordinator")) == 1 for v in org.units if v.kind == "village")
    assert all(org.holders(t.id, "supervisor") for t in org.towns())


def test_the_sample_has_the_leading_group_and_ten_member_units(org: Organisation) -> None:
    others = [u for u in org.units if u.kind not in ("town", "village")]
    assert len(others) == 11
    assert {u.id for u in others} == {"leading_group", *MEMBER_UNITS}


def test_the_leading_group_is_chaired_by_the_district_head(org: Organisation) -> None:
    (chair,) = org.holders(None, "chair")
    assert chair.unit == "leading_group"
    assert chair.title.startswith("区长")
    assert {p.unit for p in org.holders(None, "leading_group")} >= MEMBER_UNITS


def test_admin_codes_nest_villages_inside_their_town(org: Organisation) -> None:
    for town in org.towns():
        assert town.admin_code is not None
        assert all((v.admin_code or "").startswith(town.admin_code) for v in org.villages(town.id))


def test_contacts_are_fictional(org: Organisation) -> None:
    for person in org.people:
        for channel, address in person.contacts.items():
            if channel in ("sms", "phone"):
                assert re.fullmatch(r"1380000\d{4}", address), (person.id, address)
            elif channel == "email":
                assert address.endswith("@example.gov.cn"), (person.id, address)
            else:
                assert (urlsplit(address).hostname or "").endswith(".invalid"), (person.id, address)


def test_the_committed_files_match_the_generator(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_sample_district", ROOT / "scripts" / "make_sample_district.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--out", str(tmp_path)])
    for name in ("units.yaml", "people.yaml", "roster.yaml"):
        assert (tmp_path / name).read_text(encoding="utf-8") == (SAMPLE_DIR / name).read_text(encoding="utf-8"), (
            f"{name} is stale: run scripts/make_sample_district.py"
        )


def test_the_dump_reads_back_as_the_same_organisation(org: Organisation) -> None:
    assert parse_organisation(dump_organisation(org)) == org


def broken_copy(tmp_path: Path, name: str, edit: Callable[[str], str]) -> Path:
    """The small test district written out as files, with one file edited (small, so each load is quick)."""
    directory = tmp_path / "district"
    write_organisation(small_org(), directory)
    path = directory / name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return directory


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(DistrictDataError) as caught:
        load_organisation(directory)
    return [str(p) for p in caught.value.problems]


def test_an_unknown_person_in_the_roster_is_located(tmp_path: Path) -> None:
    directory = broken_copy(
        tmp_path, "roster.yaml", lambda t: t.replace("duty_officer: cdc-b}", "duty_officer: p-999}", 1)
    )
    (problem,) = problems_of(directory)
    assert re.fullmatch(
        r"roster\.yaml:\d+ rotation\.slots\[\d+\]\.duty_officer: 'p-999' is not a known person", problem
    )
    line = int(problem.split(":")[1].split()[0])
    assert "p-999" in (directory / "roster.yaml").read_text(encoding="utf-8").splitlines()[line - 1]


def test_an_unquoted_time_is_explained(tmp_path: Path) -> None:
    directory = broken_copy(tmp_path, "roster.yaml", lambda t: t.replace("end: '20:00'", "end: 20:00"))
    assert problems_of(directory) == ["roster.yaml:5 shifts[0].end: 1200 must be a quoted time like '08:00'"]


def test_a_person_of_an_unknown_unit_is_located(tmp_path: Path) -> None:
    directory = broken_copy(tmp_path, "people.yaml", lambda t: t.replace("unit: cdc\n", "unit: cdcc\n", 1))
    problems = problems_of(directory)
    assert any(re.fullmatch(r"people\.yaml:\d+ people\[\d+\]\.unit: 'cdcc' is not a known unit", p) for p in problems)


def test_an_unknown_field_and_kind_in_units_are_located(tmp_path: Path) -> None:
    directory = broken_copy(
        tmp_path,
        "units.yaml",
        lambda t: t.replace("kind: member_unit, parent: leading_group}", "kind: bureau, prnt: x}", 1),
    )
    assert problems_of(directory) == [
        "units.yaml:4 units[1].kind: 'bureau' is not one of leading_group, member_unit, town, village",
        "units.yaml:4 units[1].prnt: unknown field (known: admin_code, id, kind, name, parent)",
    ]


def test_a_file_that_is_not_yaml_says_where_the_parser_stopped(tmp_path: Path) -> None:
    directory = broken_copy(tmp_path, "units.yaml", lambda t: t + "- {id: oops\n")
    (problem,) = problems_of(directory)
    assert problem.startswith("units.yaml:") and "not YAML" in problem


def test_the_small_district_written_out_loads_back_unchanged(tmp_path: Path) -> None:
    assert load_organisation(broken_copy(tmp_path, "units.yaml", lambda t: t)) == small_org()


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    directory = broken_copy(tmp_path, "units.yaml", lambda t: t)
    (directory / "people.yaml").unlink()
    (problem,) = problems_of(directory)
    assert problem.startswith("people.yaml: cannot read")


def test_an_anchor_that_is_not_a_monday_is_located(tmp_path: Path) -> None:
    directory = broken_copy(tmp_path, "roster.yaml", lambda t: t.replace("anchor: '2026-11-23'", "anchor: 2026-11-24"))
    assert problems_of(directory) == ["roster.yaml:8 rotation.anchor: 2026-11-24 is a tue, not a Monday"]


def test_an_empty_file_is_named_without_a_line(tmp_path: Path) -> None:
    # the district asks for no line where playbooks and scenarios would say line 1 (playbooks/yaml_source.py)
    directory = broken_copy(tmp_path, "units.yaml", lambda t: "")
    assert "units.yaml: must be a mapping with a 'units' list" in problems_of(directory)


def test_the_sample_district_falls_back_to_the_district_duty_office(org: Organisation) -> None:
    # the district government's general duty office (区政府总值班室), on the roster round the clock
    assert org.roster.fallback == "leading_group:duty_officer"
    assert org.fallback(datetime(2026, 10, 3, 3, 0, tzinfo=UTC)).people


def test_a_fallback_that_is_no_unit_is_located(tmp_path: Path) -> None:
    directory = broken_copy(tmp_path, "roster.yaml", lambda t: t + "fallback: duty_office:duty_officer\n")
    [problem] = problems_of(directory)
    assert re.fullmatch(r"roster\.yaml:\d+ fallback: 'duty_office:duty_officer' is not a unit .*", problem), problem
