"""What the result pages read: a source's change history."""

import datetime
import itertools
from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class SourceChange:
    at: datetime.datetime
    by: str  # "" when the person is no longer here (or it was a job)
    kind: str  # "+" created, "~" changed
    fields: list[str]  # the labels of the fields that changed


def source_changes(*, source, limit: int = 20) -> list[SourceChange]:
    """Who changed what of a source, newest first. Secrets are not in the history; that
    they changed is (secrets_changed_at). Two queries."""
    records = list(
        source.history.select_related("history_user").order_by("-history_id")[: limit + 1]
    )
    labels = {f.name: str(f.verbose_name) for f in source._meta.fields}
    labels["secrets_changed_at"] = str(_("secrets (header values, password)"))
    changes = []
    for record, older in itertools.zip_longest(records[:limit], records[1:]):
        if older is None:
            fields = []
        else:
            fields = [
                labels.get(c.field, c.field)
                for c in record.diff_against(older).changes
                if c.field not in ("updated_by",)
            ]
        user = record.history_user
        changes.append(
            SourceChange(
                at=record.history_date,
                by=(user.get_full_name() or user.get_username()) if user else "",
                kind=record.history_type,
                fields=fields,
            )
        )
    return changes
