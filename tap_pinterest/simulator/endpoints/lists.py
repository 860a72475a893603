"""The list endpoints and the user account: each validates its parameters, returns an answer.

List handlers return a `Listing` (filters are validated at once; records are loaded
lazily and cached by the app, which paginates). Single objects are returned as dicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tap_pinterest.simulator.analytics.organic import pin_lifetime
from tap_pinterest.simulator.data.dataset import Record
from tap_pinterest.simulator.endpoints.common import Ctx, Listing, ad_account, business_access
from tap_pinterest.simulator.endpoints.params import ApiError, bad_parameter

ENTITY_STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED", "DRAFT", "DELETED_DRAFT")
DEFAULT_ENTITY_STATUSES = ("ACTIVE", "PAUSED")
ORDERS = ("ASCENDING", "DESCENDING")
MATCH_TYPES = ("BROAD", "PHRASE", "EXACT", "EXACT_NEGATIVE", "PHRASE_NEGATIVE")
BOARD_PRIVACY_FILTERS = ("ALL", "PUBLIC", "PROTECTED", "SECRET", "PUBLIC_AND_SECRET")
PIN_FILTERS = ("exclude_native", "exclude_repins", "has_been_promoted")
CREATIVE_TYPES = (
    "REGULAR",
    "VIDEO",
    "SHOPPING",
    "CAROUSEL",
    "MAX_VIDEO",
    "SHOP_THE_PIN",
    "COLLECTION",
    "IDEA",
    "SHOWCASE",
    "QUIZ",
    "COLLAGE",
    "MAX_WIDTH_REGULAR_COLLECTION",
    "MAX_WIDTH_VIDEO_COLLECTION",
)
_PRIVACY = {
    "ALL": {"PUBLIC", "PROTECTED", "SECRET"},
    "PUBLIC": {"PUBLIC"},
    "PROTECTED": {"PROTECTED"},
    "SECRET": {"SECRET"},
    "PUBLIC_AND_SECRET": {"PUBLIC", "SECRET"},
}


def _ordered(records: list[Record], order: str | None) -> list[Record]:
    return records[::-1] if order == "DESCENDING" else records


def _key(*parts: Any) -> tuple[Any, ...]:
    return tuple(sorted(p) if isinstance(p, (set, frozenset)) else p for p in parts)


def _board(ctx: Ctx) -> Record:
    board_id = ctx.args["board_id"]
    board = ctx.dataset.by_id("boards", board_id) if board_id.isdigit() else None
    if board is None:
        raise ApiError(404, 40, "Board not found.")
    return board


# ---- user and ads ------------------------------------------------------------------------


def user_account(ctx: Ctx) -> Record:
    business_access(ctx)
    return dict(ctx.dataset.user_account)


def ad_accounts(ctx: Ctx) -> Listing:
    include_shared = ctx.query.boolean("include_shared_accounts", True)
    user_id = ctx.dataset.user_account["id"]

    def load() -> list[Record]:
        return [a for a in ctx.dataset.ad_accounts if include_shared or a["owner"]["id"] == user_id]

    return Listing("ad_accounts", _key(include_shared), load)


def _ads_entity(ctx: Ctx, entity: str, id_filters: dict[str, str]) -> Listing:
    account = ad_account(ctx)
    q = ctx.query
    statuses = set(q.enums("entity_statuses", ENTITY_STATUSES) or DEFAULT_ENTITY_STATUSES)
    filters = {field: set(ids) for param, field in id_filters.items() if (ids := q.ids(param))}
    order = q.enum("order", ORDERS)
    if entity == "ad_groups":
        q.boolean("translate_interests_to_names", False)

    def load() -> list[Record]:
        records = ctx.dataset.children(entity, "ad_account_id", account["id"])
        return _ordered(
            [
                r
                for r in records
                if r["status"] in statuses and all(r[f] in ids for f, ids in filters.items())
            ],
            order,
        )

    key = _key(account["id"], statuses, sorted((f, sorted(v)) for f, v in filters.items()), order)
    return Listing(entity, key, load)


def campaigns(ctx: Ctx) -> Listing:
    return _ads_entity(ctx, "campaigns", {"campaign_ids": "id"})


def ad_groups(ctx: Ctx) -> Listing:
    return _ads_entity(ctx, "ad_groups", {"campaign_ids": "campaign_id", "ad_group_ids": "id"})


def ads(ctx: Ctx) -> Listing:
    return _ads_entity(
        ctx, "ads", {"campaign_ids": "campaign_id", "ad_group_ids": "ad_group_id", "ad_ids": "id"}
    )


def keywords(ctx: Ctx) -> Listing:
    """Without campaign_id / ad_group_id(s): only keywords attached to the ad account."""
    account = ad_account(ctx)
    q = ctx.query
    parents: set[str] = set()
    for name in ("campaign_id", "ad_group_id"):
        value = q.id(name)
        if value is not None:
            parents.add(value)
    group_ids = q.ids("ad_group_ids", max_items=250)
    if group_ids is not None:
        if not ctx.options.keywords_ad_group_ids_supported:
            raise bad_parameter(
                "Parameter 'ad_group_ids' is not supported: this BETA feature is not "
                "available for this ad account."
            )
        parents.update(group_ids)
    if not parents:
        parents.add(account["id"])
    match_types = q.enums("match_types", MATCH_TYPES, max_items=5)

    def load() -> list[Record]:
        return [
            k
            for k in ctx.dataset.children("keywords", "ad_account_id", account["id"])
            if k["parent_id"] in parents and (match_types is None or k["match_type"] in match_types)
        ]

    return Listing("keywords", _key(account["id"], parents, sorted(match_types or ())), load)


def audiences(ctx: Ctx) -> Listing:
    account = ad_account(ctx)
    order = ctx.query.enum("order", ORDERS)
    ownership = ctx.query.enum("ownership_type", ("OWNED", "RECEIVED")) or "OWNED"

    def load() -> list[Record]:
        if ownership == "RECEIVED":  # no audiences are shared with the simulated user
            return []
        return _ordered(ctx.dataset.children("audiences", "ad_account_id", account["id"]), order)

    return Listing("audiences", _key(account["id"], order, ownership), load)


def customer_lists(ctx: Ctx) -> Listing:
    account = ad_account(ctx)
    order = ctx.query.enum("order", ORDERS)

    def load() -> list[Record]:
        lists = ctx.dataset.children("customer_lists", "ad_account_id", account["id"])
        return _ordered(lists, order)

    return Listing("customer_lists", _key(account["id"], order), load)


def conversion_tags(ctx: Ctx) -> Listing:
    """Not paginated: `{"items": [...]}` only. `filter_deleted` drops archived tags."""
    account = ad_account(ctx)
    filter_deleted = ctx.query.boolean("filter_deleted", False)

    def load() -> list[Record]:
        tags = ctx.dataset.children("conversion_tags", "ad_account_id", account["id"])
        return [t for t in tags if not (filter_deleted and t["status"] == "ARCHIVED")]

    return Listing("conversion_tags", _key(account["id"], filter_deleted), load, paginated=False)


# ---- boards and pins ---------------------------------------------------------------------


def with_pin_metrics(pin: Record) -> Record:
    seed = int(pin["id"][-7:])
    out = dict(pin)
    out["pin_metrics"] = {
        "90d": {
            "impression": 50 + seed % 5000,
            "pin_click": seed % 97,
            "clickthrough": seed % 31,
            "save": seed % 13,
        },
        "lifetime_metrics": pin_lifetime(pin["id"]),
    }
    return out


def _pin_options(ctx: Ctx) -> tuple[set[str] | None, Callable[[Record], Record] | None]:
    creative = ctx.query.enums("creative_types", CREATIVE_TYPES)
    metrics = ctx.query.boolean("pin_metrics", False)
    return (set(creative) if creative else None), (with_pin_metrics if metrics else None)


def _every_pin(_pin: Record) -> bool:
    return True


def _filter_creative(pins: Iterable[Record], creative: set[str] | None) -> list[Record]:
    return [p for p in pins if creative is None or p["creative_type"] in creative]


def boards(ctx: Ctx) -> Listing:
    """`privacy` absent: every board the token may see (all of them), as the spec says."""
    business_access(ctx)
    privacy = ctx.query.enum("privacy", BOARD_PRIVACY_FILTERS) or "ALL"
    allowed = _PRIVACY[privacy]

    def load() -> list[Record]:
        return [b for b in ctx.dataset.boards if b["privacy"] in allowed]

    return Listing("boards", _key(privacy), load)


def board_sections(ctx: Ctx) -> Listing:
    business_access(ctx)
    board = _board(ctx)
    return Listing(
        "board_sections",
        _key(board["id"]),
        lambda: ctx.dataset.children("board_sections", "board_id", board["id"]),
    )


def board_pins(ctx: Ctx) -> Listing:
    """Every pin of the board, in sections or not."""
    business_access(ctx)
    board = _board(ctx)
    creative, render = _pin_options(ctx)

    def load() -> list[Record]:
        return _filter_creative(ctx.dataset.children("pins", "board_id", board["id"]), creative)

    return Listing("pins", _key(board["id"], creative or set()), load, render)


def board_section_pins(ctx: Ctx) -> Listing:
    business_access(ctx)
    board = _board(ctx)
    section_id = ctx.args["section_id"]
    section = ctx.dataset.by_id("board_sections", section_id) if section_id.isdigit() else None
    if section is None or section["board_id"] != board["id"]:
        raise ApiError(404, 2031, "Sorry! We couldn't find this board section.")
    return Listing(
        "pins",
        _key(section_id),
        lambda: ctx.dataset.children("pins", "board_section_id", section_id),
    )


def pins(ctx: Ctx) -> Listing:
    """The user's pins. Pins on protected boards only with include_protected_pins=true;
    pin_type=PRIVATE keeps pins on secret (and, if included, protected) boards."""
    business_access(ctx)
    q = ctx.query
    include_protected = q.boolean("include_protected_pins", False)
    pin_filter = q.enum("pin_filter", PIN_FILTERS)
    private = q.enum("pin_type", ("PRIVATE",)) is not None
    creative, render = _pin_options(ctx)
    privacy = {"SECRET", "PROTECTED"} if private else {"PUBLIC", "SECRET", "PROTECTED"}
    if not include_protected:
        privacy.discard("PROTECTED")
    keep: dict[str, Callable[[Record], bool]] = {
        "exclude_native": lambda p: p["parent_pin_id"] is not None,
        "exclude_repins": lambda p: p["parent_pin_id"] is None,
        "has_been_promoted": lambda p: bool(p["has_been_promoted"]),
    }

    def load() -> list[Record]:
        boards_ok = {b["id"] for b in ctx.dataset.boards if b["privacy"] in privacy}
        test = keep.get(pin_filter or "", _every_pin)
        return _filter_creative(
            (p for p in ctx.dataset.pins if p["board_id"] in boards_ok and test(p)), creative
        )

    return Listing("pins", _key(privacy, pin_filter, creative or set()), load, render)


# ---- catalogs ----------------------------------------------------------------------------


def catalogs(ctx: Ctx) -> Listing:
    business_access(ctx)
    return Listing("catalogs", (), lambda: ctx.dataset.catalogs)


def catalogs_feeds(ctx: Ctx) -> Listing:
    business_access(ctx)
    catalog_id = ctx.query.id("catalog_id", max_length=None)

    def load() -> list[Record]:
        if catalog_id is None:
            return ctx.dataset.catalogs_feeds
        return ctx.dataset.children("catalogs_feeds", "catalog_id", catalog_id)

    return Listing("catalogs_feeds", _key(catalog_id), load)


def catalogs_product_groups(ctx: Ctx) -> Listing:
    business_access(ctx)
    q = ctx.query
    ids = q.ints("id", max_items=1000)
    feed_id = q.id("feed_id", max_length=None)
    catalog_id = q.id("catalog_id", max_length=None)
    wanted = {str(i) for i in ids} if ids else None

    def load() -> list[Record]:
        return [
            g
            for g in ctx.dataset.catalogs_product_groups
            if (wanted is None or g["id"] in wanted)
            and (feed_id is None or g.get("feed_id") == feed_id)
            and (catalog_id is None or g["catalog_id"] == catalog_id)
        ]

    return Listing("catalogs_product_groups", _key(wanted or set(), feed_id, catalog_id), load)


HANDLERS: dict[str, Callable[[Ctx], Listing | Record]] = {
    "user_account": user_account,
    "ad_accounts": ad_accounts,
    "campaigns": campaigns,
    "ad_groups": ad_groups,
    "ads": ads,
    "keywords": keywords,
    "audiences": audiences,
    "customer_lists": customer_lists,
    "conversion_tags": conversion_tags,
    "boards": boards,
    "board_sections": board_sections,
    "board_pins": board_pins,
    "board_section_pins": board_section_pins,
    "pins": pins,
    "catalogs": catalogs,
    "catalogs_feeds": catalogs_feeds,
    "catalogs_product_groups": catalogs_product_groups,
}
