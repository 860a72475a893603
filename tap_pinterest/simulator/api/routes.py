"""The simulated Pinterest API v5 routes, with their rate-limit categories.

One table: the WSGI map, the rate limiter, the request log and the tests all read it.
Templates use the spec's `{name}` syntax, prefixed with `/v5`; the spec-conformance test
checks every category against the spec's `x-ratelimit-category`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

API_PREFIX = "/v5"


@dataclass(frozen=True)
class Route:
    """One simulated operation."""

    name: str
    method: str
    template: str
    category: str
    paginated: bool = True

    @property
    def spec_path(self) -> str:
        """The path as the OpenAPI spec writes it (without `/v5`)."""
        return self.template.removeprefix(API_PREFIX)

    @property
    def rule(self) -> str:
        """The werkzeug rule: `{name}` -> `<name>`."""
        return re.sub(r"\{(\w+)\}", r"<\1>", self.template)


def _r(
    name: str, path: str, category: str, *, paginated: bool = True, method: str = "GET"
) -> Route:
    return Route(name, method, API_PREFIX + path, category, paginated)


def _g(name: str, path: str, category: str) -> Route:
    return _r(name, path, category, paginated=False)


def _a(name: str, path: str, category: str = "ads_analytics", method: str = "GET") -> Route:
    return _r(name, path, category, paginated=False, method=method)


ROUTES: tuple[Route, ...] = (
    _r("user_account", "/user_account", "org_read", paginated=False),
    _r("ad_accounts", "/ad_accounts", "ads_read"),
    _r("campaigns", "/ad_accounts/{ad_account_id}/campaigns", "ads_read"),
    _r("ad_groups", "/ad_accounts/{ad_account_id}/ad_groups", "ads_read"),
    _r("ads", "/ad_accounts/{ad_account_id}/ads", "ads_read"),
    _r("keywords", "/ad_accounts/{ad_account_id}/keywords", "ads_read"),
    _r("audiences", "/ad_accounts/{ad_account_id}/audiences", "ads_read"),
    _r("customer_lists", "/ad_accounts/{ad_account_id}/customer_lists", "ads_read"),
    _r(
        "conversion_tags",
        "/ad_accounts/{ad_account_id}/conversion_tags",
        "ads_read",
        paginated=False,
    ),
    _r("boards", "/boards", "org_read"),
    _r("board_sections", "/boards/{board_id}/sections", "org_read"),
    _r("board_pins", "/boards/{board_id}/pins", "org_read"),
    _r("board_section_pins", "/boards/{board_id}/sections/{section_id}/pins", "org_read"),
    _r("pins", "/pins", "org_read"),
    _r("catalogs", "/catalogs", "catalogs_read"),
    _r("catalogs_feeds", "/catalogs/feeds", "catalogs_read"),
    _r("catalogs_product_groups", "/catalogs/product_groups", "catalogs_read"),
    _r("oauth_token", "/oauth/token", "org_read", paginated=False, method="POST"),
    # One record by id, as its list serves it: see endpoints/by_id.py.
    _g("get_ad_account", "/ad_accounts/{ad_account_id}", "ads_read"),
    _g("get_campaign", "/ad_accounts/{ad_account_id}/campaigns/{campaign_id}", "ads_read"),
    _g("get_ad_group", "/ad_accounts/{ad_account_id}/ad_groups/{ad_group_id}", "ads_read"),
    _g("get_ad", "/ad_accounts/{ad_account_id}/ads/{ad_id}", "ads_read"),
    _g("get_audience", "/ad_accounts/{ad_account_id}/audiences/{audience_id}", "ads_read"),
    _g(
        "get_customer_list",
        "/ad_accounts/{ad_account_id}/customer_lists/{customer_list_id}",
        "ads_read",
    ),
    _g(
        "get_conversion_tag",
        "/ad_accounts/{ad_account_id}/conversion_tags/{conversion_tag_id}",
        "ads_read",
    ),
    _g("get_board", "/boards/{board_id}", "org_read"),
    _g("get_pin", "/pins/{pin_id}", "org_read"),
    _g("get_catalogs_feed", "/catalogs/feeds/{feed_id}", "catalogs_read"),
    _g(
        "get_catalogs_product_group", "/catalogs/product_groups/{product_group_id}", "catalogs_read"
    ),
    # Analytics and reports: not lists (bare arrays or objects), see endpoints/analytics.py.
    _a("ad_account_analytics", "/ad_accounts/{ad_account_id}/analytics"),
    _a("campaign_analytics", "/ad_accounts/{ad_account_id}/campaigns/analytics"),
    _a("ad_group_analytics", "/ad_accounts/{ad_account_id}/ad_groups/analytics"),
    _a("ad_analytics", "/ad_accounts/{ad_account_id}/ads/analytics"),
    _a("user_account_analytics", "/user_account/analytics", "org_analytics"),
    _a("pin_analytics", "/pins/analytics", "org_analytics"),
    _a("create_report", "/ad_accounts/{ad_account_id}/reports", method="POST"),
    _a("get_report", "/ad_accounts/{ad_account_id}/reports"),
)
ROUTES_BY_NAME: dict[str, Route] = {route.name: route for route in ROUTES}
CATEGORIES: tuple[str, ...] = tuple(sorted({route.category for route in ROUTES}))
