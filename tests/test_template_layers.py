"""Template libraries follow the layers too (ARCHITECTURE.md): a page of an app loads only
tag libraries of its own layer's apps or below. import-linter sees Python imports only,
not `{% load %}`, so this test reads the templates."""

import re
from pathlib import Path

from django.template import engines

from scripts.import_graph import layers

ROOT = Path(__file__).resolve().parent.parent
LOAD = re.compile(r"{%\s*load\s+([^%]+?)\s*%}")


def test_no_page_loads_a_tag_library_of_a_higher_app():
    level = layers()
    libraries = engines["django"].engine.libraries  # name -> module path
    owner = {name: path.split(".")[0] for name, path in libraries.items()}
    upward = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        app = template.relative_to(ROOT / "templates").parts[0]
        if app not in level:
            continue  # the site's own templates (base.html, errors) sit above every app
        for names in LOAD.findall(template.read_text()):
            for name in names.split():
                library_app = owner.get(name)
                if library_app in level and level[library_app] > level[app]:
                    upward.append(f"{template.relative_to(ROOT)} loads {name} ({library_app})")
    assert upward == []
