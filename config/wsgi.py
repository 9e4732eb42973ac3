import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Import every view now, not on the first request: the URLconf pulls in pandas, scikit-learn
# and Plotly (seconds on a busy machine, past gunicorn's 30-second worker timeout when four
# cold workers share two cores). With `gunicorn --preload` the workers fork from a master
# that has done it once.
get_resolver().url_patterns  # noqa: B018
