"""Deterministic activity of ads entities: the numbers behind every analytics column.

`DayStats` is what one entity (ad account, campaign, ad group or ad) did on one UTC day,
or in one hour of it. Every number comes from hashing (seed, entity id, date[, hour]):
no clock, no shared random state, so the synchronous endpoints, the reports and the
test helpers all compute the same values for the same inputs. Conversions also hash the
conversion_report_time and the day's restatement version, scale with the restatement
factor, and grow with the attribution windows (a window of 0 days attributes nothing).

Within a bucket the numbers are consistent: clicks <= impressions, outbound clicks <=
clicks, engagements >= clicks, spend follows a CPM, video quartiles shrink. Hours of a
day are the day scaled by a diurnal profile, so they add up to about the day. As the
spec's note on `Granularity` says, HOUR buckets carry no conversion data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

Record = dict[str, Any]

# Impressions per day of an average entity, by collection.
LEVEL_SCALE: dict[str, float] = {
    "ad_accounts": 40.0,
    "campaigns": 6.0,
    "ad_groups": 2.5,
    "ads": 1.0,
}
# Share of days an entity delivers on, by status; drafts never run.
STATUS_ACTIVITY: dict[str, float] = {
    "ACTIVE": 0.95,
    "PAUSED": 0.35,
    "ARCHIVED": 0.15,
    "DRAFT": 0.0,
    "DELETED_DRAFT": 0.0,
}
# Share of the attribution at each window (days): 0 attributes nothing, longer windows more.
WINDOW_FACTOR: dict[int, float] = {0: 0.0, 1: 0.35, 7: 0.7, 14: 0.85, 30: 1.0, 60: 1.12}
ACTIONS: tuple[str, ...] = ("CLICK", "ENGAGEMENT", "VIEW")
CHANNELS: tuple[tuple[str, float], ...] = (("WEB", 0.7), ("INAPP", 0.2), ("OFFLINE", 0.1))
_CHANNEL_NAMES = tuple(name for name, _ in CHANNELS)
_CHANNEL_SHARES = tuple(share for _, share in CHANNELS)
DEVICES: tuple[str, ...] = ("DESKTOP", "MOBILE", "TABLET")
# (action device, conversion device) shares of conversions, in DEVICES x DEVICES order.
_CROSS_DEVICE = (0.25, 0.05, 0.01, 0.08, 0.5, 0.02, 0.01, 0.02, 0.06)
# event: (conversions per attributed action, mean value in currency units, share of
# entities that track the event)
EVENTS: dict[str, tuple[float, float, float]] = {
    "PAGE_VISIT": (0.30, 0.0, 1.0),
    "ADD_TO_CART": (0.06, 35.0, 0.9),
    "CHECKOUT": (0.025, 70.0, 0.9),
    "SIGNUP": (0.012, 0.0, 0.6),
    "LEAD": (0.01, 12.0, 0.5),
    "CUSTOM": (0.008, 8.0, 0.4),
    "VIEW_CATEGORY": (0.05, 0.0, 0.7),
    "SEARCH": (0.03, 0.0, 0.6),
    "WATCH_VIDEO": (0.01, 0.0, 0.3),
    "UNKNOWN": (0.004, 5.0, 0.5),
    "APP_INSTALL": (0.004, 1.5, 0.25),
    "ADD_TO_WISHLIST": (0.006, 0.0, 0.3),
    "SUBSCRIBE": (0.003, 9.0, 0.3),
}
# Events Pinterest lists but the simulated advertisers never record (always omitted).
NO_DATA_EVENTS: frozenset[str] = frozenset({"PINTEREST_CHECKOUT"})
FORMATS: tuple[str, ...] = ("IDEA", "SHOWCASE", "QUIZ")
_VIDEO_CREATIVES = frozenset({"VIDEO", "MAX_VIDEO", "IDEA"})
_DIURNAL = (
    *(1.0, 0.7, 0.5, 0.4, 0.4, 0.5, 0.8, 1.2, 1.5, 1.6, 1.6, 1.7),
    *(1.8, 1.8, 1.7, 1.7, 1.8, 2.0, 2.2, 2.4, 2.4, 2.1, 1.7, 1.3),
)
HOUR_WEIGHTS: tuple[float, ...] = tuple(w / sum(_DIURNAL) for w in _DIURNAL)


def uniforms(*parts: object) -> list[float]:
    """16 numbers in [0, 1) hashed from `parts`."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=32).digest()
    return [int.from_bytes(digest[i : i + 2], "big") / 65536.0 for i in range(0, 32, 2)]


def _day_of(ts: Any) -> date | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), tz=UTC).date()


@lru_cache(maxsize=8192)
def apportion(total: int, shares: tuple[float, ...]) -> tuple[int, ...]:
    """Split `total` by `shares` (summing to 1) with cumulative rounding: exact sum, >= 0."""
    out, done, cumulative = [], 0, 0.0
    for share in shares:
        cumulative += share
        upto = min(total, round(total * cumulative))
        out.append(upto - done)
        done = upto
    out[-1] += total - done
    return tuple(out)


