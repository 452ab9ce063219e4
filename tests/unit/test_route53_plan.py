"""vf_route53_record's read and plan on the Route 53 API reference's shapes
(ListResourceRecordSets, ChangeResourceRecordSets): what a user relies on is that a record set
already as declared is left alone, a real difference is one UPSERT, check mode against an empty
account plans the alias to a load balancer not made yet, and paging never misses or repeats a set.
"""

from __future__ import annotations

import pytest
from ansible.module_utils.vf_module import ReconcileError
from ansible.module_utils.vf_route53 import PENDING_TARGET, fqdn, record_plan
from ansible.module_utils.vf_route53_aws import record_sets

ZONE = "Z0123456789ABCDEFGHIJ"
ALB_ZONE = "Z1GM3OXH4ZPM65"  # ap-southeast-2's ELB zone
ALB_DNS = "dualstack.video-forge-dev-alb-1234567890.ap-southeast-2.elb.amazonaws.com"


def alias_set(record_type: str, dns_name: str = ALB_DNS, name: str = "video.example.com.") -> dict:
    # As ListResourceRecordSets returns it: lower case, final dots.
    return {
        "Name": name,
        "Type": record_type,
        "AliasTarget": {"HostedZoneId": ALB_ZONE, "DNSName": f"{dns_name}.", "EvaluateTargetHealth": False},
    }


def params(**overrides) -> dict:
    p = {
        "hosted_zone_id": f"/hostedzone/{ZONE}",
        "name": "Video.Example.com",
        "types": ["A", "AAAA"],
        "alias": {"dns_name": ALB_DNS, "hosted_zone_id": ALB_ZONE, "evaluate_target_health": False},
        "values": None,
        "ttl": 300,
        "state": "present",
    }
    return {**p, **overrides}


def test_records_as_declared_change_nothing():
    current = {"records": [alias_set("A"), alias_set("AAAA")]}
    plan = record_plan(current, params(), check_mode=False)
    assert plan.changes == []
    assert plan.steps["batch"] == []
    assert plan.result["records"]["A"]["alias"]["dns_name"] == f"{ALB_DNS}."


def test_missing_records_are_created_in_one_batch_of_upserts():
    plan = record_plan({"records": []}, params(), check_mode=False)
    assert plan.changes == ["create A", "create AAAA"]
    assert [c["Action"] for c in plan.steps["batch"]] == ["UPSERT", "UPSERT"]
    record = plan.steps["batch"][0]["ResourceRecordSet"]
    assert record == {
        "Name": "video.example.com.",
        "Type": "A",
        "AliasTarget": {"HostedZoneId": ALB_ZONE, "DNSName": f"{ALB_DNS}.", "EvaluateTargetHealth": False},
    }
    assert plan.before == {}
    assert set(plan.after) == {"A", "AAAA"}


def test_an_alias_to_another_load_balancer_is_one_upsert_of_that_type():
    other = "dualstack.video-forge-prod-alb-99.ap-southeast-2.elb.amazonaws.com"
    plan = record_plan({"records": [alias_set("A", other), alias_set("AAAA")]}, params(), check_mode=False)
    assert plan.changes == ["A alias.dns_name"]
    assert [c["ResourceRecordSet"]["Type"] for c in plan.steps["batch"]] == ["A"]
    assert plan.before["A"]["alias"]["dns_name"] == f"{other}."
    assert plan.after["A"]["alias"]["dns_name"] == f"{ALB_DNS}."


def test_undeclared_types_at_the_name_are_left_alone():
    mx = {"Name": "video.example.com.", "Type": "MX", "TTL": 300, "ResourceRecords": [{"Value": "10 mx."}]}
    plan = record_plan({"records": [mx, alias_set("A"), alias_set("AAAA")]}, params(), check_mode=False)
    assert plan.changes == []
    deleting = record_plan({"records": [mx, alias_set("A")]}, params(state="absent"), check_mode=False)
    assert [c["ResourceRecordSet"]["Type"] for c in deleting.steps["batch"]] == ["A"]


def test_absent_deletes_exactly_the_sets_that_exist():
    current = {"records": [alias_set("A"), alias_set("AAAA")]}
    plan = record_plan(current, params(state="absent", alias=None), check_mode=False)
    assert plan.changes == ["delete A", "delete AAAA"]
    # DELETE must repeat the record set exactly as Route 53 has it.
    assert plan.steps["batch"][0] == {"Action": "DELETE", "ResourceRecordSet": alias_set("A")}
    assert record_plan({"records": []}, params(state="absent"), check_mode=False).changes == []


