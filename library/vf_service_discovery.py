#!/usr/bin/python
"""Reconcile a Cloud Map private DNS namespace and its services."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_service_discovery
short_description: Create, update or delete a Cloud Map private DNS namespace and its services
description:
  - Reconciles a private DNS namespace in a VPC and one Cloud Map service per declared name
    (A records, multivalue routing, custom health check so ECS reports task health). ECS
    services register their tasks in these services (C(vf_ecs_service) I(service_registries)).
  - Namespace creation and deletion are asynchronous; the module waits for the operation.
  - With I(state=absent) the services (after deregistering leftover instances) and then the
    namespace are deleted.
options:
  namespace:
    description: The namespace (private DNS zone) name, e.g. C(video-forge.local).
    type: str
    required: true
  vpc_id:
    description: The VPC of the private zone (required to create it).
    type: str
  description:
    description: Namespace description.
    type: str
    default: ""
  services:
    description: Names of the Cloud Map services in the namespace (DNS labels).
    type: list
    elements: str
    default: []
  dns_ttl:
    description: TTL of the services' A records.
    type: int
    default: 10
  purge_services:
    description: Delete services of the namespace that are not declared.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for an asynchronous operation.
    type: int
    default: 300
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags of the namespace and services (on creation).
    type: dict
    default: {}
extends_documentation_fragment: [vf_aws]
notes:
  - Supports check mode and diff mode. In check mode no call changes anything.
  - moto names the private hosted zone with a C(-hz) suffix and its C(discover_instances) needs
    C(inject_host_prefix=False); neither matters to this module.
author: VideoForge
"""

EXAMPLES = r"""
- name: Service discovery for the services
  vf_service_discovery:
    namespace: video-forge-dev.local
    vpc_id: vpc-123
    services: [gallery, streaming, client]
"""

RETURN = r"""
namespace_id:
  description: The namespace id.
  returned: when it exists
  type: str
services:
  description: Services by name, each with C(id) and C(arn).
  returned: when state=present
  type: dict
changes:
  description: What differs from the declared state.
  returned: always
  type: list
  elements: str
"""

import uuid

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    connect_from_params,
    dict_to_tags,
    fail_with,
    require_boto3,
)


def discovery_changes(namespace: dict | None, services: dict, desired: dict) -> list[str]:
    """``services``: name -> get_service's ``Service``; ``desired``: the module params."""
    if namespace is None:
        return ["create"] + [f"service.{name}" for name in desired["services"]]
    changes = []
    for name in desired["services"]:
        cur = services.get(name)
        if cur is None:
            changes.append(f"service.{name}")
            continue
        records = (cur.get("DnsConfig") or {}).get("DnsRecords") or []
        if [(r["Type"], int(r["TTL"])) for r in records] != [("A", desired["dns_ttl"])]:
            changes.append(f"service.{name}.dns")
    if desired["purge_services"]:
        declared = set(desired["services"])
        changes += [f"delete_service.{n}" for n in sorted(services) if n not in declared]
    return changes


def find_namespace(sd, name: str) -> dict | None:
    for ns in sd.paginate("list_namespaces", "Namespaces"):
        if ns["Name"] == name and ns.get("Type") == "DNS_PRIVATE":
            return ns
    return None


def list_services(sd, namespace_id: str) -> dict:
    found = sd.paginate(
        "list_services",
        "Services",
        Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace_id], "Condition": "EQ"}],
    )
    return {s["Name"]: sd.call("get_service", Id=s["Id"])["Service"] for s in found}


def wait_operation(sd, operation_id: str, timeout: int) -> dict:
    op = sd.wait_until(
        lambda: sd.call("get_operation", OperationId=operation_id)["Operation"],
        lambda o: o["Status"] in ("SUCCESS", "FAIL"),
        timeout,
        f"Cloud Map operation {operation_id}",
        interval=2,
    )
    if op["Status"] == "FAIL":
        raise AwsError("get_operation", op.get("ErrorCode", "OperationFailed"), op.get("ErrorMessage", ""))
    return op