@dataclass(frozen=True)
class Attribution:
    """The conversion attribution settings of a request (the API's defaults)."""

    click_window_days: int = 30
    engagement_window_days: int = 30
    view_window_days: int = 1
    conversion_report_time: str = "TIME_OF_AD_ACTION"

    def __post_init__(self) -> None:
        for name in ("click_window_days", "engagement_window_days", "view_window_days"):
            if getattr(self, name) not in WINDOW_FACTOR:
                raise ValueError(f"{name} must be one of 0, 1, 7, 14, 30, 60")
        if self.conversion_report_time not in ("TIME_OF_AD_ACTION", "TIME_OF_CONVERSION"):
            raise ValueError(
                "conversion_report_time must be TIME_OF_AD_ACTION or TIME_OF_CONVERSION"
            )

    def window(self, action: str) -> int:
        return {
            "CLICK": self.click_window_days,
            "ENGAGEMENT": self.engagement_window_days,
            "VIEW": self.view_window_days,
        }[action]


class Profile:
    """What stays fixed for one entity: size, lifetime, formats, conversion habits."""

    def __init__(self, seed: int, entity: str, record: Record, creative_type: str | None) -> None:
        self.seed = seed
        self.entity = entity
        self.id = str(record["id"])
        u = uniforms(seed, "profile", self.id)
        self.scale = LEVEL_SCALE[entity] * (0.4 + 2.1 * u[0])
        self.first_day = _day_of(record.get("created_time"))
        self.last_day = _day_of(record.get("end_time"))
        status = record.get("status")
        self.activity = 1.0 if entity == "ad_accounts" else STATUS_ACTIVITY.get(str(status), 0.0)
        if creative_type is not None:
            self.video = creative_type in _VIDEO_CREATIVES
            self.formats = frozenset(f for f in FORMATS if creative_type == f)
        else:
            self.video = u[1] < 0.5
            self.formats = frozenset(f for i, f in enumerate(FORMATS) if u[2 + i] < 0.3)
        self.leads = u[5] < 0.25
        self.rates: dict[str, float] = {}
        self.values: dict[str, int] = {}
        ue = uniforms(seed, "events", self.id)
        ut = uniforms(seed, "tracked", self.id)
        uv = uniforms(seed, "values", self.id)
        for i, (event, (rate, value, tracked)) in enumerate(EVENTS.items()):
            self.rates[event] = rate * (0.5 + ue[i]) if ut[i] < tracked else 0.0
            self.values[event] = round(value * (0.7 + 0.6 * uv[i]) * 1_000_000)

    def active(self, day: date) -> bool:
        if self.first_day is not None and day < self.first_day:
            return False
        if self.last_day is not None and day > self.last_day:
            return False
        if self.activity >= 1.0:
            return True
        return uniforms(self.seed, self.id, day.toordinal())[0] < self.activity


