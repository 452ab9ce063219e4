#!/usr/bin/python
"""Reconcile one CloudFront distribution: origins, cache behaviours, certificate, error caching."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_cloudfront_distribution
short_description: Create, update or delete a CloudFront distribution
description:
  - Reconciles one distribution, found by its comment (I(name)), that is its aliases and viewer
    certificate, origins (custom origins over HTTPS only, with custom headers, and buckets through
    an origin access control), the default and path cache behaviours in precedence order (cache
    and origin request policies, trusted key groups, methods, compression, viewer protocol),
    error caching, price class, HTTP versions, IPv6 and tags.
  - An update sends the whole config with the ETag just read (IfMatch). The fields the options
    declare are written whole, so a field changed by hand is shown by C(--diff) and put back;
    fields the options do not cover (logging, geo restriction, web ACL, default root object)
    are kept as they are.
  - With I(state=absent) the distribution is disabled, waited for until CloudFront reports it
    C(Deployed), then deleted (CloudFront deletes only a disabled, deployed distribution).
  - Custom header values are secrets (the load balancer's rules require one), so they are masked in
    the diff and never returned.
options:
  name:
    description: The distribution's comment, which identifies it (at most 128 characters).
    type: str
    required: true
  enabled:
    description: Whether the distribution serves viewers.
    type: bool
    default: true
  aliases:
    description: Alternate domain names (CNAMEs); they need a certificate that covers them.
    type: list
    elements: str
    default: []
  certificate_arn:
    description:
      - An ACM certificate in C(us-east-1) for the aliases (CloudFront reads certificates from
        that region only), served by SNI. Empty uses CloudFront's own C(*.cloudfront.net) one.
    type: str
    default: ""
  minimum_protocol_version:
    description: The oldest TLS viewers may use (with I(certificate_arn)).
    type: str
    default: TLSv1.2_2021
  price_class:
    description: Which edge locations serve the distribution.
    type: str
    choices: [PriceClass_All, PriceClass_200, PriceClass_100]
    default: PriceClass_All
  http_version:
    description: HTTP versions offered to viewers.
    type: str
    choices: [http1.1, http2, http3, http2and3]
    default: http2and3
  ipv6:
    description: Answer viewers over IPv6 too (an C(AAAA) alias needs it).
    type: bool
    default: true
  origins:
    description: The origins, by id.
    type: list
    elements: dict
    default: []
    suboptions:
      id: {description: The origin's id behaviours name., type: str, required: true}
      domain_name:
        description:
          - A load balancer's DNS name, or a bucket's regional domain
            (C(<bucket>.s3.<region>.amazonaws.com)).
        type: str
        required: true
      kind: {description: C(custom) (HTTPS only) or C(s3)., type: str, choices: [custom, s3], default: custom}
      origin_access_control_id:
        description: The origin access control of an C(s3) origin.
        type: str
        default: ""
      https_port: {description: The custom origin's HTTPS port., type: int, default: 443}
      ssl_protocols:
        description: TLS versions to the custom origin.
        type: list
        elements: str
        default: [TLSv1.2]
      custom_headers:
        description: Header name -> value sent to the origin (secret values).
        type: dict
        default: {}
  default_behaviour:
    description: The behaviour of requests no path pattern matches. Required with I(state=present).
    type: dict
    suboptions: &behaviour
      path_pattern: {description: The path pattern (path behaviours only)., type: str}
      target_origin: {description: The id of the origin it forwards to., type: str, required: true}
      cache_policy:
        description: A cache policy id, or the name of an AWS managed one (C(CachingDisabled)).
        type: str
        required: true
      origin_request_policy:
        description:
          - An origin request policy id, or a managed one's name (C(AllViewerExceptHostHeader));
            empty for none.
        type: str
        default: ""
      trusted_key_groups:
        description: Key group ids whose signed URLs or cookies the behaviour requires; empty for public.
        type: list
        elements: str
        default: []
      allowed_methods:
        description: "C([GET, HEAD]), C([GET, HEAD, OPTIONS]) or all seven."
        type: list
        elements: str
        default: [GET, HEAD]
      cached_methods:
        description: Methods whose answers are cached.
        type: list
        elements: str
        default: [GET, HEAD]
      compress: {description: Compress what viewers accept compressed., type: bool, default: true}
      viewer_protocol_policy:
        description: What plain HTTP viewers get.
        type: str
        choices: [redirect-to-https, https-only, allow-all]
        default: redirect-to-https
  behaviours:
    description: Path behaviours in precedence order (the first pattern that matches wins).
    type: list
    elements: dict
    default: []
    suboptions: *behaviour
  error_caching_min_ttl:
    description: HTTP error code -> seconds CloudFront caches that error (C(ErrorCachingMinTTL)).
    type: dict
    default: {}
  wait:
    description: Wait until CloudFront reports the distribution C(Deployed) after a change.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for C(Deployed) (with I(wait), and always before a deletion).
    type: int
    default: 1800
extends_documentation_fragment: [vf_aws, vf_aws.state, vf_aws.tags]
author: VideoForge
"""

EXAMPLES = r"""
- name: Ensure the site's distribution
  vf_cloudfront_distribution:
    name: video-forge-dev
    aliases: [video.example.com]
    certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d
    origins:
      - {id: alb, domain_name: video-forge-dev-alb-1.ap-southeast-2.elb.amazonaws.com,
         custom_headers: {X-Origin-Verify: "{{ origin_secret }}"}}
      - {id: media, kind: s3, domain_name: media-bucket.s3.ap-southeast-2.amazonaws.com,
         origin_access_control_id: E2ABCDEF123456}
    behaviours:
      - {path_pattern: /hls/*, target_origin: media, cache_policy: 658327ea-f89d-4fab-a63d-7e88639e58f6,
         trusted_key_groups: [0a1b2c3d-key-group]}
      - {path_pattern: /api/*, target_origin: alb, cache_policy: CachingDisabled,
         origin_request_policy: AllViewerExceptHostHeader,
         allowed_methods: [GET, HEAD, OPTIONS, PUT, PATCH, POST, DELETE]}
    default_behaviour: {target_origin: alb, cache_policy: 658327ea-f89d-4fab-a63d-7e88639e58f6}
    error_caching_min_ttl: {403: 10, 404: 10, 500: 10, 502: 10, 503: 10, 504: 10}
"""

RETURN = r"""
id:
  description: The distribution's id.
  returned: when it exists
  type: str
arn:
  description: The distribution's ARN (what a bucket policy names as C(aws:SourceArn)).
  returned: when it exists
  type: str
domain_name:
  description: Its C(*.cloudfront.net) name, the target of the site's alias records.
  returned: when it exists
  type: str
status:
  description: C(InProgress) while a change reaches the edge locations, then C(Deployed).
  returned: when it exists
  type: str
hosted_zone_id:
  description: The hosted zone every CloudFront alias target is in (C(Z2FDTNDATAQYW2)).
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_cloudfront import DISTRIBUTION_OPTIONS, distribution_plan
from ansible.module_utils.vf_cloudfront_aws import apply_distribution, read_distribution
from ansible.module_utils.vf_module import module_args, reconcile


def main() -> None:
    """Reconcile one distribution."""
    module = AnsibleModule(**module_args(DISTRIBUTION_OPTIONS))
    reconcile(module, read_distribution, distribution_plan, apply_distribution)


if __name__ == "__main__":
    main()