def delete_service(sd, service: dict) -> None:
    for inst in sd.paginate("list_instances", "Instances", ServiceId=service["Id"]):
        sd.call("deregister_instance", ServiceId=service["Id"], InstanceId=inst["Id"])
    sd.call("delete_service", Id=service["Id"])


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        namespace={"type": "str", "required": True},
        vpc_id={"type": "str"},
        description={"type": "str", "default": ""},
        services={"type": "list", "elements": "str", "default": []},
        dns_ttl={"type": "int", "default": 10},
        purge_services={"type": "bool", "default": True},
        wait_timeout={"type": "int", "default": 300},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        tags={"type": "dict", "default": {}},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    require_boto3(module.fail_json)
    p = module.params
    sd = connect_from_params("servicediscovery", p)
    result: dict = {"namespace": p["namespace"], "changed": False, "changes": []}
    try:
        ns = find_namespace(sd, p["namespace"])
        services = list_services(sd, ns["Id"]) if ns else {}
        before = {"namespace": p["namespace"], "services": sorted(services)} if ns else {}
        if p["state"] == "absent":
            if ns:
                result.update(changed=True, changes=["delete"], diff={"before": before, "after": {}})
                if not module.check_mode:
                    for svc in services.values():
                        delete_service(sd, svc)
                    op = sd.call("delete_namespace", Id=ns["Id"])["OperationId"]
                    wait_operation(sd, op, p["wait_timeout"])
            module.exit_json(**result)
        changes = discovery_changes(ns, services, p)
        result["changes"] = changes
        if changes:
            after = {"namespace": p["namespace"], "services": sorted(p["services"])}
            result.update(changed=True, diff={"before": before, "after": after})
        if module.check_mode or not changes:
            module.exit_json(
                **result,
                namespace_id=(ns or {}).get("Id"),
                services={n: {"id": s["Id"], "arn": s["Arn"]} for n, s in services.items()},
            )
        if ns is None:
            if not p["vpc_id"]:
                module.fail_json(msg="vpc_id is required to create a private DNS namespace", **result)
            req = {"Name": p["namespace"], "Vpc": p["vpc_id"], "CreatorRequestId": str(uuid.uuid4())}
            if p["description"]:
                req["Description"] = p["description"]
            if p["tags"]:
                req["Tags"] = dict_to_tags(p["tags"])
            op = sd.call("create_private_dns_namespace", **req)["OperationId"]
            namespace_id = wait_operation(sd, op, p["wait_timeout"])["Targets"]["NAMESPACE"]
        else:
            namespace_id = ns["Id"]
        for name in p["services"]:
            record = [{"Type": "A", "TTL": p["dns_ttl"]}]
            if f"service.{name}" in changes:
                req = {
                    "Name": name,
                    "NamespaceId": namespace_id,
                    "CreatorRequestId": str(uuid.uuid4()),
                    "DnsConfig": {"RoutingPolicy": "MULTIVALUE", "DnsRecords": record},
                    "HealthCheckCustomConfig": {"FailureThreshold": 1},
                }
                if p["tags"]:
                    req["Tags"] = dict_to_tags(p["tags"])
                services[name] = sd.call("create_service", **req)["Service"]
            elif f"service.{name}.dns" in changes:
                op = sd.call(
                    "update_service", Id=services[name]["Id"], Service={"DnsConfig": {"DnsRecords": record}}
                )
                wait_operation(sd, op["OperationId"], p["wait_timeout"])
        for change in changes:
            if change.startswith("delete_service."):
                delete_service(sd, services.pop(change.split(".", 1)[1]))
        module.exit_json(
            **result,
            namespace_id=namespace_id,
            services={n: {"id": s["Id"], "arn": s["Arn"]} for n, s in services.items()},
        )
    except AwsError as err:
        fail_with(module.fail_json, err, namespace=p["namespace"])


if __name__ == "__main__":
    main()
