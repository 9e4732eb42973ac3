from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from demo.seed import demo_series


@require_GET
def demo_results_feed(request: HttpRequest) -> JsonResponse:
    """The demo's HTTP result source: the last three days of the demo series as JSON.
    Served only with DJANGO_DEBUG on (see config/urls.py)."""
    return JsonResponse({"results": demo_series(days=3)})
