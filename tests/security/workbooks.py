"""Workbooks built part by part for the attacks on the XLSX readers: a zip of the XML
parts Excel writes (shared strings, a sheet with its rows numbered), where each part may lie
or be enormous, streamed through zlib so a 100 MB part costs no 100 MB of memory."""

import io
import struct
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def content_types(strings_part: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{TYPES}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{TYPES}.worksheet+xml"/>'
        f'<Override PartName="/{strings_part}" ContentType="{TYPES}.sharedStrings+xml"/>'
        "</Types>"
    )


@dataclass(frozen=True)
class Shared:
    """A cell that holds the shared string of this index."""

    index: int


def cell(column: int, row: int, value) -> str:
    ref = f"{get_column_letter(column)}{row}"
    if value is None:
        return f'<c r="{ref}"/>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, Shared):
        return f'<c r="{ref}" t="s"><v>{value.index}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def row_xml(number: int, values: Iterable) -> bytes:
    cells = "".join(cell(column, number, v) for column, v in enumerate(values, start=1))
    return f'<row r="{number}">{cells}</row>'.encode()


def rows_xml(rows: Iterable[Iterable]) -> Iterator[bytes]:
    for number, values in enumerate(rows, start=1):
        yield row_xml(number, values)


def strings_xml(texts: Iterable[str]) -> Iterator[bytes]:
    for text in texts:
        yield f"<si><t>{escape(text)}</t></si>".encode()


def workbook(
    sheet: Iterable[bytes],
    *,
    strings: Iterable[bytes] = (),
    dimension: str | None = None,
    strings_part: str = "xl/sharedStrings.xml",
    level: int = 6,
) -> bytes:
    """A workbook of one sheet whose <row> elements are `sheet` (raw XML, so a test can
    number them as it likes) and whose shared strings are the <si> elements `strings`;
    `dimension` is what the sheet declares of its size, true or not."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", content_types(strings_part))
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets>'
            '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        strings_target = strings_part.removeprefix("xl/")
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{RELS}">'
            f'<Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{DOC}/sharedStrings" Target="{strings_target}"/>'
            "</Relationships>",
        )
        with archive.open(strings_part, "w") as out:
            out.write(f'<?xml version="1.0"?><sst xmlns="{MAIN}">'.encode())
            _write(out, strings)
            out.write(b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as out:
            out.write(f'<?xml version="1.0"?><worksheet xmlns="{MAIN}">'.encode())
            if dimension:
                out.write(f'<dimension ref="{dimension}"/>'.encode())
            out.write(b"<sheetData>")
            _write(out, sheet)
            out.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def _write(out, chunks: Iterable[bytes]) -> None:
    """Many small pieces written as ~1 MB blocks (zipfile's writes cost per call)."""
    block: list[bytes] = []
    size = 0
    for chunk in chunks:
        block.append(chunk)
        size += len(chunk)
        if size >= 1 << 20:
            out.write(b"".join(block))
            block, size = [], 0
    out.write(b"".join(block))


# --- Editing a zip's directory --------------------------------------------------------

CENTRAL = b"PK\x01\x02"


def directory_entries(data: bytes) -> list[int]:
    """The offsets of the central directory's entries (the index at the end of a zip)."""
    end = data.rindex(b"PK\x05\x06")
    count, _size, start = struct.unpack("<HIL", data[end + 10 : end + 20])
    offsets, at = [], start
    for _ in range(count):
        assert data[at : at + 4] == CENTRAL
        offsets.append(at)
        name, extra, comment = struct.unpack("<HHH", data[at + 28 : at + 34])
        at += 46 + name + extra + comment
    return offsets


def entry_name(data: bytes, at: int) -> str:
    (length,) = struct.unpack("<H", data[at + 28 : at + 30])
    return data[at + 46 : at + 46 + length].decode()


def edited_entry(data: bytes, name: str, **fields: int) -> bytes:
    """`data` with the directory entry of `name` changed: offset= (where its local header
    is), flags=, size= (unpacked size; zip64 entries are not supported here)."""
    layout = {"flags": (8, "<H"), "size": (24, "<I"), "offset": (42, "<I")}
    edited = bytearray(data)
    (at,) = [at for at in directory_entries(data) if entry_name(data, at) == name]
    for field, value in fields.items():
        place, form = layout[field]
        struct.pack_into(form, edited, at + place, value)
    return bytes(edited)


def local_header(data: bytes, name: str) -> int:
    (at,) = [at for at in directory_entries(data) if entry_name(data, at) == name]
    (offset,) = struct.unpack("<I", data[at + 42 : at + 46])
    return offset
