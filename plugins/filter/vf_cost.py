"""The monthly cost of an inventory's model (`make cost`, playbooks/cost.yml; docs/COST.md).

- ``vf_monthly_cost(model, prices)``: the model (what the inventory declares that AWS bills:
  services, images, network, database, CDN, processor, ladder, and the month's load) priced with
  docs/prices.yml. One line per charge with its arithmetic, the total beside the architecture's
  own estimate, and the cost of a transcoded hour of 1080p per instance type.
- ``vf_cost_table(report)``: that report as a fixed-width table.

Pure arithmetic on plain values (tests/unit/test_cost.py checks it against a hand calculation).
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

GB_PER_TB = 1000
KBIT_PER_GB = 8_000_000
NOT_COUNTED = (
    "CloudWatch (logs, Container Insights, alarms)",
    "Route 53 (the zone and its queries)",
    "ECR image storage",
    "the processors' EBS volumes",
    "SQS, Cognito, SSM, KMS, ACM (within free tiers or free)",
    "data between Availability Zones",
)


class Prices:
    """docs/prices.yml for one region. A price found for the region is its `value`; one that was
    not is `us_east_1` times the region's factor, and the lines using it are marked estimated."""

    def __init__(self, table: dict, region: str):
        if region not in table["regions"]:
            raise AnsibleFilterError(f"vf_monthly_cost: docs/prices.yml has no prices for {region}")
        self.region = table["regions"][region]
        self.hours = float(table["hours_per_month"])
        self.factor = float(self.region["us_east_1_factor"]["value"])
        self.types = table["instance_types"]
        self.encode = table["encode"]
        self.estimate = table["architecture_estimate"]

    def entry(self, key: str, item: str | None = None) -> dict:
        try:
            return self.region[key] if item is None else self.region[key][item]
        except KeyError as e:
            raise AnsibleFilterError(f"vf_monthly_cost: docs/prices.yml has no {key} {item or ''}") from e

    def __call__(self, key: str, item: str | None = None) -> float:
        entry = self.entry(key, item)
        return float(entry["value"]) if "value" in entry else float(entry["us_east_1"]) * self.factor

    def scaled(self, *keys: str | tuple[str, str]) -> bool:
        return any("value" not in (self.entry(*k) if isinstance(k, tuple) else self.entry(k)) for k in keys)


def line(group: str, item: str, quantity: str, monthly: float, estimated: bool, in_total: bool = True):
    """One charge: its arithmetic in words, its dollars, whether a scaled price went into it and
    whether the total counts it (the processors' alternatives do not)."""
    return dict(
        group=group, item=item, quantity=quantity, monthly=monthly, estimated=estimated, in_total=in_total
    )


def kbits(rate: str | int) -> float:
    """A ladder bitrate ("2800k", "128k" or bits per second) in kbit/s."""
    text = str(rate).lower()
    return float(text[:-1]) if text.endswith("k") else float(text) / 1000


def traffic(model: dict) -> dict:
    """What the load means in bytes and requests: viewer segments at the rendition most watched,
    load balancer responses, and the ladder's output per hour transcoded."""
    load, ladder = model["load"], model["ladder"]
    rung = next(r for r in ladder if r["name"] == load["viewing_rendition"])
    viewing_gb = float(load["viewing_tb"]) * GB_PER_TB
    seconds_viewed = viewing_gb * KBIT_PER_GB / (kbits(rung["video_bitrate"]) + kbits(rung["audio_bitrate"]))
    ladder_kbit = sum(kbits(r["video_bitrate"]) + kbits(r["audio_bitrate"]) for r in ladder)
    return {
        "viewing_gb": viewing_gb,
        "segments": seconds_viewed / int(model["segment_seconds"]),
        "response_gb": float(load["requests"]) * float(load["response_kb"]) / 1_000_000,
        "output_gb_per_hour": ladder_kbit * 3600 / KBIT_PER_GB,
        "segments_per_hour": 3600 / int(model["segment_seconds"]) * len(ladder),
    }


