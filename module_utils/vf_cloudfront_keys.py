"""The pure plan of vf_cloudfront_signing_key: which key generations CloudFront trusts, which one
signs, when a new one is made and when an old one goes (its calls are in vf_cloudfront_keys_aws).

A generation is a pair made together and named alike, ``<prefix>-<UTC yyyymmddHHMMSS>``: a
CloudFront public key of that name, and its private half, an SSM SecureString
``<parameter_path>/<name>`` (only the streaming service's task role reads under that path). The
newest whole pair signs. Rotation after ``rotation_days`` makes a new pair, adds its public key
to the key group and moves the signer to it in one run; the old public key stays trusted until
``retire_after_seconds`` (the longest lifetime of a signed cookie) after its successor was made,
so no cookie signed before the move is refused. A half without its other half (a run that
stopped between the two writes, or a hand that deleted one) is never trusted anew and is removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from ansible.module_utils.vf_module import Plan

SIGNING_KEY_OPTIONS = {
    "key_group": {"type": "str", "required": True},
    "public_key_prefix": {"type": "str", "required": True},
    "parameter_path": {"type": "str", "required": True},
    "rotation_days": {"type": "int", "default": 90},
    "retire_after_seconds": {"type": "int", "default": 86400},
    "tags": {"type": "dict", "default": {}},
}


def generation_name(prefix: str, now: datetime) -> str:
    """The name of a generation made at ``now`` (public key and parameter alike)."""
    return f"{prefix}-{now:%Y%m%d%H%M%S}"


def parameter_name(path: str, name: str) -> str:
    return f"{path.rstrip('/')}/{name}"


def generations(current: Mapping[str, Any], p: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Our generations by name, oldest first: ``key`` (list_public_keys' summary or None),
    ``parameter`` (whether the private half exists), ``trusted`` (in the key group)."""
    prefix = p["public_key_prefix"] + "-"
    keys = {k["Name"]: k for k in current["keys"] if k["Name"].startswith(prefix)}
    params = {name for name in current["parameters"] if name.startswith(prefix)}
    group_items = set((current.get("group") or {}).get("KeyGroupConfig", {}).get("Items") or [])
    found = {
        name: {
            "key": keys.get(name),
            "parameter": name in params,
            "trusted": name in keys and keys[name]["Id"] in group_items,
        }
        for name in keys.keys() | params
    }
    # Oldest first: by the public key's creation (a private half alone last), then by name.
    return dict(sorted(found.items(), key=lambda kv: (_stamp(kv[1]), kv[0])))


def _stamp(generation: Mapping[str, Any]) -> float:
    return generation["key"]["CreatedTime"].timestamp() if generation["key"] else float("inf")


def foreign_keys(current: Mapping[str, Any], p: Mapping[str, Any]) -> list[str]:
    """Ids in the key group that are not one of our generations (added by hand): removed."""
    ours = {k["Id"] for k in current["keys"] if k["Name"].startswith(p["public_key_prefix"] + "-")}
    items = (current.get("group") or {}).get("KeyGroupConfig", {}).get("Items") or []
    return sorted(set(items) - ours)


def _created(generation: Mapping[str, Any], now: datetime) -> datetime:
    return generation["key"]["CreatedTime"] if generation["key"] else now


