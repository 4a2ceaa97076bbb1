"""Generate the sample district (infra/district/sample/): units, people and a two-week duty rotation.

Deterministic (seeded): running it again gives byte-identical files, and a test checks the committed
files match. All names are fictional, phone numbers are 1380000xxxx, e-mail goes to example.gov.cn and
bot/webhook addresses to example.invalid hosts. Usage: python scripts/make_sample_district.py [--out DIR]
"""

from __future__ import annotations

import argparse
import random
from datetime import date, time
from pathlib import Path
from zoneinfo import ZoneInfo

from infra.district import SAMPLE_DIR, write_organisation
from playbooks.organisation import Organisation, Person, Roster, RotationSlot, ShiftTimes, Unit

SEED = 20261129
DISTRICT_CODE = "990101"  # 99: no such province, so the codes can never be mistaken for real ones
ANCHOR = date(2026, 1, 5)  # a Monday: week 1 of the rotation starts here (and every 14 days after)
CYCLE_WEEKS = 2
FALLBACK = "leading_group:duty_officer"
"""The district government's general duty office (区政府总值班室): paged when a step's owner cannot be reached."""
VILLAGES = 831
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建文斌宁晨欣雪鹏浩亮婷颖琳"
PLACE_FIRST = "大小上下东西南北新老前后高石山水林竹桃李杨柳枫松梅兰金银河湖溪塘坪岭岗坝湾庄桥田"
PLACE_SECOND = "家口头坑湾坞岙庄园埠桥塘田山林坪岗里"
TOWNS = (
    "城关街道",
    "东城街道",
    "西城街道",
    "南苑街道",
    "北湖街道",
    "新桥街道",
    "江滨街道",
    "文昌街道",
    "青山镇",
    "白沙镇",
    "石门镇",
    "柳溪镇",
    "桃源镇",
    "梅林镇",
    "竹坞镇",
    "松岭镇",
    "枫桥镇",
    "云台镇",
    "龙泉镇",
    "凤鸣镇",
    "金塘镇",
    "银湖镇",
    "双河镇",
    "三江镇",
    "五里镇",
    "清水乡",
    "黄泥乡",
)
MEMBER_UNITS = (  # id, name, head's title, deputy's title
    ("district_office", "区食安办（区食品安全委员会办公室）", "主任", "副主任"),
    ("market_regulation", "区市场监管局", "局长", "副局长"),
    ("health_commission", "区卫健局", "局长", "副局长"),
    ("cdc", "区疾控中心", "主任", "副主任"),
    ("education", "区教育局", "局长", "副局长"),
    ("police", "区公安分局", "局长", "副局长"),
    ("publicity", "区委宣传部", "部长", "副部长"),
    ("agriculture", "区农业农村局", "局长", "副局长"),
    ("inspection_institute", "区食品检验所", "所长", "副所长"),
    ("hospitals", "区人民医院（定点救治医院）", "院长", "副院长"),
)