def fargate_lines(model: dict, p: Prices) -> list[dict]:
    arch = "arm64" if str(model["images"]["platform"]).endswith("arm64") else "x86"
    vcpu, gb = f"fargate_{arch}_vcpu_hour", f"fargate_{arch}_gb_hour"
    lines, tasks = [], 0
    for name, svc in model["services"].items():
        count, cpu, mem = int(svc["desired_count"]), int(svc["cpu"]) / 1024, int(svc["memory"]) / 1024
        tasks += count
        monthly = count * p.hours * (cpu * p(vcpu) + mem * p(gb))
        quantity = f"{count} x ({cpu:g} vCPU, {mem:g} GB) x {p.hours:g} h, {arch}"
        lines.append(line("services", f"Fargate {name}", quantity, monthly, p.scaled(vcpu, gb)))
    if model["network"].get("assign_public_ip"):
        lines.append(
            line("services", "public IPv4, tasks", f"{tasks} x {p.hours:g} h",
                 tasks * p.hours * p("public_ipv4_hour"), p.scaled("public_ipv4_hour"))
        )  # fmt: skip
    return lines


def load_balancer_lines(model: dict, p: Prices, t: dict) -> list[dict]:
    """Hours, one public address per Availability Zone, and LCUs for the load spread evenly over
    the month (each request a new connection, active for its minute: an upper bound)."""
    requests, seconds = float(model["load"]["requests"]), p.hours * 3600
    dimensions = {
        "new connections": requests / seconds / 25,
        "active connections": requests / (p.hours * 60) / 3000,
        "processed bytes": t["response_gb"] / p.hours,
        "rule evaluations": max(0, len(model["listener_rules"]) - 10) * requests / seconds / 1000,
    }
    largest = max(dimensions, key=dimensions.get)
    lcu = dimensions[largest]
    zones = max(2, len(model["network"].get("public_subnet_ids") or []))
    return [
        line("edge", "load balancer", f"{p.hours:g} h", p.hours * p("alb_hour"), p.scaled("alb_hour")),
        line("edge", "public IPv4, load balancer", f"{zones} zones x {p.hours:g} h",
             zones * p.hours * p("public_ipv4_hour"), p.scaled("public_ipv4_hour")),
        line("edge", "load balancer LCUs", f"{lcu:.4f} LCU ({largest}) x {p.hours:g} h",
             lcu * p.hours * p("alb_lcu_hour"), p.scaled("alb_lcu_hour")),
    ]  # fmt: skip


def tiered(gb: float, first: float, next_price: float, tier_gb: float = 10_000) -> float:
    return min(gb, tier_gb) * first + max(0.0, gb - tier_gb) * next_price


def delivery_lines(model: dict, p: Prices, t: dict) -> list[dict]:
    """Viewers' bytes and requests: through CloudFront (origin fetches free, its free tier first)
    or, without it, straight from S3 and the load balancer to the internet."""
    out_gb = t["viewing_gb"] + t["response_gb"]
    if not model["cdn"].get("enabled"):
        free = p("internet_out_free_gb")
        return [
            line("delivery", "data out to the internet", f"({out_gb:,.0f} - {free:g} free) GB",
                 max(0.0, out_gb - free) * p("internet_out_gb"), p.scaled("internet_out_gb"))
        ]  # fmt: skip
    free, free_requests = p("cloudfront_free_gb"), p("cloudfront_free_requests")
    requests = t["segments"] + float(model["load"]["requests"])
    over = max(0.0, requests - free_requests)
    per_10k = "cloudfront_https_10k_requests"
    return [
        line("delivery", "CloudFront data out", f"({out_gb:,.0f} - {free:g} free) GB",
             tiered(max(0.0, out_gb - free), p("cloudfront_out_gb"), p("cloudfront_out_next_gb")),
             p.scaled("cloudfront_out_gb", "cloudfront_out_next_gb")),
        line("delivery", "CloudFront requests", f"({requests:,.0f} - {free_requests:,.0f} free)",
             over / 10_000 * p(per_10k), over > 0 and p.scaled(per_10k)),
    ]  # fmt: skip


