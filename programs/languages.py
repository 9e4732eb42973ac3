"""Which language a request and an e-mail are written in.

A signed-in person's choice is kept on their account (`Profile.language`) and cached in
their session; people not signed in (the login page, an invitation) get the language of
their browser's `Accept-Language`, or the one they picked on this browser (the language
cookie), as Django's LocaleMiddleware decides.
"""

from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

from programs.models import Profile

SESSION_KEY = "language"
LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def chosen(user_id: int) -> str:
    """The language a person chose for their account, "" if none."""
    return Profile.objects.filter(user_id=user_id).values_list("language", flat=True).first() or ""


def emails_by_language(memberships) -> dict[str, list[str]]:
    """The e-mail addresses of a Membership queryset's people, by the language each reads:
    one query, for e-mails that go out in their recipient's language."""
    grouped: dict[str, list[str]] = defaultdict(list)
    rows = memberships.exclude(user__email="").values_list("user__email", "user__profile__language")
    for email, language in rows:
        grouped[language if language in LANGUAGE_CODES else settings.LANGUAGE_CODE].append(email)
    return dict(grouped)


def mail_in_their_languages(
    by_language: dict[str, list[str]], *, subject: Callable[[], str], template: str, context: dict
) -> int:
    """E-mail every address of `by_language` (emails_by_language) in its language: the
    subject and the body are written once per language. Returns the e-mails sent."""
    sent = 0
    for language, emails in by_language.items():
        with translation.override(language):
            title, body = subject(), render_to_string(template, context)
        for email in emails:
            send_mail(title, body, from_email=None, recipient_list=[email])
        sent += len(emails)
    return sent


def remember(request: HttpRequest, language: str) -> None:
    """Use `language` for the rest of this session (the account keeps it for the next)."""
    request.session[SESSION_KEY] = language


def remember_on_login(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """A new session starts in the account's language (user_logged_in), so the middleware
    need not read the account on the session's first page."""
    if request is not None and hasattr(request, "session"):
        remember(request, chosen(user.pk))


class ProfileLanguageMiddleware:
    """Activate the signed-in person's own language, after LocaleMiddleware chose the
    browser's. The account is read once per session, not on every request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = request.session.get(SESSION_KEY)
            if language is None:
                language = chosen(user.pk)
                remember(request, language)
            if language in LANGUAGE_CODES and language != request.LANGUAGE_CODE:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)
