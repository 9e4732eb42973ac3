"""Messages written by the pure modules (no Django), shown in the reader's language.

A pure module writes `Message(_("Score %(name)s"), {"name": name})`, with `_` from here
marking the English template for the catalogs (`makemessages` finds `_("…")`). The message
becomes text where it is shown: `str(message)` translates the template with `translate`,
which the composition root sets to Django's gettext (programs/apps.py), so pages, e-mails
and exports read it in the active language; without Django it stays English.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


def _(template: str) -> str:
    """Marks an English template for the catalogs; the Message translates it when shown."""
    return template


def _english(template: str) -> str:
    return template


# Set once at start-up to django.utils.translation.gettext (programs.apps).
translate: Callable[[str], str] = _english
# Set once at start-up to programs.numbers.localized_number: "8.1%" → "8,1 %" in Danish.
localize_number: Callable[[str], str] = _english


@dataclass(frozen=True)
class Number:
    """A number in a message, written the English way ("8.1%", "+3.2", "1,234"); shown the
    reader's way, as the message is."""

    text: str

    def render(self, translator: Callable[[str], str]) -> str:
        return self.text if translator is _english else localize_number(self.text)


@dataclass(frozen=True)
class Message:
    """An English template with `%(name)s` placeholders and their values (some of them
    messages too); str() gives it in the active language."""

    template: str
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, translator: Callable[[str], str]) -> str:
        text = translator(self.template)
        if not self.params:
            return text
        return text % {
            k: v.render(translator) if isinstance(v, Message | Number) else v
            for k, v in self.params.items()
        }

    def as_json(self) -> dict:
        """The message as plain JSON, to be kept (a snapshot) and shown later in the
        reader's language (`from_json`)."""
        return {
            "template": self.template,
            "params": {
                k: v.as_json()
                if isinstance(v, Message)
                else {"number": v.text}
                if isinstance(v, Number)
                else v
                for k, v in self.params.items()
            },
        }

    @classmethod
    def from_json(cls, kept: object) -> "Message | str":
        """What `as_json` kept, as a message again; text kept before messages were kept
        as JSON comes back as it is."""
        if not isinstance(kept, dict) or "template" not in kept:
            return "" if kept is None else str(kept)

        def param(value):
            if isinstance(value, dict) and "template" in value:
                return cls.from_json(value)
            if isinstance(value, dict) and "number" in value:
                return Number(value["number"])
            return value

        return cls(kept["template"], {k: param(v) for k, v in kept.get("params", {}).items()})

    @property
    def english(self) -> str:
        return self.render(_english)

    def __str__(self) -> str:
        return self.render(translate)

    def __eq__(self, other: object) -> bool:
        """Equal to another message with the same English, and to that English text."""
        if isinstance(other, Message):
            return self.english == other.english
        if isinstance(other, str):
            return self.english == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.english)