def storage_lines(model: dict, p: Prices, t: dict) -> list[dict]:
    """Stored bytes; PUTs for the uploads' parts, each segment and the playlist rewritten after
    it, the master; GETs for viewer segments (only CloudFront's misses when it is on)."""
    load = model["load"]
    hours, uploads = float(load["transcoded_hours"]), int(load["uploads"])
    parts = hours * float(load["source_gb_per_hour"]) * 1e9 / int(model["uploads"]["part_size"])
    puts = parts + 2 * uploads + 2 * hours * t["segments_per_hour"] + uploads
    misses = 1 - float(load["cdn_hit_ratio"]) if model["cdn"].get("enabled") else 1.0
    gets = t["segments"] * misses
    return [
        line("storage", "S3 storage", f"{float(load['stored_gb']):,.0f} GB-month",
             float(load["stored_gb"]) * p("s3_gb_month"), p.scaled("s3_gb_month")),
        line("storage", "S3 PUT requests", f"{puts:,.0f}",
             puts / 1000 * p("s3_put_1k"), p.scaled("s3_put_1k")),
        line("storage", "S3 GET requests", f"{t['segments']:,.0f} segments x {misses:g}",
             gets / 1000 * p("s3_get_1k"), p.scaled("s3_get_1k")),
    ]  # fmt: skip


def database_lines(model: dict, p: Prices) -> list[dict]:
    rds = model["database"].get("rds") or {}
    if not rds:
        return [line("database", "PostgreSQL", "not created by the model (rds: {}): yours", 0.0, False)]
    copies = 2 if rds.get("multi_az") else 1
    cls, storage = rds["instance_class"], float(rds["allocated_storage"])
    return [
        line("database", f"RDS {cls}", f"{copies} x {p.hours:g} h",
             copies * p.hours * p("rds_instance_hour", cls), p.scaled(("rds_instance_hour", cls))),
        line("database", "RDS storage", f"{copies} x {storage:g} GB-month",
             copies * storage * p("rds_storage_gb_month"), p.scaled("rds_storage_gb_month")),
    ]  # fmt: skip


def instance_hours_per_media_hour(p: Prices, kind: str, credits: str) -> float:
    """Hours an instance of ``kind`` runs per hour of 1080p: the measured CPU seconds per media
    second over its vCPUs at its x264 speed (a burstable type in standard mode at its baseline)."""
    facts = p.types[kind]
    cpu = p.encode["cpu_seconds_per_media_second"]
    if cpu is None:
        raise AnsibleFilterError("vf_monthly_cost: docs/prices.yml has no measured encode speed yet")
    speed = float(facts["x264_speed"])
    if "burstable_baseline" in facts and credits == "standard":
        speed *= float(facts["burstable_baseline"])
    return float(cpu) / (int(facts["vcpus"]) * speed)


def busy_hour_price(p: Prices, kind: str, credits: str) -> float:
    """An instance-hour with FFmpeg holding every vCPU: unlimited credits add the surplus."""
    facts, price = p.types[kind], p("ec2_hour", kind)
    if "burstable_baseline" in facts and credits == "unlimited":
        price += int(facts["vcpus"]) * (1 - float(facts["burstable_baseline"])) * p("t3_surplus_vcpu_hour")
    return price


def transcoded_hours_by_type(model: dict, p: Prices) -> list[dict]:
    capacity = model["processor"]["capacity"]
    credits = capacity.get("burstable_credits", "standard")
    kinds = [(t["type"], credits, "capacity") for t in capacity["instance_types"]]
    kinds.append((model["processor"]["instance_type"], "unlimited", "launch template today"))
    rows = []
    for kind, mode, role in kinds:
        hours = instance_hours_per_media_hour(p, kind, mode)
        on_demand = hours * busy_hour_price(p, kind, mode)
        rows.append({
            "type": kind, "role": role, "credits": mode if "burstable_baseline" in p.types[kind] else None,
            "instance_hours": hours, "on_demand": on_demand,
            "spot": hours * (busy_hour_price(p, kind, mode) - p("ec2_hour", kind) * p("spot_discount")),
            "estimated": p.scaled(("ec2_hour", kind)),
        })  # fmt: skip
    return rows


