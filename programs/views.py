from collections import Counter

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cycles.wheel import wheel
from initiatives.selectors import open_collision_count
from kpis import charts as kpi_charts
from kpis import selectors as kpi_selectors
from kpis.models import ProgressStatus
from kpis.snapshots import snapshots_ensure
from programs import selectors, services
from programs.access import Need, membership_for, program_for
from programs.forms import (
    AccountForm,
    DashboardFilterForm,
    InvitationForm,
    NotificationsForm,
    ProgramCreateForm,
    ProgramForm,
    RoleForm,
    SavedFilterForm,
)
from programs.http import HtmxHttpRequest
from programs.models import Membership

SESSION_ORGANIZATION = "organization"


@login_required
@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    """Send people to the organization they used last, or their first one."""
    memberships = list(request.user.memberships.select_related("organization"))
    if not memberships:
        return render(request, "programs/no_organization.html")
    slugs = [m.organization.slug for m in memberships]
    slug = request.session.get(SESSION_ORGANIZATION)
    return redirect("programs:program_list", org=slug if slug in slugs else slugs[0])


@login_required
@require_GET
def program_list(request: HtmxHttpRequest, org: str) -> HttpResponse:
    membership = membership_for(request.user, org)
    if request.session.get(SESSION_ORGANIZATION) != org:
        request.session[SESSION_ORGANIZATION] = org
    programs = selectors.program_list(organization=membership.organization)
    return render(
        request,
        "programs/program_list.html",
        {"membership": membership, "organization": membership.organization, "programs": programs},
    )