def test_check_mode_plans_an_alias_to_a_load_balancer_that_would_be_created():
    pending = params(alias={"dns_name": "", "hosted_zone_id": "", "evaluate_target_health": False})
    plan = record_plan({"records": []}, pending, check_mode=True)
    assert plan.changes == ["create A", "create AAAA"]
    assert plan.after["A"]["alias"]["dns_name"] == PENDING_TARGET
    # Existing records would be repointed at the new load balancer: a change, not "in sync".
    repoint = record_plan({"records": [alias_set("A"), alias_set("AAAA")]}, pending, check_mode=True)
    assert repoint.changes
    with pytest.raises(ReconcileError, match="dns_name is empty"):
        record_plan({"records": []}, pending, check_mode=False)


def test_plain_values_compare_sorted_with_their_ttl():
    txt = {
        "Name": "video.example.com.",
        "Type": "TXT",
        "TTL": 60,
        "ResourceRecords": [{"Value": '"b"'}, {"Value": '"a"'}],
    }
    same = params(types=["TXT"], alias=None, values=['"a"', '"b"'], ttl=60)
    assert record_plan({"records": [txt]}, same, check_mode=False).changes == []
    longer = params(types=["TXT"], alias=None, values=['"a"', '"b"'], ttl=300)
    assert record_plan({"records": [txt]}, longer, check_mode=False).changes == ["TXT ttl"]


def test_a_record_set_with_a_routing_policy_is_refused():
    weighted = {**alias_set("A"), "SetIdentifier": "blue", "Weight": 10}
    with pytest.raises(ReconcileError, match="routing policy"):
        record_plan({"records": [weighted]}, params(), check_mode=False)


def test_names_compare_as_route53_stores_them():
    assert fqdn("Video.Example.COM") == "video.example.com."
    assert fqdn("\\052.example.com.") == "*.example.com."


class OneSetPerPage:
    """ListResourceRecordSets over a zone, one record set per page (as a hostile or busy API may)."""

    def __init__(self, zone: list[dict]):
        self.zone = zone  # in Route 53's order (name, then type)
        self.calls = 0

    def call(self, operation, **kw):
        assert operation == "list_resource_record_sets"
        self.calls += 1
        names = [(fqdn(r["Name"]), r["Type"]) for r in self.zone]
        start = (fqdn(kw["StartRecordName"]), kw.get("StartRecordType", ""))
        index = next(i for i, key in enumerate(names) if key >= start)
        page = {"ResourceRecordSets": self.zone[index : index + 1], "IsTruncated": index + 1 < len(self.zone)}
        if page["IsTruncated"]:
            page["NextRecordName"], page["NextRecordType"] = (
                self.zone[index + 1]["Name"],
                self.zone[index + 1]["Type"],
            )
        return page


def test_paging_reads_every_set_of_the_name_once_and_stops_at_the_next_name():
    zone = [
        {"Name": "api.example.com.", "Type": "A"},
        alias_set("A"),
        alias_set("AAAA"),
        {"Name": "video.example.com.", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": '"x"'}]},
        {"Name": "www.example.com.", "Type": "A"},
        {"Name": "zz.example.com.", "Type": "A"},
    ]
    client = OneSetPerPage(zone)
    found = record_sets(client, ZONE, "video.example.com")
    assert [r["Type"] for r in found] == ["A", "AAAA", "TXT"]
    assert client.calls == 3  # the third page says the next set is another name: no fourth call


def test_a_teardown_deletes_only_records_that_alias_its_own_distribution_or_load_balancer():
    cloudfront = "d111111abcdef8.cloudfront.net"
    ours = {
        **alias_set("A", cloudfront),
        "AliasTarget": {"HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": f"{cloudfront}."},
    }
    elsewhere = alias_set("AAAA", "d999999zyxwvu9.cloudfront.net")
    plan = record_plan(
        {"records": [ours, elsewhere]},
        params(state="absent", alias=None, only_aliasing=[cloudfront, ALB_DNS.removeprefix("dualstack.")]),
        check_mode=False,
    )
    assert plan.changes == ["delete A"]
    assert [c["ResourceRecordSet"]["Type"] for c in plan.steps["batch"]] == ["A"]
    # The load balancer's record matches without its dualstack. prefix, and no target deletes nothing.
    lb = record_plan({"records": [alias_set("A")]}, params(state="absent", only_aliasing=[ALB_DNS]), False)
    assert lb.changes == ["delete A"]
    assert (
        record_plan({"records": [alias_set("A")]}, params(state="absent", only_aliasing=[]), False).changes
        == []
    )
