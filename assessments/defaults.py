"""The maturity dimensions every organization starts with, each with its rubric."""

from django.utils.translation import gettext_lazy as _

DEFAULT_DIMENSIONS = [
    (
        _("Strategy & vision"),
        _("Personalization is a string of one-off tactics with no owner or stated goal."),
        _("A written strategy ties personalization to business goals, reviewed each cycle."),
    ),
    (
        _("Data"),
        _("Customer data sits in silos; nobody can join behaviour to orders."),
        _("One trusted customer view, fresh daily, with consent and quality checks."),
    ),
    (
        _("Decisioning"),
        _("Rules are hand-written per campaign; the first matching rule wins."),
        _("Offers are chosen by predicted value and propensity, tested against control."),
    ),
    (
        _("Design & content"),
        _("One version of every page; content is made per campaign and thrown away."),
        _("A modular content library with variants per segment and stage, reused everywhere."),
    ),
    (
        _("Distribution & channels"),
        _("Each channel personalizes on its own, if at all."),
        _("Web, app, e-mail and service share decisions and see the same customer."),
    ),
    (
        _("Process"),
        _("Changes ship when someone has time; nobody checks what they did."),
        _("A steady Plan-Do-Check-Act cycle with reviews that start the next one."),
    ),
    (
        _("Technology & software"),
        _("No personalization tooling; changes need a release."),
        _("An integrated platform the team configures itself, with testing built in."),
    ),
    (
        _("Culture & resources"),
        _("Personalization is a side job; results are not shared."),
        _("A funded, cross-department team; results and lessons are shared widely."),
    ),
]
