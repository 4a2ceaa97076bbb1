"""What the API needs to know about drill scenarios, as a protocol the composition root implements.

`api` may not import `drills` (DESIGN §2), yet scenarios are validated before a drill is started
(docs/adr/0018). tocsin/drill_catalog.py implements `ScenarioCatalog` over drills.scenario and the playbook
library and hands it to `create_app(scenarios=...)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from pydantic import BaseModel, Field

__all__ = ["ObjectiveSummary", "ScenarioCatalog", "ScenarioInvalid", "ScenarioSummary"]


class ObjectiveSummary(BaseModel):
    """An exercise objective."""

    id: str = Field(examples=["first_response"])
    title: str = Field(examples=["属地及时报告、通知领导小组"])


class ScenarioSummary(BaseModel):
    """A scenario as the controller chooses it: what it exercises, who takes part, how long it runs."""

    id: str = Field(examples=["school_canteen"])
    title: str = Field(examples=["城关实验小学食堂集体食物中毒桌面推演"])
    description: str = ""
    playbook: str = Field(examples=["food_safety"])
    objectives: list[ObjectiveSummary]
    units: list[str] = Field(description="the participating units", examples=[["district_office", "cdc"]])
    injects: int = Field(description="how many injects the MSEL has", examples=[9])
    duration_seconds: float = Field(description="scenario time from start to end", examples=[14400.0])


class ScenarioInvalid(ValueError):
    """A scenario text that does not validate; `problems` lists each one, located (file:line path: message)."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: list[str] = list(problems) or ["invalid scenario"]
        super().__init__("\n".join(self.problems))


class ScenarioCatalog(Protocol):
    """The scenarios a drill can be started from, and validation of a controller's own scenario text."""

    def list(self) -> list[ScenarioSummary]:
        """Every available scenario, by id."""
        ...

    def get(self, name: str) -> tuple[ScenarioSummary, str]:
        """The scenario called `name` and its YAML text; KeyError when there is none."""
        ...

    def check(self, text: str, source: str) -> ScenarioSummary:
        """Validate scenario YAML (`source` names it in problems); raise ScenarioInvalid listing every problem."""
        ...
