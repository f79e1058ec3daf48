"""An export handed to a browser: the file as a download with its Chinese name."""

from __future__ import annotations

import io

from flask import Response, send_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def download(data: bytes, filename: str) -> Response:
    """`data` as an attachment named `filename` (.xlsx or .csv); the name may be Chinese (sent
    both as ASCII and RFC 5987 UTF-8), and the answer is not cached."""
    mimetype = XLSX if filename.lower().endswith(".xlsx") else CSV
    response = send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename
    )
    response.headers["Cache-Control"] = "no-store"
    return response