class _Builder:
    """Accumulates units, people and rotation slots, drawing names and numbers deterministically."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.units: list[Unit] = []
        self.people: list[Person] = []
        self.slots: list[RotationSlot] = []
        self.names: set[str] = set()

    def name(self) -> str:
        """A fresh fictional name: surname plus one or two given-name characters."""
        while True:
            given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
            candidate = self.rng.choice(SURNAMES) + given
            if candidate not in self.names:
                self.names.add(candidate)
                return candidate

    def person(self, person_id: str, unit: str, title: str, roles: tuple[str, ...], *, office: bool = True) -> str:
        """Add a person with fake contacts; office staff also get e-mail."""
        mobile = f"1380000{len(self.people) + 1:04d}"
        contacts = {"sms": mobile, "phone": mobile}
        if office:
            contacts["email"] = f"{person_id.removeprefix('p-').replace('-', '.')}@example.gov.cn"
        if "duty_officer" in roles:
            contacts["dingtalk"] = f"https://oapi.dingtalk.example.invalid/robot/send?access_token={unit}-duty"
        self.people.append(Person(person_id, self.name(), unit, roles, contacts, title))
        return person_id

    def staffed_unit(self, unit: str, titles: tuple[str, str], head_roles: tuple[str, ...], offset: int) -> None:
        """A head, two deputies and four duty officers, rotating over the two-week cycle."""
        leaders = [self.person(f"p-{unit}-01", unit, titles[0], ("leader_on_duty", *head_roles))]
        leaders += [self.person(f"p-{unit}-0{n}", unit, titles[1], ("leader_on_duty",)) for n in (2, 3)]
        officers = [self.person(f"p-{unit}-0{n}", unit, "值班员", ("duty_officer",)) for n in (4, 5, 6, 7)]
        self.rotate(unit, leaders, officers, offset)

    def rotate(self, unit: str, leaders: list[str], officers: list[str], offset: int) -> None:
        """Leaders take whole days in turn; duty officers take shifts in turn (never two in a row)."""
        for index in range(7 * CYCLE_WEEKS):
            leader = leaders[(index + offset) % len(leaders)]
            for half, shift in enumerate(("day", "night")):
                officer = officers[(2 * index + half + offset) % len(officers)]
                self.slots.append(RotationSlot(unit, index // 7 + 1, index % 7, shift, leader, officer))


def _village_counts(rng: random.Random) -> list[int]:
    """831 villages over the 27 towns: streets have fewer communities, rural towns more (largest remainder)."""
    weights = [rng.uniform(0.4, 0.8) if name.endswith("街道") else rng.uniform(0.8, 1.6) for name in TOWNS]
    shares = [VILLAGES * w / sum(weights) for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(TOWNS)), key=lambda i: shares[i] - counts[i], reverse=True)
    for i in by_remainder[: VILLAGES - sum(counts)]:
        counts[i] += 1
    return counts


def build_sample() -> Organisation:
    """The sample district, built in memory."""
    b = _Builder()
    b.units.append(Unit("leading_group", "区食品安全事故应急处置领导小组", "leading_group"))
    chair = b.person(
        "p-leading_group-01", "leading_group", "区长（组长）", ("leading_group", "chair", "commander", "leader_on_duty")
    )
    deputies = [
        b.person(f"p-leading_group-0{n}", "leading_group", title, ("leading_group", "deputy_chair", "leader_on_duty"))
        for n, title in ((2, "常务副区长（副组长）"), (3, "分管副区长（副组长）"))
    ]
    officers = [
        b.person(f"p-leading_group-0{n}", "leading_group", "区政府总值班室值班员", ("duty_officer",))
        for n in (4, 5, 6, 7)
    ]
    b.rotate("leading_group", [chair, *deputies], officers, 0)
    for offset, (unit, name, head, deputy) in enumerate(MEMBER_UNITS, start=1):
        b.units.append(Unit(unit, name, "member_unit", "leading_group"))
        b.staffed_unit(unit, (head, deputy), ("leading_group",), offset)
    village_number = 0
    for town_index, (town_name, count) in enumerate(zip(TOWNS, _village_counts(b.rng), strict=True), start=1):
        town, street = f"town_{town_index:02d}", town_name.endswith("街道")
        code = f"{DISTRICT_CODE}{town_index:03d}"
        b.units.append(Unit(town, town_name, "town", None, code))
        head = "主任" if street else town_name[-1] + "长"
        b.staffed_unit(town, (head, "副" + head), (), town_index)
        for n in range(1, b.rng.choice((2, 3, 3)) + 1):
            b.person(f"p-{town}-s{n}", town, "食品安全监管员", ("supervisor",))
        used: set[str] = set()
        for local in range(1, count + 1):
            village_number += 1
            village = f"village_{village_number:03d}"
            name = ""
            while not name or name in used:
                name = b.rng.choice(PLACE_FIRST) + b.rng.choice(PLACE_SECOND) + ("社区" if street else "村")
            used.add(name)
            b.units.append(Unit(village, name, "village", town, f"{code}{local:03d}"))
            b.person(f"p-{village}", village, "食品安全协管员", ("coordinator",), office=False)
    shifts = (ShiftTimes("day", time(8), time(20)), ShiftTimes("night", time(20), time(8)))
    roster = Roster(ZoneInfo("Asia/Shanghai"), shifts, ANCHOR, CYCLE_WEEKS, tuple(b.slots), fallback=FALLBACK)
    return Organisation(tuple(b.units), tuple(b.people), roster)


def main(argv: list[str] | None = None) -> None:
    """Write the sample district's YAML files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=SAMPLE_DIR, help="directory to write (default: %(default)s)")
    args = parser.parse_args(argv)
    write_organisation(build_sample(), args.out)


if __name__ == "__main__":
    main()
