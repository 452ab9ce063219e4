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
notes:
  - Supports check mode and diff mode. In check mode no call changes anything.
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
changes:
  description: What differs (request, import, reimport, validation records).
  returned: always
  type: list
  elements: str
"""

import datetime
import ipaddress

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    connect,
    connect_from_params,
    dict_to_tags,
    fail_with,
    require_boto3,
    tags_to_dict,
)

NAME_TAG = "videoforge:certificate"


def find_certificate(acm, name: str, kind: str) -> dict | None:
    """The newest certificate of ``kind`` (IMPORTED / AMAZON_ISSUED) tagged with ``name``."""
    summaries = acm.paginate(
        "list_certificates",
        "CertificateSummaryList",
        Includes={"keyTypes": ["RSA_2048", "EC_prime256v1", "RSA_4096"]},
    )
    found = []
    for summary in summaries:
        arn = summary["CertificateArn"]
        tags = tags_to_dict(acm.call("list_tags_for_certificate", CertificateArn=arn).get("Tags"))
        if tags.get(NAME_TAG) != name:
            continue
        cert = acm.call("describe_certificate", CertificateArn=arn)["Certificate"]
        if cert.get("Type") == kind and cert.get("Status") not in (
            "FAILED",
            "REVOKED",
            "VALIDATION_TIMED_OUT",
        ):
            found.append(cert)
    found.sort(key=lambda c: str(c.get("CreatedAt") or c.get("ImportedAt") or ""))
    return found[-1] if found else None


def needs_reimport(cert: dict, renew_before_days: int, now: datetime.datetime) -> bool:
    not_after = cert.get("NotAfter")
    if not isinstance(not_after, datetime.datetime):
        return True
    if not_after.tzinfo is None:
        not_after = not_after.replace(tzinfo=datetime.UTC)
    return not_after - now < datetime.timedelta(days=renew_before_days)


def self_signed(domain: str, alternatives: list[str], days: int) -> tuple[bytes, bytes]:
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


def validation_records(cert: dict) -> list[dict]:
    records = {}
    for option in cert.get("DomainValidationOptions") or []:
        record = option.get("ResourceRecord")
        if record:
            records[record["Name"]] = record
    return [records[k] for k in sorted(records)]


def record_changes(route53, zone_id: str, records: list[dict]) -> list[dict]:
    """The UPSERTs needed so every validation CNAME exists with its value."""
    upserts = []
    for record in records:
        name = record["Name"]
        existing = route53.call(
            "list_resource_record_sets",
            HostedZoneId=zone_id,
            StartRecordName=name,
            StartRecordType="CNAME",
            MaxItems="1",
        )["ResourceRecordSets"]
        have = [
            r["Value"]
            for e in existing
            if e["Name"].rstrip(".") == name.rstrip(".") and e["Type"] == "CNAME"
            for r in e.get("ResourceRecords", [])
        ]
        if have != [record["Value"]]:
            upserts.append(
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": name,
                        "Type": "CNAME",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": record["Value"]}],
                    },
                }
            )
    return upserts


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        domain_name={"type": "str"},
        subject_alternative_names={"type": "list", "elements": "str", "default": []},
        certificate_arn={"type": "str", "default": ""},
        hosted_zone_id={"type": "str", "default": ""},
        validity_days={"type": "int", "default": 365},
        renew_before_days={"type": "int", "default": 30},
        wait_timeout={"type": "int", "default": 900},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        tags={"type": "dict", "default": {}},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    require_boto3(module.fail_json)
    p = module.params
    name = p["name"]
    acm = connect_from_params("acm", p)
    result: dict = {
        "name": name,
        "changed": False,
        "changes": [],
        "certificate_arn": "",
        "status": "",
        "source": "",
    }
    tags = dict_to_tags({**p["tags"], NAME_TAG: name})
    try:
        if p["certificate_arn"]:
            try:
                cert = acm.call("describe_certificate", CertificateArn=p["certificate_arn"])["Certificate"]
            except AwsError as err:
                if err.code == "ResourceNotFoundException":
                    module.fail_json(msg=f"certificate {p['certificate_arn']} does not exist in ACM")
                raise
            module.exit_json(
                **{
                    **result,
                    "certificate_arn": cert["CertificateArn"],
                    "status": cert["Status"],
                    "source": "given",
                }
            )

        kind = "AMAZON_ISSUED" if p["hosted_zone_id"] else "IMPORTED"
        current = find_certificate(acm, name, kind)
        if current:
            result.update(certificate_arn=current["CertificateArn"], status=current.get("Status", ""))

        if p["state"] == "absent":
            if current:
                result.update(
                    changed=True,
                    changes=["delete"],
                    diff={"before": {"arn": current["CertificateArn"]}, "after": {}},
                )
                if not module.check_mode:
                    acm.call("delete_certificate", CertificateArn=current["CertificateArn"])
            module.exit_json(**result)

        if not p["domain_name"]:
            module.fail_json(msg="domain_name is required unless certificate_arn is given")

        if kind == "IMPORTED":
            result["source"] = "imported"
            now = datetime.datetime.now(datetime.UTC)
            if current and not needs_reimport(current, p["renew_before_days"], now):
                module.exit_json(**result)
            result["changes"] = ["reimport (expires soon)"] if current else ["import self-signed certificate"]
            result.update(
                changed=True,
                diff={
                    "before": {"arn": current["CertificateArn"], "not_after": str(current.get("NotAfter"))}
                    if current
                    else {},
                    "after": {"domain_name": p["domain_name"], "validity_days": p["validity_days"]},
                },
            )
            if module.check_mode:
                module.exit_json(**result)
            body, key = self_signed(p["domain_name"], p["subject_alternative_names"], p["validity_days"])
            params = {"Certificate": body, "PrivateKey": key}
            if current:
                params["CertificateArn"] = current["CertificateArn"]
            else:
                params["Tags"] = tags
            arn = acm.call("import_certificate", **params)["CertificateArn"]
            cert = acm.call("describe_certificate", CertificateArn=arn)["Certificate"]
            module.exit_json(**{**result, "certificate_arn": arn, "status": cert.get("Status", "ISSUED")})

        # Requested and validated by DNS in the given zone.
        result["source"] = "requested"
        route53 = connect("route53", p.get("region"), p.get("endpoint_url"), p["retries"])
        changes: list[str] = []
        if current is None:
            changes.append("request certificate")
            result.update(
                changed=True,
                changes=changes,
                diff={"before": {}, "after": {"domain_name": p["domain_name"], "validation": "DNS"}},
            )
            if module.check_mode:
                module.exit_json(**result)
            request = {
                "DomainName": p["domain_name"],
                "ValidationMethod": "DNS",
                "IdempotencyToken": name.replace("-", "")[:32] or "videoforge",
                "Tags": tags,
            }
            if p["subject_alternative_names"]:
                request["SubjectAlternativeNames"] = p["subject_alternative_names"]
            arn = acm.call("request_certificate", **request)["CertificateArn"]
        else:
            arn = current["CertificateArn"]
        result["certificate_arn"] = arn
        if current is not None and current.get("Status") == "ISSUED":
            module.exit_json(**result)
        # ACM fills in the validation records a little after the request.
        cert = acm.wait_until(
            lambda: acm.call("describe_certificate", CertificateArn=arn)["Certificate"],
            lambda c: bool(validation_records(c)) or c.get("Status") == "ISSUED",
            120,
            f"ACM to publish the validation records of {arn}",
        )
        upserts = record_changes(route53, p["hosted_zone_id"], validation_records(cert))
        if upserts:
            changes.append("write validation records")
            result.update(changed=True, changes=changes)
            if module.check_mode:
                module.exit_json(**result)
            route53.call(
                "change_resource_record_sets",
                HostedZoneId=p["hosted_zone_id"],
                ChangeBatch={"Changes": upserts, "Comment": f"ACM validation of {p['domain_name']}"},
            )
        result["status"] = cert.get("Status", "")
        if p["wait_timeout"] and not module.check_mode and result["status"] != "ISSUED":
            cert = acm.wait_until(
                lambda: acm.call("describe_certificate", CertificateArn=arn)["Certificate"],
                lambda c: c.get("Status") in ("ISSUED", "FAILED", "VALIDATION_TIMED_OUT"),
                p["wait_timeout"],
                f"ACM to issue {arn} (is zone {p['hosted_zone_id']} authoritative for {p['domain_name']}?)",
                interval=10,
            )
            result["status"] = cert["Status"]
            if cert["Status"] != "ISSUED":
                module.fail_json(msg=f"certificate {arn} was not issued: {cert['Status']}", **result)
        module.exit_json(**result)
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


if __name__ == "__main__":
    main()
