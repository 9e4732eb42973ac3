from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from programs import csvsafe, numbers


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (for type checkers)."""

    htmx: HtmxDetails


def wants_excel(request: HttpRequest) -> bool:
    """The export was asked "for Excel in your language" (?excel=1)."""
    return request.GET.get("excel") == "1"


def export_writer(request: HttpRequest, file) -> csvsafe.SafeWriter:
    """The writer of a CSV export: plain (commas, decimal points), or with ?excel=1 for
    Excel in the person's language (semicolons, and a decimal comma where the language
    writes one). Both start with a UTF-8 byte order mark, written by the view."""
    if wants_excel(request):
        return csvsafe.excel_writer(file, decimal=numbers.decimal_separator())
    return csvsafe.writer(file)
