"""The local AWS endpoint keeps its state across a restart, and only what changed state is kept."""

from __future__ import annotations

import json

import boto3

from tests.support import services
from twin.emulator.classify import classify

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def kind(method: str, headers: dict, body: bytes = b"", path: str = "/") -> str:
    return classify(method, path, headers, {}, body).kind


def test_reads_polls_and_sign_ins_are_not_recorded():
    assert kind("GET", {}, path="/media/key") == "read"
    assert classify("POST", "/", {"X-Amz-Target": "AmazonSQS.ReceiveMessage"}, {}, b"{}").is_read
    target = {"X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"}
    sign_in = classify("POST", "/", target, {}, b"{}")
    assert sign_in.is_read and sign_in.kind == "sessions"  # not replayed: its refresh token is kept
    assert kind("POST", FORM, b"Action=DescribeTargetGroups&Version=2015-12-01") == "read"
    assert kind("POST", {"X-Amz-Target": "AmazonSQS.SendMessage"}, b"{}") == "messages"
    assert kind("POST", FORM, b"Action=CreateRule&Version=2015-12-01") == "control"
    assert kind("PUT", {}, b"bytes", path="/media/key") == "objects"  # S3 PutObject: its state, not its body
    assert kind("DELETE", {}, path="/media/key") == "objects"
    assert kind("PUT", {}, b"<Policy/>", path="/media") == "control"  # S3 bucket configuration
    assert kind("POST", {"X-Amz-Target": "AmazonSQS.ChangeMessageVisibility"}, b"{}") == "ephemeral"


def test_state_survives_a_restart(tmp_path):
    state = tmp_path / "aws"
    env = services.AWS_TEST_ENV

    def clients(url):
        kw = {"endpoint_url": url, "region_name": env["AWS_DEFAULT_REGION"]}
        kw |= {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        return boto3.client("sqs", **kw), boto3.client("s3", **kw), boto3.client("ssm", **kw)

    with services.aws_emulator(tmp_path, state) as aws:
        sqs, s3, ssm = clients(aws.url)
        queue = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
        sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)  # a poll: must not be replayed
        s3.create_bucket(Bucket="media", CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
        s3.put_object(Bucket="media", Key="hls/v/seg 1.ts", Body=bytes(range(256)))
        ssm.put_parameter(Name="/vf/secret", Value="s3cr3t", Type="SecureString")
        s3.delete_object(Bucket="media", Key="hls/v/seg 1.ts")
        s3.put_object(Bucket="media", Key="kept", Body=b"yes")

    kept = [json.loads(line) for line in (state / "journal.jsonl").read_text().splitlines()]
    requests = [e for e in kept if e["op"] == "request"]
    assert not any("ReceiveMessage" in (r["headers"].get("X-Amz-Target") or "") for r in requests)
    assert not any(r["method"] == "GET" for r in requests)
    assert not any(e["op"] == "received" for e in kept)  # the poll found nothing: nothing changed

    with services.aws_emulator(tmp_path, state) as aws:
        sqs, s3, ssm = clients(aws.url)
        queue = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["VisibilityTimeout"])["Attributes"]
        assert attrs["VisibilityTimeout"] == "300"
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="media").get("Contents", [])] == ["kept"]
        assert s3.get_object(Bucket="media", Key="kept")["Body"].read() == b"yes"
        value = ssm.get_parameter(Name="/vf/secret", WithDecryption=True)["Parameter"]["Value"]
        assert value == "s3cr3t"


def test_replayed_resources_keep_their_ids_so_references_still_resolve(tmp_path):
    state = tmp_path / "aws"
    kw = {"region_name": "ap-southeast-2", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

    def ids(url):
        ec2 = boto3.client("ec2", endpoint_url=url, **kw)
        asg = boto3.client("autoscaling", endpoint_url=url, **kw)
        idp = boto3.client("cognito-idp", endpoint_url=url, **kw)
        template = ec2.describe_launch_templates(LaunchTemplateNames=["fleet-lt"])["LaunchTemplates"][0]
        group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["fleet"])["AutoScalingGroups"][0]
        pools = idp.list_user_pools(MaxResults=10)["UserPools"]
        return (
            template["LaunchTemplateId"],
            group["LaunchTemplate"]["LaunchTemplateId"],
            [p["Id"] for p in pools],
        )

    with services.aws_emulator(tmp_path, state) as aws:
        ec2 = boto3.client("ec2", endpoint_url=aws.url, **kw)
        template = ec2.create_launch_template(
            LaunchTemplateName="fleet-lt",
            LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"},
        )["LaunchTemplate"]["LaunchTemplateId"]
        sqs = boto3.client("sqs", endpoint_url=aws.url, **kw)
        queue = sqs.create_queue(QueueName="busy")["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody="x")
        sqs.receive_message(QueueUrl=queue)  # reads draw random numbers too: they must not shift ids
        subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
        boto3.client("autoscaling", endpoint_url=aws.url, **kw).create_auto_scaling_group(
            AutoScalingGroupName="fleet",
            LaunchTemplate={"LaunchTemplateId": template, "Version": "$Default"},
            MinSize=0,
            MaxSize=1,
            VPCZoneIdentifier=subnet,
        )
        boto3.client("cognito-idp", endpoint_url=aws.url, **kw).create_user_pool(PoolName="users")
        before = ids(aws.url)

    with services.aws_emulator(tmp_path, state) as aws:
        after = ids(aws.url)
    assert before[0] == before[1] == template
    assert after == before


def test_presigned_part_uploads_answer_whatever_the_content_type_and_unknown_uploads_are_404(tmp_path):
    """moto read a form-typed part PUT's body as a form: it hung, or answered 500 (partNumber None)."""
    import requests
    from botocore.config import Config

    with services.aws_emulator(tmp_path, tmp_path / "aws") as aws:
        kw = {
            "region_name": "ap-southeast-2",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        config = Config(signature_version="s3v4", s3={"addressing_style": "path"})
        s3 = boto3.client("s3", endpoint_url=aws.url, config=config, **kw)
        s3.create_bucket(Bucket="media", CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
        upload = s3.create_multipart_upload(Bucket="media", Key="big")["UploadId"]
        etags = []
        for number, content_type in ((1, "application/x-www-form-urlencoded"), (2, None)):
            body = bytes([number]) * (5 * 1024 * 1024 if number == 1 else 1000)
            params = {"Bucket": "media", "Key": "big", "UploadId": upload, "PartNumber": number}
            url = s3.generate_presigned_url("upload_part", Params=params)
            headers = {"Content-Type": content_type} if content_type else {}
            answer = requests.put(url, data=body, headers=headers, timeout=20)
            assert answer.status_code == 200, answer.text[:300]
            etags.append({"PartNumber": number, "ETag": answer.headers["ETag"]})
        s3.complete_multipart_upload(
            Bucket="media", Key="big", UploadId=upload, MultipartUpload={"Parts": etags}
        )
        assert s3.head_object(Bucket="media", Key="big")["ContentLength"] == 5 * 1024 * 1024 + 1000
        # The upload is gone now: a part for it is NoSuchUpload (404), as on S3, not a 500.
        url = s3.generate_presigned_url(
            "upload_part", Params={"Bucket": "media", "Key": "big", "UploadId": upload, "PartNumber": 3}
        )
        answer = requests.put(url, data=b"late", timeout=20)
        assert answer.status_code == 404 and b"NoSuchUpload" in answer.content
