"""Filters that turn the declared model into the lists the family modules take, so roles' vars
are filter pipelines rather than Jinja loops appending to a list.

- ``vf_records``: columns (field -> one value per item, in the same order) as one dict per item.
- ``vf_service_roles``: one IAM role per service, its statements scoped to the service.
- ``vf_target_tracking``: the catalog's ``scaling`` entries as target tracking policies.
- ``vf_local_instances``: the local twin's instances of a service, as its supervisord program
  names them (``<service>-<port>``).
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


class FilterModule:
    def filters(self):
        return {
            "vf_records": records,
            "vf_service_roles": service_roles,
            "vf_target_tracking": target_tracking,
            "vf_local_instances": local_instances,
        }
