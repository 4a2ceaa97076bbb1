"""The one error a drill command raises when it does not apply (shared by the runner and the discussion)."""

from __future__ import annotations


class DrillCommandError(ValueError):
    """A controller, player or evaluator command that does not apply (unknown inject, wrong state, exercise over)."""
