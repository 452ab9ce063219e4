"""SQS, S3 and Cognito comparison functions on response shapes from the AWS API reference."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.vf_cognito import (
    client_changes,
    client_update_params,
    desired_client,
    desired_pool,
    pool_changes,
    pool_update_params,
    user_pool_plan,
)
from ansible.module_utils.vf_module import ReconcileError
from ansible.module_utils.vf_s3 import (
    aws_cors,
    aws_lifecycle,
    bucket_changes,
    bucket_plan,
    cors_of,
    desired_encryption,
    desired_lifecycle,
    desired_public_access,
    encryption_of,
    lifecycle_of,
    policy_of,
    public_access_of,
)
from ansible.module_utils.vf_sqs import (
    attribute_changes,
    desired_attributes,
    queue_arn_like,
    redrive_allow_policy,
    redrive_policy,
    shown_attributes,
)

SQS = "arn:aws:sqs:ap-southeast-2:123456789012"
QUEUE_ARN = f"{SQS}:video-forge-video-processing-queue"
DLQ_ARN = f"{SQS}:video-forge-video-processing-queue-dlq"

# GetQueueAttributes (AttributeNames=["All"]) as AWS returns it: every value a string, the
# redrive policy JSON text with its own key order and a number for maxReceiveCount.
QUEUE_ATTRIBUTES = {
    "QueueArn": QUEUE_ARN,
    "ApproximateNumberOfMessages": "0",
    "ApproximateNumberOfMessagesNotVisible": "0",
    "ApproximateNumberOfMessagesDelayed": "0",
    "CreatedTimestamp": "1761200000",
    "LastModifiedTimestamp": "1761200000",
    "VisibilityTimeout": "300",
    "MaximumMessageSize": "262144",
    "MessageRetentionPeriod": "345600",
    "DelaySeconds": "0",
    "ReceiveMessageWaitTimeSeconds": "20",
    "RedrivePolicy": json.dumps({"maxReceiveCount": 3, "deadLetterTargetArn": DLQ_ARN}),
    "SqsManagedSseEnabled": "true",
}

DECLARED_QUEUE = {
    "visibility_timeout": 300,
    "message_retention": 345600,
    "receive_wait_time": 20,
    "redrive_policy": redrive_policy(DLQ_ARN, 3),
}


def test_queue_attributes_equal_across_strings_numbers_and_key_order():
    assert attribute_changes(QUEUE_ATTRIBUTES, desired_attributes(DECLARED_QUEUE)) == {}
    # Older responses carry maxReceiveCount as a string, with spaces.
    legacy = {
        **QUEUE_ATTRIBUTES,
        "RedrivePolicy": f'{{"deadLetterTargetArn": "{DLQ_ARN}", "maxReceiveCount": "3"}}',
    }
    assert attribute_changes(legacy, desired_attributes(DECLARED_QUEUE)) == {}


def test_queue_attribute_drift_is_named_with_both_values():
    drifted = {**QUEUE_ATTRIBUTES, "VisibilityTimeout": "45"}
    assert attribute_changes(drifted, desired_attributes(DECLARED_QUEUE)) == {
        "VisibilityTimeout": ("45", "300")
    }
    five = desired_attributes({**DECLARED_QUEUE, "redrive_policy": redrive_policy(DLQ_ARN, 5)})
    assert list(attribute_changes(QUEUE_ATTRIBUTES, five)) == ["RedrivePolicy"]


def test_unset_options_are_not_managed_and_empty_policy_removes():
    assert desired_attributes({"visibility_timeout": 30}) == {"VisibilityTimeout": "30"}
    removal = desired_attributes({"redrive_policy": {}})
    assert removal == {"RedrivePolicy": ""}
    assert attribute_changes(QUEUE_ATTRIBUTES, removal) == {
        "RedrivePolicy": (QUEUE_ATTRIBUTES["RedrivePolicy"], "")
    }
    assert attribute_changes({}, removal) == {}


def test_redrive_allow_policy_compares_source_queues_as_a_set():
    source_b = f"{SQS}:b"
    dlq = {
        "RedriveAllowPolicy": json.dumps(
            {"sourceQueueArns": [QUEUE_ARN, source_b], "redrivePermission": "byQueue"}
        )
    }
    desired = desired_attributes(
        {"redrive_allow_policy": redrive_allow_policy("byQueue", [source_b, QUEUE_ARN])}
    )
    assert attribute_changes(dlq, desired) == {}
    assert redrive_allow_policy("allowAll", [QUEUE_ARN]) == {"redrivePermission": "allowAll"}
    assert queue_arn_like(DLQ_ARN, "other") == f"{SQS}:other"


def test_shown_attributes_parse_policies_for_the_diff():
    shown = shown_attributes(QUEUE_ATTRIBUTES, ["VisibilityTimeout", "RedrivePolicy"])
    assert shown == {
        "VisibilityTimeout": 300,
        "RedrivePolicy": {"maxReceiveCount": 3, "deadLetterTargetArn": DLQ_ARN},
    }


# --- S3 ----------------------------------------------------------------------------------

LIFECYCLE_RULES = [  # GetBucketLifecycleConfiguration: the whole-bucket rule has an empty Filter
    {
        "ID": "abort-incomplete-multipart-uploads",
        "Filter": {},
        "Status": "Enabled",
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
    },
    {
        "Expiration": {"Days": 7},
        "ID": "expire-abandoned-uploads",
        "Filter": {"Prefix": "uploads/"},
        "Status": "Enabled",
    },
]
CORS_RULES = [  # GetBucketCors
    {
        "ID": "browser-uploads",
        "AllowedHeaders": ["*"],
        "AllowedMethods": ["PUT", "HEAD", "GET"],
        "AllowedOrigins": ["https://video-forge.cab432.com"],
        "ExposeHeaders": ["ETag"],
        "MaxAgeSeconds": 3600,
    },
]
DECLARED_CORS = [
    {
        "allowed_origins": ["https://video-forge.cab432.com"],
        "allowed_methods": ["get", "head", "put"],
        "allowed_headers": "*",
        "expose_headers": ["ETag"],
        "max_age": 3600,
    },
]


def current_bucket(**overrides):
    bucket = {
        "public_access": public_access_of(
            {
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            }
        ),
        "encryption": encryption_of(
            {
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                        "BucketKeyEnabled": False,
                    }
                ]
            }
        ),
        "cors": cors_of(CORS_RULES),
        "lifecycle": lifecycle_of(LIFECYCLE_RULES),
        "tags": {"Project": "VideoForge"},
    }
    bucket.update(overrides)
    return bucket


DESIRED_BUCKET = {
    "public_access": desired_public_access(True),
    "encryption": desired_encryption("AES256"),
    "cors": cors_of(DECLARED_CORS),
    "lifecycle": desired_lifecycle(7, 7, "uploads/"),
    "tags": {"Project": "VideoForge"},
}


def test_bucket_matches_its_declaration_regardless_of_order_and_filter_shape():
    assert bucket_changes(current_bucket(), DESIRED_BUCKET) == []
    # The legacy top-level Prefix form is the same rule.
    legacy = [{**LIFECYCLE_RULES[1], "Prefix": "uploads/"}]
    del legacy[0]["Filter"]
    assert lifecycle_of(legacy)["expire-abandoned-uploads"]["prefix"] == "uploads/"


def test_bucket_drift_names_each_setting():
    open_bucket = current_bucket(public_access=public_access_of(None), cors=[])
    assert bucket_changes(open_bucket, DESIRED_BUCKET) == ["public_access", "cors"]
    longer = current_bucket(
        lifecycle=lifecycle_of([LIFECYCLE_RULES[0], {**LIFECYCLE_RULES[1], "Expiration": {"Days": 30}}])
    )
    assert bucket_changes(longer, DESIRED_BUCKET) == ["lifecycle"]
    assert bucket_changes(None, DESIRED_BUCKET) == ["create"]


BUCKET_ARN = "arn:aws:s3:::video-forge-dev-media"
DECLARED_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:*"],
            "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": False}},
        }
    ],
}
# GetBucketPolicy's Policy: the document as a JSON string, whitespace and key order S3's own.
AWS_POLICY = (
    '{"Version":"2012-10-17","Statement":[{"Condition":{"Bool":{"aws:SecureTransport":"false"}},'
    f'"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",'
    f'"Resource":["{BUCKET_ARN}/*","{BUCKET_ARN}"]}}]}}'
)


def test_a_bucket_policy_is_compared_normalized_and_drift_is_found():
    desired = {**DESIRED_BUCKET, "policy": policy_of(DECLARED_POLICY)}
    assert bucket_changes(current_bucket(policy=policy_of(AWS_POLICY)), desired) == []
    assert bucket_changes(current_bucket(policy=policy_of(None)), desired) == ["policy"]
    looser = json.loads(AWS_POLICY)
    looser["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"] = "true"
    assert bucket_changes(current_bucket(policy=policy_of(json.dumps(looser))), desired) == ["policy"]
    # Not declared: whatever policy the bucket has is left alone.
    assert bucket_changes(current_bucket(policy=policy_of(AWS_POLICY)), DESIRED_BUCKET) == []


def test_bucket_settings_round_trip_through_the_request_shapes():
    assert lifecycle_of(aws_lifecycle(DESIRED_BUCKET["lifecycle"])["Rules"]) == DESIRED_BUCKET["lifecycle"]
    assert cors_of(aws_cors(DESIRED_BUCKET["cors"])["CORSRules"]) == DESIRED_BUCKET["cors"]
    assert desired_lifecycle(0, 0, "uploads/") == {}


# --- Cognito -----------------------------------------------------------------------------

DESCRIBED_POOL = {  # DescribeUserPool
    "Id": "ap-southeast-2_jft50FBre",
    "Name": "video-forge-users",
    "Arn": "arn:aws:cognito-idp:ap-southeast-2:123456789012:userpool/ap-southeast-2_jft50FBre",
    "Policies": {
        "PasswordPolicy": {
            "MinimumLength": 8,
            "RequireUppercase": True,
            "RequireLowercase": True,
            "RequireNumbers": True,
            "RequireSymbols": False,
            "TemporaryPasswordValidityDays": 7,
        }
    },
    "DeletionProtection": "INACTIVE",
    "LambdaConfig": {},
    "SchemaAttributes": [{"Name": "email", "AttributeDataType": "String", "Required": True}],
    "AutoVerifiedAttributes": ["email"],
    "UsernameAttributes": ["email"],
    "VerificationMessageTemplate": {"DefaultEmailOption": "CONFIRM_WITH_CODE"},
    "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": []},
    "MfaConfiguration": "OFF",
    "EstimatedNumberOfUsers": 4,
    "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"},
    "UserPoolTags": {},
    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False, "UnusedAccountValidityDays": 7},
    "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
}
DECLARED_POOL = {
    "password_policy": {"minimum_length": 8},
    "auto_verified_attributes": ["email"],
    "username_attributes": ["email"],
}
DESCRIBED_CLIENT = {  # DescribeUserPoolClient
    "UserPoolId": "ap-southeast-2_jft50FBre",
    "ClientName": "video-forge-users-web",
    "ClientId": "1example23456789",
    "RefreshTokenValidity": 30,
    "AccessTokenValidity": 60,
    "IdTokenValidity": 60,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
    "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH"],
    "AllowedOAuthFlowsUserPoolClient": False,
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": True,
    "AuthSessionValidity": 3,
}
DECLARED_CLIENT = {
    "auth_flows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
}


def test_pool_and_client_match_their_declaration():
    assert pool_changes(DESCRIBED_POOL, desired_pool(DECLARED_POOL)) == []
    assert client_changes(DESCRIBED_CLIENT, desired_client(DECLARED_CLIENT)) == []


def test_pool_and_client_drift_is_named():
    stricter = desired_pool({**DECLARED_POOL, "password_policy": {"minimum_length": 12}})
    assert pool_changes(DESCRIBED_POOL, stricter) == ["Policies"]
    no_srp = desired_client({"auth_flows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]})
    assert client_changes(DESCRIBED_CLIENT, no_srp) == ["ExplicitAuthFlows"]


def test_updates_carry_what_update_calls_would_otherwise_reset():
    params = pool_update_params(DESCRIBED_POOL, desired_pool(DECLARED_POOL))
    assert params["UserPoolId"] == DESCRIBED_POOL["Id"]
    assert params["VerificationMessageTemplate"] == DESCRIBED_POOL["VerificationMessageTemplate"]
    assert "UsernameAttributes" not in params  # fixed at creation; UpdateUserPool refuses it
    client = client_update_params(DESCRIBED_CLIENT, desired_client(DECLARED_CLIENT))
    assert client["AuthSessionValidity"] == 3
    assert client["ClientName"] == "video-forge-users-web"


def test_published_outputs_compare_value_description_and_tags():
    from ansible.module_utils.vf_ssm import parameters_changes

    current = {
        "/vf/dev/queue-url": {
            "Value": "https://q",
            "Type": "String",
            "Description": "out",
            "Tags": {"A": "b"},
        },
        "/vf/dev/bucket": {"Value": "media", "Type": "String", "Description": "out", "Tags": {}},
    }
    desired = {"/vf/dev/queue-url": "https://q", "/vf/dev/bucket": "media2", "/vf/dev/dlq-url": "https://d"}
    assert parameters_changes(current, desired, "out", {"A": "b"}, True) == {
        "/vf/dev/bucket": ["value", "tags"],
        "/vf/dev/dlq-url": ["create"],
    }


def test_a_bucket_that_holds_objects_is_kept_unless_it_is_to_be_emptied():
    absent = {"name": "video-forge-storage-dev", "state": "absent", "force_delete": False}
    kept = bucket_plan({"holds_objects": True}, absent, check_mode=False)
    assert kept.changes == [] and kept.result["kept"] is True
    assert kept.warnings == [
        "bucket video-forge-storage-dev holds objects, so it is kept (force_delete empties and deletes it)"
    ]
    assert bucket_plan({"holds_objects": False}, absent, check_mode=False).changes == ["delete"]
    emptied = bucket_plan({"holds_objects": True}, {**absent, "force_delete": True}, check_mode=True)
    assert emptied.changes == ["delete"] and "kept" not in emptied.result


def test_a_pool_with_deletion_protection_is_refused_before_any_call_even_in_check_mode():
    protected = {
        "pool": {**DESCRIBED_POOL, "DeletionProtection": "ACTIVE"},
        "client": None,
        "region": "ap-southeast-2",
    }
    absent = {"name": "video-forge-users", "state": "absent"}
    for check_mode in (True, False):
        with pytest.raises(ReconcileError, match="has deletion protection") as refused:
            user_pool_plan(protected, absent, check_mode)
        assert refused.value.result["deletion_protection"] is True
    unprotected = {**protected, "pool": {**DESCRIBED_POOL, "DeletionProtection": "INACTIVE"}}
    assert user_pool_plan(unprotected, absent, check_mode=False).changes == ["delete"]
