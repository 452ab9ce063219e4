"""Pure functions for the site's ACM certificate: which one is ours, when a self-signed one is
re-imported, which DNS validation records are missing, and the plan of vf_acm_certificate."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_aws import dict_to_tags
from ansible.module_utils.vf_module import Call, Plan, ReconcileError, deletion

NAME_TAG = "videoforge:certificate"
UNUSABLE = ("FAILED", "REVOKED", "VALIDATION_TIMED_OUT")


def newest_certificate(described: list[Mapping[str, Any]], kind: str) -> dict[str, Any] | None:
    """Of describe_certificate's entries (all carrying our name tag), the newest usable one of
    ``kind`` (``IMPORTED`` or ``AMAZON_ISSUED``)."""
    found = [c for c in described if c.get("Type") == kind and c.get("Status") not in UNUSABLE]
    found.sort(key=lambda c: str(c.get("CreatedAt") or c.get("ImportedAt") or ""))
    return dict(found[-1]) if found else None


def needs_reimport(cert: Mapping[str, Any], renew_before_days: int, now: datetime.datetime) -> bool:
    """Whether a self-signed certificate expires within ``renew_before_days`` of ``now``."""
    not_after = cert.get("NotAfter")
    if not isinstance(not_after, datetime.datetime):
        return True
    if not_after.tzinfo is None:
        not_after = not_after.replace(tzinfo=datetime.UTC)
    return not_after - now < datetime.timedelta(days=renew_before_days)


def validation_records(cert: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The DNS validation CNAMEs ACM asks for, one per name (SANs may share one)."""
    records = {}
    for option in cert.get("DomainValidationOptions") or []:
        record = option.get("ResourceRecord")
        if record:
            records[record["Name"]] = record
    return [records[k] for k in sorted(records)]


def validation_upserts(records: list[Mapping[str, Any]], existing: Mapping[str, list[str]]) -> list[dict]:
    """The Route 53 UPSERTs so every validation CNAME exists with its value. ``existing``:
    record name (without the trailing dot) -> the values the zone has for it."""
    upserts = []
    for record in records:
        if existing.get(record["Name"].rstrip(".")) != [record["Value"]]:
            rrset = {"Name": record["Name"], "Type": "CNAME", "TTL": 300}
            rrset["ResourceRecords"] = [{"Value": record["Value"]}]
            upserts.append({"Action": "UPSERT", "ResourceRecordSet": rrset})
    return upserts


def certificate_tags(p: Mapping[str, Any]) -> list[dict[str, str]]:
    """A requested or imported certificate's tags: the declared ones and our name tag."""
    return dict_to_tags({**p["tags"], NAME_TAG: p["name"]})


def request_params(p: Mapping[str, Any]) -> dict[str, Any]:
    """request_certificate's arguments. The idempotency token makes a retried request (after a
    timeout) return the same certificate instead of a second one."""
    request = {
        "DomainName": p["domain_name"],
        "ValidationMethod": "DNS",
        "IdempotencyToken": p["name"].replace("-", "")[:32] or "videoforge",
        "Tags": certificate_tags(p),
    }
    if p["subject_alternative_names"]:
        request["SubjectAlternativeNames"] = p["subject_alternative_names"]
    return request


def certificate_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do about the certificate. ``current``: ``given`` (the described I(certificate_arn)),
    or ``certificate`` (ours of the wanted kind, or None), ``upserts`` and ``now``."""
    given = current.get("given")
    if given:
        return Plan(
            result={"certificate_arn": given["CertificateArn"], "status": given["Status"], "source": "given"}
        )
    cert = current["certificate"]
    result = {"name": p["name"], "certificate_arn": "", "status": "", "source": ""}
    if cert:
        result.update(certificate_arn=cert["CertificateArn"], status=cert.get("Status", ""))
    if p["state"] == "absent":
        delete = Call("acm", "delete_certificate", {"CertificateArn": result["certificate_arn"]})
        return deletion(result, {"arn": cert["CertificateArn"]} if cert else None, delete)
    if not p["domain_name"]:
        raise ReconcileError("domain_name is required unless certificate_arn is given", **result)
    if not p["hosted_zone_id"]:
        return _import_plan(cert, p, current["now"], {**result, "source": "imported"})
    result["source"] = "requested"
    if cert is None:
        after = {"domain_name": p["domain_name"], "validation": "DNS"}
        return Plan(["request certificate"], {}, after, result, {"request": request_params(p)})
    if cert.get("Status") in UNUSABLE:
        raise ReconcileError(
            f"certificate {cert['CertificateArn']} was not issued: {cert['Status']}", **result
        )
    if not current["upserts"]:
        return Plan(result=result)
    names = sorted(u["ResourceRecordSet"]["Name"] for u in current["upserts"])
    return Plan(
        ["write validation records"],
        {},
        {"validation_records": names},
        result,
        {"upserts": current["upserts"]},
    )


def _import_plan(cert, p: Mapping[str, Any], now: datetime.datetime, result: dict) -> Plan:
    if cert and not needs_reimport(cert, p["renew_before_days"], now):
        return Plan(result=result)
    before = {"arn": cert["CertificateArn"], "not_after": str(cert.get("NotAfter"))} if cert else {}
    after = {"domain_name": p["domain_name"], "validity_days": p["validity_days"]}
    changes = ["reimport (expires soon)"] if cert else ["import self-signed certificate"]
    steps = {"import": {"CertificateArn": cert["CertificateArn"]} if cert else {"Tags": certificate_tags(p)}}
    return Plan(changes, before, after, result, steps)
