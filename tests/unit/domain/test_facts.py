"""Facts aggregate per source: newest per source replaces, totals sum over sources."""

from __future__ import annotations

from playbooks.facts import Facts, Regions, aggregate


def test_counts_are_summed_over_sources() -> None:
    total = aggregate([Facts(cases=20, deaths=1), Facts(cases=15, hospitalized=4)])
    assert (total.cases, total.deaths, total.hospitalized) == (35, 1, 4)


def test_regions_take_the_widest_report() -> None:
    total = aggregate([Facts(regions=Regions(townships=2)), Facts(regions=Regions(townships=1, counties=2))])
    assert total.regions == Regions(townships=2, counties=2)


def test_a_flag_raised_by_any_source_holds() -> None:
    assert aggregate([Facts(), Facts(crime_suspected=True)]).crime_suspected


def test_no_sources_means_no_figures() -> None:
    assert aggregate([]) == Facts()


def test_unknown_fields_survive_the_round_trip() -> None:
    facts = Facts.from_mapping({"cases": 3, "risk_tier": 2, "regions": {"counties": 2}})
    assert facts.extra == {"risk_tier": 2}
    assert Facts.from_mapping(facts.to_mapping()) == facts
