"""Filters that turn the declared model into the lists the family modules take, so roles' vars
are filter pipelines rather than Jinja loops appending to a list.

- ``vf_records``: columns (field -> one value per item, in the same order) as one dict per item.
- ``vf_service_roles``: one IAM role per service, its statements scoped to the service.
- ``vf_target_tracking``: the catalog's ``scaling`` entries as target tracking policies.
- ``vf_local_instances``: the local twin's instances of a service, as its supervisord program
  names them (``<service>-<port>``).
- ``vf_cdn_origins`` / ``vf_cdn_behaviours``: the distribution's origins and behaviours as
  vf_cloudfront_distribution takes them.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

POLICY_VERSION = "2012-10-17"


def records(columns: dict, same: dict | None = None) -> list[dict]:
    """``{"name": [a, b], "cpu": [1, 2]}`` -> ``[{"name": a, "cpu": 1}, {"name": b, "cpu": 2}]``,
    each record ending with the fields ``same`` gives every one. Every column must hold one
    value per item."""
    lists = {field: list(values) for field, values in columns.items()}
    lengths = {len(values) for values in lists.values()}
    if len(lengths) > 1:
        sizes = {field: len(values) for field, values in lists.items()}
        raise AnsibleFilterError(f"vf_records: columns of different lengths {sizes}")
    count = lengths.pop() if lengths else 0
    return [{**{field: values[i] for field, values in lists.items()}, **(same or {})} for i in range(count)]


def _scoped(statement: dict, service: str) -> dict | None:
    """The statement as ``service`` gets it: a Resource given as a mapping holds each service's
    own resources, and a service missing from that mapping does not get the statement."""
    resource = statement.get("Resource")
    if not isinstance(resource, dict):
        return statement
    if service not in resource:
        return None
    return {**statement, "Resource": resource[service]}


def service_roles(
    names: dict,
    policy: str,
    statements: list,
    description: str,
    service_statements: dict | None = None,
    **common,
) -> list[dict]:
    """One role per service, in the order of ``names`` (service -> role name), in vf_iam_roles'
    form: ``description`` with ``{service}`` filled in, and one inline policy named ``policy``
    holding the service's own ``service_statements`` followed by ``statements`` scoped to it
    (``_scoped``). ``common`` (trust policy, tags, ...) is the same for every role."""
    roles = []
    for service, name in names.items():
        own = list((service_statements or {}).get(service, []))
        scoped = [s for s in (_scoped(statement, service) for statement in statements) if s is not None]
        roles.append(
            {
                "name": name,
                "description": description.format(service=service),
                **common,
                "inline_policies": {policy: {"Version": POLICY_VERSION, "Statement": own + scoped}},
            }
        )
    return roles


# The catalog's scaling keys -> the policy vf_app_autoscalings makes (its name and metric).
TARGETS = (
    ("cpu_target", "cpu", "cpu"),
    ("memory_target", "memory", "memory"),
    ("requests_per_target", "requests", "alb_requests"),
)


def target_tracking(services: dict, request_labels: dict | None = None, **common) -> dict:
    """Service -> its target tracking policies, one per target its catalog entry's ``scaling``
    gives, in a fixed order (cpu, memory, requests). A requests policy needs the service's
    entry in ``request_labels`` (load balancer and target group, "app/.../targetgroup/...");
    ``common`` (the cooldowns) goes into every policy."""
    policies = {}
    for service, entry in services.items():
        scaling = entry.get("scaling") or {}
        policies[service] = []
        for key, name, metric in TARGETS:
            if scaling.get(key) is None:
                continue
            policy = {"name": name, "metric": metric, "target": scaling[key]}
            if metric == "alb_requests":
                policy["resource_label"] = (request_labels or {})[service]
            policies[service].append({**policy, **common})
    return policies


def local_instances(
    ports: dict, services: list, counts: dict, bind_address: str, state_dir: str, path: str = "/health"
) -> list[dict]:
    """Every local instance of ``services``: ``counts[service]`` of them (1 when not named) on
    consecutive ports from ``ports[service]``, each as its supervisord program names it (process
    ``<service>:<service>-<port>``, log ``<state_dir>/logs/<service>-<port>.log``) with the URL of
    its health check."""
    instances = []
    for service in services:
        first = int(ports[service])
        for port in range(first, first + int(counts.get(service, 1))):
            name = f"{service}-{port}"
            instances.append(
                {
                    "name": name,
                    "url": f"http://{bind_address}:{port}{path}",
                    "program": f"{service}:{name}",
                    "log": f"{state_dir}/logs/{name}.log",
                }
            )
    return instances


def cdn_origins(
    origins: dict, load_balancer_domain: str, secret: str, bucket_domain: str, access_control_id: str
) -> list[dict]:
    """The model's origins (id -> ``{kind, ...}``) in vf_cloudfront_distribution's form: the load
    balancer as a custom origin sending the secret in the origin's ``secret_header``, the bucket
    through the origin access control (``""`` when it is not made yet, in check mode)."""
    made = []
    for origin_id, origin in origins.items():
        if origin["kind"] == "load_balancer":
            made.append(
                {
                    "id": origin_id,
                    "kind": "custom",
                    "domain_name": load_balancer_domain,
                    "custom_headers": {origin["secret_header"]: secret},
                }
            )
        else:
            made.append(
                {
                    "id": origin_id,
                    "kind": "s3",
                    "domain_name": bucket_domain,
                    "origin_access_control_id": access_control_id,
                }
            )
    return made


def cdn_behaviours(behaviours: list, policy_ids: dict, key_group_id: str) -> list[dict]:
    """The model's behaviours in vf_cloudfront_distribution's form, in their order: a ``cache``
    naming one of our policies becomes its id (``policy_ids``), any other name is AWS's managed
    policy of that name; a ``signed`` behaviour trusts the key group ``key_group_id``."""
    return [
        {
            "path_pattern": b.get("path", ""),
            "target_origin": b["origin"],
            "cache_policy": policy_ids.get(b["cache"], b["cache"]),
            "origin_request_policy": b.get("origin_request", ""),
            "trusted_key_groups": [key_group_id] if b.get("signed", False) else [],
            "allowed_methods": b.get("methods", ["GET", "HEAD"]),
        }
        for b in behaviours
    ]


class FilterModule:
    def filters(self):
        return {
            "vf_records": records,
            "vf_service_roles": service_roles,
            "vf_target_tracking": target_tracking,
            "vf_local_instances": local_instances,
            "vf_cdn_origins": cdn_origins,
            "vf_cdn_behaviours": cdn_behaviours,
        }
