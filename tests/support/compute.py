"""Prerequisites of the compute roles, made directly with boto3 (what the network, messaging,
storage, identity and edge roles publish), so compute tests do not depend on those roles.

    python -m tests.support.compute PARAMETER_PATH NAME_PREFIX BUCKET USER_POOL_NAME
    python -m tests.support.compute --push-images REPOSITORY_PREFIX TAG IMAGE...

Names follow the edge, network, messaging, storage and identity roles (``<prefix>-alb``,
``<prefix>-<service>-tg``, ``<prefix>-services-sg``, ``<prefix>-video-processing-queue``...).

Idempotent: a second run finds everything and changes nothing. Prints the outputs as JSON.
"""

from __future__ import annotations

import json
import sys

import boto3

SERVICES = {"client": 80, "gallery": 3000, "streaming": 4000}
AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


def _sg(ec2, vpc_id: str, name: str) -> str:
    found = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [name]}, {"Name": "vpc-id", "Values": [vpc_id]}]
    )["SecurityGroups"]
    if found:
        return found[0]["GroupId"]
    return ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc_id)["GroupId"]


def ensure(path: str, prefix: str, bucket: str, user_pool_name: str) -> dict[str, str]:
    ec2 = boto3.client("ec2")
    ssm = boto3.client("ssm")
    vpc_id = next(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v.get("IsDefault"))
    subnets = sorted(
        s["SubnetId"]
        for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    )[:2]
    out = {
        "vpc-id": vpc_id,
        "public-subnet-ids": ",".join(subnets),
        "private-subnet-ids": ",".join(subnets),
        "alb-sg-id": _sg(ec2, vpc_id, f"{prefix}-alb-sg"),
        "services-sg-id": _sg(ec2, vpc_id, f"{prefix}-services-sg"),
        "processor-sg-id": _sg(ec2, vpc_id, f"{prefix}-processor-sg"),
    }
    sqs = boto3.client("sqs")
    for key, name in (
        ("queue", f"{prefix}-video-processing-queue"),
        ("dlq", f"{prefix}-video-processing-queue-dlq"),
    ):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        out[f"{key}-url"] = url
        out[f"{key}-arn"] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
    out["queue-name"] = f"{prefix}-video-processing-queue"
    out.update({"db-host": "db.internal", "db-port": "5432"})  # what the database role publishes
    # What the cdn role publishes (the local model puts CloudFront in front of the site).
    out.update(
        {
            "distribution-id": "E2QWRUHAPOMQZL",
            "distribution-arn": "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL",
            "cdn-key-pair-id": "K2JCJMDEHXQW5F",
            "cdn-signing-key-parameter": f"{path}/streaming/cdn-signing-key/{prefix}-signer-20250101000000",
        }
    )
    s3 = boto3.client("s3")
    if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name})
    out["bucket"] = bucket
    cognito = boto3.client("cognito-idp")
    pools = [p for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == user_pool_name]
    pool_id = pools[0]["Id"] if pools else cognito.create_user_pool(PoolName=user_pool_name)["UserPool"]["Id"]
    clients = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    client_id = (
        clients[0]["ClientId"]
        if clients
        else cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="web")["UserPoolClient"][
            "ClientId"
        ]
    )
    out.update({"user-pool-id": pool_id, "user-pool-client-id": client_id})
    elb = boto3.client("elbv2")
    lbs = [
        lb
        for lb in elb.describe_load_balancers()["LoadBalancers"]
        if lb["LoadBalancerName"] == f"{prefix}-alb"
    ]
    alb = (
        lbs[0]
        if lbs
        else elb.create_load_balancer(
            Name=f"{prefix}-alb", Subnets=subnets, SecurityGroups=[out["alb-sg-id"]], Type="application"
        )["LoadBalancers"][0]
    )
    out["alb-arn-suffix"] = alb["LoadBalancerArn"].split(":loadbalancer/", 1)[1]
    existing = {t["TargetGroupName"]: t for t in elb.describe_target_groups()["TargetGroups"]}
    for svc, port in SERVICES.items():
        name = f"{prefix}-{svc}-tg"[:32]
        tg = (
            existing.get(name)
            or elb.create_target_group(
                Name=name,
                Protocol="HTTP",
                Port=port,
                VpcId=vpc_id,
                TargetType="ip",
                HealthCheckPath="/health",
            )["TargetGroups"][0]
        )
        out[f"target-group-arn-{svc}"] = tg["TargetGroupArn"]
        out[f"target-group-arn-suffix-{svc}"] = tg["TargetGroupArn"].split(":", 5)[5]
    for key, value in out.items():
        ssm.put_parameter(Name=f"{path}/{key}", Value=value, Type="String", Overwrite=True)
    try:
        ssm.get_parameter(Name=f"{path}/db-password")
    except ssm.exceptions.ParameterNotFound:
        ssm.put_parameter(Name=f"{path}/db-password", Value="not-a-real-password", Type="SecureString")
    try:
        ssm.get_parameter(Name=AMI_PARAMETER)
    except ssm.exceptions.ParameterNotFound:  # moto ships it; put it when an emulator does not
        ssm.put_parameter(Name=AMI_PARAMETER, Value="ami-0123456789abcdef0", Type="String")
    return out


