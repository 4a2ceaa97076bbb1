"""Response levels of the emergency plan: I (most severe) to IV, plus non-graded."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """A response level; compare severity with `rank` (higher is more severe)."""

    NON_GRADED = "non_graded"
    IV = "IV"
    III = "III"
    II = "II"
    I = "I"  # noqa: E741 - the plan's own name for the highest level

    @property
    def rank(self) -> int:
        """Severity as an integer: non-graded 0, IV 1, III 2, II 3, I 4."""
        return _RANKS[self]

    @property
    def label(self) -> str:
        """The plan's Chinese name with its colour, e.g. '较大 (yellow)'."""
        return _LABELS[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return self.rank >= other.rank

    @classmethod
    def parse(cls, text: str) -> Level:
        """Read a level from 'I'..'IV', 'non_graded' (case-insensitive); raise ValueError otherwise."""
        key = text.strip()
        for level in cls:
            if key.upper() == level.value.upper():
                return level
        raise ValueError(f"{text!r} is not a response level (I, II, III, IV or non_graded)")


_RANKS = {Level.NON_GRADED: 0, Level.IV: 1, Level.III: 2, Level.II: 3, Level.I: 4}
_LABELS = {
    Level.NON_GRADED: "非级别 (monitored)",
    Level.IV: "一般 (blue)",
    Level.III: "较大 (yellow)",
    Level.II: "重大 (orange)",
    Level.I: "特别重大 (red)",
}
