#!/usr/bin/python
"""Reconcile an ECS Fargate service without fighting its autoscaler."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_ecs_service
short_description: Create, update or delete an ECS Fargate service and wait for a steady rollout
description:
  - Reconciles one ECS service - task definition, network configuration, load balancer
    attachment to target groups, Cloud Map registries, rolling update percentages, the
    deployment circuit breaker (with rollback), health check grace period.
  - The desired count is left alone when auto scaling owns it, either because
    I(desired_count_managed_by_autoscaling=true) or, by default, because an Application Auto
    Scaling scalable target is registered for the service. It is set on creation.
  - With I(wait=true) the module waits until the primary deployment is complete and alone, for
    up to I(wait_timeout) seconds (which may exceed ten minutes), and fails when the circuit
    breaker marks the rollout as failed.
  - Fields that AWS always returns for a service (C(deploymentConfiguration),
    C(healthCheckGracePeriodSeconds), C(enableExecuteCommand)) are treated as unknown, not as
    different, when a response lacks them (moto 5 drops them), so a re-run does not report a
    change forever. Fields AWS may omit are compared with their default.
options:
  name:
    description: The service name.
    type: str
    required: true
  cluster:
    description: The cluster name or ARN.
    type: str
    required: true
  task_definition:
    description:
      - C(family), C(family:revision) or a task definition ARN.
      - C(family) means its latest active revision.
    type: str
  desired_count:
    description: Number of tasks (set on creation; afterwards only when autoscaling does not own it).
    type: int
    default: 1
  desired_count_managed_by_autoscaling:
    description:
      - C(true) leaves the desired count of an existing service alone, C(false) always reconciles it,
        C(auto) leaves it alone when a scalable target is registered for the service.
    type: str
    choices: ['auto', 'true', 'false']
    default: auto
  launch_type:
    description: The launch type.
    type: str
    default: FARGATE
  platform_version:
    description: The Fargate platform version (C(LATEST) when not given).
    type: str
  subnets:
    description: Subnets of the tasks' network interfaces.
    type: list
    elements: str
    default: []
  security_groups:
    description: Security groups of the tasks.
    type: list
    elements: str
    default: []
  assign_public_ip:
    description: Give the tasks a public IP (needed in public subnets without a NAT to pull images).
    type: bool
    default: false
  load_balancers:
    description: Target groups the tasks register in.
    type: list
    elements: dict
    default: []
    suboptions:
      target_group_arn:
        description: The target group's ARN.
        type: str
        required: true
      container_name:
        description: The container that receives the traffic.
        type: str
        required: true
      container_port:
        description: The container port.
        type: int
        required: true
  service_registries:
    description: Cloud Map services the tasks register in.
    type: list
    elements: dict
    default: []
    suboptions:
      registry_arn:
        description: The Cloud Map service ARN.
        type: str
        required: true
      container_name:
        description: Container (for SRV records).
        type: str
      container_port:
        description: Container port (for SRV records).
        type: int
  minimum_healthy_percent:
    description: Rolling update lower bound.
    type: int
    default: 100
  maximum_percent:
    description: Rolling update upper bound.
    type: int
    default: 200
  circuit_breaker:
    description: Enable the deployment circuit breaker.
    type: bool
    default: true
  rollback:
    description: Roll back to the last completed deployment when the circuit breaker trips.
    type: bool
    default: true
  health_check_grace_period:
    description: Seconds the scheduler ignores load balancer health checks after a task starts.
    type: int
  enable_execute_command:
    description: Allow ECS Exec.
    type: bool
    default: false
  propagate_tags:
    description: Propagate tags to tasks.
    type: str
    choices: [SERVICE, TASK_DEFINITION, NONE]
    default: SERVICE
  force_new_deployment:
    description: Force a new deployment even when nothing changed (always reports changed).
    type: bool
    default: false
  wait:
    description: Wait for a steady deployment after a change.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait (may exceed ten minutes).
    type: int
    default: 900
  state:
    description: C(present) or C(absent) (scaled to zero, deleted, waited until inactive).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags of the service.
    type: dict
    default: {}
  purge_tags:
    description: Remove tags that I(tags) does not list.
    type: bool
    default: true
extends_documentation_fragment: [vf_aws]
notes:
  - Supports check mode and diff mode. In check mode no call changes anything.
author: VideoForge
"""

EXAMPLES = r"""
- name: Reconcile the gallery service
  vf_ecs_service:
    name: gallery
    cluster: video-forge
    task_definition: video-forge-gallery
    desired_count: 1
    subnets: [subnet-1, subnet-2]
    security_groups: [sg-1]
    load_balancers:
      - {target_group_arn: "{{ tg_arn }}", container_name: gallery, container_port: 3000}
    service_registries:
      - registry_arn: "{{ cloud_map.services.gallery.arn }}"
    wait_timeout: 1200
"""

