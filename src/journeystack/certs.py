"""`journeystack certs DIR`: a throw-away local CA and a server certificate for the faithful setup
(SFMC host names mapped to 127.0.0.1 in the hosts file, TLS on port 443).

The CA's private key is never written: once the server certificate is signed, nothing else can
ever be signed by that CA, so trusting `ca.pem` (NODE_EXTRA_CA_CERTS) trusts this one certificate.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# A tenant subdomain as SFMC issues them (sfmc-sdk insists on exactly 28 characters of [0-9a-z-]).
DEFAULT_TENANT = "mc-journeystack-local-000000"
TENANT_PATTERN = re.compile(r"[0-9a-z-]{28}")
VALID_DAYS = 365


@dataclass(frozen=True, slots=True)
class CertificateFiles:
    ca: Path  # the CA certificate clients trust
    cert: Path  # the server certificate
    key: Path  # the server's private key (mode 0600)
    names: tuple[str, ...]


def tenant_hosts(tenant: str) -> list[str]:
    """The three SFMC host names of a tenant. Raises ValueError for a malformed tenant."""
    if not TENANT_PATTERN.fullmatch(tenant):
        raise ValueError(f"the tenant subdomain must be exactly 28 characters of [0-9a-z-], not {tenant!r}")
    return [f"{tenant}.{kind}.marketingcloudapis.com" for kind in ("auth", "rest", "soap")]


def make_certificates(
    directory: Path, *, tenant: str = DEFAULT_TENANT, now: datetime.datetime | None = None
) -> CertificateFiles:
    """Write ca.pem, cert.pem and key.pem into `directory` (created if needed). Raises ValueError."""
    dns_names = ["localhost", *tenant_hosts(tenant)]
    moment = now or datetime.datetime.now(datetime.UTC)
    not_before = moment - datetime.timedelta(minutes=5)
    not_after = moment + datetime.timedelta(days=VALID_DAYS)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "journeystack throw-away local CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    server_key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    alt_names += [x509.DNSName(name) for name in dns_names]
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_names[1])]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    directory.mkdir(parents=True, exist_ok=True)
    files = CertificateFiles(
        ca=directory / "ca.pem",
        cert=directory / "cert.pem",
        key=directory / "key.pem",
        names=("127.0.0.1", *dns_names),
    )
    files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    key_bytes = server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(files.key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_bytes)
    os.chmod(files.key, 0o600)
    return files
