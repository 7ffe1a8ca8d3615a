"""The two GeoReport v2 formats of every Open311 answer: JSON, and XML with the specification's element names.

A route builds its answer once, as JSON-shaped data, and `answer(fmt, root, data)` sends it in the format the
path asked for (`services.xml` / `services.json`). In XML a list becomes repeated item elements under its
wrapper (`<services><service>…`, `<attributes><attribute>…`, `<formats><format>…`), null an empty element and a
boolean `true`/`false`; the document is UTF-8 with the XML declaration the specification asks for, so Japanese
text arrives as written. Errors in both formats are a list of `{code, description}` (`<errors><error>…`).
"""

from __future__ import annotations

import re
from typing import Any, Literal
from xml.etree import ElementTree

from fastapi import Request
from fastapi.responses import JSONResponse, Response

Fmt = Literal["json", "xml"]
FORMATS: tuple[Fmt, ...] = ("json", "xml")
JSON_MEDIA = "application/json; charset=utf-8"
XML_MEDIA = "text/xml; charset=utf-8"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# A list element's name -> the name of each of its items.
ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
# Characters XML 1.0 cannot carry at all (C0 controls other than tab and newlines, lone surrogates, U+FFFE/F).
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Open311Json(JSONResponse):
    media_type = JSON_MEDIA


class Open311Xml(Response):
    media_type = XML_MEDIA


def fmt_of(request: Request) -> Fmt:
    """The format the path asked for: `….xml` is XML, everything else JSON."""
    return "xml" if request.url.path.endswith(".xml") else "json"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML.sub("", str(value))


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ElementTree.SubElement(element, key), child)
    elif isinstance(value, list | tuple):
        item = ITEMS[element.tag]
        for child in value:
            _fill(ElementTree.SubElement(element, item), child)
    elif value is not None:
        element.text = _text(value)


def to_xml(root: str, data: Any) -> bytes:
    """`data` as an XML document whose root element is `root` (a list for the list roots in `ITEMS`)."""
    element = ElementTree.Element(root)
    _fill(element, data)
    return DECLARATION + ElementTree.tostring(element, encoding="unicode").encode("utf-8")


def answer(
    fmt: Fmt, root: str, data: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """`data` in the asked format; `root` names the XML root element (JSON has none)."""
    if fmt == "xml":
        return Open311Xml(to_xml(root, data), status_code=status_code, headers=headers)
    return Open311Json(data, status_code=status_code, headers=headers)


def error(fmt: Fmt, code: int, description: str, headers: dict[str, str] | None = None) -> Response:
    """A GeoReport v2 error: `[{"code", "description"}]`, or `<errors><error><code/><description/>…`."""
    return answer(fmt, "errors", [{"code": code, "description": description}], code, headers)
