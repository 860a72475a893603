"""Organic analytics: GET /user_account/analytics and GET /pins/analytics."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tap_pinterest.simulator import Simulator
from tap_pinterest.simulator.analytics.columns_catalog import USER_ACCOUNT_METRIC_TYPES

from .conftest import Api, days_ago


def test_user_account_analytics_shape_and_helper(asim: Simulator, aapi: Api) -> None:
    response = aapi.get("/user_account/analytics", start_date=days_ago(6), end_date=days_ago(0))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == asim.analytics.user_account_analytics(days_ago(6), days_ago(0))
    assert list(body) == ["all"]
    daily = body["all"]["daily_metrics"]
    assert [d["date"] for d in daily] == [days_ago(n) for n in range(6, -1, -1)]
    assert [d["data_status"] for d in daily] == ["READY"] * 6 + ["PROCESSING"]
    assert "metrics" not in daily[-1]  # today is still processing
    for day in daily[:-1]:
        assert list(day["metrics"]) == list(USER_ACCOUNT_METRIC_TYPES)
        metrics = day["metrics"]
        assert all(isinstance(metrics[m], int) for m in ("IMPRESSION", "SAVE", "PIN_CLICK"))
        assert metrics["SAVE_RATE"] == metrics["SAVE"] / metrics["IMPRESSION"]
        assert metrics["ENGAGEMENT"] >= metrics["PIN_CLICK"]
    summary = body["all"]["summary_metrics"]
    assert summary["IMPRESSION"] == sum(d["metrics"]["IMPRESSION"] for d in daily[:-1])
    assert summary["PIN_CLICK_RATE"] == summary["PIN_CLICK"] / summary["IMPRESSION"]


def test_user_account_metric_types_and_filters(aapi: Api) -> None:
    base = {"start_date": days_ago(10), "end_date": days_ago(1)}
    chosen = aapi.get("/user_account/analytics", **base, metric_types="IMPRESSION,SAVE_RATE")
    summary = chosen.json()["all"]["summary_metrics"]
    assert list(summary) == ["IMPRESSION", "SAVE_RATE"]
    everything = aapi.get("/user_account/analytics", **base).json()["all"]["summary_metrics"]
    assert summary["IMPRESSION"] == everything["IMPRESSION"]
    defaults = aapi.get(
        "/user_account/analytics",
        **base,
        from_claimed_content="BOTH",
        pin_format="ALL",
        app_types="ALL",
        content_type="ALL",
        source="ALL",
        split_field="NO_SPLIT",
    )
    assert defaults.json()["all"]["summary_metrics"] == everything
    mobile = aapi.get("/user_account/analytics", **base, app_types="MOBILE", content_type="PAID")
    assert 0 < mobile.json()["all"]["summary_metrics"]["IMPRESSION"] < everything["IMPRESSION"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("metric_types", "IMPRESSION,CLOSEUP"),
        ("app_types", "PHONE"),
        ("content_type", "BOTH"),
        ("source", "MINE"),
        ("from_claimed_content", "ALL"),
        ("pin_format", "VIDEO"),
        ("split_field", "COUNTRY"),
        ("split_field", "APP_TYPE"),  # a real split: not simulated
    ],
)
def test_user_account_bad_parameters(aapi: Api, name: str, value: str) -> None:
    response = aapi.get(
        "/user_account/analytics", start_date=days_ago(3), end_date=days_ago(0), **{name: value}
    )
    assert response.status_code == 400
    assert response.json()["code"] == 1 and name in response.json()["message"]


def test_user_account_required_dates_and_business_access(aapi: Api) -> None:
    missing = aapi.get("/user_account/analytics", end_date=days_ago(0))
    assert missing.status_code == 400 and "start_date" in missing.json()["message"]
    unknown = aapi.get(
        "/user_account/analytics",
        start_date=days_ago(3),
        end_date=days_ago(0),
        ad_account_id="999999999",
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == 2


def _video_and_image_pins(sim: Simulator) -> tuple[dict[str, Any], dict[str, Any]]:
    video = next(p for p in sim.dataset.pins if p["media"]["media_type"] == "video")
    image = next(p for p in sim.dataset.pins if p["media"]["media_type"] == "image")
    return video, image


def test_pin_analytics_keyed_by_pin_id(asim: Simulator, aapi: Api) -> None:
    video, image = _video_and_image_pins(asim)
    metric_types = "IMPRESSION,SAVE,SAVE_RATE,VIDEO_START,VIDEO_AVG_WATCH_TIME,TOTAL_COMMENTS"
    response = aapi.get(
        "/pins/analytics",
        pin_ids=f"{video['id']},{image['id']}",
        start_date=days_ago(4),
        end_date=days_ago(0),
        metric_types=metric_types,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == asim.analytics.pin_analytics(
        [video["id"], image["id"]], days_ago(4), days_ago(0), metric_types.split(",")
    )
    assert set(body) == {video["id"], image["id"]}
    for pin, is_video in ((video, True), (image, False)):
        entry = body[pin["id"]]["all"]
        ready = [d for d in entry["daily_metrics"] if d["data_status"] == "READY"]
        assert len(ready) == 4 and entry["daily_metrics"][-1]["data_status"] == "PROCESSING"
        assert ("VIDEO_START" in entry["summary_metrics"]) is is_video
        assert "TOTAL_COMMENTS" not in entry["summary_metrics"]
        # The same lifetime numbers as the Pin lists' pin_metrics.
        listed, _ = aapi.get_all(f"/boards/{pin['board_id']}/pins", pin_metrics="true")
        lifetime = next(p for p in listed if p["id"] == pin["id"])["pin_metrics"]
        comments = lifetime["lifetime_metrics"]["comment"]
        assert entry["lifetime_metrics"] == {"TOTAL_COMMENTS": comments}


def test_pin_analytics_before_the_pin_existed(asim: Simulator) -> None:
    pin = asim.dataset.pins[len(asim.dataset.pins) // 2]
    created = date.fromisoformat(pin["created_at"][:10])
    start, end = created - timedelta(days=3), created + timedelta(days=3)
    body = asim.analytics.pin_analytics([pin["id"]], start, end, ["IMPRESSION"])
    daily = body[pin["id"]]["all"]["daily_metrics"]
    assert [d["data_status"] for d in daily] == ["BEFORE_PIN_CREATED"] * 3 + ["READY"] * 4
    assert all("metrics" not in d for d in daily[:3])


@pytest.mark.parametrize(
    ("params", "status", "code", "words"),
    [
        ({"metric_types": "IMPRESSION"}, 400, 1, "pin_ids"),
        ({"pin_ids": "{pin}"}, 400, 1, "metric_types"),
        ({"pin_ids": ",".join(["{pin}"] * 101), "metric_types": "IMPRESSION"}, 400, 1, "100"),
        ({"pin_ids": "{pin}", "metric_types": "ENGAGEMENT"}, 400, 1, "metric_types"),
        ({"pin_ids": "{pin}", "metric_types": "SAVE", "app_types": "TV"}, 400, 1, "app_types"),
        ({"pin_ids": "{pin},123", "metric_types": "SAVE"}, 404, 50, "123"),
    ],
)
def test_pin_analytics_errors(
    asim: Simulator, aapi: Api, params: dict[str, str], *, status: int, code: int, words: str
) -> None:
    pin = asim.dataset.pins[0]["id"]
    query = {k: v.replace("{pin}", pin) for k, v in params.items()}
    response = aapi.get("/pins/analytics", start_date=days_ago(3), end_date=days_ago(0), **query)
    assert response.status_code == status
    assert response.json()["code"] == code and words in response.json()["message"]


def test_a_hundred_pins_are_fine(asim: Simulator, aapi: Api) -> None:
    pins = [p["id"] for p in asim.dataset.pins[:100]]
    response = aapi.get(
        "/pins/analytics",
        pin_ids=",".join(pins),
        metric_types=["IMPRESSION", "SAVE"],
        start_date=days_ago(2),
        end_date=days_ago(1),
    )
    assert response.status_code == 200 and set(response.json()) == set(pins)
