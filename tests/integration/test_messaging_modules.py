"""The SQS, S3 and Cognito modules against a real moto server: what they make is what was declared,
a re-run changes nothing, and --check reports without touching anything."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.support.ansible_runner import run_playbook

DLQ = "vf-test-jobs-dlq"
QUEUE = "vf-test-jobs"
BUCKET = "vf-test-media"
POOL = "vf-test-users"


def play(*tasks: dict) -> list[dict]:
    return [{"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}]


def queues(max_receive_count=3, visibility="300") -> list[dict]:
    return [
        {
            "name": "Ensure the dead-letter queue",
            "vf_sqs_queue": {
                "name": DLQ,
                "message_retention": 1209600,
                "redrive_allow": {"permission": "byQueue", "source_queues": [QUEUE]},
            },
        },
        # Numbers given as strings on purpose: the comparison is normalized.
        {
            "name": "Ensure the job queue",
            "vf_sqs_queue": {
                "name": QUEUE,
                "visibility_timeout": visibility,
                "receive_wait_time": "20",
                "message_retention": 345600,
                "dead_letter_queue": DLQ,
                "max_receive_count": max_receive_count,
                "tags": {"Project": "VideoForge"},
            },
        },
    ]


BUCKET_TASK = {
    "name": "Ensure the media bucket",
    "vf_s3_bucket": {
        "name": BUCKET,
        "cors_rules": [
            {
                "allowed_origins": ["https://video.example.com"],
                "allowed_methods": ["PUT", "GET"],
                "allowed_headers": ["*"],
                "expose_headers": ["ETag"],
                "max_age": 3600,
            }
        ],
        "abort_incomplete_multipart_days": 2,
        "expire_days": 7,
        "tags": {"Project": "VideoForge"},
    },
}
POOL_TASK = {
    "name": "Ensure the user pool",
    "vf_cognito_user_pool": {"name": POOL, "client_name": f"{POOL}-web"},
}


@pytest.fixture(scope="module")
def made(aws, tmp_path_factory):
    aws.reset()
    result = run_playbook(tmp_path_factory.mktemp("made"), play(*queues(), BUCKET_TASK, POOL_TASK))
    assert result.ok, result.output[-5000:]
    return result


def test_check_mode_creates_nothing(aws, tmp_path):
    aws.reset()
    result = run_playbook(tmp_path, play(*queues(), BUCKET_TASK, POOL_TASK), check=True, diff=True)
    assert result.ok, result.output[-5000:]
    assert [t.result["changes"][0] for t in result.tasks] == ["create", "create", "create", "pool create"]
    assert boto3.client("sqs").list_queues().get("QueueUrls", []) == []
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert boto3.client("cognito-idp").list_user_pools(MaxResults=10)["UserPools"] == []


def test_queues_are_made_as_declared_and_rerun_changes_nothing(aws, made, tmp_path):
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    dlq_arn = sqs.get_queue_attributes(
        QueueUrl=sqs.get_queue_url(QueueName=DLQ)["QueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    assert attrs["VisibilityTimeout"] == "300"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "20"
    assert json.loads(attrs["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}
    assert made.task("Ensure the job queue").result["queue_url"] == url
    again = run_playbook(tmp_path, play(*queues()))
    assert again.ok and again.changed_tasks() == []


def test_check_reports_a_redrive_change_without_making_it(aws, made, tmp_path):
    result = run_playbook(tmp_path, play(*queues(max_receive_count=5)), check=True, diff=True)
    assert result.ok, result.output[-3000:]
    job = result.task("Ensure the job queue")
    assert job.changed
    assert len(job.result["changes"]) == 1 and job.result["changes"][0].startswith("RedrivePolicy")
    assert job.result["diff"]["after"]["attributes"]["RedrivePolicy"]["maxReceiveCount"] == 5
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]
    assert json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] == 3


def test_missing_dead_letter_queue_fails_clearly(aws, made, tmp_path):
    task = {"vf_sqs_queue": {"name": "vf-test-orphan", "dead_letter_queue": "vf-no-such-dlq"}}
    result = run_playbook(tmp_path, play(task))
    assert not result.ok
    assert (
        result.tasks[-1].result["msg"]
        == "queue vf-test-orphan: dead-letter queue vf-no-such-dlq does not exist"
    )
    assert not any(
        u.endswith("/vf-test-orphan") for u in boto3.client("sqs").list_queues().get("QueueUrls", [])
    )


def test_bucket_is_private_encrypted_with_cors_and_lifecycle(aws, made, tmp_path):
    s3 = boto3.client("s3")
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    rule = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    cors = s3.get_bucket_cors(Bucket=BUCKET)["CORSRules"][0]
    assert cors["AllowedOrigins"] == ["https://video.example.com"]
    assert sorted(cors["AllowedMethods"]) == ["GET", "PUT"]
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]}
    assert rules["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 2
    }
    assert rules["expire-abandoned-uploads"]["Expiration"]["Days"] == 7
    assert rules["expire-abandoned-uploads"]["Filter"] == {"Prefix": "uploads/"}
    again = run_playbook(tmp_path, play(BUCKET_TASK))
    assert again.ok and again.changed_tasks() == []


def test_user_pool_client_signs_in_with_password_srp_and_refresh(aws, made, tmp_path):
    result = made.task("Ensure the user pool").result
    idp = boto3.client("cognito-idp")
    client = idp.describe_user_pool_client(UserPoolId=result["user_pool_id"], ClientId=result["client_id"])[
        "UserPoolClient"
    ]
    assert sorted(client["ExplicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    assert "ClientSecret" not in client
    # The client really signs a user in with USER_PASSWORD_AUTH and refreshes.
    idp.admin_create_user(
        UserPoolId=result["user_pool_id"], Username="ann@example.com", MessageAction="SUPPRESS"
    )
    idp.admin_set_user_password(
        UserPoolId=result["user_pool_id"], Username="ann@example.com", Password="Secret-pass1", Permanent=True
    )
    auth = idp.initiate_auth(
        ClientId=result["client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ann@example.com", "PASSWORD": "Secret-pass1"},
    )
    refresh = idp.initiate_auth(
        ClientId=result["client_id"],
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": auth["AuthenticationResult"]["RefreshToken"]},
    )
    assert refresh["AuthenticationResult"]["AccessToken"]
    again = run_playbook(tmp_path, play(POOL_TASK))
    assert again.ok and again.changed_tasks() == []
    assert again.task("Ensure the user pool").result["user_pool_id"] == result["user_pool_id"]


def test_a_pool_found_under_its_previous_name_is_kept_with_its_users(aws, made, tmp_path):
    """Names gained the environment (video-forge-users became video-forge-local-users): a pool
    made under the old name is this deployment's pool, users and all; no second pool appears."""
    idp = boto3.client("cognito-idp")
    before = {
        "name": "Ensure the pool under its old name",
        "vf_cognito_user_pool": {"name": "vf-test-old-users"},
    }
    made_before = run_playbook(tmp_path / "before", play(before))
    assert made_before.ok, made_before.output[-5000:]
    old = {"Id": made_before.task("Ensure the pool under its old name").result["user_pool_id"]}
    idp.admin_create_user(UserPoolId=old["Id"], Username="bo@example.com", MessageAction="SUPPRESS")
    task = {
        "name": "Ensure the renamed pool",
        "vf_cognito_user_pool": {
            "name": "vf-test-new-users",
            "previous_names": ["vf-test-gone-users", "vf-test-old-users"],
            "client_name": "vf-test-new-users-web",
        },
    }
    first = run_playbook(tmp_path / "first", play(task))
    assert first.ok, first.output[-5000:]
    result = first.task("Ensure the renamed pool").result
    assert (result["user_pool_id"], result["pool_name"]) == (old["Id"], "vf-test-old-users")
    names = [p["Name"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]]
    assert "vf-test-new-users" not in names
    assert len(idp.list_users(UserPoolId=old["Id"])["Users"]) == 1
    again = run_playbook(tmp_path / "again", play(task))
    assert again.ok, again.output[-5000:]
    assert again.changed_tasks() == []
