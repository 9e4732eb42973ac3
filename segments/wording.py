"""Conditions in the person's language: the wording of the active language, and a
condition's messages translated (segments/conditions.py stays free of Django)."""

from django.utils import translation

from programs.messages import Message
from segments.conditions import ENGLISH, WORDINGS, ConditionError, Wording


def current() -> Wording:
    """How the active language writes conditions (English where it has no wording)."""
    language = (translation.get_language() or "en").split("-")[0]
    return WORDINGS.get(language, ENGLISH)


def message(refusal: ConditionError | Message) -> str:
    """A refusal or a finding (a contradiction) in the active language."""
    return str(refusal.message if isinstance(refusal, ConditionError) else refusal)
