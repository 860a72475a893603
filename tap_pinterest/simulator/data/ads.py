"""Generator for the ads side: ad accounts and everything under them."""

from __future__ import annotations

import random
from typing import Any

from tap_pinterest.simulator.data import audiences, vocab
from tap_pinterest.simulator.data.util import (
    DAY,
    EPOCH_START,
    IdSeq,
    cycle,
    jitter_weights,
    record_times,
    scaled,
    split,
)

Record = dict[str, Any]

# Every block of ten entities holds every status, so each one occurs at scale 1.
STATUS_PATTERN = (
    "ACTIVE",
    "PAUSED",
    "ACTIVE",
    "ARCHIVED",
    "DRAFT",
    "ACTIVE",
    "PAUSED",
    "DELETED_DRAFT",
    "ACTIVE",
    "ARCHIVED",
)
_SUMMARY = {
    "ACTIVE": "RUNNING",
    "PAUSED": "PAUSED",
    "ARCHIVED": "ARCHIVED",
    "DRAFT": "DRAFT",
    "DELETED_DRAFT": "DELETED_DRAFT",
}
_AD_SUMMARY = {
    "ACTIVE": "APPROVED",
    "PAUSED": "PAUSED",
    "ARCHIVED": "ARCHIVED",
    "DRAFT": "DRAFT",
    "DELETED_DRAFT": "DELETED_DRAFT",
}
_COUNTRIES = (("US", "USD"), ("GB", "GBP"), ("DE", "EUR"), ("CA", "CAD"), ("AU", "AUD"))
_OBJECTIVES = ("AWARENESS", "CONSIDERATION", "WEB_CONVERSION", "CATALOG_SALES", "VIDEO_COMPLETION")
_NEGATIVE = ("EXACT_NEGATIVE", "PHRASE_NEGATIVE")  # the only ones accounts and campaigns take


def _tracking(rng: random.Random, host: str, entity_id: str) -> Record | None:
    if rng.random() < 0.6:
        return None
    return {
        "impression": [],
        "click": [f"https://{host}/track?id={entity_id}"],
        "engagement": [],
        "buyable_button": [],
        "audience_verification": [],
    }


