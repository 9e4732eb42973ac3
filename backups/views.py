"""Backup and restore of a program (backups.backup): admins only, since the file holds
everything of the program and the names and e-mail addresses of the people in it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from backups import backup
from backups.forms import RestoreForm
from programs.access import Need, membership_for, program_for
from programs.http import HtmxHttpRequest


@login_required
@require_GET
def program_backup(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The program as a JSON file to download."""
    access = program_for(request.user, pk, need=Need.ADMINISTER)
    text = backup.program_export_text(program=access.program)
    response = HttpResponse(text.encode(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{backup.file_name(access.program)}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def program_restore(request: HtmxHttpRequest, org: str) -> HttpResponse:
    """Upload a backup file: it becomes a new program of this organization, or, if
    anything is wrong with it, nothing is written and the page says what."""
    membership = membership_for(request.user, org, need=Need.ADMINISTER)
    form = RestoreForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            restored = backup.program_import(
                organization=membership.organization,
                data=form.cleaned_data["file"].read(),
                by=request.user,
                name=form.cleaned_data["name"],
            )
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(
                request,
                _("Restored “%(name)s”: %(what)s.")
                % {"name": restored.program.name, "what": backup.summary(restored)},
            )
            for note in restored.notes:
                messages.warning(request, note)
            return redirect("cycles:program_home", pk=restored.program.pk)
    return render(
        request,
        "backups/program_restore.html",
        {
            "membership": membership,
            "organization": membership.organization,
            "form": form,
            "problems": problems,
            "left_out": _(backup.ABOUT[1]),
        },
        status=422 if problems or form.errors else 200,
    )
