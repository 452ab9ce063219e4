"""`make cost` (plugins/filter/vf_cost.py): one model priced against a hand calculation written
out line by line, the other branches of the model (no CDN, a NAT gateway, burstable types), and
the price table the repository keeps (docs/prices.yml) against the model that reads it."""

from __future__ import annotations

import importlib.util

import pytest
import yaml

from tests.support.ansible_runner import ROOT
from tests.support.model import catalog

_spec = importlib.util.spec_from_file_location("vf_cost", ROOT / "plugins" / "filter" / "vf_cost.py")
vf_cost = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vf_cost)

H = 730  # hours in the month


def _price(value):
    return {"value": value, "date": "2026-01-01", "source": "test"}


def _scaled(us_east_1):
    return {"us_east_1": us_east_1, "date": "2026-01-01", "source": "test"}


PRICES = {
    "hours_per_month": H,
    "regions": {
        "test-1": {
            "us_east_1_factor": _price(1.5),
            "fargate_arm64_vcpu_hour": _price(0.04),
            "fargate_arm64_gb_hour": _price(0.004),
            "fargate_x86_vcpu_hour": _price(0.05),
            "fargate_x86_gb_hour": _price(0.005),
            "alb_hour": _scaled(0.02),  # 0.02 x 1.5 = 0.03
            "alb_lcu_hour": _price(0.01),
            "public_ipv4_hour": _price(0.005),
            "nat_gateway_hour": _price(0.05),
            "nat_gateway_gb": _price(0.05),
            "internet_out_gb": _price(0.1),
            "internet_out_free_gb": _price(100),
            "cloudfront_out_gb": _price(0.1),
            "cloudfront_out_next_gb": _price(0.08),
            "cloudfront_free_gb": _price(1000),
            "cloudfront_free_requests": _price(10_000_000),
            "cloudfront_https_10k_requests": _scaled(0.01),  # 0.015
            "s3_gb_month": _price(0.02),
            "s3_put_1k": _price(0.005),
            "s3_get_1k": _price(0.0004),
            "rds_instance_hour": {"db.t4g.micro": _price(0.02)},
            "rds_storage_gb_month": _price(0.1),
            "ec2_hour": {"t3.medium": _price(0.05), "c7g.large": _price(0.08), "c6i.large": _scaled(0.06)},
            "spot_discount": _price(0.5),
            "t3_surplus_vcpu_hour": _price(0.05),
        }
    },
    "instance_types": {
        "t3.medium": {"vcpus": 2, "x264_speed": 0.5, "burstable_baseline": 0.2},
        "c7g.large": {"vcpus": 2, "x264_speed": 1.0},
        "c6i.large": {"vcpus": 2, "x264_speed": 0.8},
    },
    "encode": {"cpu_seconds_per_media_second": 3.0, "date": "2026-01-01"},
    "architecture_estimate": {"low": 30, "high": 50},
}


def _model(**changes) -> dict:
    model = {
        "environment": "test",
        "region": "test-1",
        "services": {"api": {"cpu": 512, "memory": 1024, "desired_count": 2}},
        "images": {"platform": "linux/arm64"},
        "network": {"assign_public_ip": False, "public_subnet_ids": ["a", "b", "c"]},
        "database": {"rds": {"instance_class": "db.t4g.micro", "allocated_storage": 20, "multi_az": True}},
        "cdn": {"enabled": True},
        "listener_rules": {"one": {}, "two": {}},
        "processor": {
            "instance_type": "t3.medium",
            "capacity": {
                "instance_types": [{"type": "c7g.large"}, {"type": "c6i.large"}],
                "on_demand_base_capacity": 0,
                "on_demand_percentage_above_base_capacity": 50,
                "burstable_credits": "standard",
            },
            "egress": {"route": "public_ip"},
        },
        "ladder": [
            {"name": "1080p", "video_bitrate": "5000k", "audio_bitrate": "128k"},
            {"name": "360p", "video_bitrate": "800k", "audio_bitrate": "96k"},
        ],
        "segment_seconds": 4,
        "uploads": {"part_size": 25_000_000},
        "load": {
            "viewing_tb": 2,
            "viewing_rendition": "1080p",
            "requests": 20_000_000,
            "response_kb": 50,
            "uploads": 10,
            "transcoded_hours": 10,
            "source_gb_per_hour": 5,
            "stored_gb": 100,
            "cdn_hit_ratio": 0.8,
            "instance_overhead_minutes_per_upload": 6,
        },
    }
    return {**model, **changes}


def _lines(report: dict) -> dict[str, float]:
    return {entry["item"]: entry["monthly"] for entry in report["lines"]}


