"""The Cloud Map read and apply steps of vf_service_discovery (what it compares is pure, in
vf_servicediscovery)."""

from __future__ import annotations

import uuid

from ansible.module_utils.vf_aws import AwsError, dict_to_tags
from ansible.module_utils.vf_module import ReconcileError


def read_service_discovery(aws, p: dict) -> dict:
    """The private DNS namespace of that name and its services (name -> get_service's Service)."""
    sd = aws("servicediscovery")
    found = [ns for ns in sd.paginate("list_namespaces", "Namespaces") if ns["Name"] == p["namespace"]]
    namespace = next((ns for ns in found if ns.get("Type") == "DNS_PRIVATE"), None)
    services = {}
    if namespace:
        in_namespace = [{"Name": "NAMESPACE_ID", "Values": [namespace["Id"]], "Condition": "EQ"}]
        for listed in sd.paginate("list_services", "Services", Filters=in_namespace):
            services[listed["Name"]] = sd.call("get_service", Id=listed["Id"])["Service"]
    return {"namespace": namespace, "services": services}


def wait_operation(sd, operation_id: str, timeout: int) -> dict:
    """Cloud Map changes are operations: wait for one, fail with its error."""
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
    """Deregister a service's instances, then delete it."""
    for inst in sd.paginate("list_instances", "Instances", ServiceId=service["Id"]):
        sd.call("deregister_instance", ServiceId=service["Id"], InstanceId=inst["Id"])
    sd.call("delete_service", Id=service["Id"])


def apply_service_discovery(aws, plan, p: dict) -> dict:
    """Delete everything, or create the namespace and reconcile its services."""
    sd, steps, changes = aws("servicediscovery"), plan.steps, plan.changes
    services = dict(steps["services"])
    if steps.get("delete"):
        for service in services.values():
            delete_service(sd, service)
        operation = sd.call("delete_namespace", Id=steps["namespace_id"])
        wait_operation(sd, operation["OperationId"], p["wait_timeout"])
        return {}
    namespace_id = plan.result["namespace_id"] or create_namespace(sd, p)
    record = [{"Type": "A", "TTL": p["dns_ttl"]}]
    for name in p["services"]:
        if f"service.{name}" in changes:
            services[name] = create_service(sd, p, namespace_id, name, record)
        elif f"service.{name}.dns" in changes:
            update = {"DnsConfig": {"DnsRecords": record}}
            operation = sd.call("update_service", Id=services[name]["Id"], Service=update)
            wait_operation(sd, operation["OperationId"], p["wait_timeout"])
    for change in changes:
        if change.startswith("delete_service."):
            delete_service(sd, services.pop(change.split(".", 1)[1]))
    described = {n: {"id": s["Id"], "arn": s["Arn"]} for n, s in services.items()}
    return {"namespace_id": namespace_id, "services": described}


def create_namespace(sd, p: dict) -> str:
    """Create the private DNS namespace (the request id makes a retried create return the first)."""
    if not p["vpc_id"]:
        raise ReconcileError("vpc_id is required to create a private DNS namespace")
    req = {"Name": p["namespace"], "Vpc": p["vpc_id"], "CreatorRequestId": str(uuid.uuid4())}
    if p["description"]:
        req["Description"] = p["description"]
    if p["tags"]:
        req["Tags"] = dict_to_tags(p["tags"])
    operation = sd.call("create_private_dns_namespace", **req)["OperationId"]
    return wait_operation(sd, operation, p["wait_timeout"])["Targets"]["NAMESPACE"]


def create_service(sd, p: dict, namespace_id: str, name: str, record: list) -> dict:
    """Create one service with an A record of the declared TTL."""
    req = {
        "Name": name,
        "NamespaceId": namespace_id,
        "CreatorRequestId": str(uuid.uuid4()),
        "DnsConfig": {"RoutingPolicy": "MULTIVALUE", "DnsRecords": record},
        "HealthCheckCustomConfig": {"FailureThreshold": 1},
    }
    if p["tags"]:
        req["Tags"] = dict_to_tags(p["tags"])
    return sd.call("create_service", **req)["Service"]
