"""Reading back the PDFs Chromium prints: glyphs drawn as .notdef (empty boxes); volatile fields
(dates, tagged-PDF element IDs) set to reproducible values.

Chromium (Skia) embeds fonts in two ways, and both name glyphs by glyph id, where id 0 is .notdef,
the empty box a font draws for a character it does not have:

- Type 3 fonts (how CFF-flavoured OpenType such as Noto CJK ends up): one-byte codes, mapped through
  ``/Encoding /Differences`` to glyph names ``/g<hex glyph id>``; ``/g0`` is .notdef.
- Type 0 (CIDFontType2, Identity-H): two-byte codes that are the glyph ids themselves.

Text that is drawn with .notdef still extracts as the right characters (the ToUnicode map says what
was meant), so a text search cannot see empty boxes; this module can.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timezone

NOTDEF_NAMES = {"/g0", "/.notdef"}
_DATE_RE = re.compile(rb"/(CreationDate|ModDate)\s*\((D:\d{14}[^)]{0,12})\)")


@dataclass(frozen=True)
class MissingGlyph:
    page: int  # 1-based
    font: str  # resource name on the page, e.g. /F4
    text: str  # what the ToUnicode map says was meant ("" when it does not say)


def _raw(obj) -> bytes:
    if isinstance(obj, bytes):
        return bytes(obj)
    original = getattr(obj, "original_bytes", None)
    if original is not None:
        return bytes(original)
    return str(obj).encode("latin-1", "replace")


def _to_unicode(font) -> dict[bytes, str]:
    stream = font.get("/ToUnicode")
    if stream is None:
        return {}
    data = stream.get_object().get_data().decode("latin-1")
    out: dict[bytes, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[bytes.fromhex(src)] = bytes.fromhex(dst).decode("utf-16-be", "replace")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            width, start, first = len(lo) // 2, int(lo, 16), int(dst, 16)
            for i in range(int(hi, 16) - start + 1):
                out[(start + i).to_bytes(width, "big")] = chr(first + i)
    return out


def _notdef_codes(font_text: bytes) -> set[bytes]:
    """Codes that draw .notdef, from the bytes of a font dictionary (with its /Encoding inlined)."""
    if b"/Type0" in font_text:
        return {b"\x00\x00"}  # Identity-H: the code is the glyph id
    if b"/Type3" not in font_text:
        return set()  # simple fonts with a standard encoding: not what Chromium writes
    diffs = _DIFFERENCES_RE.search(font_text)
    codes: set[bytes] = set()
    code = 0
    for tok in (diffs.group(1).split() if diffs else []):
        if tok[:1] == b"/":
            for name in tok.split(b"/")[1:]:  # names may run together: "/g0/g0"
                if b"/" + name in NOTDEF_NAMES_B:
                    codes.add(bytes([code & 0xFF]))
                code += 1
        else:
            code = int(float(tok))
    return codes


class _Font:
    """What a font's codes mean: which of them draw .notdef, and (on demand) which text each stands for."""

    def __init__(self, font_text: bytes, obj):
        self._obj = obj
        self.width = 2 if b"/Type0" in font_text else 1
        self.notdef_codes = _notdef_codes(font_text)
        self._unicode: dict[bytes, str] | None = None

    @classmethod
    def load(cls, reader, data: bytes, ref) -> "_Font":
        text = _raw_object(reader, data, ref) if reader is not None and hasattr(ref, "idnum") else None
        if text is None or (b"/Encoding" in text and b"/Differences" not in text):
            obj = ref.get_object()  # not a plain object, or its encoding lives elsewhere: parse it
            text = _dict_text(obj)
            enc = obj.get("/Encoding")
            if enc is not None and hasattr(enc, "get_object") and hasattr(enc.get_object(), "keys"):
                text += _dict_text(enc.get_object())
        return cls(text, ref)

    def meant(self, code: bytes) -> str:
        if self._unicode is None:
            self._unicode = _to_unicode(self._obj.get_object())
        return self._unicode.get(code, "")


NOTDEF_NAMES_B = {n.encode() for n in NOTDEF_NAMES}
_DIFFERENCES_RE = re.compile(rb"/Differences\s*\[([^\]]*)\]")
# Text operators as Chromium writes them: "/F4 29.33 Tf", "<46> Tj", "[<0102> -12 <03>] TJ".
_TEXT_RE = re.compile(
    rb"(/[^\s/\[\]<>()]+)\s+[-+\d.]+\s+Tf"
    rb"|<([0-9A-Fa-f\s]*)>\s*Tj"
    rb"|\[([^\]]*)\]\s*TJ"
    rb"|\)\s*(?:Tj|'|\")"
)
_HEX_RE = re.compile(rb"<([0-9A-Fa-f\s]*)>")


def _raw_object(reader, data: bytes, ref) -> bytes | None:
    """The bytes of an uncompressed indirect object, without parsing it (fonts have big arrays)."""
    offset = reader.xref.get(getattr(ref, "generation", 0), {}).get(getattr(ref, "idnum", -1))
    if offset is None:
        return None
    end = data.find(b"endobj", offset)
    stream = data.find(b"stream", offset, end if end >= 0 else None)
    return data[offset:stream if stream >= 0 else end] if end >= 0 else None


def _dict_text(obj) -> bytes:
    buf = io.BytesIO()
    obj.write_to_stream(buf)
    return buf.getvalue()


