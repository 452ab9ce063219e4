"""The local AWS endpoint keeps its state across a restart, and only what changed state is kept."""

from __future__ import annotations

import json

import boto3

from tests.support import services
from tools.aws_emulator import is_read


def test_reads_polls_and_sign_ins_are_not_recorded():
    assert is_read("GET", {}, b"", "")
    assert is_read("POST", {"X-Amz-Target": "AmazonSQS.ReceiveMessage"}, b"{}", "")
    assert is_read("POST", {"X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"}, b"{}", "")
    assert is_read("POST", {}, b"Action=DescribeTargetGroups&Version=2015-12-01", "")
    assert not is_read("POST", {"X-Amz-Target": "AmazonSQS.SendMessage"}, b"{}", "")
    assert not is_read("POST", {}, b"Action=CreateRule&Version=2015-12-01", "")
    assert not is_read("PUT", {}, b"bytes", "")  # S3 PutObject
    assert not is_read("DELETE", {}, b"", "")


def test_state_survives_a_restart(tmp_path):
    recording = tmp_path / "recording.jsonl"
    env = services.AWS_TEST_ENV

    def clients(url):
        kw = {"endpoint_url": url, "region_name": env["AWS_DEFAULT_REGION"]}
        kw |= {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        return boto3.client("sqs", **kw), boto3.client("s3", **kw), boto3.client("ssm", **kw)

    with services.aws_emulator(tmp_path, recording) as aws:
        sqs, s3, ssm = clients(aws.url)
        queue = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
        sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)  # a poll: must not be replayed
        s3.create_bucket(Bucket="media", CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
        s3.put_object(Bucket="media", Key="hls/v/seg 1.ts", Body=bytes(range(256)))
        ssm.put_parameter(Name="/vf/secret", Value="s3cr3t", Type="SecureString")
        s3.delete_object(Bucket="media", Key="hls/v/seg 1.ts")
        s3.put_object(Bucket="media", Key="kept", Body=b"yes")

    recorded = [json.loads(line) for line in recording.read_text().splitlines()]
    assert not any("ReceiveMessage" in (r["headers"].get("X-Amz-Target") or "") for r in recorded)
    assert not any(r["method"] == "GET" for r in recorded)

    with services.aws_emulator(tmp_path, recording) as aws:
        sqs, s3, ssm = clients(aws.url)
        queue = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["VisibilityTimeout"])["Attributes"]
        assert attrs["VisibilityTimeout"] == "300"
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="media").get("Contents", [])] == ["kept"]
        assert s3.get_object(Bucket="media", Key="kept")["Body"].read() == b"yes"
        value = ssm.get_parameter(Name="/vf/secret", WithDecryption=True)["Parameter"]["Value"]
        assert value == "s3cr3t"
