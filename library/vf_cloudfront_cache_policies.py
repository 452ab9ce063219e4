#!/usr/bin/python
"""Reconcile a family of CloudFront cache policies (TTL bounds, cache key) in one run."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_cloudfront_cache_policies
short_description: Create, update or delete several CloudFront cache policies in one task
description:
  - Reconciles each declared cache policy, found by its name among the account's custom
    policies, in one module run, that is its TTL bounds (the objects' C(Cache-Control) decides
    within them), the headers, cookies and query strings in its cache key, and whether
    compressed objects are cached apart (gzip and brotli).
  - AWS's managed policies are not made here; a distribution names them by name
    (M(vf_cloudfront_distribution)).
  - An update or delete names the ETag read just before it (IfMatch). A deletion waits (up to
    ten minutes) while CloudFront still answers C(CachePolicyInUse), as it does until the
    deletion of a distribution that used the policy has reached every edge location.
  - The result has one entry per policy in C(results) (its name as C(item)) and C(cache_policies)
    (name -> its id), and C(--diff) shows a before/after per policy that differs.
options:
  cache_policies:
    description: The policies. One declared list is the whole family; others are left alone.
    type: list
    elements: dict
    required: true
    suboptions:
      name: {description: The policy's name (unique in the account)., type: str, required: true}
      comment: {description: A description., type: str, default: ""}
      min_ttl: {description: Seconds an object stays cached at least., type: int, default: 0}
      default_ttl:
        description: Seconds an object without C(Cache-Control) max-age stays cached.
        type: int
        default: 86400
      max_ttl: {description: Seconds an object stays cached at most., type: int, default: 31536000}
      headers:
        description: Headers in the cache key (none when empty).
        type: list
        elements: str
        default: []
      cookies:
        description: Cookies in the cache key (none when empty).
        type: list
        elements: str
        default: []
      query_strings:
        description: Query strings in the cache key (none when empty).
        type: list
        elements: str
        default: []
      compress:
        description: Cache gzip and brotli answers apart (what compression needs).
        type: bool
        default: true
extends_documentation_fragment: [vf_aws, vf_aws.state]
author: VideoForge
"""

EXAMPLES = r"""
- name: Ensure the distribution's cache policies
  vf_cloudfront_cache_policies:
    cache_policies:
      - {name: video-forge-dev-media, min_ttl: 0, default_ttl: 86400, max_ttl: 31536000}
      - {name: video-forge-dev-site, min_ttl: 0, default_ttl: 0, max_ttl: 31536000}
"""

RETURN = r"""
results:
  description: Per policy, in declaration order, its C(name) (as C(item)), C(id), C(changed) and C(changes).
  returned: always
  type: list
  elements: dict
cache_policies:
  description: Name -> that policy's result (C(id), C(changed), C(changes)).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_cloudfront_aws import apply_cache_policy, read_cache_policy
from ansible.module_utils.vf_cloudfront_policies import CACHE_POLICY_OPTIONS, cache_policy_plan
from ansible.module_utils.vf_module import family_items, module_args, reconcile_family

OPTIONS = {
    "cache_policies": {"type": "list", "elements": "dict", "required": True, "options": CACHE_POLICY_OPTIONS}
}


def main() -> None:
    """Reconcile the cache policies."""
    module = AnsibleModule(**module_args(OPTIONS, tags=False))
    items = family_items(module, "cache_policies", "name", "cache policy")
    reconcile_family(
        module, "cache_policies", ("state",), read_cache_policy, cache_policy_plan, apply_cache_policy, items
    )


if __name__ == "__main__":
    main()
