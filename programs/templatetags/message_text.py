"""`{% load message_text %}`: `{{ kept|message }}` shows a message a job kept as JSON
(programs.messages.Message.as_json) in the reader's language."""

from django import template

from programs.messages import Message

register = template.Library()


@register.filter
def message(kept) -> str:
    return str(Message.from_json(kept)) if not isinstance(kept, Message) else str(kept)
