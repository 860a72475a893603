"""Catalogs, their feeds and their product groups."""

from __future__ import annotations

from tap_pinterest.client import PinterestStream

#: Pinterest's code for "this user has no catalog" (HTTP 409).
NO_CATALOG_CODE = 4182


class _CatalogsStream(PinterestStream):
    rate_limit_category = "catalogs_read"
    empty_on_codes = frozenset({NO_CATALOG_CODE})


class CatalogsStream(_CatalogsStream):
    """GET /catalogs."""

    name = "catalogs"
    path = "/catalogs"


class CatalogsFeedsStream(_CatalogsStream):
    """GET /catalogs/feeds."""

    name = "catalogs_feeds"
    path = "/catalogs/feeds"
    #: The feed's location username and password: never copied into a warehouse.
    dropped_fields = ("credentials",)


class CatalogsProductGroupsStream(_CatalogsStream):
    """GET /catalogs/product_groups."""

    name = "catalogs_product_groups"
    path = "/catalogs/product_groups"
