"""Ads-side rules: entity_statuses, id filters, keywords' parents, shared ad accounts."""

from __future__ import annotations

from collections import Counter

import pytest

from tap_pinterest.simulator import Simulator

from .conftest import Api

ALL_STATUSES = ["ACTIVE", "PAUSED", "ARCHIVED", "DRAFT", "DELETED_DRAFT"]


@pytest.mark.parametrize("entity", ["campaigns", "ad_groups", "ads"])
def test_dataset_has_every_status(sim: Simulator, entity: str) -> None:
    assert set(Counter(r["status"] for r in sim.dataset.get(entity))) == set(ALL_STATUSES)


@pytest.mark.parametrize("entity", ["campaigns", "ad_groups", "ads"])
def test_entity_statuses_defaults_to_active_and_paused(
    sim: Simulator, api: Api, entity: str
) -> None:
    account = sim.dataset.ad_accounts[0]["id"]
    items, _ = api.get_all(f"/ad_accounts/{account}/{entity}", page_size=250)
    expected = [
        r["id"]
        for r in sim.dataset.children(entity, "ad_account_id", account)
        if r["status"] in ("ACTIVE", "PAUSED")
    ]
    assert [r["id"] for r in items] == expected
    assert {r["status"] for r in items} == {"ACTIVE", "PAUSED"}
    assert all(r["ad_account_id"] == account for r in items)


@pytest.mark.parametrize("entity", ["campaigns", "ad_groups", "ads"])
def test_entity_statuses_repeated_and_comma_joined_agree(
    sim: Simulator, api: Api, entity: str
) -> None:
    account = sim.dataset.ad_accounts[0]["id"]
    path = f"/ad_accounts/{account}/{entity}"
    repeated, _ = api.get_all(path, entity_statuses=ALL_STATUSES, page_size=250)
    joined, _ = api.get_all(path, entity_statuses=",".join(ALL_STATUSES), page_size=250)
    assert repeated == joined
    assert len(repeated) == len(sim.dataset.children(entity, "ad_account_id", account))
    archived, _ = api.get_all(path, entity_statuses="ARCHIVED")
    assert archived and {r["status"] for r in archived} == {"ARCHIVED"}


@pytest.mark.parametrize("value", ["ACTIVE,GONE", "active", "ACTIVE,,PAUSED"])
def test_unknown_entity_status_is_a_400(sim: Simulator, api: Api, value: str) -> None:
    account = sim.dataset.ad_accounts[0]["id"]
    response = api.get(f"/ad_accounts/{account}/campaigns", entity_statuses=value)
    assert response.status_code == 400
    assert response.json()["code"] == 1


def test_id_filters(sim: Simulator, api: Api) -> None:
    account = sim.dataset.ad_accounts[0]["id"]
    campaigns = sim.dataset.children("campaigns", "ad_account_id", account)[:3]
    ids = [c["id"] for c in campaigns]
    everything = ",".join(ALL_STATUSES)
    got, _ = api.get_all(
        f"/ad_accounts/{account}/campaigns", campaign_ids=ids, entity_statuses=everything
    )
    assert [c["id"] for c in got] == ids
    groups, _ = api.get_all(
        f"/ad_accounts/{account}/ad_groups", campaign_ids=",".join(ids), entity_statuses=everything
    )
    assert groups and {g["campaign_id"] for g in groups} <= set(ids)
    group_ids = [g["id"] for g in groups[:2]]
    ads, _ = api.get_all(
        f"/ad_accounts/{account}/ads", ad_group_ids=group_ids, entity_statuses=everything
    )
    assert {a["ad_group_id"] for a in ads} <= set(group_ids)
    assert len(ads) == sum(1 for a in sim.dataset.ads if a["ad_group_id"] in group_ids)
    one, _ = api.get_all(
        f"/ad_accounts/{account}/ads", ad_ids=ads[0]["id"], entity_statuses=everything
    )
    assert [a["id"] for a in one] == [ads[0]["id"]]


def test_more_than_250_ids_is_a_400(sim: Simulator, api: Api) -> None:
    account = sim.dataset.ad_accounts[0]["id"]
    ids = ",".join(str(10**11 + i) for i in range(251))
    response = api.get(f"/ad_accounts/{account}/campaigns", campaign_ids=ids)
    assert response.status_code == 400 and response.json()["code"] == 1


def test_unknown_or_malformed_ad_account(api: Api) -> None:
    missing = api.get("/ad_accounts/123456789012/campaigns")
    assert missing.status_code == 404
    assert set(missing.json()) == {"code", "message"}
    malformed = api.get("/ad_accounts/12ab/campaigns")
    assert malformed.status_code == 400 and malformed.json()["code"] == 1


