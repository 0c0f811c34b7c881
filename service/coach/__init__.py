"""The posting coach: rules that tell a poster, while writing, what makes a posting findable.

Each rule is one module with a documented trigger (the table in ``docs/coach.md``):
:mod:`service.coach.completeness` (missing fields), :mod:`service.coach.text_quality`
(too short, too vague), :mod:`service.coach.vocabulary` (key terms no counterpart uses)
and :mod:`service.coach.reach` (a need with no recommended offer).
:func:`service.coach.registry.coach` runs them all. Hints are rules and measured signals,
never generated prose; their messages are in the posting's language.
"""

from service.coach.draft import Draft, Hint
from service.coach.registry import coach

__all__ = ["Draft", "Hint", "coach"]
