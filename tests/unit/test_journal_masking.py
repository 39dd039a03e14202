"""The request journal's masking and body capture: no secret survives, whatever the body's shape."""

from __future__ import annotations

import orjson
import pytest

from journeystack.api.journal import MASK, capture_body, mask_header, mask_query, mask_text, mask_value


def test_json_members_named_like_secrets_are_masked_at_any_depth() -> None:
    value = {
        "client_id": "id",
        "client_secret": "s1",
        "access_token": "t1",
        "nested": [{"Password": "p1", "refreshToken": "t2", "keep": "ok"}, {"apiKey": "k1"}],
        "token_type": None,  # nothing to hide
        "name": "secret-sounding value is fine",
    }
    assert mask_value(value) == {
        "client_id": "id",
        "client_secret": MASK,
        "access_token": MASK,
        "nested": [{"Password": MASK, "refreshToken": MASK, "keep": "ok"}, {"apiKey": MASK}],
        "token_type": None,
        "name": "secret-sounding value is fine",
    }


@pytest.mark.parametrize(
    ("name", "value", "masked"),
    [
        ("Authorization", "Bearer abc.def", f"Bearer {MASK}"),
        ("authorization", "opaque", MASK),
        ("X-Journeystack-Admin-Token", "adm", MASK),
        ("Cookie", "session=1", MASK),
        ("Content-Type", "application/json", "application/json"),
        ("WWW-Authenticate", 'Bearer error="invalid_token"', 'Bearer error="invalid_token"'),
    ],
)
def test_headers(name: str, value: str, masked: str) -> None:
    assert mask_header(name, value) == masked


def test_query_parameters() -> None:
    assert (
        mask_query("access_token=abc&page=2&password=")
        == "access_token=%2A%2A%2A%2A%2A%2A%2A%2A&page=2&password="
    )


def test_text_masking_covers_json_form_and_bearer_credentials() -> None:
    text = (
        '{"client_secret": "s\\"1", "a": 1, "access_token":"t1", "x": "Bearer abc123"} '
        "client_secret=s2&grant_type=client_credentials password: p3, 'api_key': 'k4'"
    )
    masked = mask_text(text)
    for secret in ('s\\"1', "t1", "abc123", "s2", "p3", "k4"):
        assert secret not in masked
    assert '"client_secret": "********"' in masked and "grant_type=client_credentials" in masked


def test_small_bodies_are_kept_as_json_or_form_fields() -> None:
    assert capture_body(b'{"client_secret":"s","n":1}', "application/json", 100) == (
        {"client_secret": MASK, "n": 1},
        False,
    )
    form = b"grant_type=client_credentials&client_secret=s"
    assert capture_body(form, "application/x-www-form-urlencoded", 100) == (
        {"grant_type": "client_credentials", "client_secret": MASK},
        False,
    )
    assert capture_body(b"plain text", "text/plain", 100) == ("plain text", False)
    assert capture_body(b"", "application/json", 100) == (None, False)
    assert capture_body(None, "application/json", 100) == (None, False)


def test_large_bodies_are_cut_at_the_cap_after_masking() -> None:
    body = orjson.dumps({"pad": "x" * 40, "client_secret": "s" * 500})
    captured, cut = capture_body(body, "application/json", 64)
    assert cut is True and isinstance(captured, str) and len(captured) == 64
    assert "sss" not in captured
    secret_at_the_edge = orjson.dumps({"pad": "x" * 50, "access_token": "t" * 100})
    captured, _ = capture_body(secret_at_the_edge, "application/json", 80)
    assert "ttt" not in captured


def test_xml_elements_holding_secrets_are_masked() -> None:
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsse="urn:wsse"><s:Header>'
        '<fueloauth xmlns="http://exacttarget.com">tok-123</fueloauth>'
        "<wsse:Password Type='PasswordText'>pw-456</wsse:Password></s:Header>"
        "<s:Body><Name>Password reset journey</Name><MustChangePassword>false</MustChangePassword></s:Body>"
        "</s:Envelope>"
    )
    captured, cut = capture_body(envelope.encode(), "text/xml; charset=utf-8", 4096)
    assert cut is False and isinstance(captured, str)
    assert "tok-123" not in captured and "pw-456" not in captured
    assert ":fueloauth>********</" in captured and ':Password Type="PasswordText">********</' in captured
    assert "Password reset journey" in captured  # text that merely mentions a password


@pytest.mark.parametrize(
    "token",
    [
        "<![CDATA[tok-123]]>",  # a CDATA section
        "tok<!-- a comment -->-123",  # a comment inside the value
        "<![CDATA[tok]]><!-- x --><![CDATA[-123]]>",
    ],
)
def test_a_fueloauth_token_cannot_hide_from_the_mask(token: str) -> None:
    envelope = (
        '<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Header>'
        f'<fueloauth xmlns="http://exacttarget.com">{token}</fueloauth></Header><Body/></Envelope>'
    )
    for cap in (4096, 40):
        captured, _ = capture_body(envelope.encode(), "text/xml", cap)
        assert "tok" not in captured and "123" not in captured


def test_an_escaped_secret_name_in_a_large_json_body_is_masked() -> None:
    body = b'{"grant_type":"client_credentials","client_s\\u0065cret":"hunter2","pad":"' + b"x" * 9000 + b'"}'
    captured, cut = capture_body(body, "application/json", 8192)
    assert cut is True and "hunter2" not in captured and '"client_secret":"********"' in captured


def test_xml_or_json_that_does_not_parse_is_not_shown() -> None:
    broken = b"<Envelope><fueloauth><![CDATA[tok-123]]></fueloauth>"
    captured, _ = capture_body(broken, "text/xml", 4096)
    assert "tok-123" not in captured and captured.startswith("(not shown")
