"""Which client a request is counted against: the address the trusted edge appended to
X-Forwarded-For, never one the client wrote there itself."""

from __future__ import annotations

import pytest

from videoforge.ratelimit import Rate, client_address, parse_limits


def test_behind_the_load_balancer_the_last_entry_is_the_client():
    assert client_address(["203.0.113.9"], "10.0.1.5", 1) == "203.0.113.9"
    # The client's own header comes first; the ALB appends what it saw.
    assert client_address(["1.2.3.4, 203.0.113.9"], "10.0.1.5", 1) == "203.0.113.9"
    assert client_address(["1.2.3.4", "203.0.113.9"], "10.0.1.5", 1) == "203.0.113.9"


def test_behind_cloudfront_and_the_load_balancer_the_viewer_is_second_from_the_right():
    # CloudFront appends the viewer, the ALB then CloudFront's edge address.
    header = ["forged, 198.51.100.7, 130.176.0.1"]
    assert client_address(header, "10.0.1.5", 2) == "198.51.100.7"


def test_an_edge_that_replaces_the_header_gives_its_one_entry():
    assert client_address(["127.0.0.1"], "127.0.0.1", 2) == "127.0.0.1"


def test_without_a_header_or_trusted_hops_the_peer_counts():
    assert client_address([], "192.0.2.1", 1) == "192.0.2.1"
    assert client_address(["203.0.113.9"], "192.0.2.1", 0) == "192.0.2.1"


def test_ipv6_clients_count_by_their_64_and_mapped_v4_as_v4():
    a = client_address(["2001:db8:1:2::1"], None, 1)
    b = client_address(["2001:db8:1:2:ffff::9"], None, 1)
    assert a == b == "2001:db8:1:2::/64"
    assert client_address(["::ffff:203.0.113.9"], None, 1) == "203.0.113.9"


def test_what_no_edge_writes_shares_one_bucket():
    assert client_address(["not-an-address"], None, 1) == client_address(["x"], None, 1)


def test_limits_come_from_the_models_json():
    limits = parse_limits('{"sign_in_per_address": {"requests": 30, "seconds": 300}}')
    assert limits == {"sign_in_per_address": Rate(30, 300.0)}
    assert parse_limits("") == {}
    with pytest.raises(ValueError):
        parse_limits('{"x": {"requests": 0, "seconds": 60}}')
