"""The SQS read and apply steps of vf_sqs_queue (what it compares is pure, in vf_sqs)."""

from __future__ import annotations

from ansible.module_utils.vf_aws import AwsError, apply_tags
from ansible.module_utils.vf_sqs import (
    REDRIVE_ALLOW_UNSUPPORTED,
    declared_options,
    desired_attributes,
    shown_attributes,
)

MISSING = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})

DELETED_RECENTLY = frozenset({"AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently"})


def read_queue(sqs, name: str) -> tuple[str | None, dict, dict]:
    """(URL, attributes, tags) of queue ``name``; (None, {}, {}) when it does not exist."""
    try:
        url = sqs.call("get_queue_url", QueueName=name)["QueueUrl"]
    except AwsError as err:
        if err.code in MISSING:
            return None, {}, {}
        raise
    attrs = sqs.call("get_queue_attributes", QueueUrl=url, AttributeNames=["All"]).get("Attributes", {})
    return url, attrs, sqs.call("list_queue_tags", QueueUrl=url).get("Tags") or {}


def supports_redrive_allow(sqs, url: str) -> bool:
    """AWS omits RedriveAllowPolicy when none is set; an endpoint without the feature (moto)
    refuses to be asked for it by name."""
    try:
        sqs.call("get_queue_attributes", QueueUrl=url, AttributeNames=["RedriveAllowPolicy"])
    except AwsError as err:
        if err.code in ("InvalidAttributeName", "InvalidParameterValue"):
            return False
        raise
    return True


def read_sqs_queue(aws, p: dict) -> dict:
    """The queue, and the ARN of its dead-letter queue when that is named."""
    sqs = aws("sqs")
    url, attrs, tags = read_queue(sqs, p["name"])
    dlq = p["dead_letter_queue"]
    dead_letter_arn = dlq if dlq and dlq.startswith("arn:") else None
    if dlq and not dead_letter_arn and p["state"] == "present":
        dead_letter_arn = read_queue(sqs, dlq)[1].get("QueueArn")
    supported = bool(url) and ("RedriveAllowPolicy" in attrs or supports_redrive_allow(sqs, url))
    return {
        "url": url,
        "attributes": attrs,
        "tags": tags,
        "dead_letter_arn": dead_letter_arn,
        "redrive_allow_supported": supported,
    }


def apply_sqs_queue(aws, plan, p: dict) -> dict:
    """Create (then set its allow policy, which names its own ARN), or update the queue."""
    sqs, steps = aws("sqs"), plan.steps
    url = plan.result["queue_url"]
    if url:
        if steps["attributes"]:
            sqs.call("set_queue_attributes", QueueUrl=url, Attributes=steps["attributes"])
        apply_tags(sqs, "sqs", url, steps["tags"]["set"], steps["tags"]["remove"])
        return {}
    create = {"QueueName": p["name"], "Attributes": steps["attributes"]}
    if p["tags"]:
        create["tags"] = {k: str(v) for k, v in p["tags"].items()}
    url = sqs.call("create_queue", retry_codes=DELETED_RECENTLY, **create)["QueueUrl"]
    created = sqs.wait_until(
        lambda: sqs.call("get_queue_attributes", QueueUrl=url, AttributeNames=["QueueArn"]),
        lambda r: bool(r.get("Attributes", {}).get("QueueArn")),
        60,
        f"queue {p['name']} to exist",
        1.0,
    )
    own_arn = created["Attributes"]["QueueArn"]
    out = {"queue_url": url, "queue_arn": own_arn}
    if steps["pending_allow"] and not supports_redrive_allow(sqs, url):
        plan.warnings.append(REDRIVE_ALLOW_UNSUPPORTED.format(name=p["name"]))
    elif steps["pending_allow"]:
        policy = desired_attributes(
            {"redrive_allow_policy": declared_options(p, own_arn, None)["redrive_allow_policy"]}
        )
        sqs.call("set_queue_attributes", QueueUrl=url, Attributes=policy)
        everything = {**steps["attributes"], **policy}
        out["attributes"] = shown_attributes(everything, everything)
    return out