def processor_lines(model: dict, p: Prices, rows: list[dict]) -> list[dict]:
    """Instance time for the month's hours plus each upload's overhead. On demand: the first type
    (prioritized); Spot: the dearest type per transcoded hour (price-capacity-optimized picks by
    capacity first). The total takes the model's split; both ends are shown beside it."""
    load, capacity = model["load"], model["processor"]["capacity"]
    hours, overhead = float(load["transcoded_hours"]), overhead_hours(load)
    fleet = [r for r in rows if r["role"] == "capacity"]
    first, dearest = fleet[0], max(fleet, key=lambda r: r["spot"])
    on_demand = hours * first["on_demand"] + overhead * p("ec2_hour", first["type"])
    spot_hour = p("ec2_hour", dearest["type"]) * (1 - p("spot_discount"))
    spot = hours * dearest["spot"] + overhead * spot_hour
    # A fleet that mostly runs no more instances than its on-demand base is all on demand.
    above_base = int(capacity["on_demand_percentage_above_base_capacity"]) / 100
    share = 1.0 if int(capacity["on_demand_base_capacity"]) >= 1 else above_base
    today = next(r for r in rows if r["role"] == "launch template today")

    def used(row: dict) -> str:
        return f"{hours:g} h x {row['instance_hours']:.2f} + {overhead:.1f} h overhead, instance-h"

    return [
        line("processors", f"fleet, {share:.0%} on demand", used(first if share else dearest),
             share * on_demand + (1 - share) * spot, first["estimated"] or dearest["estimated"]),
        line("processors", f"all on demand ({first['type']})", used(first),
             on_demand, first["estimated"], False),
        line("processors", f"all Spot (at most: {dearest['type']})", used(dearest),
             spot, dearest["estimated"], False),
        line("processors", f"today: {today['type']} on demand", used(today),
             hours * today["on_demand"] + overhead * p("ec2_hour", today["type"]), today["estimated"], False),
    ]  # fmt: skip


def egress_lines(model: dict, p: Prices, t: dict, instance_hours: float) -> list[dict]:
    """How the processors reach S3, SQS and the internet: a NAT gateway (its hours, its address
    and every byte through it: sources in, renditions out) or a public address each."""
    load = model["load"]
    if model["processor"]["egress"]["route"] == "public_ip":
        return [
            line("network", "public IPv4, processors", f"{instance_hours:,.1f} instance-h",
                 instance_hours * p("public_ipv4_hour"), p.scaled("public_ipv4_hour"))
        ]  # fmt: skip
    gb = float(load["transcoded_hours"]) * (float(load["source_gb_per_hour"]) + t["output_gb_per_hour"])
    return [
        line("network", "NAT gateway", f"{p.hours:g} h",
             p.hours * p("nat_gateway_hour"), p.scaled("nat_gateway_hour")),
        line("network", "public IPv4, NAT gateway", f"{p.hours:g} h", p.hours * p("public_ipv4_hour"),
             p.scaled("public_ipv4_hour")),
        line("network", "NAT data processed", f"{gb:,.1f} GB (sources in, renditions out)",
             gb * p("nat_gateway_gb"), p.scaled("nat_gateway_gb")),
    ]  # fmt: skip


def overhead_hours(load: dict) -> float:
    return int(load["uploads"]) * float(load["instance_overhead_minutes_per_upload"]) / 60


def in_estimate(entry: dict) -> bool:
    return entry["item"].startswith("Fargate ") or entry["group"] == "processors"


