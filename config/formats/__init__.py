"""Dates as each language writes them on Fourfold's pages (settings.FORMAT_MODULE_PATH).

Django's own formats spell months out ("28. august 2026"); the pages want the short form
a person of that country writes in a table or a line of text: 28 Aug 2026 in English,
28. aug 2026 in Danish and Slovenian (no dot after the month, since May is not shortened),
28 aug 2026 in Dutch. Templates name the format (`date:"DATE_FORMAT"`), never the letters,
so each language gets its own."""
