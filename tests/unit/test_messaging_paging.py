"""SSM reads on AWS's paging: DescribeParameters may answer a page with no parameters
and a NextToken, and the parameter on a later page; a module that reads one page sees no
description, reports a change on every run and writes a new version of a secret each time."""

from __future__ import annotations

import boto3
import pytest
from ansible.module_utils import vf_aws
from ansible.module_utils.vf_ssm_aws import read_parameter, read_parameters
from botocore.stub import ANY, Stubber

NAME = "/video-forge/dev/db-password"


class StubbedAws:
    """What a module's read gets as ``aws``: clients by service name (here one stubbed client)."""

    def __init__(self, client):
        self.client = vf_aws.AwsClient(client, retries=0)
        self.hidden: set[str] = set()
        self.check_mode = False

    def __call__(self, service: str) -> vf_aws.AwsClient:
        return self.client

    def hide(self, secret: str) -> None:
        self.hidden.add(secret)


@pytest.fixture
def ssm():
    client = boto3.session.Session().client(
        "ssm", region_name="ap-southeast-2", aws_access_key_id="k", aws_secret_access_key="s"
    )
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def described(name: str, description: str) -> dict:
    """A DescribeParameters entry as the API reference shows it."""
    return {
        "Name": name,
        "Type": "SecureString",
        "Description": description,
        "Version": 3,
        "Tier": "Standard",
    }


def test_the_description_on_a_later_page_is_found(ssm):
    client, stub = ssm
    parameter = {"Name": NAME, "Type": "SecureString", "Value": "s3cret", "Version": 3}
    stub.add_response("get_parameter", {"Parameter": parameter}, {"Name": NAME, "WithDecryption": True})
    stub.add_response("describe_parameters", {"Parameters": [], "NextToken": "t2"}, {"ParameterFilters": ANY})
    stub.add_response(
        "describe_parameters",
        {"Parameters": [described(NAME, "database password")]},
        {"ParameterFilters": ANY, "NextToken": "t2"},
    )
    stub.add_response(
        "list_tags_for_resource", {"TagList": []}, {"ResourceType": "Parameter", "ResourceId": NAME}
    )
    params = {"name": NAME, "type": "SecureString", "return_value": False, "value": None, "generate": True}
    found = read_parameter(StubbedAws(client), {**params, "generate_length": 32})
    assert found["parameter"]["Description"] == "database password"


def test_published_outputs_read_their_descriptions_across_pages(ssm):
    client, stub = ssm
    names = [f"/vf/dev/{k}" for k in ("bucket", "queue-url")]
    values = [{"Name": n, "Type": "String", "Value": "v", "Version": 1} for n in names]
    stub.add_response("get_parameters", {"Parameters": values}, {"Names": names})
    stub.add_response("describe_parameters", {"Parameters": [], "NextToken": "t2"}, {"ParameterFilters": ANY})
    stub.add_response(
        "describe_parameters",
        {"Parameters": [described(names[0], "out")], "NextToken": "t3"},
        {"ParameterFilters": ANY, "NextToken": "t2"},
    )
    stub.add_response(
        "describe_parameters",
        {"Parameters": [described(names[1], "out")]},
        {"ParameterFilters": ANY, "NextToken": "t3"},
    )
    for name in names:
        stub.add_response(
            "list_tags_for_resource", {"TagList": []}, {"ResourceType": "Parameter", "ResourceId": name}
        )
    found = read_parameters(
        StubbedAws(client), {"path": "/vf/dev", "parameters": {"bucket": "v", "queue-url": "v"}}
    )
    assert {n: p["Description"] for n, p in found.items()} == dict.fromkeys(names, "out")
