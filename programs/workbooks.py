"""Excel workbooks (.xlsx) checked before they are opened (no Django).

An .xlsx file is a zip archive of XML parts. openpyxl streams a sheet row by row, but reads
the shared strings (every text of the workbook), the styles and the theme whole, even with
`read_only=True`; a 208 KB upload unpacked to 85 MB of shared strings held a request for
three minutes and added 470 MB of memory. `check_workbook` reads only the zip directory
(sizes, offsets, methods) and the small list of parts, and refuses before anything is
unpacked. Python's zipfile stops inflating a part at the size its directory declares (a part
that holds more fails its checksum), so the declared sizes bound the work that follows.

Both the measurement upload (`results.ingest`) and the customer tables (`programs.tables`) call
it before openpyxl opens a workbook; they count rows and cells as they read them, since a
sheet's declared dimension proves nothing either.
"""

import io
import itertools
import struct
import zipfile

from openpyxl.packaging.manifest import Manifest
from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
from openpyxl.xml.functions import fromstring

MB = 1024 * 1024
# Measured here with pandas' to_excel (openpyxl writes every text into the sheet): 100,000
# rows of twelve columns (ids, emails, names, numbers, dates, categories) are 9 parts and an
# 8 MB file; the sheet unpacks to 55 MB at 7 to 1, and the whole check takes about 1 ms.
MAX_PARTS = 1_000  # a workbook has about ten parts, and two or three more per sheet
MAX_TOTAL_BYTES = 150 * MB  # all parts unpacked
MAX_SHEET_BYTES = 120 * MB  # one sheet, streamed: about 25 columns of 100,000 rows
# Read whole: the shared strings, styles, theme, lists of parts. 300,000 distinct texts of
# 35 characters (three columns of emails or names in 100,000 rows) are 16 MB, read in 2.3 s.
MAX_WHOLE_BYTES = 32 * MB
MAX_LIST_BYTES = 1 * MB  # [Content_Types].xml, read here: a few KB even with many sheets
# Real sheets compress 7 to 15 to 1 (a sheet of one repeated value, 15 to 1); a bomb of
# repeated text 400 to 1,000 to 1. Parts under RATIO_FROM_BYTES unpacked are not worth it.
MAX_RATIO = 100
RATIO_FROM_BYTES = 1 * MB

LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then name and extra field lengths
LOCAL_SIGNATURE = b"PK\x03\x04"


class WorkbookRefused(ValueError):
    """The workbook would unpack to more than is read here; the message says which limit."""


