"""What the reconcile benchmark's baseline needs: the public AWS collections and a certificate.

The collections are exactly those the ansible 12.3.0 wheel bundles (amazon.aws 10.1.2,
community.aws 10.0.0): the wheel is downloaded once with pip into bench/.downloads, checked
against its pinned sha256, and only those two collections are extracted into bench/.collections
(both gitignored).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WHEEL = "ansible-12.3.0-py3-none-any.whl"
WHEEL_SHA256 = "cd156f82fa87f7a899212b0efa9f7ca3a24d609212de9f78428a572eb01e5414"
COLLECTIONS = {"amazon/aws": "10.1.2", "community/aws": "10.0.0"}
DOWNLOADS, COLLECTIONS_DIR = HERE / ".downloads", HERE / ".collections"


def collections() -> Path:
    """The directory to put in ANSIBLE_COLLECTIONS_PATH."""
    marker = COLLECTIONS_DIR / ".from"
    if marker.exists() and marker.read_text() == WHEEL_SHA256:
        return COLLECTIONS_DIR
    wheel = DOWNLOADS / WHEEL
    if not wheel.exists():
        DOWNLOADS.mkdir(parents=True, exist_ok=True)
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "ansible==12.3.0"]
        subprocess.run([*pip, "-d", str(DOWNLOADS)], check=True)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise RuntimeError(f"{wheel}: sha256 {digest}, expected {WHEEL_SHA256}")
    shutil.rmtree(COLLECTIONS_DIR, ignore_errors=True)
    with zipfile.ZipFile(wheel) as whl:
        for name in COLLECTIONS:
            prefix = f"ansible_collections/{name}/"
            whl.extractall(COLLECTIONS_DIR, [n for n in whl.namelist() if n.startswith(prefix)])
    for name, version in COLLECTIONS.items():
        manifest = json.loads((COLLECTIONS_DIR / "ansible_collections" / name / "MANIFEST.json").read_text())
        if manifest["collection_info"]["version"] != version:
            raise RuntimeError(f"{name} is {manifest['collection_info']['version']}, expected {version}")
    marker.write_text(WHEEL_SHA256)
    return COLLECTIONS_DIR


def certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as the local edge imports into ACM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pkcs8 = serialization.PrivateFormat.PKCS8
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, pkcs8, serialization.NoEncryption()))
    return cert_file, key_file
