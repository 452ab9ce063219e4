"""The options every VideoForge AWS module shares.

``extends_documentation_fragment: [vf_aws]`` for the connection options (every module),
``vf_aws.state`` for ``state: present|absent``, ``vf_aws.tags`` for ``tags``/``purge_tags``.
They mirror ``module_utils/vf_module.py``'s ``module_args``.
"""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  region:
    description:
      - The AWS region. Defaults to C(AWS_REGION) or C(AWS_DEFAULT_REGION) from the environment.
    type: str
    aliases: [aws_region]
  endpoint_url:
    description:
      - The AWS endpoint URL. Defaults to C(AWS_ENDPOINT_URL) from the environment, which is how
        the local inventory points every module at the emulator.
    type: str
    aliases: [aws_endpoint_url]
  retries:
    description:
      - How many times a throttled or failed call is retried, with exponential backoff.
    type: int
    default: 6
notes:
  - Supports check mode and diff mode. In check mode no call changes anything, and the result
    says what would change.
  - Every result has C(changes), a list of what differs from the declared state, one entry each
    (what changed, or what would in check mode; empty when nothing differs), and with C(--diff) a
    before/after view of the resource.
"""

    STATE = r"""
options:
  state:
    description: C(present) to create or update, C(absent) to delete.
    type: str
    choices: [present, absent]
    default: present
"""

    TAGS = r"""
options:
  tags:
    description: Tags of the resource.
    type: dict
    default: {}
  purge_tags:
    description: Remove tags that I(tags) does not list (tags starting with C(aws:) stay).
    type: bool
    default: true
"""
