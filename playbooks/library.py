"""The playbook library: every playbook of a deployment, by incident type, with its rule set selected.

`load_library` is the only function of the domain that reads files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from playbooks.errors import PlaybookError, Problem, UnknownPlaybook
from playbooks.model import Playbook
from playbooks.parse import parse_playbook

LIBRARY_DIR = Path(__file__).parent / "library"
"""The built-in library shipped with the package."""


class PlaybookLibrary:
    """Playbooks by incident type, plus archived versions that running incidents still use."""

    def __init__(self, playbooks: Iterable[Playbook], archived: Iterable[Playbook] = ()) -> None:
        self._current = {p.incident_type: p for p in playbooks}
        self._archived = {(p.incident_type, p.version): p for p in archived}

    def get(self, incident_type: str, version: str | None = None) -> Playbook:
        """The playbook for an incident type (the current one, or the given version); UnknownPlaybook if none."""
        current = self._current.get(incident_type)
        if current is None:
            known = ", ".join(sorted(self._current)) or "none"
            raise UnknownPlaybook(f"no playbook for incident type {incident_type!r} (library has: {known})")
        if version is None or version == current.version:
            return current
        archived = self._archived.get((incident_type, version))
        if archived is None:
            raise UnknownPlaybook(
                f"playbook {incident_type!r} version {version!r} is not in the library (current: {current.version})"
            )
        return archived

    def including(self, archived: Iterable[Playbook]) -> PlaybookLibrary:
        """A library that also knows these older versions (rebuilt from the source an incident recorded)."""
        return PlaybookLibrary(self._current.values(), [*self._archived.values(), *archived])

    def all(self) -> list[Playbook]:
        """The current playbooks, sorted by id."""
        return sorted(self._current.values(), key=lambda p: p.id)

    def ids(self) -> list[str]:
        """The current playbooks' ids, sorted."""
        return [p.id for p in self.all()]

    def __len__(self) -> int:
        return len(self._current)


def load_library(directory: Path | None = None, *, selections: Mapping[str, str] | None = None) -> PlaybookLibrary:
    """Read and validate every *.yaml in `directory` (default: the built-in library); raise PlaybookError."""
    folder = directory if directory is not None else LIBRARY_DIR
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise PlaybookError([Problem(str(folder), 0, "", "no playbook files (*.yaml) in this directory")])
    return build_library({f.name: f.read_text(encoding="utf-8") for f in files}, selections=selections)


def build_library(sources: Mapping[str, str], *, selections: Mapping[str, str] | None = None) -> PlaybookLibrary:
    """Parse playbook texts (file name → text), check ids are unique, apply rule-set selections."""
    problems: list[Problem] = []
    playbooks: dict[str, Playbook] = {}
    for filename, text in sources.items():
        try:
            playbook = parse_playbook(text, filename)
        except PlaybookError as error:
            problems.extend(error.problems)
            continue
        for other in playbooks.values():
            if playbook.incident_type == other.incident_type or playbook.id == other.id:
                problems.append(
                    Problem(
                        filename,
                        1,
                        "id",
                        f"{playbook.id!r} / incident_type "
                        f"{playbook.incident_type!r} is also defined in {other.filename}",
                    )
                )
        playbooks[playbook.id] = playbook
    for pid, rule_set in (selections or {}).items():
        if pid not in playbooks:
            if not problems:
                problems.append(Problem("selections", 0, pid, f"{pid!r} is not a playbook in the library"))
            continue
        if rule_set not in playbooks[pid].rule_sets:
            choices = ", ".join(sorted(playbooks[pid].rule_sets))
            problems.append(
                Problem("selections", 0, pid, f"{rule_set!r} is not a rule set of {pid} (choose from {choices})")
            )
            continue
        playbooks[pid] = playbooks[pid].with_rule_set(rule_set)
    if problems:
        raise PlaybookError(problems)
    return PlaybookLibrary(playbooks.values())
