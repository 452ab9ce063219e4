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
    services register their tasks in these services (C(vf_ecs_services) I(service_registries)).
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
  tags:
    description: Tags of the namespace and services (on creation).
    type: dict
    default: {}
extends_documentation_fragment: [vf_aws, vf_aws.state]
notes:
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
"""


from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_module import module_args, reconcile
from ansible.module_utils.vf_servicediscovery import discovery_plan
from ansible.module_utils.vf_servicediscovery_aws import apply_service_discovery, read_service_discovery

OPTIONS = {
    "namespace": {"type": "str", "required": True},
    "vpc_id": {"type": "str"},
    "description": {"type": "str", "default": ""},
    "services": {"type": "list", "elements": "str", "default": []},
    "dns_ttl": {"type": "int", "default": 10},
    "purge_services": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 300},
    "tags": {"type": "dict", "default": {}},
}


def main() -> None:
    """Reconcile a private DNS namespace and its services."""
    module = AnsibleModule(**module_args(OPTIONS, tags=False))
    reconcile(module, read_service_discovery, discovery_plan, apply_service_discovery)


if __name__ == "__main__":
    main()
