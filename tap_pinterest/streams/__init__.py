"""The one registry of stream classes, parents before their children.

Children of one parent sync in this order, so keywords (which use the campaign and
ad group ids read in the same run) come after campaigns and ad_groups.
"""

from __future__ import annotations

from tap_pinterest.streams.ads import (
    AdAccountsStream,
    AdGroupsStream,
    AdsStream,
    AudiencesStream,
    CampaignsStream,
    ConversionTagsStream,
    CustomerListsStream,
    KeywordsStream,
)
from tap_pinterest.streams.boards import (
    BoardPinsStream,
    BoardSectionPinsStream,
    BoardSectionsStream,
    BoardsStream,
    PinsStream,
)
from tap_pinterest.streams.catalogs import (
    CatalogsFeedsStream,
    CatalogsProductGroupsStream,
    CatalogsStream,
)
from tap_pinterest.streams.user import UserAccountStream

STREAM_TYPES = (
    UserAccountStream,
    AdAccountsStream,
    CampaignsStream,
    AdGroupsStream,
    AdsStream,
    KeywordsStream,
    AudiencesStream,
    CustomerListsStream,
    ConversionTagsStream,
    BoardsStream,
    BoardSectionsStream,
    BoardPinsStream,
    BoardSectionPinsStream,
    PinsStream,
    CatalogsStream,
    CatalogsFeedsStream,
    CatalogsProductGroupsStream,
)

__all__ = ["STREAM_TYPES"]