@login_required
@require_http_methods(["GET", "POST"])
def program_create(request: HtmxHttpRequest, org: str) -> HttpResponse:
    membership = membership_for(request.user, org, need=Need.MANAGE)
    form = ProgramCreateForm(request.POST or None, organization=membership.organization)
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(
                organization=membership.organization, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Program “%(name)s” created; cycle 1 is open.") % {"name": program}
            )
            return redirect("cycles:program_home", pk=program.pk)
    return render(
        request,
        "programs/program_form.html",
        {"membership": membership, "organization": membership.organization, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def program_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    program = access.program
    form = ProgramForm(request.POST or None, instance=program, organization=program.organization)
    if request.method == "POST" and form.is_valid():
        try:
            services.program_update(program=program, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Program saved."))
            return redirect("cycles:program_home", pk=program.pk)
    program.refresh_from_db(fields=["name"])  # the page title keeps the saved name
    return render(
        request,
        "programs/program_form.html",
        {
            "program": program,
            "membership": access.membership,
            "organization": program.organization,
            "form": form,
        },
    )


# --- Members --------------------------------------------------------------------------


def _members_context(membership: Membership, invite_form: InvitationForm | None = None) -> dict:
    organization = membership.organization
    return {
        "membership": membership,
        "organization": organization,
        "members": selectors.organization_members(organization=organization),
        "invitations": selectors.organization_open_invitations(organization=organization),
        "invite_form": invite_form or InvitationForm(),
        "role_choices": RoleForm.base_fields["role"].choices,
    }


@login_required
@require_GET
def member_list(request: HtmxHttpRequest, org: str) -> HttpResponse:
    membership = membership_for(request.user, org, need=Need.ADMINISTER)
    return render(request, "programs/member_list.html", _members_context(membership))


@login_required
@require_POST
def member_invite(request: HtmxHttpRequest, org: str) -> HttpResponse:
    membership = membership_for(request.user, org, need=Need.ADMINISTER)
    form = InvitationForm(request.POST)
    invited = None
    if form.is_valid():
        accept_url = request.build_absolute_uri(
            reverse("programs:invitation_accept", kwargs={"token": "TOKEN"})
        ).replace("TOKEN", "{token}")
        try:
            invited = services.invitation_send(
                organization=membership.organization,
                by=request.user,
                accept_url=accept_url,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
    if invited and not request.htmx:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": invited.email})
        return redirect("programs:member_list", org=org)
    context = _members_context(membership, invite_form=None if invited else form)
    context["invited"] = invited
    template = "programs/member_list.html"
    if request.htmx:
        template += "#invitations"
    return render(request, template, context, status=200 if invited or request.htmx else 400)


@login_required
@require_POST
def member_role(request: HtmxHttpRequest, org: str, pk: int) -> HttpResponse:
    membership = membership_for(request.user, org, need=Need.ADMINISTER)
    member = get_object_or_404(
        Membership.objects.select_related("user", "organization"),
        pk=pk,
        organization=membership.organization,
    )
    form = RoleForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.membership_change_role(
                membership=member, role=form.cleaned_data["role"], by=request.user
            )
        except ValidationError as e:
            error = " ".join(e.messages)
            member.refresh_from_db()
    else:
        error = _("Choose one of the roles.")
    if request.htmx:
        context = {**_members_context(membership), "member": member, "row_error": error}
        return render(request, "programs/member_list.html#member-row", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Role changed."))
    return redirect("programs:member_list", org=org)


@login_required
@require_POST
def member_remove(request: HtmxHttpRequest, org: str, pk: int) -> HttpResponse:
    membership = membership_for(request.user, org, need=Need.ADMINISTER)
    member = get_object_or_404(
        Membership.objects.select_related("user", "organization"),
        pk=pk,
        organization=membership.organization,
    )
    try:
        services.membership_remove(membership=member, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(user)s was removed.") % {"user": member.user})
    return redirect("programs:member_list", org=org)


@login_required
@require_POST
def invitation_revoke(request: HtmxHttpRequest, org: str, pk: int) -> HttpResponse:
    membership = membership_for(request.user, org, need=Need.ADMINISTER)
    invitation = get_object_or_404(
        membership.organization.invitations, pk=pk, accepted_at__isnull=True
    )
    services.invitation_revoke(invitation=invitation, by=request.user)
    messages.success(
        request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email}
    )
    return redirect("programs:member_list", org=org)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """The page an invitation link opens: join with this account, or create one."""
    invitation = services.invitation_find(token=token)
    if invitation is None:
        return render(request, "programs/invitation_invalid.html", status=404)
    signed_in = request.user.is_authenticated
    form = None if signed_in else AccountForm(request.POST or None)
    if request.method == "POST" and (signed_in or form.is_valid()):
        user = request.user
        if not signed_in:
            user = form.save(commit=False)  # saved by the service, with the membership
            user.email = invitation.email
        try:
            services.invitation_accept(invitation=invitation, user=user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("home")
        if not signed_in:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to %(org)s.") % {"org": invitation.organization})
        return redirect("programs:program_list", org=invitation.organization.slug)
    return render(
        request, "programs/invitation_accept.html", {"invitation": invitation, "form": form}
    )


@login_required
@require_GET
def dashboard(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The executive's page: is every KPI on track, what does it return, what changed since
    the last visit; filtered by segment, goal and period in the URL, filters savable."""
    access = program_for(request.user, pk)
    cycle = selectors.program_open_cycle(program=access.program)
    if cycle is None:
        raise Http404
    today = timezone.localdate()
    snapshots_ensure(cycle=cycle, today=today)
    filters = DashboardFilterForm(request.GET, cycle=cycle)
    chosen = filters.choices()
    cards = kpi_selectors.dashboard_cards(
        cycle=cycle, period=chosen["period"], segment=chosen["segment"], goal=chosen["goal"]
    )
    statuses = Counter(card.overall.status for card in cards)
    template = "programs/dashboard.html"
    context = {
        **access.page_context(cycle=cycle, section=_("Dashboard"), edit=Need.VIEW),
        "cards": cards,
        "statuses": [
            (s, ProgressStatus(s).label, statuses[s]) for s in ProgressStatus if statuses[s]
        ],
        "filters": filters,
        "chosen": chosen,
        "query": filters.query(),
        "saved_filters": access.program.saved_filters.filter(user=request.user),
        "save_form": SavedFilterForm(),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, template + "#dashboard-body", context)
    roi = kpi_selectors.roi_target(cycle=cycle)
    since = services.dashboard_visit_record(user=request.user, program=access.program)
    return render(
        request,
        template,
        {
            **context,
            **_dashboard_plan_context(cycle),
            "roi": roi,
            "roi_figures": roi.figures() if roi else None,
            "realized": _realized(roi, cards, today),
            "changes": kpi_selectors.changes_since(cycle=cycle, since=since) if since else None,
        },
    )


def _realized(roi, cards, today):
    if roi is None:
        return None
    snapshot = next((c.overall for c in cards if c.kpi.pk == roi.attribution_kpi_id), None)
    return kpi_selectors.roi_realized(roi=roi, today=today, snapshot=snapshot)


def _dashboard_plan_context(cycle) -> dict:
    """Initiatives by status, open collisions and the four questions' wheel."""
    from django.db.models import Count

    from initiatives.models import Status

    counted = dict(
        cycle.initiatives.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {
        "initiative_counts": [
            (status.label, counted[status]) for status in Status if counted.get(status)
        ],
        "open_collisions": open_collision_count(cycle=cycle),
        # Where the cycle stands; how complete each question is, the program home says.
        "wheel": wheel(phase=cycle.phase, is_open=cycle.is_open),
    }


@login_required
@require_GET
def dashboard_chart(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The dashboard's progress chart, loaded as a fragment after the page."""
    access = program_for(request.user, pk)
    cycle = selectors.program_open_cycle(program=access.program)
    if cycle is None:
        raise Http404
    chosen = DashboardFilterForm(request.GET, cycle=cycle).choices()
    cards = kpi_selectors.dashboard_cards(cycle=cycle, period=chosen["period"], goal=chosen["goal"])
    return render(
        request,
        "programs/_dashboard_chart.html",
        {"chart": kpi_charts.program_progress(cards=cards) if cards else None},
    )


@login_required
@require_POST
def dashboard_filter_save(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Keep the current filters under a name (any role: it changes nothing shared)."""
    access = program_for(request.user, pk)
    cycle = selectors.program_open_cycle(program=access.program)
    if cycle is None:
        raise Http404
    query = DashboardFilterForm(request.POST, cycle=cycle).query()
    form = SavedFilterForm(request.POST)
    url = reverse("programs:dashboard", kwargs={"pk": pk}) + (f"?{query}" if query else "")
    if not form.is_valid():
        messages.error(request, _("Give the view a name of at most 80 characters."))
        return redirect(url)
    try:
        services.saved_filter_create(
            user=request.user, program=access.program, name=form.cleaned_data["name"], query=query
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(url)
    messages.success(request, _("View “%(name)s” saved.") % {"name": form.cleaned_data["name"]})
    return redirect(url)


@login_required
@require_POST
def dashboard_filter_delete(request: HtmxHttpRequest, pk: int, filter_pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    saved = get_object_or_404(access.program.saved_filters, pk=filter_pk, user=request.user)
    services.saved_filter_delete(saved=saved)
    messages.success(request, _("View “%(name)s” removed.") % {"name": saved.name})
    return redirect("programs:dashboard", pk=pk)


@login_required
@require_GET
def portfolio(request: HtmxHttpRequest, org: str) -> HttpResponse:
    """Every program of the organization on one page, from the snapshots."""
    membership = membership_for(request.user, org)
    rows = selectors.portfolio(organization=membership.organization, today=timezone.localdate())
    return render(
        request,
        "programs/portfolio.html",
        {
            "membership": membership,
            "organization": membership.organization,
            "rows": rows,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HtmxHttpRequest, org: str) -> HttpResponse:
    """Each person's own e-mail settings: alerts and the weekly digest."""
    membership = membership_for(request.user, org)
    form = NotificationsForm(request.POST or None, instance=membership)
    if request.method == "POST" and form.is_valid():
        services.notifications_save(
            membership=membership,
            alert_emails=form.cleaned_data["alert_emails"],
            digest_emails=form.cleaned_data["digest_emails"],
        )
        messages.success(request, _("Your e-mail settings are saved."))
        return redirect("programs:notifications", org=org)
    return render(
        request,
        "programs/notifications.html",
        {"membership": membership, "organization": membership.organization, "form": form},
    )
