"""The test services themselves: moto and PostgreSQL come up and answer."""

import boto3
import psycopg


def test_emulator_answers_sqs(aws):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="fixture-check")["QueueUrl"]
    assert url.startswith(aws.url)
    sqs.delete_queue(QueueUrl=url)


def test_postgres_runs_as_unprivileged_owner(pg):
    with psycopg.connect(pg.dsn()) as conn:
        assert conn.execute("select current_setting('listen_addresses')").fetchone()[0] == "127.0.0.1"
        assert conn.execute("select 1").fetchone()[0] == 1
