"""Text that people typed, made safe to hand to a Plotly figure.

Plotly draws a few HTML tags inside every text it renders (titles, tick labels, legend
entries, hover labels, annotations): `<a href>`, `<b>`, `<i>`, `<br>`, `<span style>`,
`<sub>`, `<sup>`. A KPI named `<a href="https://evil.example">x</a>` would otherwise be a
link on the executive's dashboard. Plotly decodes HTML entities in the text between
tags, so an escaped name is shown exactly as it was typed. Only the people's parts are
escaped: markup the chart code writes itself (`<br>`, `<extra>`) keeps working.
"""

# Plotly decodes numeric entities and only a few named ones (&amp; &lt; &gt; &nbsp; …):
# `&quot;` would be shown as such, so quotes become numeric references.
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def escape(text: object) -> str:
    """The text as Plotly shows it literally, none of it read as markup."""
    return str(text).translate(_ENTITIES)