class DayStats:
    """One entity's activity on `day` (or in `hour` of it): `base` counts plus conversions.

    `base` maps internal names (most are the API's column names) to ints; money is in
    micro-units of the account currency. `restated` is (version, factor) for the day.
    """

    __slots__ = ("_conv", "_memo", "attribution", "base", "day", "hour", "profile", "restated")

    def __init__(
        self,
        profile: Profile,
        day: date,
        attribution: Attribution,
        *,
        hour: int | None = None,
        restated: tuple[int, float] = (0, 1.0),
    ) -> None:
        self.profile, self.day, self.hour = profile, day, hour
        self.attribution, self.restated = attribution, restated
        self._conv: dict[tuple[str, str], int] | None = None
        self._memo: dict[tuple[str | None, str | None, str], int] = {}
        u = uniforms(profile.seed, profile.id, day.toordinal())
        volume = profile.scale * (200 + 1800 * u[1])
        if hour is not None:
            noise = uniforms(profile.seed, profile.id, day.toordinal(), "hour", hour)[0]
            volume *= HOUR_WEIGHTS[hour] * (0.85 + 0.3 * noise)
        impr1 = round(volume)
        click1 = round(impr1 * (0.002 + 0.02 * u[2]))
        out1 = round(click1 * (0.3 + 0.5 * u[3]))
        save1 = round(impr1 * (0.001 + 0.01 * u[4]))
        closeup1 = round(impr1 * 0.01 * u[7])
        impr2 = round(impr1 * (0.05 + 0.3 * u[6]))
        click2 = round(impr2 * (0.002 + 0.016 * u[2]))
        out2 = round(click2 * 0.5)
        save2 = round(impr2 * (0.002 + 0.01 * u[4]))
        spend = round(impr1 * (2.0 + 13.0 * u[5]) * 1000)
        base = {
            "IMPRESSION_1": impr1,
            "IMPRESSION_1_GROSS": impr1 + round(impr1 * 0.03 * u[14]),
            "CLICKTHROUGH_1": click1,
            "CLICKTHROUGH_1_GROSS": click1 + click1 // 20,
            "OUTBOUND_CLICK_1": out1,
            "REPIN_1": save1,
            "ENGAGEMENT_1": click1 + save1 + closeup1,
            "IMPRESSION_2": impr2,
            "CLICKTHROUGH_2": click2,
            "OUTBOUND_CLICK_2": out2,
            "REPIN_2": save2,
            "ENGAGEMENT_2": click2 + save2,
            "TOTAL_IMPRESSION_USER": round((impr1 + impr2) / (1.2 + 1.5 * u[8])),
            "SPEND_IN_MICRO_DOLLAR": spend,
            "WEB_SESSIONS_1": round(out1 * (0.6 + 0.3 * u[9])),
            "WEB_SESSIONS_2": round(out2 * (0.6 + 0.3 * u[9])),
            "TOTAL_DESTINATION_VIEWS": out1 + out2,
            "LEADS": round(click1 * 0.05 * u[12]) if profile.leads else 0,
        }
        if profile.video:
            for suffix, views in (("1", impr1), ("2", impr2)):
                starts = round(views * (0.4 + 0.3 * u[10]))
                for name, share in (
                    ("VIDEO_P0_COMBINED_", 1.0),
                    ("VIDEO_3SEC_VIEWS_", 0.5),
                    ("VIDEO_MRC_VIEWS_", 0.45),
                    ("VIDEO_P25_COMBINED_", 0.4),
                    ("VIDEO_P50_COMBINED_", 0.3),
                    ("VIDEO_P75_COMBINED_", 0.2),
                    ("VIDEO_15SEC_UNIQUE_VIEWS_", 0.15),
                    ("VIDEO_P95_COMBINED_", 0.12),
                    ("VIDEO_P100_COMPLETE_", 0.1),
                ):
                    base[name + suffix] = round(starts * share)
                base["_WATCH_SECONDS_" + suffix] = round(starts * (2.0 + 8.0 * u[11]))
            base["_VIDEO_SPEND"] = spend
        self.base = base

    # ---- format-specific engagement (idea, showcase and quiz pins) -----------------------

    def format_count(self, fmt: str, name: str, earned: bool) -> int:
        if fmt not in self.profile.formats:
            return 0
        share = 0.02 + 0.1 * uniforms("format", name)[0]
        return round(self.base["ENGAGEMENT_2" if earned else "ENGAGEMENT_1"] * share)

    # ---- conversions ---------------------------------------------------------------------

    def conversions(self, action: str, event: str) -> int:
        """Conversions of `event` attributed to `action` (CLICK, ENGAGEMENT or VIEW)."""
        if self._conv is None:
            self._conv = self._conversions()
        return self._conv.get((action, event), 0)

    def _conversions(self) -> dict[tuple[str, str], int]:
        if self.hour is not None:
            return {}
        version, factor = self.restated
        a = self.attribution
        u = uniforms(
            self.profile.seed,
            self.profile.id,
            self.day.toordinal(),
            a.conversion_report_time,
            version,
        )
        base = self.base
        attributed = {
            "CLICK": base["CLICKTHROUGH_1"],
            "ENGAGEMENT": 0.5 * (base["ENGAGEMENT_1"] - base["CLICKTHROUGH_1"]),
            "VIEW": 0.02 * base["IMPRESSION_1"],
        }
        out: dict[tuple[str, str], int] = {}
        for i, action in enumerate(ACTIONS):
            weight = attributed[action] * WINDOW_FACTOR[a.window(action)] * (0.6 + 0.8 * u[i])
            for j, (event, rate) in enumerate(self.profile.rates.items()):
                out[(action, event)] = round(weight * rate * (0.7 + 0.6 * u[3 + j]) * factor)
        return out

    def channel_conversions(self, channel: str | None, action: str | None, event: str) -> int:
        """Conversions for one channel (WEB, INAPP, OFFLINE; None: all) and action (None: all)."""
        key = (channel, action, event)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._channel_conversions(channel, action, event)
        return found

    def _channel_conversions(self, channel: str | None, action: str | None, event: str) -> int:
        if event in NO_DATA_EVENTS:
            return 0
        if event == "CONVERSIONS":
            return sum(self.channel_conversions(channel, action, e) for e in EVENTS)
        total = 0
        for act in ACTIONS if action is None else (action,):
            count = self.conversions(act, event)
            if channel is None:
                total += count
            else:
                total += apportion(count, _CHANNEL_SHARES)[_CHANNEL_NAMES.index(channel)]
        return total

    def conversion_value(self, channel: str | None, action: str | None, event: str) -> int:
        if event == "CONVERSIONS":
            return sum(self.conversion_value(channel, action, e) for e in EVENTS)
        if event in NO_DATA_EVENTS:
            return 0
        return self.channel_conversions(channel, action, event) * self.profile.values[event]

    def cross_device(self, event: str, source: str, target: str) -> int:
        parts = apportion(self.channel_conversions(None, None, event), _CROSS_DEVICE)
        return parts[DEVICES.index(source) * 3 + DEVICES.index(target)]