def decide(gens: Mapping[str, Any], p: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The signer's next state: ``rotate`` (make a generation now), ``active`` (the signer),
    ``keep`` (trusted after the run), ``retired`` and ``orphans`` (removed)."""
    whole = [name for name, g in gens.items() if g["key"] and g["parameter"]]
    newest = whole[-1] if whole else None
    rotate = newest is None or now - _created(gens[newest], now) >= timedelta(days=p["rotation_days"])
    active = generation_name(p["public_key_prefix"], now) if rotate else newest
    # Generation -> when its successor (the next whole one, or the one made now) was made.
    order = [*whole, active] if rotate else whole
    successor_made = {name: _created(gens.get(nxt, {"key": None}), now) for name, nxt in pairwise(order)}
    retire_after = timedelta(seconds=p["retire_after_seconds"])
    retired, keep = [], [active]
    for name, g in gens.items():
        if name == active or not (g["trusted"] or name in successor_made):
            continue
        made = successor_made.get(name)
        (retired if made is None or now - made >= retire_after else keep).append(name)
    orphans = [n for n, g in gens.items() if not ((g["key"] and g["parameter"]) or g["trusted"])]
    return {
        "newest": newest,
        "rotate": rotate,
        "active": active,
        "keep": keep,
        "retired": retired,
        "orphans": orphans,
    }


def signing_key_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to the signer. ``current``: ``keys`` (list_public_keys' summaries), ``parameters``
    (the names, without the path, of the parameters under ``parameter_path``), ``group``
    (list_key_groups' KeyGroup of that name, or None) and ``now`` (aware, UTC)."""
    gens, group = generations(current, p), current.get("group")
    if p["state"] == "absent":
        return _absent_plan(gens, group, current, p)
    d = decide(gens, p, current["now"])
    active, keep, gone = d["active"], d["keep"], [*d["retired"], *d["orphans"]]
    trusted_before = [n for n, g in gens.items() if g["trusted"]]
    changes = ["create key group"] if group is None else []
    changes += [f"rotate: new key {active}"] if d["rotate"] else []
    changes += [f"trust {n}" for n in keep if n not in trusted_before and not (d["rotate"] and n == active)]
    changes += [f"retire {n}" for n in d["retired"]] + [f"remove unpaired {n}" for n in d["orphans"]]
    changes += [f"untrust {key_id} (not ours)" for key_id in foreign_keys(current, p)]
    before = {
        "key_group": p["key_group"],
        "trusted": trusted_before,
        "signer": d["newest"],
        "keys": list(gens),
    }
    after = {
        "key_group": p["key_group"],
        "trusted": sorted(keep),
        "signer": active,
        "keys": sorted({*gens, active} - set(gone)),
    }
    steps = {
        "generate": active if d["rotate"] else None,
        "trust": sorted(keep),
        "group": group,
        "delete": [_doomed(gens[n], n, p) for n in gone],
    }
    return Plan(changes, before if gens or group else {}, after, _result(p, group, active, gens), steps)


def _doomed(generation: Mapping[str, Any], name: str, p: Mapping[str, Any]) -> dict[str, Any]:
    """What deleting one generation takes: its public key (if any) and its parameter (if any)."""
    key = generation["key"]
    return {
        "name": name,
        "key_id": key["Id"] if key else None,
        "parameter": parameter_name(p["parameter_path"], name) if generation["parameter"] else None,
    }


def _result(
    p: Mapping[str, Any], group: Mapping[str, Any] | None, active: str, gens: Mapping[str, Any]
) -> dict:
    key = (gens.get(active) or {}).get("key")
    return {
        "key_group": p["key_group"],
        "key_group_id": group["Id"] if group else None,
        "signer": active,
        "key_pair_id": key["Id"] if key else None,
        "signing_key_parameter": parameter_name(p["parameter_path"], active),
    }


def _absent_plan(
    gens: Mapping[str, Any], group: Mapping[str, Any] | None, current: Mapping[str, Any], p
) -> Plan:
    """Delete the key group, then every public key and private half of ours."""
    result = {"key_group": p["key_group"], "key_group_id": group["Id"] if group else None}
    if not gens and group is None:
        return Plan(result=result)
    before = {"key_group": p["key_group"] if group else None, "keys": list(gens)}
    changes = (["delete key group"] if group else []) + [f"delete {name}" for name in gens]
    steps = {
        "delete_group": group,
        "delete": [_doomed(g, n, p) for n, g in gens.items()],
    }
    return Plan(changes, before, {}, result, steps)