class AdsGenerator:
    """Builds every ads-side collection from one RNG; call `generate()` once."""

    def __init__(self, rng: random.Random, scale: float, user: Record, pins: list[Record]) -> None:
        self.rng = rng
        self.scale = scale
        self.user = user
        self.pins = pins
        self.out: dict[str, list[Record]] = {}
        self._tags_by_account: dict[str, list[str]] = {}

    def generate(self) -> dict[str, list[Record]]:
        self.out["ad_accounts"] = self.ad_accounts()
        rng = self.rng
        lists = audiences.customer_lists(rng, self._per_account(9))
        self.out["customer_lists"] = lists
        self.out["audiences"] = audiences.audiences(rng, self._per_account(12), lists)
        self.out["conversion_tags"] = audiences.conversion_tags(rng, self._per_account(6))
        for tag in self.out["conversion_tags"]:
            self._tags_by_account.setdefault(tag["ad_account_id"], []).append(tag["id"])
        self.out["campaigns"] = self.campaigns()
        self.out["ad_groups"] = self.ad_groups()
        self.out["ads"] = self.ads()
        self.out["keywords"] = self.keywords()
        return self.out

    def _per_account(self, base: float) -> list[tuple[Record, int]]:
        accounts = self.out["ad_accounts"]
        counts = split(self.rng, scaled(base, self.scale), [1.0] * len(accounts))
        return list(zip(accounts, counts, strict=True))

    def ad_accounts(self) -> list[Record]:
        rng = self.rng
        ids = IdSeq(rng, 5497, 12, max_step=9973)
        others = IdSeq(rng, 1190, 19)
        out = []
        for i in range(scaled(3, self.scale, minimum=1)):
            shared = i % 3 == 2
            country, currency = _COUNTRIES[i % len(_COUNTRIES)]
            if shared:
                owner_name = vocab.business_name(i + 7)
                owner = {"id": others(), "username": owner_name.lower().replace(" ", "_")}
                permissions = ["ANALYST", "CAMPAIGN_MANAGER"]
            else:
                owner_name = str(self.user["business_name"])
                owner = {"id": self.user["id"], "username": self.user["username"]}
                permissions = ["OWNER"]
            created, updated = record_times(rng, EPOCH_START, 300 * DAY)
            out.append(
                {
                    "id": ids(),
                    "name": f"{owner_name} {country} {i + 1}",
                    "owner": owner,
                    "country": country,
                    "currency": currency,
                    "permissions": permissions,
                    "created_time": created,
                    "updated_time": updated,
                }
            )
        return out

    def campaigns(self) -> list[Record]:
        rng = self.rng
        ids = IdSeq(rng, 6267, 12)
        out = []
        for account, count in self._per_account(30):
            for k in range(count):
                status = cycle(STATUS_PATTERN, k)
                words = vocab.Words(rng.getrandbits(64), vocab.THEME_NAMES[k % 10])
                objective = _OBJECTIVES[(k // 2) % len(_OBJECTIVES)]
                created, updated = record_times(rng, account["created_time"], 400 * DAY)
                cid = ids()
                out.append(
                    {
                        "id": cid,
                        "ad_account_id": account["id"],
                        "name": f"{words.adjective.capitalize()} {words.noun} {objective.lower()}",
                        "status": status,
                        "summary_status": _SUMMARY[status],
                        "objective_type": objective,
                        "lifetime_spend_cap": None
                        if k % 3
                        else 1_000_000 * rng.randrange(100, 5000),
                        "daily_spend_cap": None if k % 2 else 1_000_000 * rng.randrange(10, 500),
                        "order_line_id": None,
                        "tracking_urls": _tracking(rng, vocab.domain(k), cid),
                        "start_time": created + DAY,
                        "end_time": None if k % 4 else created + 60 * DAY,
                        "is_flexible_daily_budgets": k % 5 == 0,
                        "is_campaign_budget_optimization": k % 4 == 0,
                        "is_performance_plus": k % 7 == 0,
                        "is_automated_campaign": k % 9 == 0,
                        "bid_options": None
                        if k % 3
                        else {
                            "placement_multipliers": {"SEARCH": 1.2, "BROWSE": 1.0},
                            "app_type_multipliers": {"web": 1.0, "iphone": 1.1},
                        },
                        "type": "campaign",
                        "created_time": created,
                        "updated_time": updated,
                    }
                )
        return out

    def ad_groups(self) -> list[Record]:
        rng = self.rng
        campaigns = self.out["campaigns"]
        audience_ids: dict[str, list[str]] = {}
        for audience in self.out["audiences"]:
            audience_ids.setdefault(audience["ad_account_id"], []).append(audience["id"])
        ids = IdSeq(rng, 2680, 13)
        counts = split(rng, scaled(90, self.scale), jitter_weights(rng, len(campaigns)))
        out = []
        n = 0
        for campaign, count in zip(campaigns, counts, strict=True):
            for _ in range(count):
                status = cycle(STATUS_PATTERN, n)
                words = vocab.Words(rng.getrandbits(64), vocab.THEME_NAMES[n % 10])
                created, updated = record_times(rng, campaign["created_time"], 60 * DAY)
                gid = ids()
                include = audience_ids.get(campaign["ad_account_id"], [])[: 1 + n % 2]
                out.append(
                    {
                        "id": gid,
                        "ad_account_id": campaign["ad_account_id"],
                        "campaign_id": campaign["id"],
                        "name": f"{words.adjective.capitalize()} {words.noun} {words.context}",
                        "status": status,
                        "summary_status": _SUMMARY[status],
                        "budget_in_micro_currency": 1_000_000 * rng.randrange(5, 200),
                        "bid_in_micro_currency": None
                        if n % 3 == 0
                        else 10_000 * rng.randrange(5, 300),
                        "bid_strategy_type": ("AUTOMATIC_BID", "MAX_BID", "TARGET_AVG")[n % 3],
                        "budget_type": ("DAILY", "LIFETIME")[n % 2],
                        "start_time": created + DAY,
                        "end_time": None if n % 4 else created + 30 * DAY,
                        "targeting_spec": {
                            "AGE_BUCKET": ["25-34", "35-44"],
                            "APPTYPE": ["web", "iphone", "android_mobile"],
                            "AUDIENCE_INCLUDE": include,
                            "AUDIENCE_EXCLUDE": [],
                            "GENDER": ["female", "male"] if n % 2 else ["female"],
                            "GEO": ["US"],
                            "INTEREST": [str(924_581_335_376 + 17 * (n % 50))],
                            "LOCALE": ["en-US"],
                            "LOCATION": ["US"],
                            "TARGETING_STRATEGY": ["CHOOSE_YOUR_OWN"],
                        },
                        "lifetime_frequency_cap": 0,
                        "tracking_urls": _tracking(rng, vocab.domain(n), gid),
                        "auto_targeting_enabled": n % 2 == 0,
                        "placement_group": "ALL",
                        "pacing_delivery_type": "STANDARD",
                        "conversion_learning_mode_type": None,
                        "billable_event": ("CLICKTHROUGH", "IMPRESSION")[n % 2],
                        "bid_multiplier": None,
                        "dca_assets": None,
                        "feed_profile_id": "0",
                        "is_creative_optimization": False,
                        "optimization_goal_metadata": self._goal(campaign, n),
                        "promotion_id": None,
                        "promotion_application_level": "NONE",
                        "targeting_template_ids": None,
                        "type": "adgroup",
                        "created_time": created,
                        "updated_time": updated,
                    }
                )
                n += 1
        return out

    def _goal(self, campaign: Record, n: int) -> Record:
        """Goal metadata matching the campaign's objective, as Ads Manager sets it."""
        if campaign["objective_type"] == "AWARENESS":
            return {"frequency_goal_metadata": {"frequency": 2 + n % 5, "timerange": "SEVEN_DAY"}}
        tags = self._tags_by_account.get(campaign["ad_account_id"])
        if campaign["objective_type"] != "WEB_CONVERSION" or not tags:
            return {}
        return {
            "conversion_tag_v3_goal_metadata": {
                "attribution_windows": {
                    "click_window_days": 30,
                    "engagement_window_days": 30,
                    "view_window_days": 1,
                },
                "conversion_event": ("CHECKOUT", "ADD_TO_CART", "SIGNUP", "PAGE_VISIT")[n % 4],
                "conversion_tag_id": tags[n % len(tags)],
                "cpa_goal_value_in_micro_currency": str(1_000_000 * (5 + n % 20)),
                "is_roas_optimized": False,
                "learning_mode_type": "NOT_ACTIVE",
            }
        }

    def ads(self) -> list[Record]:
        rng = self.rng
        groups = self.out["ad_groups"]
        ids = IdSeq(rng, 6871, 12)
        counts = split(rng, scaled(180, self.scale), jitter_weights(rng, len(groups)))
        out = []
        n = 0
        for group, count in zip(groups, counts, strict=True):
            for _ in range(count):
                status = cycle(STATUS_PATTERN, n)
                pin = self.pins[rng.randrange(len(self.pins))] if self.pins else None
                if pin is not None:
                    pin["has_been_promoted"] = True
                pin_id = pin["id"] if pin else str(813_744_226_420_000_000 + n)
                review = "APPROVED" if n % 11 else "REJECTED"
                summary = _AD_SUMMARY[status] if review == "APPROVED" else "REJECTED"
                created, updated = record_times(rng, group["created_time"], 30 * DAY)
                title = (pin or {}).get("title") or "Promoted pin"
                aid = ids()
                out.append(
                    {
                        "id": aid,
                        "ad_account_id": group["ad_account_id"],
                        "campaign_id": group["campaign_id"],
                        "ad_group_id": group["id"],
                        "pin_id": pin_id,
                        "name": f"{title[:80]} ad",
                        "status": status,
                        "summary_status": summary,
                        "review_status": review,
                        "rejected_reasons": [] if review == "APPROVED" else ["LANDING_PAGE"],
                        "rejection_labels": [] if review == "APPROVED" else ["Landing page issue"],
                        "creative_type": (pin or {}).get("creative_type") or "REGULAR",
                        "destination_url": (pin or {}).get("link") or f"https://{vocab.domain(n)}/",
                        "android_deep_link": None,
                        "ios_deep_link": None,
                        "carousel_android_deep_links": None,
                        "carousel_destination_urls": None,
                        "carousel_ios_deep_links": None,
                        "click_tracking_url": None,
                        "view_tracking_url": None,
                        "collection_items_destination_url_template": None,
                        "customizable_cta_type": None,
                        "disclosure_type": None,
                        "disclosure_url": None,
                        "grid_click_type": "CLOSEUP",
                        "is_pin_deleted": False,
                        "is_removable": False,
                        "lead_form_id": None,
                        "quiz_pin_data": None,
                        "tracking_urls": _tracking(rng, vocab.domain(n), aid),
                        "type": "pinpromotion",
                        "created_time": created,
                        "updated_time": updated,
                    }
                )
                n += 1
        return out

    def keywords(self) -> list[Record]:
        """About 6% on ad accounts, 12% on campaigns, the rest on ad groups."""
        rng = self.rng
        ids = IdSeq(rng, 2886, 13)
        total = scaled(240, self.scale)
        n_account, n_campaign = round(total * 0.0625), round(total * 0.125)
        parents: list[tuple[str, list[Record], int, tuple[str, ...]]] = [
            ("advertiser", self.out["ad_accounts"], n_account, _NEGATIVE),
            ("campaign", self.out["campaigns"], n_campaign, _NEGATIVE[::-1]),
            (
                "ad_group",
                self.out["ad_groups"],
                total - n_account - n_campaign,
                ("BROAD", "PHRASE", "EXACT", "BROAD", "EXACT_NEGATIVE"),
            ),
        ]
        out: list[Record] = []
        for parent_type, records, amount, match_types in parents:
            if not records:
                continue
            for parent, count in zip(
                records, split(rng, amount, jitter_weights(rng, len(records))), strict=True
            ):
                for k in range(count):
                    words = vocab.Words(rng.getrandbits(64), vocab.THEME_NAMES[len(out) % 10])
                    match_type = match_types[k % len(match_types)]
                    out.append(
                        {
                            "id": ids(),
                            "value": words.phrase(),
                            "match_type": match_type,
                            "bid": None
                            if match_type in _NEGATIVE
                            else 10_000 * rng.randrange(5, 200),
                            "archived": len(out) % 13 == 12,
                            "parent_id": parent["id"],
                            "parent_type": parent_type,
                            "type": "keyword",
                            "ad_account_id": parent.get("ad_account_id", parent["id"]),
                        }
                    )
        return out