def push_images(prefix: str, tag: str, *images: str) -> None:
    """What playbooks/images.yml leaves in ECR, made without an engine: each ``<prefix>/<image>``
    repository holding a manifest tagged ``tag`` (the emulator keeps no layers). Idempotent."""
    ecr = boto3.client("ecr")
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 2,
            "digest": "sha256:" + "0" * 64,
        },
        "layers": [],
    }
    for image in images:
        name = f"{prefix}/{image}"
        try:
            ecr.create_repository(repositoryName=name)
        except ecr.exceptions.RepositoryAlreadyExistsException:
            pass
        try:
            ecr.put_image(repositoryName=name, imageManifest=json.dumps(manifest), imageTag=tag)
        except ecr.exceptions.ImageAlreadyExistsException:
            pass


def make_inventory(directory, endpoint_url: str) -> str:
    """An inventory that is the local one (same catalog, same compute settings) with the AWS
    endpoint pointing at ``endpoint_url``: the test's emulator, never the lead's stack."""
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2] / "inventories" / "local"
    target = Path(directory) / "group_vars" / "all"
    target.mkdir(parents=True, exist_ok=True)
    (Path(directory) / "hosts.yml").write_text((root / "hosts.yml").read_text())
    for name in ("catalog.yml", "names.yml", "compute.yml"):
        (target / name).write_text((root / "group_vars" / "all" / name).read_text())
    env = yaml.safe_load((root / "group_vars" / "all" / "environment.yml").read_text())
    env["videoforge_aws_environment"] = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": env["videoforge_region"],
    }
    registry = "000000000000.dkr.ecr.ap-southeast-2.amazonaws.com"
    env["videoforge_images"] = {**env["videoforge_images"], "registry": registry, "tag": "test"}
    (target / "environment.yml").write_text(yaml.safe_dump(env, sort_keys=False))
    return str(directory)


def run_playbooks(inventory: str, *args: str, env: dict | None = None):
    """Run ``ansible-playbook -i inventory ARGS`` from the repository; returns the completed process."""
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    full_env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(root / "ansible.cfg"),
        "ANSIBLE_HOME": str(root / ".ansible"),
        "ANSIBLE_FORCE_COLOR": "0",
        "NO_COLOR": "1",
        **(env or {}),
    }
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", inventory, *args],
        cwd=root,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
    )


def recap(output: str) -> dict[str, int]:
    """The PLAY RECAP counters of localhost, summed over every play in ``output``."""
    import re

    totals: dict[str, int] = {}
    for line in output.splitlines():
        if line.startswith("localhost") and "ok=" in line:
            for key, value in re.findall(r"(\w+)=(\d+)", line):
                totals[key] = totals.get(key, 0) + int(value)
    return totals


def seed_for_teardown(path: str, prefix: str, compute_prefix: str, bucket: str, user_pool_name: str) -> bool:
    """Create a sample of every resource family teardown removes, once (a marker parameter
    outside the published set remembers it). Returns whether it seeded."""
    ssm = boto3.client("ssm")
    marker = f"{path}-teardown-seeded"
    try:
        ssm.get_parameter(Name=marker)
        return False
    except ssm.exceptions.ParameterNotFound:
        pass
    ensure(path, prefix, bucket, user_pool_name)
    ecs = boto3.client("ecs")
    ecs.create_cluster(clusterName=compute_prefix)
    ecs.register_task_definition(
        family=f"{compute_prefix}-gallery",
        containerDefinitions=[{"name": "gallery", "image": "gallery:1", "memory": 512}],
    )
    boto3.client("logs").create_log_group(logGroupName=f"/ecs/{compute_prefix}/gallery")
    boto3.client("ecr").create_repository(repositoryName=f"{prefix}/gallery")
    boto3.client("iam").create_role(
        RoleName=f"{compute_prefix}-gallery-task",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    ssm.put_parameter(Name=marker, Value="yes", Type="String")
    return True


if __name__ == "__main__":
    if sys.argv[1] == "--seed-teardown":
        print(json.dumps({"seeded": seed_for_teardown(*sys.argv[2:7])}))
    elif sys.argv[1] == "--push-images":
        push_images(*sys.argv[2:])
    else:
        print(json.dumps(ensure(*sys.argv[1:5]), sort_keys=True))
