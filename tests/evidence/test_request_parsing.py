"""Uploaded files are parsed in larger pieces than the framework's own, and arrive whole:
every byte as sent, whatever falls on the edges of the pieces, with the form's limits kept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.test import EnvironBuilder

from accreditation.uploads import FILE_ON_DISK_BYTES, MULTIPART_BUFFER_BYTES, UploadRequest

from .conftest import multipart_body

# What a multipart parser could mistake for the end of a part.
TRICKY = [b"\r\n", b"\r\n--", b"--", b"\r", b"\n--", b"\r\n------evidence-test-"]


def parsed(body: bytes, content_type: str) -> UploadRequest:
    environ = EnvironBuilder(method="POST", data=body, content_type=content_type).get_environ()
    return UploadRequest(environ)


@settings(max_examples=30, deadline=None)
@given(pieces=st.integers(min_value=0, max_value=3),
       offset=st.integers(min_value=-300, max_value=300),
       tricky=st.sampled_from(TRICKY), fill=st.binary(min_size=1, max_size=64))
def test_a_file_arrives_byte_for_byte_whatever_falls_on_a_pieces_edge(pieces, offset, tricky,
                                                                      fill):
    size = max(1, pieces * MULTIPART_BUFFER_BYTES + offset)
    data = bytearray((fill * (size // len(fill) + 1))[:size])
    # Line ends and dashes just before, across and after where the pieces meet.
    for edge in range(MULTIPART_BUFFER_BYTES // 2, size, MULTIPART_BUFFER_BYTES // 2):
        for at in (edge - len(tricky), edge - 1, edge):
            if 0 <= at <= size - len(tricky):
                data[at:at + len(tricky)] = tricky
    body, content_type = multipart_body({"purpose": "policy", "note": "a\r\n--b"},
                                        {"file": ("policy.pdf", bytes(data))})
    request = parsed(body, content_type)
    try:
        assert request.form.to_dict() == {"purpose": "policy", "note": "a\r\n--b"}
        upload = request.files["file"]
        assert upload.filename == "policy.pdf"
        assert upload.stream.read() == bytes(data)
    finally:
        request.close()


def test_files_of_a_large_request_go_to_disk_from_the_start():
    data = b"%PDF-" + b"x" * FILE_ON_DISK_BYTES
    body, content_type = multipart_body({}, {"file": ("big.pdf", data)})
    request = parsed(body, content_type)
    try:
        stream = request.files["file"].stream
        assert stream.fileno() >= 0 and stream.tell() == 0
        assert stream.read() == data
    finally:
        request.close()
    assert stream.closed  # the request closes its files


def test_small_requests_stay_in_memory():
    body, content_type = multipart_body({}, {"file": ("small.pdf", b"%PDF-1.7\n")})
    request = parsed(body, content_type)
    try:
        assert request.files["file"].stream.read() == b"%PDF-1.7\n"
        assert not getattr(request.files["file"].stream, "_rolled", True)
    finally:
        request.close()


def test_the_form_limits_still_hold():
    body, content_type = multipart_body({"note": "x" * (MULTIPART_BUFFER_BYTES * 3)}, {})
    request = parsed(body, content_type)
    request.max_form_memory_size = MULTIPART_BUFFER_BYTES
    with pytest.raises(RequestEntityTooLarge):
        request.form  # noqa: B018 (parsing is the point)
    request.close()

    body, content_type = multipart_body({f"field{n}": "x" for n in range(20)}, {})
    request = parsed(body, content_type)
    request.max_form_parts = 10
    with pytest.raises(RequestEntityTooLarge):
        request.form  # noqa: B018
    request.close()
