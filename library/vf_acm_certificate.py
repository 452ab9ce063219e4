#!/usr/bin/python
"""Provide the ALB's ACM certificate: a given ARN, a DNS-validated request, or a self-signed import."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_acm_certificate
short_description: Use, request (DNS-validated) or import the ACM certificate of a domain
description:
  - With I(certificate_arn), checks that the certificate exists and returns it.
  - With I(hosted_zone_id), requests an ACM certificate for I(domain_name), writes its
    validation CNAME records into the Route 53 zone and waits until ACM issues it. A re-run
    finds the same certificate by its I(name) tag and changes nothing.
  - With neither, generates a self-signed certificate (the C(cryptography) package) and imports
    it into ACM; a re-run keeps it until it is within I(renew_before_days) of expiry, then
    re-imports onto the same ARN, so listeners keep pointing at it. This is what the local
    inventory uses.
options:
  name:
    description: Identity of the certificate, kept in the tag C(videoforge:certificate).
    type: str
    required: true
  domain_name:
    description: The domain (or, for a self-signed certificate, an IP address).
    type: str
  subject_alternative_names:
    description: Further names.
    type: list
    elements: str
    default: []
  certificate_arn:
    description: Use this issued certificate.
    type: str
    default: ""
  hosted_zone_id:
    description: Route 53 zone for DNS validation of a requested certificate.
    type: str
    default: ""
  validity_days:
    description: Lifetime of a self-signed certificate.
    type: int
    default: 365
  renew_before_days:
    description: Re-import a self-signed certificate this many days before it expires.
    type: int
    default: 30
  wait_timeout:
    description: Seconds to wait for ACM to issue a requested certificate (0 to not wait).
    type: int
    default: 900
  state:
    description: C(present) or C(absent) (deletes the certificate carrying the I(name) tag).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags of a requested or imported certificate.
    type: dict
    default: {}
extends_documentation_fragment: [vf_aws]
author: VideoForge
"""

EXAMPLES = r"""
- name: Request and validate the site's certificate
  vf_acm_certificate:
    name: video-forge-site
    domain_name: video-forge.cab432.com
    hosted_zone_id: Z0123456789
  register: certificate

- name: Self-signed certificate for the local stack
  vf_acm_certificate:
    name: video-forge-site
    domain_name: 127.0.0.1
"""

RETURN = r"""
certificate_arn:
  description: The certificate's ARN (empty in check mode when it would be created).
  returned: always
  type: str
status:
  description: ACM's status (C(ISSUED), C(PENDING_VALIDATION)...).
  returned: always
  type: str
source:
  description: C(given), C(requested) or C(imported).
  returned: always
  type: str
"""

import datetime
import ipaddress

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_acm import (
    NAME_TAG,
    certificate_plan,
    newest_certificate,
    validation_records,
    validation_upserts,
)
from ansible.module_utils.vf_aws import AwsError, tags_to_dict
from ansible.module_utils.vf_module import ReconcileError, module_args, reconcile

OPTIONS = {
    "name": {"type": "str", "required": True},
    "domain_name": {"type": "str"},
    "subject_alternative_names": {"type": "list", "elements": "str", "default": []},
    "certificate_arn": {"type": "str", "default": ""},
    "hosted_zone_id": {"type": "str", "default": ""},
    "validity_days": {"type": "int", "default": 365},
    "renew_before_days": {"type": "int", "default": 30},
    "wait_timeout": {"type": "int", "default": 900},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "tags": {"type": "dict", "default": {}},
}
ISSUED_OR_NOT = ("ISSUED", "FAILED", "VALIDATION_TIMED_OUT")


def read(aws, p: dict) -> dict:
    """The given certificate, or ours (found by name tag) and the validation records it lacks."""
    acm = aws("acm")
    if p["certificate_arn"]:
        try:
            return {
                "given": acm.call("describe_certificate", CertificateArn=p["certificate_arn"])["Certificate"]
            }
        except AwsError as err:
            if err.code == "ResourceNotFoundException":
                raise ReconcileError(f"certificate {p['certificate_arn']} does not exist in ACM") from err
            raise
    kind = "AMAZON_ISSUED" if p["hosted_zone_id"] else "IMPORTED"
    cert = newest_certificate(find_certificates(acm, p["name"]), kind)
    found = {"certificate": cert, "upserts": [], "now": datetime.datetime.now(datetime.UTC)}
    if cert and kind == "AMAZON_ISSUED" and p["state"] == "present" and cert.get("Status") != "ISSUED":
        found["upserts"] = missing_records(aws, p, wait_for_records(acm, cert["CertificateArn"]))
        if not found["upserts"] and p["wait_timeout"] and not aws.check_mode:
            found["certificate"] = wait_issued(acm, p, cert["CertificateArn"])
    return found