RETURN = r"""
arn:
  description: The service ARN.
  returned: when it exists
  type: str
task_definition:
  description: The task definition ARN the service runs (or would, in check mode).
  returned: when state=present
  type: str
desired_count:
  description: The desired count after the run.
  returned: when state=present
  type: int
desired_count_managed_by_autoscaling:
  description: Whether the desired count was left to the autoscaler.
  returned: when state=present
  type: bool
changes:
  description: What differs from the declared state.
  returned: always
  type: list
  elements: str
deployment_state:
  description: C(steady), C(in_progress) or C(failed) after the run.
  returned: when state=present
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    connect_from_params,
    dict_to_tags,
    fail_with,
    require_boto3,
    tag_changes,
    tags_to_dict,
)
from ansible.module_utils.vf_ecs import deployment_state, service_changes, service_summary


def describe(ecs, cluster: str, name: str) -> dict | None:
    resp = ecs.call("describe_services", cluster=cluster, services=[name], include=["TAGS"])
    for svc in resp.get("services", []):
        if svc.get("status") != "INACTIVE":
            return svc
    return None


def resolve_task_definition(ecs, ref: str) -> str:
    return ecs.call("describe_task_definition", taskDefinition=ref)["taskDefinition"]["taskDefinitionArn"]


def autoscaling_registered(aas, cluster: str, name: str) -> bool:
    cluster_name = cluster.rsplit("/", 1)[-1]
    targets = aas.call(
        "describe_scalable_targets",
        ServiceNamespace="ecs",
        ResourceIds=[f"service/{cluster_name}/{name}"],
        ScalableDimension="ecs:service:DesiredCount",
    ).get("ScalableTargets", [])
    return bool(targets)


def desired_request(p: dict, task_definition_arn: str) -> dict:
    req: dict = {
        "taskDefinition": task_definition_arn,
        "desiredCount": p["desired_count"],
        "deploymentConfiguration": {
            "maximumPercent": p["maximum_percent"],
            "minimumHealthyPercent": p["minimum_healthy_percent"],
            "deploymentCircuitBreaker": {"enable": p["circuit_breaker"], "rollback": p["rollback"]},
        },
        "loadBalancers": [
            {
                "targetGroupArn": lb["target_group_arn"],
                "containerName": lb["container_name"],
                "containerPort": lb["container_port"],
            }
            for lb in p["load_balancers"]
        ],
        "serviceRegistries": [
            {
                k: v
                for k, v in {
                    "registryArn": r["registry_arn"],
                    "containerName": r.get("container_name"),
                    "containerPort": r.get("container_port"),
                }.items()
                if v is not None
            }
            for r in p["service_registries"]
        ],
        "enableExecuteCommand": p["enable_execute_command"],
        "propagateTags": p["propagate_tags"],
    }
    if p["subnets"]:
        req["networkConfiguration"] = {
            "awsvpcConfiguration": {
                "subnets": p["subnets"],
                "securityGroups": p["security_groups"],
                "assignPublicIp": "ENABLED" if p["assign_public_ip"] else "DISABLED",
            }
        }
    if p["health_check_grace_period"] is not None:
        req["healthCheckGracePeriodSeconds"] = p["health_check_grace_period"]
    if p["platform_version"]:
        req["platformVersion"] = p["platform_version"]
    return req


def wait_steady(ecs, cluster: str, name: str, timeout: int) -> dict:
    service = ecs.wait_until(
        lambda: describe(ecs, cluster, name) or {},
        lambda s: deployment_state(s) != "in_progress",
        timeout,
        f"service {name} to reach a steady deployment",
        interval=10,
    )
    if deployment_state(service) == "failed":
        primary = next(d for d in service["deployments"] if d.get("status") == "PRIMARY")
        raise AwsError("wait", "DeploymentFailed", primary.get("rolloutStateReason", "rollout failed"))
    return service


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        cluster={"type": "str", "required": True},
        task_definition={"type": "str"},
        desired_count={"type": "int", "default": 1},
        desired_count_managed_by_autoscaling={
            "type": "str",
            "choices": ["auto", "true", "false"],
            "default": "auto",
        },
        launch_type={"type": "str", "default": "FARGATE"},
        platform_version={"type": "str"},
        subnets={"type": "list", "elements": "str", "default": []},
        security_groups={"type": "list", "elements": "str", "default": []},
        assign_public_ip={"type": "bool", "default": False},
        load_balancers={
            "type": "list",
            "elements": "dict",
            "default": [],
            "options": {
                "target_group_arn": {"type": "str", "required": True},
                "container_name": {"type": "str", "required": True},
                "container_port": {"type": "int", "required": True},
            },
        },
        service_registries={
            "type": "list",
            "elements": "dict",
            "default": [],
            "options": {
                "registry_arn": {"type": "str", "required": True},
                "container_name": {"type": "str"},
                "container_port": {"type": "int"},
            },
        },
        minimum_healthy_percent={"type": "int", "default": 100},
        maximum_percent={"type": "int", "default": 200},
        circuit_breaker={"type": "bool", "default": True},
        rollback={"type": "bool", "default": True},
        health_check_grace_period={"type": "int"},
        enable_execute_command={"type": "bool", "default": False},
        propagate_tags={
            "type": "str",
            "choices": ["SERVICE", "TASK_DEFINITION", "NONE"],
            "default": "SERVICE",
        },
        force_new_deployment={"type": "bool", "default": False},
        wait={"type": "bool", "default": True},
        wait_timeout={"type": "int", "default": 900},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        tags={"type": "dict", "default": {}},
        purge_tags={"type": "bool", "default": True},
    )
    module = AnsibleModule(
        argument_spec=spec, supports_check_mode=True, required_if=[("state", "present", ["task_definition"])]
    )
    require_boto3(module.fail_json)
    p = module.params
    name, cluster = p["name"], p["cluster"]
    ecs = connect_from_params("ecs", p)
    result: dict = {"name": name, "changed": False, "changes": []}
    try:
        current = describe(ecs, cluster, name)
        if p["state"] == "absent":
            if current is not None:
                result.update(
                    changed=True,
                    changes=["delete"],
                    arn=current["serviceArn"],
                    diff={"before": service_summary(current), "after": {}},
                )
                if not module.check_mode:
                    if current.get("desiredCount"):
                        ecs.call("update_service", cluster=cluster, service=name, desiredCount=0)
                    ecs.call("delete_service", cluster=cluster, service=name, force=True)
                    if p["wait"]:
                        ecs.wait_until(
                            lambda: describe(ecs, cluster, name),
                            lambda s: s is None,
                            p["wait_timeout"],
                            f"service {name} to be deleted",
                            interval=5,
                        )
            module.exit_json(**result)

        try:
            td_arn = resolve_task_definition(ecs, p["task_definition"])
        except AwsError:
            if not module.check_mode:
                raise
            # check mode before the family's first revision is registered: nothing to resolve yet
            td_arn = p["task_definition"]
        mode = p["desired_count_managed_by_autoscaling"]
        if mode == "auto":
            managed = current is not None and autoscaling_registered(
                connect_from_params("application-autoscaling", p), cluster, name
            )
        else:
            managed = mode == "true" and current is not None
        desired = desired_request(p, td_arn)
        changes = service_changes(current, desired, manage_desired_count=not managed)
        to_set, to_remove = tag_changes(
            tags_to_dict((current or {}).get("tags"), "key", "value"), p["tags"], p["purge_tags"]
        )
        if current is not None and (to_set or to_remove):
            changes.append("tags")
        if current is not None and p["force_new_deployment"]:
            changes.append("forceNewDeployment")
        result["changes"] = changes
        result["desired_count_managed_by_autoscaling"] = managed
        after = dict(current or {})
        after.update({k: v for k, v in desired.items() if not (k == "desiredCount" and managed)})
        if changes:
            result.update(
                changed=True, diff={"before": service_summary(current), "after": service_summary(after)}
            )
        if module.check_mode or not changes:
            state = deployment_state(current) if current else "in_progress"
            module.exit_json(
                **result,
                arn=(current or {}).get("serviceArn"),
                task_definition=td_arn,
                desired_count=after.get("desiredCount"),
                deployment_state=state,
            )

        if "create" in changes:
            req = dict(desired)
            if p["health_check_grace_period"] is None:
                req.pop("healthCheckGracePeriodSeconds", None)
            service = ecs.call(
                "create_service",
                cluster=cluster,
                serviceName=name,
                launchType=p["launch_type"],
                schedulingStrategy="REPLICA",
                **req,
                **({"tags": dict_to_tags(p["tags"], "key", "value")} if p["tags"] else {}),
            )["service"]
        else:
            req = {k: v for k, v in desired.items() if k != "propagateTags" or "propagateTags" in changes}
            if managed:
                req.pop("desiredCount")
            if p["force_new_deployment"]:
                req["forceNewDeployment"] = True
            service = current
            if set(changes) - {"tags"}:
                service = ecs.call("update_service", cluster=cluster, service=name, **req)["service"]
            if to_remove:
                ecs.call("untag_resource", resourceArn=current["serviceArn"], tagKeys=to_remove)
            if to_set:
                ecs.call(
                    "tag_resource",
                    resourceArn=current["serviceArn"],
                    tags=dict_to_tags(to_set, "key", "value"),
                )
        if p["wait"] and set(changes) - {"tags"}:
            service = wait_steady(ecs, cluster, name, p["wait_timeout"])
        module.exit_json(
            **result,
            arn=service["serviceArn"],
            task_definition=td_arn,
            desired_count=service.get("desiredCount"),
            deployment_state=deployment_state(service),
        )
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


if __name__ == "__main__":
    main()
