"""Get-by-id endpoints: one record of a synced entity, exactly as its list serves it.

Each route is one `ById` declaration: the collection, the path parameter holding the id,
its length limit, the 404 answered for an unknown id, and what else the endpoint takes.
Ads entities live under `/ad_accounts/{ad_account_id}`: the account is checked first
(400 malformed, 404 unknown) and a record of another account is a 404, as an unknown id.

The spec documents the 404 codes of ad accounts (2), boards (40), pins (50), feeds (4161)
and product groups (4180). It documents none for campaigns, ad groups, ads, audiences,
customer lists and conversion tags; for those the simulator answers code 2 and
"<Entity> not found.", as for ad accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tap_pinterest.simulator.data.dataset import Record
from tap_pinterest.simulator.endpoints.common import Ctx, ad_account, business_access
from tap_pinterest.simulator.endpoints.lists import with_pin_metrics
from tap_pinterest.simulator.endpoints.params import ApiError, Query, check_id

#: The length limit of ads ids in the spec (`maxLength: 18`); other ids have none.
ADS_ID_LENGTH = 18


def _pin_render(query: Query) -> Callable[[Record], Record] | None:
    return with_pin_metrics if query.boolean("pin_metrics", False) else None


@dataclass(frozen=True)
class ById:
    """One `GET .../{id}` route."""

    entity: str
    id_param: str
    not_found: tuple[int, str]
    max_length: int | None = None
    #: Under `/ad_accounts/{ad_account_id}`: the record must belong to that account.
    in_ad_account: bool = False
    #: Takes the optional `ad_account_id` query parameter ("operation user_account").
    business_access: bool = False
    #: Reads its query options (400 on a bad one) and returns how to render the record.
    options: Callable[[Query], Callable[[Record], Record] | None] | None = None

    def __call__(self, ctx: Ctx) -> Record:
        account = ad_account(ctx) if self.in_ad_account else None
        if self.business_access:
            business_access(ctx)
        record_id = ctx.args[self.id_param]
        check_id(self.id_param, record_id, self.max_length)
        render = self.options(ctx.query) if self.options else None
        dataset = ctx.dataset
        with dataset.lock:
            found = dataset.by_id(self.entity, record_id)
            if found is None or (account is not None and found["ad_account_id"] != account["id"]):
                raise ApiError(404, *self.not_found)
            record = dataset.to_api(self.entity, found)
        return render(record) if render else record


def _ads(entity: str, id_param: str, label: str) -> ById:
    return ById(entity, id_param, (2, f"{label} not found."), ADS_ID_LENGTH, in_ad_account=True)


def _org(
    entity: str,
    id_param: str,
    not_found: tuple[int, str],
    options: Callable[[Query], Callable[[Record], Record] | None] | None = None,
) -> ById:
    return ById(entity, id_param, not_found, business_access=True, options=options)


BY_ID: dict[str, ById] = {
    "get_ad_account": ById(
        "ad_accounts", "ad_account_id", (2, "AdAccount not found."), ADS_ID_LENGTH
    ),
    "get_campaign": _ads("campaigns", "campaign_id", "Campaign"),
    "get_ad_group": _ads("ad_groups", "ad_group_id", "Ad group"),
    "get_ad": _ads("ads", "ad_id", "Ad"),
    "get_audience": _ads("audiences", "audience_id", "Audience"),
    "get_customer_list": _ads("customer_lists", "customer_list_id", "Customer list"),
    "get_conversion_tag": _ads("conversion_tags", "conversion_tag_id", "Conversion tag"),
    "get_board": _org("boards", "board_id", (40, "Board not found.")),
    "get_pin": _org("pins", "pin_id", (50, "Pin not found."), options=_pin_render),
    "get_catalogs_feed": _org(
        "catalogs_feeds", "feed_id", (4161, "Sorry! We could not find your catalogs feed.")
    ),
    "get_catalogs_product_group": _org(
        "catalogs_product_groups",
        "product_group_id",
        (4180, "Sorry! We could not find your catalogs product group."),
    ),
}
HANDLERS: dict[str, Callable[[Ctx], Record]] = dict(BY_ID)