def check_workbook(data: bytes) -> None:
    """Refuse, with a message naming the limit, a workbook that would unpack too far.

    Raises WorkbookRefused for too many parts, too much unpacked, a part compressed like a
    bomb, or a zip directory that contradicts itself (parts overlapping or outside the file,
    a name twice, an unknown method, encryption). Raises zipfile.BadZipFile when `data` is
    not a zip archive at all: the readers already say that in their own words.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise WorkbookRefused(
                f"The workbook holds {len(parts):,} parts; at most {MAX_PARTS:,} are read."
            )
        _check_directory(data, parts)
        total = sum(part.file_size for part in parts)
        if total > MAX_TOTAL_BYTES:
            raise WorkbookRefused(
                f"The workbook unpacks to {_mb(total)}; at most {_mb(MAX_TOTAL_BYTES)} is "
                "read. Save it as CSV, or split it."
            )
        strings = _shared_strings(archive)
        for part in parts:
            _check_size(part, whole=part.filename in strings)
        for part in parts:
            _check_ratio(part)


def _check_directory(data: bytes, parts: list[zipfile.ZipInfo]) -> None:
    """WorkbookRefused when the directory contradicts itself or the file: a zip bomb that
    overlaps its parts, or names one twice, declares sizes the data cannot hold."""

    def refuse(reason: str) -> WorkbookRefused:
        return WorkbookRefused(
            f"The workbook's zip directory is inconsistent: {reason}. "
            "Open it in Excel and save it again."
        )

    names = set()
    spans = []
    for part in parts:
        name = _shown(part.filename)
        if part.filename in names:
            raise refuse(f"it names the part {name} twice")
        names.add(part.filename)
        if part.flag_bits & 0x1:
            raise refuse(f"the part {name} is encrypted")
        if part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise refuse(f"the part {name} is packed in an unknown way")
        if part.compress_type == zipfile.ZIP_STORED and part.compress_size != part.file_size:
            raise refuse(f"the part {name} is stored with two different sizes")
        header = data[part.header_offset : part.header_offset + LOCAL_HEADER.size]
        if part.header_offset < 0 or len(header) < LOCAL_HEADER.size:
            raise refuse(f"the part {name} lies outside the file")
        signature, name_length, extra_length = LOCAL_HEADER.unpack(header)
        if signature != LOCAL_SIGNATURE:
            raise refuse(f"the part {name} does not start where the directory says")
        start = part.header_offset + LOCAL_HEADER.size + name_length + extra_length
        end = start + part.compress_size
        if end > len(data):
            raise refuse(f"the part {name} runs past the end of the file")
        spans.append((part.header_offset, end, name))
    spans.sort()
    for (_start, end, name), (next_start, _end, next_name) in itertools.pairwise(spans):
        if next_start < end:
            raise refuse(f"the parts {name} and {next_name} overlap")


def _check_size(part: zipfile.ZipInfo, *, whole: bool) -> None:
    """A sheet is streamed; any other part may be read whole. The list of parts may name
    any part as the shared strings, so those count as read whole wherever they lie."""
    if whole or not part.filename.startswith("xl/worksheets/"):
        limit, what = MAX_WHOLE_BYTES, "of a part read whole (shared texts, styles)"
    else:
        limit, what = MAX_SHEET_BYTES, "of one sheet"
    if part.file_size > limit:
        raise WorkbookRefused(
            f"The workbook's part {_shown(part.filename)} unpacks to {_mb(part.file_size)}; "
            f"at most {_mb(limit)} {what} is read. Save it as CSV, or split it."
        )


def _check_ratio(part: zipfile.ZipInfo) -> None:
    if part.file_size < RATIO_FROM_BYTES:
        return
    ratio = part.file_size / max(part.compress_size, 1)
    if ratio > MAX_RATIO:
        raise WorkbookRefused(
            f"The workbook's part {_shown(part.filename)} is compressed {ratio:,.0f} to 1; real "
            f"workbooks compress about 10 to 1, and one compressed more than {MAX_RATIO} to 1 "
            "is refused as a decompression bomb."
        )


def _shared_strings(archive: zipfile.ZipFile) -> set[str]:
    """The parts openpyxl would read as shared strings, found as openpyxl finds them (the
    list of parts may name any part so). Nothing when that list is missing or damaged:
    openpyxl then fails on it too, before it reads any shared strings."""
    try:
        listing = archive.getinfo(ARC_CONTENT_TYPES)
    except KeyError:
        return set()
    if listing.file_size > MAX_LIST_BYTES:
        raise WorkbookRefused(
            f"The workbook's list of parts unpacks to {_mb(listing.file_size)}; at most "
            f"{_mb(MAX_LIST_BYTES)} is read."
        )
    try:
        manifest = Manifest.from_tree(fromstring(archive.read(listing)))
        # openpyxl opens PartName[1:]; "/xl/sharedStrings.xml" names xl/sharedStrings.xml.
        return {part.PartName[1:] for part in manifest.findall(SHARED_STRINGS)}
    except Exception:  # openpyxl raises several kinds for a damaged list of parts
        return set()


def _mb(size: int) -> str:
    return f"{size / MB:,.0f} MB" if size >= 10 * MB else f"{size / MB:,.1f} MB"


def _shown(name: str) -> str:
    """A part's name as a message shows it: the file chooses it, and may make it long."""
    return name if len(name) <= 80 else name[:79] + "…"
