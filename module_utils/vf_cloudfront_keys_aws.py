"""The reads and writes of vf_cloudfront_signing_key: CloudFront public keys and the key group,
and the private halves as SSM SecureStrings (what it decides is pure, in vf_cloudfront_keys).

A private key is made here, written once to SSM and never read back, returned or logged: the
module's results name the parameter, not its value. The private half is written before its
public key is trusted, so the signer never names a key CloudFront would refuse.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ansible.module_utils.vf_aws import Aws
from ansible.module_utils.vf_cloudfront_aws import STILL_REFERENCED, marker_pages, paged_items
from ansible.module_utils.vf_cloudfront_keys import parameter_name
from ansible.module_utils.vf_module import Plan

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
except ImportError:  # pragma: no cover - cryptography is in requirements.txt
    rsa = None


def read_signing_key(aws: Aws, p: dict) -> dict[str, Any]:
    """Our public keys, the names of the private halves under the path, the key group, and now."""
    cf, ssm = aws("cloudfront"), aws("ssm")
    keys = paged_items(cf, "list_public_keys", "PublicKeyList")
    path = p["parameter_path"].rstrip("/")
    one_level = [{"Key": "Path", "Option": "OneLevel", "Values": [path]}]
    described = ssm.paginate("describe_parameters", "Parameters", ParameterFilters=one_level)
    groups = [g["KeyGroup"] for g in marker_pages(cf, "list_key_groups", "KeyGroupList")]
    return {
        "keys": keys,
        "parameters": [d["Name"].removeprefix(path + "/") for d in described],
        "group": next((g for g in groups if g["KeyGroupConfig"]["Name"] == p["key_group"]), None),
        "now": datetime.now(UTC),
    }


def new_key_pair() -> tuple[str, str]:
    """(private PEM, PKCS#8, unencrypted; public PEM, SubjectPublicKeyInfo): RSA 2048, the key
    CloudFront verifies signed URLs and cookies with."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


def make_generation(aws: Aws, name: str, p: dict) -> str:
    """A new pair: the private half to SSM (never overwriting one), then the public key. The
    public key's id (the key pair id signers name)."""
    private, public = new_key_pair()
    aws.hide(private)
    parameter = parameter_name(p["parameter_path"], name)
    tags = [{"Key": k, "Value": str(v)} for k, v in sorted(p["tags"].items())]
    aws("ssm").call(
        "put_parameter",
        Name=parameter,
        Value=private,
        Type="SecureString",
        Description="CloudFront signing key (private half); its public key is " + name,
        Overwrite=False,
        **({"Tags": tags} if tags else {}),
    )
    config = {
        "CallerReference": name,
        "Name": name,
        "EncodedKey": public,
        "Comment": f"private half: {parameter}",
    }
    return aws("cloudfront").call("create_public_key", PublicKeyConfig=config)["PublicKey"]["Id"]


def apply_signing_key(aws: Aws, plan: Plan, p: dict) -> dict[str, Any]:
    """Make the new generation, set the key group's keys, then remove what is retired."""
    cf, steps = aws("cloudfront"), plan.steps
    if "delete_group" in steps:
        return remove_everything(aws, steps)
    ids = {k["Name"]: k["Id"] for k in paged_items(cf, "list_public_keys", "PublicKeyList")}
    out: dict[str, Any] = {}
    if steps["generate"]:
        ids[steps["generate"]] = out["key_pair_id"] = make_generation(aws, steps["generate"], p)
    config = {"Name": p["key_group"], "Items": [ids[name] for name in steps["trust"]]}
    group = steps["group"]
    if group is None:
        out["key_group_id"] = cf.call("create_key_group", KeyGroupConfig=config)["KeyGroup"]["Id"]
    elif set(group["KeyGroupConfig"].get("Items") or []) != set(config["Items"]):
        etag = cf.call("get_key_group", Id=group["Id"])["ETag"]
        cf.call("update_key_group", Id=group["Id"], IfMatch=etag, KeyGroupConfig=config)
    delete_generations(aws, steps["delete"])
    return out


def delete_generations(aws: Aws, doomed: list[dict[str, Any]]) -> None:
    """Delete each generation's public key (IfMatch) and private half."""
    cf = aws("cloudfront")
    for generation in doomed:
        if generation["key_id"]:
            etag = cf.call("get_public_key", Id=generation["key_id"])["ETag"]
            cf.call("delete_public_key", Id=generation["key_id"], IfMatch=etag, not_yet=STILL_REFERENCED)
        if generation["parameter"]:
            aws("ssm").call("delete_parameter", Name=generation["parameter"])


def remove_everything(aws: Aws, steps: dict[str, Any]) -> dict[str, Any]:
    """state=absent: the key group (waited for while a distribution still trusts it), then every
    generation."""
    cf, group = aws("cloudfront"), steps["delete_group"]
    if group:
        etag = cf.call("get_key_group", Id=group["Id"])["ETag"]
        cf.call("delete_key_group", Id=group["Id"], IfMatch=etag, not_yet=STILL_REFERENCED)
    delete_generations(aws, steps["delete"])
    return {"key_group_id": None}