def monthly_cost(model: dict, prices: dict) -> dict:
    p = Prices(prices, model["region"])
    t = traffic(model)
    rows = transcoded_hours_by_type(model, p)
    load = model["load"]
    fleet_hours = float(load["transcoded_hours"]) * rows[0]["instance_hours"] + overhead_hours(load)
    lines = [
        *fargate_lines(model, p),
        *load_balancer_lines(model, p, t),
        *delivery_lines(model, p, t),
        *storage_lines(model, p, t),
        *database_lines(model, p),
        *egress_lines(model, p, t, fleet_hours),
        *processor_lines(model, p, rows),
    ]
    for entry in lines:
        entry["monthly"] = round(entry["monthly"], 2)
    counted = [entry for entry in lines if entry["in_total"]]
    total = round(sum(entry["monthly"] for entry in counted), 2)
    # What the estimate itself counts: the three services on Fargate and the processors.
    its_scope = sum(e["monthly"] for e in counted if in_estimate(e))
    low, high = float(p.estimate["low"]), float(p.estimate["high"])
    return {
        "environment": model["environment"],
        "region": model["region"],
        "load": dict(load),
        "lines": lines,
        "total": total,
        "estimate": {"low": low, "high": high, "its_scope": round(its_scope, 2)},
        "transcoded_hour": [
            {**r, **{k: round(r[k], 4) for k in ("instance_hours", "on_demand", "spot")}} for r in rows
        ],
        "encode": dict(p.encode),
        "spot_discount": p("spot_discount"),
        "us_east_1_factor": p.factor,
        "not_counted": list(NOT_COUNTED),
    }


ROW = "{:10} {:32} {:54} {:>9}{}"
TYPE_ROW = "  {:12} {:32} {:>10} {:>10} {:>8}{}"


def cost_table(report: dict) -> str:
    load, estimate, encode = report["load"], report["estimate"], report["encode"]
    out = [
        f"VideoForge {report['environment']} ({report['region']}), a month of: {load['viewing_tb']:g} TB "
        f"viewed, {float(load['requests']):,.0f} requests, {load['uploads']} uploads, "
        f"{load['transcoded_hours']:g} h transcoded",
        "",
        ROW.format("", "", "quantity", "$/month", ""),
    ]
    for e in report["lines"]:
        amount = f"{e['monthly']:.2f}" if e["in_total"] else f"({e['monthly']:.2f})"
        out.append(
            ROW.format(e["group"], e["item"][:32], e["quantity"][:54], amount, "*" if e["estimated"] else "")
        )
    out += [
        ROW.format("", "total", "", f"{report['total']:.2f}", ""),
        ROW.format("", "the architecture's estimate", "Fargate and processors only",
                   f"{estimate['low']:.0f}-{estimate['high']:.0f}", ""),
        ROW.format("", "this model, the same lines", "Fargate and processors",
                   f"{estimate['its_scope']:.2f}", ""),
        "",
        f"A transcoded hour of 1080p, the whole ladder ({encode['cpu_seconds_per_media_second']} CPU s a "
        f"media s, measured {encode['date']}; Spot {report['spot_discount']:.0%} off):",
        TYPE_ROW.format("type", "role", "instance-h", "on demand", "Spot", ""),
    ]  # fmt: skip
    for r in report["transcoded_hour"]:
        role = r["role"] + (f", {r['credits']}" if r["credits"] else "")
        cells = (f"{r['instance_hours']:.2f}", f"{r['on_demand']:.3f}", f"{r['spot']:.3f}")
        out.append(TYPE_ROW.format(r["type"], role, *cells, "*" if r["estimated"] else ""))
    factor = f"{report['us_east_1_factor']:g}"
    out += [
        "",
        "(x) beside the total, not in it.",
        f"* no price for {report['region']} found: us-east-1's x {factor} (docs/prices.yml).",
        "Not counted: " + "; ".join(report["not_counted"]) + ".",
    ]
    return "\n".join(out)


class FilterModule:
    def filters(self):
        return {"vf_monthly_cost": monthly_cost, "vf_cost_table": cost_table}