def test_shared_ad_accounts_only_with_include_shared_accounts(sim: Simulator, api: Api) -> None:
    user_id = sim.dataset.user_account["id"]
    default, _ = api.get_all("/ad_accounts")
    assert len(default) == len(sim.dataset.ad_accounts)
    shared = [a for a in default if a["owner"]["id"] != user_id]
    assert shared, "scale 1 has a shared ad account"
    own, _ = api.get_all("/ad_accounts", include_shared_accounts="false")
    assert [a["id"] for a in own] == [a["id"] for a in default if a not in shared]
    assert api.get("/ad_accounts", include_shared_accounts="maybe").status_code == 400


def test_keywords_without_a_parent_filter_are_only_the_account_s_own(
    sim: Simulator, api: Api
) -> None:
    account = sim.dataset.ad_accounts[0]["id"]
    items, _ = api.get_all(f"/ad_accounts/{account}/keywords", page_size=250)
    assert items
    assert {k["parent_type"] for k in items} == {"advertiser"}
    assert {k["parent_id"] for k in items} == {account}
    assert all(k["match_type"].endswith("_NEGATIVE") for k in items)
    assert "ad_account_id" not in items[0]  # the API does not return it
    counts = Counter(k["parent_type"] for k in sim.dataset.keywords)
    assert counts["ad_group"] > counts["campaign"] > counts["advertiser"] > 0


def test_keywords_by_campaign_and_by_ad_group(sim: Simulator, api: Api) -> None:
    keyword = next(k for k in sim.dataset.keywords if k["parent_type"] == "campaign")
    path = f"/ad_accounts/{keyword['ad_account_id']}/keywords"
    items, _ = api.get_all(path, campaign_id=keyword["parent_id"])
    assert keyword["id"] in {k["id"] for k in items}
    assert {k["parent_id"] for k in items} == {keyword["parent_id"]}
    group_kw = next(k for k in sim.dataset.keywords if k["parent_type"] == "ad_group")
    path = f"/ad_accounts/{group_kw['ad_account_id']}/keywords"
    items, _ = api.get_all(path, ad_group_id=group_kw["parent_id"])
    expected = [k["id"] for k in sim.dataset.keywords if k["parent_id"] == group_kw["parent_id"]]
    assert [k["id"] for k in items] == expected


def test_keywords_ad_group_ids_returns_keywords_of_all_given_groups(
    sim: Simulator, api: Api
) -> None:
    account = sim.dataset.ad_accounts[0]["id"]
    groups = [g["id"] for g in sim.dataset.children("ad_groups", "ad_account_id", account)]
    path = f"/ad_accounts/{account}/keywords"
    repeated, _ = api.get_all(path, ad_group_ids=groups, page_size=250)
    joined, _ = api.get_all(path, ad_group_ids=",".join(groups), page_size=250)
    assert repeated == joined
    expected = [k["id"] for k in sim.dataset.keywords if k["parent_id"] in set(groups)]
    assert sorted(k["id"] for k in repeated) == sorted(expected)
    assert {k["parent_type"] for k in repeated} == {"ad_group"}
    only_exact, _ = api.get_all(path, ad_group_ids=groups, match_types="EXACT")
    assert only_exact and {k["match_type"] for k in only_exact} == {"EXACT"}
    assert api.get(path, match_types="FUZZY").status_code == 400


def test_keywords_ad_group_ids_unsupported_mode_and_per_group_fallback() -> None:
    with Simulator(seed=1, scale=1.0, keywords_ad_group_ids_supported=False) as sim:
        api = Api(sim)
        account = sim.dataset.ad_accounts[0]["id"]
        groups = [g["id"] for g in sim.dataset.children("ad_groups", "ad_account_id", account)]
        path = f"/ad_accounts/{account}/keywords"
        response = api.get(path, ad_group_ids=",".join(groups[:2]))
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == 1 and "ad_group_ids" in body["message"]
        fallback = [k for g in groups for k in api.get_all(path, ad_group_id=g)[0]]
        assert len(fallback) == sum(1 for k in sim.dataset.keywords if k["parent_id"] in groups)
        sim.keywords_ad_group_ids_supported = True
        assert api.get(path, ad_group_ids=",".join(groups[:2])).status_code == 200


def test_audiences_customer_lists_and_conversion_tags(sim: Simulator, api: Api) -> None:
    account = sim.dataset.ad_accounts[0]["id"]
    audiences, _ = api.get_all(f"/ad_accounts/{account}/audiences")
    assert audiences and all("created_timestamp" in a for a in audiences)
    lists, _ = api.get_all(f"/ad_accounts/{account}/customer_lists")
    assert lists and all(isinstance(c["updated_time"], int) for c in lists)
    all_tags = api.get(f"/ad_accounts/{account}/conversion_tags").json()["items"]
    live = api.get(f"/ad_accounts/{account}/conversion_tags", filter_deleted="true").json()
    assert all(t["status"] != "ARCHIVED" for t in live["items"])
    assert len(live["items"]) <= len(all_tags)
