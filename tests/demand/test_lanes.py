"""Restock lanes as data: every lane is sourced and dated and sound; the quickest lane from
any of the seller's origins is the default; a port-to-port lane gets the sourced allowance
for customs and haulage on top; a destination without one has none; a broken lane file is
refused with the lane named."""

from __future__ import annotations

from datetime import date

import pytest

from chuhai.demand.lanes import default_lane, lanes, parse
from chuhai.rules_review import facts, problems

LANE = """
[[lanes]]
id = "lane.X"
from = "CN"
to = ["DE"]
mode = "sea"
basis = "door-to-door"
days = [30, 40]
effective_from = 2025-01-01
source = ["https://example.org/a"]
confidence = "secondary"
last_reviewed = 2026-12-07
note = "n"
"""


def test_every_shipped_lane_is_sourced_dated_and_in_the_review_queue():
    shipped = lanes()
    assert shipped and all(lane.source and lane.last_reviewed <= date.today()
                           for lane in shipped)
    assert all(lane.confidence in ("secondary", "unverified") for lane in shipped)
    reviewed = {f.id for f in facts() if f.kind == "lane"}
    assert reviewed == {f"{lane.id}.{to}" for lane in shipped for to in lane.to}
    assert not [p for p in problems(facts()) if p.startswith("lane.")]


def test_the_quickest_lane_from_any_origin_is_the_default():
    two = parse(LANE + LANE.replace('"lane.X"', '"lane.Y"').replace('"CN"', '"VN"')
                .replace("[30, 40]", "[20, 25]"))
    assert default_lane(["CN", "VN"], "DE", two).id == "lane.Y"
    assert default_lane(["CN"], "DE", two).plan_days == 40  # the upper end
    assert default_lane(["CN"], "JP", two) is None
    assert default_lane([], "DE", two) is None


def test_germany_from_china_is_known_and_japan_is_not():
    assert default_lane(["CN"], "DE").basis == "door-to-door"
    assert default_lane(["CN"], "JP") is None


@pytest.mark.parametrize("change,message", [
    (("[30, 40]", "[40, 30]"), "days must be"),
    (("[30, 40]", "[0, 30]"), "days must be"),
    (("[30, 40]", '["30", 40]'), "days must be"),
    (('"door-to-door"', '"by magic"'), "basis"),
    (('to = ["DE"]', 'to = ["Germany"]'), "country codes"),
    (('source = ["https://example.org/a"]', "source = []"), "source"),
])
def test_a_broken_lane_is_refused_with_its_id(change, message):
    with pytest.raises(ValueError, match=message) as err:
        parse(LANE.replace(*change))
    assert "lane.X" in str(err.value)


def test_a_lane_given_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        parse(LANE + LANE.replace('"lane.X"', '"lane.Z"'))


def test_a_port_to_port_lane_gets_customs_and_haulage_on_top():
    allowance = """
[port_to_port_allowance]
days = [3, 9]
source = ["https://example.org/b"]
"""
    two = parse(allowance + LANE + LANE.replace('"lane.X"', '"lane.P"').replace(
        '"door-to-door"', '"port-to-port"').replace('["DE"]', '["GB"]'))
    door, port = two
    assert (door.allowance, door.plan_days) == ((0, 0), 40)
    assert (port.allowance, port.plan_days) == ((3, 9), 49)
    assert port.as_dict()["allowance_days"] == [3, 9]
    shipped = default_lane(["CN"], "GB")
    assert shipped.basis == "port-to-port" and shipped.plan_days == shipped.days[1] + 9
    with pytest.raises(ValueError, match="allowance"):
        parse(allowance.replace("[3, 9]", "[9, 3]") + LANE)
    with pytest.raises(ValueError, match="allowance"):
        parse(allowance.replace('source = ["https://example.org/b"]', "") + LANE)