def test_a_model_costs_what_the_hand_calculation_says():
    report = vf_cost.monthly_cost(_model(), PRICES)

    segments = 2000 * 8_000_000 / (5000 + 128) / 4  # 2 TB at 1080p, in 4 s segments: 780,031.2
    c7g_hours, c6i_hours = 3.0 / (2 * 1.0), 3.0 / (2 * 0.8)  # instance-h per hour of 1080p: 1.5, 1.875
    overhead = 10 * 6 / 60  # 1 instance-h of boot and scale-in for 10 uploads
    on_demand = 10 * c7g_hours * 0.08 + overhead * 0.08  # the first type: 1.28
    spot = 10 * c6i_hours * 0.09 * 0.5 + overhead * 0.09 * 0.5  # the dearest on Spot: 0.88875
    expected = {
        "Fargate api": 2 * H * (0.5 * 0.04 + 1 * 0.004),  # arm64: 35.04
        "load balancer": H * 0.02 * 1.5,  # 21.90
        "public IPv4, load balancer": 3 * H * 0.005,  # 10.95
        # 1,000 GB of responses over 730 h is the largest dimension (1.37 LCU; 0.30 for connections)
        "load balancer LCUs": 20_000_000 * 50 / 1e6 / H * H * 0.01,  # 10.00
        "CloudFront data out": (2000 + 1000 - 1000) * 0.1,  # 200.00
        "CloudFront requests": (segments + 20_000_000 - 10_000_000) / 10_000 * 0.01 * 1.5,  # 16.17
        "S3 storage": 100 * 0.02,  # 2.00
        # parts 10 h x 5 GB / 25 MB, 2 per upload, a segment and a playlist per segment, a master each
        "S3 PUT requests": (10 * 5e9 / 25e6 + 2 * 10 + 2 * 10 * (3600 / 4 * 2) + 10) / 1000 * 0.005,  # 0.19
        "S3 GET requests": segments * (1 - 0.8) / 1000 * 0.0004,  # CloudFront's misses: 0.06
        "RDS db.t4g.micro": 2 * H * 0.02,  # multi-AZ: 29.20
        "RDS storage": 2 * 20 * 0.1,  # 4.00
        "public IPv4, processors": (10 * c7g_hours + overhead) * 0.005,  # 16 instance-h: 0.08
        "fleet, 50% on demand": 0.5 * on_demand + 0.5 * spot,  # 1.08
    }
    lines = _lines(report)
    assert {item: lines[item] for item in expected} == {
        item: pytest.approx(value, abs=0.005) for item, value in expected.items()
    }
    assert report["total"] == pytest.approx(330.67, abs=0.005)
    assert report["total"] == pytest.approx(sum(round(v, 2) for v in expected.values()), abs=0.005)
    beside = {e["item"]: e["monthly"] for e in report["lines"] if not e["in_total"]}
    assert beside == {
        "all on demand (c7g.large)": pytest.approx(on_demand, abs=0.005),
        "all Spot (at most: c6i.large)": pytest.approx(spot, abs=0.005),
        # t3.medium unlimited at full speed: 3.0 / (2 x 0.5) = 3 h, each 0.05 + 2 x 0.8 x 0.05 surplus
        "today: t3.medium on demand": pytest.approx(10 * 3.0 * 0.13 + overhead * 0.05, abs=0.005),
    }
    assert report["estimate"]["its_scope"] == pytest.approx(35.04 + 1.08, abs=0.005)
    marked = {e["item"] for e in report["lines"] if e["estimated"]}
    assert marked == {
        "load balancer",
        "CloudFront requests",
        "fleet, 50% on demand",
        "all Spot (at most: c6i.large)",
    }


def test_a_transcoded_hour_is_priced_per_type_on_demand_and_on_spot():
    rows = {r["type"]: r for r in vf_cost.monthly_cost(_model(), PRICES)["transcoded_hour"]}
    assert rows["c7g.large"]["on_demand"] == pytest.approx(1.5 * 0.08)
    assert rows["c7g.large"]["spot"] == pytest.approx(1.5 * 0.08 * 0.5)
    assert rows["c6i.large"]["on_demand"] == pytest.approx(1.875 * 0.06 * 1.5, abs=1e-4)
    # Standard credits hold a T instance at its baseline: five times the hours of full speed.
    standard = vf_cost.instance_hours_per_media_hour(
        vf_cost.Prices(PRICES, "test-1"), "t3.medium", "standard"
    )
    assert standard == pytest.approx(3.0 / (2 * 0.5 * 0.2))


def test_without_cdn_viewers_are_served_from_s3_and_a_nat_gateway_carries_the_processors():
    processor = {**_model()["processor"], "egress": {"route": "nat"}}
    report = vf_cost.monthly_cost(_model(cdn={"enabled": False}, processor=processor), PRICES)
    lines = _lines(report)
    segments = 2000 * 8_000_000 / (5000 + 128) / 4
    assert lines["data out to the internet"] == pytest.approx((3000 - 100) * 0.1, abs=0.005)
    assert lines["S3 GET requests"] == pytest.approx(segments / 1000 * 0.0004, abs=0.005)
    assert lines["NAT gateway"] == pytest.approx(H * 0.05, abs=0.005)
    assert lines["public IPv4, NAT gateway"] == pytest.approx(H * 0.005, abs=0.005)
    # 10 h of sources (5 GB each) in and the ladder (6,024 kbit/s: 2.71 GB an hour) out
    assert lines["NAT data processed"] == pytest.approx(10 * (5 + 6024 * 3600 / 8e6) * 0.05, abs=0.005)
    assert not {"CloudFront data out", "public IPv4, processors"} & lines.keys()


def test_every_price_says_its_region_date_and_source_and_the_catalog_is_priced():
    prices = yaml.safe_load((ROOT / "docs" / "prices.yml").read_text())
    for region, table in prices["regions"].items():
        for key, entry in table.items():
            entries = entry.values() if key in ("ec2_hour", "rds_instance_hour") else [entry]
            for one in entries:
                assert {"date", "source"} <= one.keys() and ("value" in one) != ("us_east_1" in one), (
                    region,
                    key,
                )
    processor = catalog()["videoforge_processor"]
    kinds = [t["type"] for t in processor["capacity"]["instance_types"]] + [processor["instance_type"]]
    for kind in kinds:
        assert kind in prices["instance_types"] and kind in prices["regions"]["ap-southeast-2"]["ec2_hour"], (
            kind
        )
    assert prices["encode"]["cpu_seconds_per_media_second"] > 0 and prices["encode"]["date"]