def find_certificates(acm, name: str) -> list[dict]:
    """describe_certificate of every certificate carrying our name tag."""
    summaries = acm.paginate(
        "list_certificates",
        "CertificateSummaryList",
        Includes={"keyTypes": ["RSA_2048", "EC_prime256v1", "RSA_4096"]},
    )
    ours = []
    for summary in summaries:
        arn = summary["CertificateArn"]
        tags = tags_to_dict(acm.call("list_tags_for_certificate", CertificateArn=arn).get("Tags"))
        if tags.get(NAME_TAG) == name:
            ours.append(acm.call("describe_certificate", CertificateArn=arn)["Certificate"])
    return ours


def wait_for_records(acm, arn: str) -> dict:
    """ACM publishes the validation records a little after the request."""
    return acm.wait_until(
        lambda: acm.call("describe_certificate", CertificateArn=arn)["Certificate"],
        lambda c: bool(validation_records(c)) or c.get("Status") == "ISSUED",
        120,
        f"ACM to publish the validation records of {arn}",
    )


def wait_issued(acm, p: dict, arn: str) -> dict:
    """Wait until ACM issues the certificate (or gives up on it)."""
    return acm.wait_until(
        lambda: acm.call("describe_certificate", CertificateArn=arn)["Certificate"],
        lambda c: c.get("Status") in ISSUED_OR_NOT,
        p["wait_timeout"],
        f"ACM to issue {arn} (is zone {p['hosted_zone_id']} authoritative for {p['domain_name']}?)",
        interval=10,
    )


def missing_records(aws, p: dict, cert: dict) -> list[dict]:
    """The UPSERTs the hosted zone needs for the certificate's validation records."""
    route53, existing = aws("route53"), {}
    for record in validation_records(cert):
        found = route53.call(
            "list_resource_record_sets",
            HostedZoneId=p["hosted_zone_id"],
            StartRecordName=record["Name"],
            StartRecordType="CNAME",
            MaxItems="1",
        )["ResourceRecordSets"]
        for rrset in found:
            if rrset["Type"] == "CNAME":
                existing[rrset["Name"].rstrip(".")] = [r["Value"] for r in rrset.get("ResourceRecords", [])]
    return validation_upserts(validation_records(cert), existing)


def apply(aws, plan, p: dict) -> dict:
    """Import, or request the certificate and write its validation records (deleting is one call)."""
    acm, steps = aws("acm"), plan.steps
    if "import" in steps:
        body, key = self_signed(p["domain_name"], p["subject_alternative_names"], p["validity_days"])
        arn = acm.call("import_certificate", Certificate=body, PrivateKey=key, **steps["import"])[
            "CertificateArn"
        ]
        cert = acm.call("describe_certificate", CertificateArn=arn)["Certificate"]
        return {"certificate_arn": arn, "status": cert.get("Status", "ISSUED")}
    out = {"changes": list(plan.changes)}
    if "request" in steps:
        arn = acm.call("request_certificate", **steps["request"])["CertificateArn"]
        steps["upserts"] = missing_records(aws, p, wait_for_records(acm, arn))
        out["changes"] += ["write validation records"] if steps["upserts"] else []
    else:
        arn = plan.result["certificate_arn"]
    if steps["upserts"]:
        batch = {"Changes": steps["upserts"], "Comment": f"ACM validation of {p['domain_name']}"}
        aws("route53").call(
            "change_resource_record_sets", HostedZoneId=p["hosted_zone_id"], ChangeBatch=batch
        )
    out.update(
        certificate_arn=arn,
        status=acm.call("describe_certificate", CertificateArn=arn)["Certificate"]["Status"],
    )
    if p["wait_timeout"] and out["status"] != "ISSUED":
        out["status"] = wait_issued(acm, p, arn)["Status"]
        if out["status"] != "ISSUED":
            raise ReconcileError(f"certificate {arn} was not issued: {out['status']}", **out)
    return out


def self_signed(domain: str, alternatives: list[str], days: int) -> tuple[bytes, bytes]:
    """A self-signed certificate and its key (PEM) for ``domain`` (a name or an IP address)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    names = []
    for value in [domain, *alternatives]:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(value)))
        except ValueError:
            names.append(x509.DNSName(value))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def main() -> None:
    """Use, request or import the site's certificate."""
    module = AnsibleModule(**module_args(OPTIONS, state=False, tags=False))
    reconcile(module, read, certificate_plan, apply)


if __name__ == "__main__":
    main()
