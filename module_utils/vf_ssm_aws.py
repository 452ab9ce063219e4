"""The SSM Parameter Store read and apply steps of vf_outputs_info, vf_ssm_parameter and
vf_ssm_parameters (what they compare is pure, in vf_ssm)."""

from __future__ import annotations

import secrets

from ansible.module_utils.vf_aws import AwsError, apply_tags, tags_to_dict
from ansible.module_utils.vf_ssm import published


def read_outputs(aws, p: dict) -> dict:
    """The account, and full name -> value of the declared names that exist."""
    ssm, path = aws("ssm"), p["path"].rstrip("/")
    names = sorted({f"{path}/{key}" for key in p["names"]})
    found: dict[str, str] = {}
    for i in range(0, len(names), 10):  # get_parameters takes at most 10 names
        for param in ssm.call("get_parameters", Names=names[i : i + 10])["Parameters"]:
            found[param["Name"]] = param["Value"]
    return {"account_id": aws.account_id(), "parameters": found}


def read_parameter(aws, p: dict) -> dict:
    """The parameter (value, type, description, tags), and a fresh value should one be generated.

    A secret never appears in output unless the caller asked for it back (and then marks its
    own task no_log): masking it here would hand the caller "********"."""
    hide = p["type"] == "SecureString" and not p["return_value"]
    if hide and p["value"] is not None:
        aws.hide(p["value"])
    ssm, name = aws("ssm"), p["name"]
    try:
        param = ssm.call("get_parameter", Name=name, WithDecryption=True)["Parameter"]
    except AwsError as err:
        if err.code != "ParameterNotFound":
            raise
        generated = (
            secrets.token_urlsafe(p["generate_length"])[: p["generate_length"]] if p["generate"] else None
        )
        if generated and hide:
            aws.hide(generated)
        return {"parameter": None, "generated": generated}
    # A page may be empty and still carry a NextToken: the description is wherever it turns up.
    named = [{"Key": "Name", "Option": "Equals", "Values": [name]}]
    described = ssm.paginate("describe_parameters", "Parameters", ParameterFilters=named)
    meta = next((d for d in described if d["Name"] == name), {})
    tags = ssm.call("list_tags_for_resource", ResourceType="Parameter", ResourceId=name).get("TagList")
    return {"parameter": {**param, "Description": meta.get("Description", ""), "Tags": tags_to_dict(tags)}}


def apply_parameter(aws, plan, p: dict) -> dict:
    """Put the value (a new version) and reconcile the tags."""
    ssm, steps = aws("ssm"), plan.steps
    out = {}
    if steps["put"]:
        out["version"] = ssm.call("put_parameter", **steps["put"])["Version"]
    apply_tags(ssm, "ssm", p["name"], steps["tags"]["set"], steps["tags"]["remove"])
    return out


def read_parameters(aws, p: dict) -> dict[str, dict]:
    """Name -> {Value, Type, Description, Tags} for the declared names that exist."""
    ssm, names = aws("ssm"), sorted(published(p))
    found: dict[str, dict] = {}
    for i in range(0, len(names), 10):  # get_parameters takes at most 10 names
        for param in ssm.call("get_parameters", Names=names[i : i + 10])["Parameters"]:
            found[param["Name"]] = {"Value": param["Value"], "Type": param["Type"], "Description": ""}
    if not found:
        return found
    names = sorted(found)
    for i in range(0, len(names), 50):  # a filter takes at most 50 values
        named = [{"Key": "Name", "Option": "Equals", "Values": names[i : i + 50]}]
        for meta in ssm.paginate("describe_parameters", "Parameters", ParameterFilters=named):
            if meta["Name"] in found:
                found[meta["Name"]]["Description"] = meta.get("Description", "")
    for name, param in found.items():
        tags = ssm.call("list_tags_for_resource", ResourceType="Parameter", ResourceId=name).get("TagList")
        param["Tags"] = tags_to_dict(tags)
    return found


def apply_parameters(aws, plan, p: dict) -> dict:
    """Put each parameter whose value or description differs, and reconcile its tags."""
    ssm, desired = aws("ssm"), plan.result["parameters"]
    for name, step in plan.steps.items():
        if step["put"]:
            ssm.call(
                "put_parameter",
                Name=name,
                Value=desired[name],
                Type="String",
                Description=p["description"],
                Overwrite=not step["create"],
            )
        apply_tags(ssm, "ssm", name, step["tags"]["set"], step["tags"]["remove"])
    return {}
