"""Serve plotly.js from the installed plotly package.

The browser's plotly.js then always matches the Python plotly that builds the figures,
nothing is committed by hand, and nothing is fetched from a CDN (users run Fourfold on
closed networks). Templates load it as {% static "plotly/plotly.min.js" %}.
"""

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"
FILE_NAME = "plotly.min.js"
PREFIX = "plotly"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=PLOTLY_DIR)
        self.storage.prefix = PREFIX

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path != f"{PREFIX}/{FILE_NAME}":
            return [] if find_all else None
        found = str(PLOTLY_DIR / FILE_NAME)
        return [found] if find_all else found

    def list(self, ignore_patterns):
        yield FILE_NAME, self.storage
