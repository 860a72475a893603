"""The one registry of stream classes, parents before their children.

Children of one parent sync in this order, so keywords and the analytics streams
(which use the campaign, ad group and ad ids read in the same run) come after
campaigns, ad_groups and ads.
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
from tap_pinterest.streams.analytics import (
    AdAccountAnalyticsStream,
    AdAnalyticsStream,
    AdGroupAnalyticsStream,
    CampaignAnalyticsStream,
    PinAnalyticsStream,
    UserAccountAnalyticsStream,
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
    AdAccountAnalyticsStream,
    CampaignAnalyticsStream,
    AdGroupAnalyticsStream,
    AdAnalyticsStream,
    BoardsStream,
    BoardSectionsStream,
    BoardPinsStream,
    BoardSectionPinsStream,
    PinsStream,
    CatalogsStream,
    CatalogsFeedsStream,
    CatalogsProductGroupsStream,
    UserAccountAnalyticsStream,
    PinAnalyticsStream,
)

__all__ = ["STREAM_TYPES"]
