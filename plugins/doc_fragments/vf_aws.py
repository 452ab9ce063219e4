"""The options every VideoForge AWS module shares (``extends_documentation_fragment: [vf_aws]``)."""


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
"""
