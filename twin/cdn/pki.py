"""The CDN twin's certificate: a local certificate authority kept under the state dir, and
the site's certificate it signs.

The twin is the site, so its authority is the one a person accepts (or trusts once:
``<state>/cdn/pki/root.crt``). It is the twin's own rather than Caddy's: Caddy makes its
authority lazily, inside its own storage layout, and with the CDN switched off the twin
does not run at all; the twin's does not depend on either. The authority lives ten years
(like Caddy's root); the site certificate a year, and is made again at start when it has
less than thirty days left or does not name every site name.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT_DAYS = 3650
SITE_DAYS = 365
RENEW_DAYS = 30


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    tmp.replace(path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _authority(pki: Path, now: dt.datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    crt, key = pki / "root.crt", pki / "root.key"
    if crt.exists() and key.exists():
        cert = x509.load_pem_x509_certificate(crt.read_bytes())
        if cert.not_valid_after_utc - now > dt.timedelta(days=RENEW_DAYS):
            return cert, serialization.load_pem_private_key(key.read_bytes(), password=None)
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "VideoForge local CDN authority")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=ROOT_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private.public_key()), critical=False)
        .sign(private, hashes.SHA256())
    )
    _write(key, _key_pem(private), 0o600)
    _write(crt, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert, private


def _usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip


def _san(names: tuple[str, ...]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _site_is_good(crt: Path, root: x509.Certificate, names: tuple[str, ...], now: dt.datetime) -> bool:
    if not crt.exists():
        return False
    cert = x509.load_pem_x509_certificate(crt.read_bytes())
    named = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return (
        cert.issuer == root.subject
        and cert.not_valid_after_utc - now > dt.timedelta(days=RENEW_DAYS)
        and set(_san(names)) <= set(named)
    )


def ensure(pki: Path, names: tuple[str, ...]) -> tuple[Path, Path]:
    """The site certificate and key files for ``names``, made (with the authority) if needed."""
    pki.mkdir(parents=True, exist_ok=True)
    os.chmod(pki, 0o700)
    now = dt.datetime.now(dt.UTC)
    root, root_key = _authority(pki, now)
    crt, key = pki / "site.crt", pki / "site.key"
    if _site_is_good(crt, root, names, now) and key.exists():
        return crt, key
    private = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(root.subject)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SITE_DAYS))
        .add_extension(_san(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    _write(key, _key_pem(private), 0o600)
    _write(crt, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return crt, key
