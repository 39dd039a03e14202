"""`journeystack certs`: the throw-away CA and the server certificate for the SFMC host names."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from journeystack.certs import DEFAULT_TENANT, make_certificates, tenant_hosts
from journeystack.cli import main


def test_default_tenant_is_28_characters_sfmc_sdk_accepts() -> None:
    assert len(DEFAULT_TENANT) == 28
    assert set(DEFAULT_TENANT) <= set("0123456789abcdefghijklmnopqrstuvwxyz-")


def test_certificate_names_every_host_and_the_ca_signs_it(tmp_path: Path) -> None:
    files = make_certificates(tmp_path / "out")
    ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())

    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert names.get_values_for_type(x509.DNSName) == [
        "localhost",
        f"{DEFAULT_TENANT}.auth.marketingcloudapis.com",
        f"{DEFAULT_TENANT}.rest.marketingcloudapis.com",
        f"{DEFAULT_TENANT}.soap.marketingcloudapis.com",
    ]
    cert.verify_directly_issued_by(ca)  # raises unless the CA's key signed it
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert (
        x509.oid.ExtendedKeyUsageOID.SERVER_AUTH
        in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    )

    key = serialization.load_pem_private_key(files.key.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()  # type: ignore[union-attr]
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    # The CA's key is thrown away: only the three files exist.
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ca.pem", "cert.pem", "key.pem"]


def test_other_tenant_and_refused_tenants(tmp_path: Path) -> None:
    tenant = "abcdefghijklmnopqrstuvwxyz01"
    cert = x509.load_pem_x509_certificate(make_certificates(tmp_path, tenant=tenant).cert.read_bytes())
    dns = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert f"{tenant}.soap.marketingcloudapis.com" in dns.get_values_for_type(x509.DNSName)
    for bad in ("short", DEFAULT_TENANT + "x", DEFAULT_TENANT.upper(), "mc_journeystack_local_000000"):
        with pytest.raises(ValueError, match="28 characters"):
            tenant_hosts(bad)


def test_certs_command_writes_the_files_and_says_how_to_use_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["certs", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert "NODE_EXTRA_CA_CERTS=" in out and "--tls-cert" in out and DEFAULT_TENANT in out
    assert {p.name for p in (tmp_path / "c").iterdir()} == {"ca.pem", "cert.pem", "key.pem"}
    assert main(["certs", str(tmp_path / "d"), "--tenant", "too-short"]) == 2
    assert "28 characters" in capsys.readouterr().err
