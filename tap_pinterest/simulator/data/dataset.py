"""The simulator's dataset: deterministic from `seed` and `scale`, readable and mutable.

Every record is the object the API returns, except for a few parent ids that the real
API leaves out of the object and the simulator keeps for convenience (`HIDDEN_FIELDS`,
e.g. `ad_account_id` on keywords, `board_id` on board sections); `to_api()` drops them.
"""

from __future__ import annotations

import gc
import json
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from tap_pinterest.simulator.data import org, vocab
from tap_pinterest.simulator.data.ads import AdsGenerator

Record = dict[str, Any]

ENTITIES: tuple[str, ...] = (
    "ad_accounts",
    "campaigns",
    "ad_groups",
    "ads",
    "keywords",
    "audiences",
    "customer_lists",
    "conversion_tags",
    "boards",
    "board_sections",
    "pins",
    "catalogs",
    "catalogs_feeds",
    "catalogs_product_groups",
)
HIDDEN_FIELDS: dict[str, tuple[str, ...]] = {
    "keywords": ("ad_account_id",),
    "board_sections": ("board_id",),
}
# entity -> (timestamp field, kind): "unix" seconds or "iso" RFC 3339 string.
UPDATE_FIELDS: dict[str, tuple[str, str]] = {
    "ad_accounts": ("updated_time", "unix"),
    "campaigns": ("updated_time", "unix"),
    "ad_groups": ("updated_time", "unix"),
    "ads": ("updated_time", "unix"),
    "customer_lists": ("updated_time", "unix"),
    "audiences": ("updated_timestamp", "unix"),
    "catalogs": ("updated_at", "iso"),
    "catalogs_feeds": ("updated_at", "iso"),
    "catalogs_product_groups": ("updated_at", "unix"),
}
MUTABLE_ENTITIES: tuple[str, ...] = tuple(UPDATE_FIELDS)


