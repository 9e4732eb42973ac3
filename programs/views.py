from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from programs import languages, selectors, services
from programs.access import Need, membership_for, program_for
from programs.forms import (
    AccountForm,
    CalendarForm,
    FileFormatForm,
    InvitationForm,
    LanguageForm,
    ProgramCreateForm,
    ProgramForm,
    RoleForm,
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


@require_POST
def language_set(request: HtmxHttpRequest) -> HttpResponse:
    """The language switch of the top bar: kept on the account of a signed-in person, and on
    this browser (Django's language cookie) so that the login page speaks it too."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose one of the languages offered."), status=400)
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        services.profile_set_language(user=request.user, language=language)
        languages.remember(request, language)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("home")
    response = redirect(back)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


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
@require_http_methods(["GET", "POST"])
def organization_files(request: HtmxHttpRequest, org: str) -> HttpResponse:
    """The organization's fiscal calendar and how its CSV files are written (admins). Each
    form saves on its own."""
    membership = membership_for(request.user, org, need=Need.ADMINISTER)
    organization = membership.organization
    posted = request.POST.get("form") if request.method == "POST" else None
    calendar_form = CalendarForm(
        request.POST if posted == "calendar" else None, instance=organization, prefix="calendar"
    )
    files_form = FileFormatForm(request.POST if posted == "files" else None, instance=organization)
    if posted == "calendar" and calendar_form.is_valid():
        services.organization_calendar_set(
            organization=organization, by=request.user, **calendar_form.cleaned_data
        )
        messages.success(request, _("Saved: KPIs that report in the fiscal calendar follow it."))
        return redirect("programs:organization_files", org=org)
    if posted == "files" and files_form.is_valid():
        services.organization_file_format_set(
            organization=organization, by=request.user, **files_form.cleaned_data
        )
        messages.success(request, _("Saved: new uploads start from these."))
        return redirect("programs:organization_files", org=org)
    organization.refresh_from_db()  # the preview shows the calendar as it is saved
    return render(
        request,
        "programs/organization_files.html",
        {
            "membership": membership,
            "organization": organization,
            "form": files_form,
            "calendar_form": calendar_form,
            "fiscal_year": selectors.fiscal_year(
                calendar=organization.fiscal, today=timezone.localdate()
            ),
        },
        status=422 if calendar_form.errors or files_form.errors else 200,
    )


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
            # A new account reads on in the language it joined in: its e-mails too.
            services.profile_set_language(user=user, language=request.LANGUAGE_CODE)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to %(org)s.") % {"org": invitation.organization})
        return redirect("programs:program_list", org=invitation.organization.slug)
    return render(
        request, "programs/invitation_accept.html", {"invitation": invitation, "form": form}
    )
