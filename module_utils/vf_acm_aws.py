"""The ACM read and apply steps of vf_acm_certificate (what it compares is pure, in vf_acm)."""

from __future__ import annotations

import datetime
import ipaddress

from ansible.module_utils.vf_acm import (
    NAME_TAG,
    newest_certificate,
    validation_records,
    validation_upserts,
)
from ansible.module_utils.vf_aws import AwsError, tags_to_dict
from ansible.module_utils.vf_module import ReconcileError

ISSUED_OR_NOT = ("ISSUED", "FAILED", "VALIDATION_TIMED_OUT")


def read_certificate(aws, p: dict) -> dict:
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


def apply_certificate(aws, plan, p: dict) -> dict:
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