def _to_unix(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if kind == "iso":
        return int(datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
    return int(value)


def _from_unix(ts: int, kind: str) -> Any:
    if kind == "iso":
        return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ts


class Dataset:
    """All simulated records, generated once from `seed` and `scale`.

    Collections are plain lists of dicts in ascending id order (which follows creation
    time, as with Pinterest's ids). Use `lock` when reading while the server runs and
    `mutate()` may be called.
    """

    user_account: Record
    ad_accounts: list[Record]
    campaigns: list[Record]
    ad_groups: list[Record]
    ads: list[Record]
    keywords: list[Record]
    audiences: list[Record]
    customer_lists: list[Record]
    conversion_tags: list[Record]
    boards: list[Record]
    board_sections: list[Record]
    pins: list[Record]
    catalogs: list[Record]
    catalogs_feeds: list[Record]
    catalogs_product_groups: list[Record]

    def __init__(self, seed: int = 1, scale: float = 1.0) -> None:
        if scale < 0:
            raise ValueError(f"scale must be >= 0, got {scale}")
        self.seed = seed
        self.scale = scale
        self.lock = threading.RLock()
        self._indexes: dict[tuple[str, str], dict[Any, list[Record]]] = {}
        self._mutations: dict[str, int] = {}
        self.generation = 0  # bumped by reindex(); servers cache lists per generation
        # Building ~10^5 small dicts: the cyclic GC would only rescan them over and over.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._generate()
        finally:
            if gc_was_enabled:
                gc.enable()

    def _generate(self) -> None:
        rng = random.Random(f"tap-pinterest-sim:{self.seed}")  # noqa: S311 - test data, not crypto
        org_rng = random.Random(rng.getrandbits(64))  # noqa: S311
        ads_rng = random.Random(rng.getrandbits(64))  # noqa: S311
        user = org.user_account(org_rng, 0, 0)
        boards = org.boards(org_rng, self.scale, user["username"])
        sections = org.board_sections(org_rng, self.scale, boards)
        pins = org.pins(org_rng, self.scale, boards, sections, user["username"])
        org.finish_boards(boards, pins)
        catalogs, feeds, groups = org.catalogs(org_rng, self.scale)
        user["board_count"], user["pin_count"] = len(boards), len(pins)
        ads = AdsGenerator(ads_rng, self.scale, user, pins).generate()
        self.user_account = user
        self.boards, self.board_sections, self.pins = boards, sections, pins
        self.catalogs, self.catalogs_feeds, self.catalogs_product_groups = catalogs, feeds, groups
        for name, records in ads.items():
            setattr(self, name, records)
        self._by_id = {name: {r["id"]: r for r in self.get(name)} for name in ENTITIES}
        self._max_updated = {
            name: max((_to_unix(r.get(field), kind) for r in self.get(name)), default=0)
            for name, (field, kind) in UPDATE_FIELDS.items()
        }

    # ---- reading -------------------------------------------------------------------------

    def get(self, entity: str) -> list[Record]:
        """The collection called `entity` (one of ENTITIES)."""
        if entity not in ENTITIES:
            raise KeyError(f"unknown entity {entity!r}; expected one of {', '.join(ENTITIES)}")
        records: list[Record] = getattr(self, entity)
        return records

    def __iter__(self) -> Iterator[tuple[str, list[Record]]]:
        for name in ENTITIES:
            yield name, self.get(name)

    def by_id(self, entity: str, record_id: str) -> Record | None:
        self.get(entity)
        return self._by_id[entity].get(record_id)

    def index(self, entity: str, field: str) -> dict[Any, list[Record]]:
        """Records of `entity` grouped by `field`, in collection order (built once)."""
        key = (entity, field)
        with self.lock:
            found = self._indexes.get(key)
            if found is None:
                found = {}
                for record in self.get(entity):
                    found.setdefault(record.get(field), []).append(record)
                self._indexes[key] = found
            return found

    def children(self, entity: str, field: str, value: Any) -> list[Record]:
        return self.index(entity, field).get(value, [])

    def reindex(self) -> None:
        """Forget ids, indexes and served lists after adding or removing records by hand."""
        with self.lock:
            self._by_id = {name: {r["id"]: r for r in self.get(name)} for name in ENTITIES}
            self._indexes.clear()
            self.generation += 1

    def counts(self) -> dict[str, int]:
        return {name: len(records) for name, records in self}

    @staticmethod
    def to_api(entity: str, record: Record) -> Record:
        """A shallow copy of `record` as the API returns it (hidden parent ids removed)."""
        hidden = HIDDEN_FIELDS.get(entity)
        if not hidden:
            return dict(record)
        return {k: v for k, v in record.items() if k not in hidden}

    def as_dict(self) -> dict[str, Any]:
        with self.lock:
            return {"user_account": self.user_account, **dict(self)}

    def to_json(self) -> str:
        """Canonical JSON of the whole dataset (byte-identical for the same seed and scale)."""
        return json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))

    # ---- writing -------------------------------------------------------------------------

    def mutate(self, entity: str, count: int, now: float) -> list[str]:
        """Update `count` records of `entity` as a user editing them would.

        Records are picked deterministically (from the seed, the entity and how many
        mutations came before). Each gets a new name and an update timestamp of `now`,
        or one second past the newest update so far if that is later, so it is always
        strictly greater than any previous update time of the collection.
        """
        if entity not in UPDATE_FIELDS:
            raise ValueError(
                f"cannot mutate {entity!r}; mutable entities: {', '.join(MUTABLE_ENTITIES)}"
            )
        records = self.get(entity)
        if count < 0 or count > len(records):
            raise ValueError(
                f"count must be between 0 and {len(records)} for {entity}, got {count}"
            )
        field, kind = UPDATE_FIELDS[entity]
        with self.lock:
            n = self._mutations.get(entity, 0)
            self._mutations[entity] = n + 1
            rng = random.Random(f"mutate:{self.seed}:{entity}:{n}")  # noqa: S311
            picked = sorted(rng.sample(range(len(records)), count))
            ts = max(int(now), self._max_updated[entity] + 1)
            self._max_updated[entity] = ts
            for i in picked:
                record = records[i]
                words = vocab.Words(rng.getrandbits(64), vocab.THEME_NAMES[i % 10])
                base = str(record.get("name") or entity).split(" (edited")[0]
                record["name"] = f"{base} (edited: {words.adjective} {words.noun})"
                record[field] = _from_unix(ts, kind)
            return [str(records[i]["id"]) for i in picked]

    def delete(self, entity: str, ids: list[str]) -> list[str]:
        """Remove the records of `entity` with these ids (as a user deleting them would;
        their children stay). Returns the ids that existed."""
        records = self.get(entity)
        wanted = set(ids)
        with self.lock:
            found = [str(r["id"]) for r in records if r["id"] in wanted]
            records[:] = [r for r in records if r["id"] not in wanted]
            self.reindex()
        return found

    def edit(self, entity: str, record_id: str, fields: dict[str, Any]) -> Record:
        """Set `fields` on one record, as the API will serve it from now on (any JSON
        value, e.g. a title holding half a surrogate pair). Returns the record."""
        record = self.by_id(entity, record_id)
        if record is None:
            raise KeyError(f"no {entity} record with id {record_id!r}")
        with self.lock:
            record.update(fields)
            self.generation += 1  # served lists are cached per generation
        return record