def _scan(reader, data: bytes, content: bytes, resources, page_no: int, found: list, fonts: dict,
          depth: int = 0) -> None:
    resources = resources.get_object() if resources is not None else None
    font_refs = resources.get("/Font") if resources is not None else None
    font_refs = font_refs.get_object() if font_refs is not None else {}
    current: _Font | None = None
    current_name = ""
    mark = len(found)
    for m in _TEXT_RE.finditer(content):
        name, hex_tj, tj_array = m.group(1), m.group(2), m.group(3)
        if name is not None:
            current_name = name.decode("latin-1")
            ref = font_refs.get(current_name)
            if ref is None:
                current = None
                continue
            key = (getattr(ref, "idnum", None), getattr(ref, "generation", None)) if hasattr(ref, "idnum") else id(ref)
            if key not in fonts:
                fonts[key] = _Font.load(reader, data, ref)
            current = fonts[key]
            continue
        if current is None or not current.notdef_codes:
            continue
        if hex_tj is not None:
            strings = [hex_tj]
        elif tj_array is not None:
            if b"(" in tj_array:
                del found[mark:]
                _scan_slow(content, resources, page_no, found)
                return
            strings = _HEX_RE.findall(tj_array)
        else:  # a literal (...) string: not Chromium's style; parse the stream properly
            del found[mark:]
            _scan_slow(content, resources, page_no, found)
            return
        for h in strings:
            raw = bytes.fromhex(h.decode("ascii").replace(" ", "").replace("\n", "").replace("\r", ""))
            w = current.width
            for i in range(0, len(raw) - w + 1, w):
                code = raw[i:i + w]
                if code in current.notdef_codes:
                    found.append(MissingGlyph(page_no, current_name, current.meant(code)))
    xobjects = resources.get("/XObject") if resources is not None else None
    if xobjects is not None and depth < 8:
        for ref in xobjects.get_object().values():
            head = _raw_object(reader, data, ref)
            if head is not None and b"/Form" not in head:
                continue  # an image: nothing to read
            xobj = ref.get_object()
            if xobj.get("/Subtype") == "/Form":
                _scan(reader, data, xobj.get_data(), xobj.get("/Resources", resources), page_no, found, fonts,
                      depth + 1)


def _scan_slow(content: bytes, resources, page_no: int, found: list) -> None:
    """Any content stream, parsed with pypdf (slow on big pages, exact)."""
    from pypdf.generic import ContentStream, DecodedStreamObject

    stream = DecodedStreamObject()
    stream.set_data(content)
    fonts_dict = resources.get("/Font", {}) if resources else {}
    fonts_dict = fonts_dict.get_object() if hasattr(fonts_dict, "get_object") else fonts_dict
    current = None
    current_name = ""
    for operands, op in ContentStream(stream, None).operations:
        if op == b"Tf":
            current_name = str(operands[0])
            current = _Font.load(None, b"", fonts_dict[current_name])
        elif op in (b"Tj", b"'", b'"', b"TJ") and current is not None:
            strings = ([s for s in operands[0] if not isinstance(s, (int, float)) and hasattr(s, "__len__")]
                       if op == b"TJ" else [operands[-1]])
            for s in strings:
                raw = _raw(s)
                for i in range(0, len(raw) - current.width + 1, current.width):
                    code = raw[i:i + current.width]
                    if code in current.notdef_codes:
                        found.append(MissingGlyph(page_no, current_name, current.meant(code)))


def missing_glyphs(pdf: bytes) -> list[MissingGlyph]:
    """Every place a page draws a .notdef glyph (an empty box), with the character that was meant."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    found: list[MissingGlyph] = []
    fonts: dict = {}
    for page_no, page in enumerate(reader.pages, start=1):
        contents = page.get_contents()
        if contents is not None:
            _scan(reader, pdf, contents.get_data(), page.get("/Resources"), page_no, found, fonts)
    return found


def pdf_date(when: datetime) -> bytes:
    """``D:YYYYMMDDHHmmSS+00'00'`` in UTC, the form Chromium writes (same length)."""
    when = when.astimezone(timezone.utc) if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return when.strftime("D:%Y%m%d%H%M%S+00'00'").encode("ascii")


def set_dates(pdf: bytes, when: datetime) -> bytes:
    """The PDF with CreationDate and ModDate set to ``when``.

    Replaced in place with a string of the same length, so the cross-reference offsets stay valid;
    a date of another shape is left as it is.
    """
    stamp = pdf_date(when)

    def repl(m: re.Match) -> bytes:
        if len(m.group(2)) != len(stamp):
            return m.group(0)
        return m.group(0).replace(m.group(2), stamp)

    return _DATE_RE.sub(repl, pdf)


_NODE_ID_RE = re.compile(rb"\(node(\d{6,12})\)")


def normalise_struct_ids(pdf: bytes) -> bytes:
    """Tagged-PDF element IDs renumbered 0, 1, 2… in their sort order.

    Chromium names structure elements after DOM node ids (``(node00000937)``), which depend on
    how many nodes the page made before; a reused page numbers them differently each time. The
    new numbers keep each ID's width (offsets stay valid) and the IDs' order (the ID tree stays
    sorted).
    """
    ids = sorted(set(_NODE_ID_RE.findall(pdf)))
    if not ids:
        return pdf
    new = {old: str(i).zfill(len(old)).encode() for i, old in enumerate(ids)}
    if any(len(v) != len(k) for k, v in new.items()):
        return pdf
    return _NODE_ID_RE.sub(lambda m: b"(node" + new[m.group(1)] + b")", pdf)


def dates(pdf: bytes) -> dict[str, str]:
    """The Info dictionary's CreationDate and ModDate strings, as written."""
    return {m.group(1).decode(): m.group(2).decode("latin-1") for m in _DATE_RE.finditer(pdf)}
