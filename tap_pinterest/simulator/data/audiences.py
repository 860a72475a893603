"""Generator for audiences, customer lists and conversion tags of the ad accounts."""

from __future__ import annotations

import random
from typing import Any

from tap_pinterest.simulator.data import vocab
from tap_pinterest.simulator.data.util import DAY, EPOCH_END, IdSeq, record_times

Record = dict[str, Any]
PerAccount = list[tuple[Record, int]]  # (ad account, how many records it gets)

_AEM_FLAGS = ("db", "external_id", "fnln", "ge", "loc", "ph")
_LIST_NAMES = ("Newsletter", "Past buyers", "Loyalty", "Lapsed")
_AUDIENCE_TYPES = ("CUSTOMER_LIST", "VISITOR", "ENGAGEMENT", "ACTALIKE")


def customer_lists(rng: random.Random, per_account: PerAccount) -> list[Record]:
    ids = IdSeq(rng, 6437, 12)
    out = []
    for account, count in per_account:
        for k in range(count):
            created, updated = record_times(rng, account["created_time"], 500 * DAY)
            uploaded = rng.randrange(500, 200_000)
            status = ("READY", "READY", "PROCESSING", "TOO_SMALL")[k % 4]
            out.append(
                {
                    "id": ids(),
                    "ad_account_id": account["id"],
                    "name": f"{_LIST_NAMES[k % 4]} list {k + 1}",
                    "status": status,
                    "type": "customerlist",
                    "num_batches": 1 + k % 3,
                    "num_uploaded_user_records": uploaded,
                    "num_removed_user_records": uploaded // 50,
                    "exceptions": {},
                    "created_time": created,
                    "updated_time": updated,
                }
            )
    return out


def audiences(rng: random.Random, per_account: PerAccount, lists_: list[Record]) -> list[Record]:
    ids = IdSeq(rng, 2542, 13)
    lists: dict[str, list[str]] = {}
    for cl in lists_:
        lists.setdefault(cl["ad_account_id"], []).append(cl["id"])
    out: list[Record] = []
    for account, count in per_account:
        for k in range(count):
            kind = _AUDIENCE_TYPES[k % len(_AUDIENCE_TYPES)]
            own_lists = lists.get(account["id"])
            if kind == "CUSTOMER_LIST" and not own_lists:
                kind = "VISITOR"
            rule: Record = {"retention_days": 180, "prefill": True}
            if kind == "CUSTOMER_LIST" and own_lists:
                rule = {"customer_list_id": own_lists[k % len(own_lists)]}
            elif kind == "ENGAGEMENT":
                rule = {"engager_type": 1, "retention_days": 30}
            elif kind == "ACTALIKE":
                rule = {
                    "seed_id": [str(o["id"]) for o in out[-1:]] or [account["id"]],
                    "percentage": 5,
                    "country": "US",
                }
            else:
                rule["event"] = "checkout"
            created, updated = record_times(rng, account["created_time"], 500 * DAY)
            words = vocab.Words(rng.getrandbits(64), vocab.THEME_NAMES[k % 10])
            out.append(
                {
                    "id": ids(),
                    "ad_account_id": account["id"],
                    "name": f"{words.adjective.capitalize()} {words.noun} {kind.lower()} audience",
                    "description": words.description(),
                    "audience_type": kind,
                    "rule": rule,
                    "size": rng.randrange(1_000, 2_000_000),
                    "status": "READY" if k % 5 else "TOO_SMALL",
                    "type": "audience",
                    "created_by_company_name": None,
                    "created_timestamp": created,
                    "updated_timestamp": updated,
                }
            )
    return out


def conversion_tags(rng: random.Random, per_account: PerAccount) -> list[Record]:
    ids = IdSeq(rng, 2612, 13)
    out = []
    for account, count in per_account:
        for k in range(count):
            tid = ids()
            fired = rng.randrange(EPOCH_END - 90 * DAY, EPOCH_END) * 1000
            out.append(
                {
                    "id": tid,
                    "ad_account_id": account["id"],
                    "name": f"{('Website', 'Checkout', 'Newsletter')[k % 3]} tag",
                    "status": "ACTIVE" if k % 4 != 3 else "ARCHIVED",
                    "version": "3",
                    "code_snippet": f"<script>pintrk('load', '{tid}');pintrk('page');</script>",
                    "enhanced_match_status": ("VALIDATION_COMPLETE", "NOT_VALIDATED")[k % 2],
                    "last_fired_time_ms": None if k % 4 == 3 else fired,
                    "configs": {
                        "aem_enabled": k % 2 == 0,
                        **{f"aem_{f}_enabled": False for f in _AEM_FLAGS},
                        "md_frequency": 1.0,
                        "no_code_capi_domains": [],
                    },
                }
            )
    return out
