"""Generator for the organic side: user account, boards, sections, pins and catalogs."""

from __future__ import annotations

import random
from typing import Any

from tap_pinterest.simulator.data import vocab
from tap_pinterest.simulator.data.util import (
    DAY,
    EPOCH_END,
    EPOCH_START,
    IdSeq,
    cycle,
    iso,
    jitter_weights,
    scaled,
    sorted_times,
    split,
)

Record = dict[str, Any]

BOARD_PRIVACY = (
    "PUBLIC",
    "PUBLIC",
    "SECRET",
    "PUBLIC",
    "PROTECTED",
    "PUBLIC",
    "SECRET",
    "PUBLIC",
    "PROTECTED",
    "PUBLIC",
)
BIG_BOARD_WEIGHT = 12.0  # the first board of every ten holds > 250 pins at scale 1
PIN_BASE = 500
_CREATIVE = ("REGULAR",) * 11 + ("VIDEO", "VIDEO", "IDEA", "CAROUSEL", "SHOPPING")
_TIMEZONES = ("America/New_York", "America/Los_Angeles", "Europe/London", "Europe/Berlin")


def _images(h: str) -> Record:
    tail = f"/{h[:2]}/{h[2:4]}/{h}.jpg"
    return {
        "150x150": {"width": 150, "height": 150, "url": "https://i.pinimg.com/150x150" + tail},
        "400x300": {"width": 400, "height": 300, "url": "https://i.pinimg.com/400x300" + tail},
        "600x": {"width": 600, "height": 900, "url": "https://i.pinimg.com/600x" + tail},
        "1200x": {"width": 1200, "height": 1800, "url": "https://i.pinimg.com/1200x" + tail},
    }


def _media(creative_type: str, h: str, words: vocab.Words) -> Record:
    if creative_type in ("VIDEO", "IDEA"):
        return {
            "media_type": "video",
            "images": _images(h),
            "cover_image_url": f"https://i.pinimg.com/videos/thumbnails/originals/{h}.jpg",
            "video_url": f"https://v1.pinimg.com/videos/mc/720p/{h[:2]}/{h}.mp4",
            "duration": float(6 + int(h[:2], 16) % 50),
            "height": 1920,
            "width": 1080,
        }
    if creative_type == "CAROUSEL":
        return {
            "media_type": "multiple_images",
            "items": [
                {
                    "item_type": "image",
                    "images": _images(f"{h[i:]}{h[:i]}"),
                    "title": words.name(),
                    "description": words.alt_text(),
                    "link": None,
                }
                for i in range(3)
            ],
        }
    return {"media_type": "image", "images": _images(h)}


def user_account(rng: random.Random, n_boards: int, n_pins: int) -> Record:
    name = vocab.business_name(0)
    username = name.lower().replace(" ", "_")
    return {
        "id": IdSeq(rng, 2783, 19)(),
        "username": username,
        "account_type": "BUSINESS",
        "business_name": name,
        "about": "Ideas for a cozy home, seasonal recipes and easy gardening projects.",
        "profile_image": f"https://i.pinimg.com/600x600_R/{username}.jpg",
        "website_url": f"https://{vocab.domain(0)}",
        "board_count": n_boards,
        "pin_count": n_pins,
        "follower_count": 1000 + rng.randrange(50_000),
        "following_count": rng.randrange(500),
        "monthly_views": 10_000 + rng.randrange(1_000_000),
    }


def boards(rng: random.Random, scale: float, username: str) -> list[Record]:
    n = scaled(10, scale, minimum=1)
    ids = IdSeq(rng, 9570, 18, max_step=9973)
    theme_offset = rng.randrange(len(vocab.THEME_NAMES))
    out = []
    for i, ts in enumerate(sorted_times(rng, n, EPOCH_START, EPOCH_START + 700 * DAY)):
        theme = vocab.THEME_NAMES[(i + theme_offset) % len(vocab.THEME_NAMES)]
        words = vocab.Words(rng.getrandbits(64), theme)
        privacy = cycle(BOARD_PRIVACY, i)
        out.append(
            {
                "id": ids(),
                "created_at": iso(ts),
                "board_pins_modified_at": iso(ts),
                "name": f"{words.adjective.capitalize()} {theme} {words.noun}",
                "description": words.description(),
                "collaborator_count": 0 if privacy == "PUBLIC" else rng.randrange(4),
                "follower_count": rng.randrange(20_000),
                "pin_count": 0,
                "is_ads_only": False,
                "media": {"image_cover_url": None, "pin_thumbnail_urls": []},
                "owner": {"username": username},
                "privacy": privacy,
                "_theme": theme,
                "_created_ts": ts,
            }
        )
    return out


def board_sections(rng: random.Random, scale: float, boards_: list[Record]) -> list[Record]:
    total = scaled(20, scale)
    weights = [0.0 if i % 5 == 4 else w for i, w in enumerate(jitter_weights(rng, len(boards_)))]
    ids = IdSeq(rng, 5060, 13)
    out = []
    for board, count in zip(boards_, split(rng, total, weights), strict=True):
        for _ in range(count):
            words = vocab.Words(rng.getrandbits(64), board["_theme"])
            out.append({"id": ids(), "name": words.name(), "board_id": board["id"]})
    return out


def pins(
    rng: random.Random, scale: float, boards_: list[Record], sections: list[Record], username: str
) -> list[Record]:
    total = scaled(PIN_BASE, scale)
    weights = [
        BIG_BOARD_WEIGHT if i % 10 == 0 else w
        for i, w in enumerate(jitter_weights(rng, len(boards_)))
    ]
    sections_by_board: dict[str, list[str]] = {}
    for section in sections:
        sections_by_board.setdefault(section["board_id"], []).append(section["id"])
    # (created, board index) for every pin; ids then follow creation time, as Pinterest's do.
    plan: list[tuple[int, int]] = []
    for b, count in enumerate(split(rng, total, weights)):
        start = boards_[b]["_created_ts"]
        plan.extend((t, b) for t in sorted_times(rng, count, start, EPOCH_END))
    plan.sort()
    ids = IdSeq(rng, 8137, 18, max_step=997)
    owner = {"username": username}
    out: list[Record] = []
    getrandbits = rng.getrandbits
    for ts, b in plan:
        board = boards_[b]
        bits = getrandbits(64)
        h = f"{getrandbits(128):032x}"
        words = vocab.Words(bits, board["_theme"])
        creative_type = _CREATIVE[(bits >> 58) % len(_CREATIVE)]
        slug = words.slug()
        board_sections_ = sections_by_board.get(board["id"])
        section_id = None
        if board_sections_ and (bits >> 20) % 10 < 5:
            section_id = board_sections_[(bits >> 30) % len(board_sections_)]
        out.append(
            {
                "id": ids(),
                "created_at": iso(ts),
                "link": None if bits % 10 == 0 else f"https://{vocab.domain(bits >> 44)}/{slug}",
                "title": words.title(),
                "description": words.description(),
                "dominant_color": f"#{h[-6:]}",
                "alt_text": words.alt_text(),
                "creative_type": creative_type,
                "board_id": board["id"],
                "board_section_id": section_id,
                "board_owner": owner,
                "is_owner": True,
                "is_standard": creative_type != "IDEA",
                "has_been_promoted": False,
                "parent_pin_id": str(700_000_000_000_000_000 + (bits >> 16))
                if bits % 7 == 1
                else None,
                "pin_metrics": None,
                "media": _media(creative_type, h, words),
            }
        )
    return out


def _thumbnail(pin: Record) -> str | None:
    images = pin["media"].get("images") or pin["media"].get("items", [{}])[0].get("images", {})
    found = images.get("150x150") if images else None
    return found["url"] if found else None


def finish_boards(boards_: list[Record], pins_: list[Record]) -> None:
    """Set pin counts, cover images and modification times from the boards' pins."""
    by_board: dict[str, list[Record]] = {}
    for pin in pins_:
        by_board.setdefault(pin["board_id"], []).append(pin)
    for board in boards_:
        board_pins = by_board.get(board["id"], [])
        board["pin_count"] = len(board_pins)
        if board_pins:
            board["board_pins_modified_at"] = board_pins[-1]["created_at"]
            thumbs = [_thumbnail(p) for p in board_pins[-5:]]
            board["media"] = {
                "image_cover_url": thumbs[-1] if thumbs[-1] else None,
                "pin_thumbnail_urls": [t for t in thumbs if t],
            }
        del board["_theme"], board["_created_ts"]


def catalogs(rng: random.Random, scale: float) -> tuple[list[Record], list[Record], list[Record]]:
    """Catalogs, their feeds and product groups."""
    n = scaled(2, scale, minimum=1)
    cat_ids = IdSeq(rng, 2679, 13)
    out_catalogs = []
    for i, ts in enumerate(sorted_times(rng, n, EPOCH_START, EPOCH_START + 400 * DAY)):
        kind = "RETAIL" if i % 2 == 0 else "HOTEL"
        name = f"{vocab.business_name(i)} {'products' if kind == 'RETAIL' else 'stays'}"
        out_catalogs.append(
            {
                "id": cat_ids(),
                "created_at": iso(ts),
                "updated_at": iso(ts + rng.randrange(30 * DAY)),
                "name": name,
                "catalog_type": kind,
            }
        )
    feeds = _feeds(rng, scale, out_catalogs)
    return out_catalogs, feeds, _product_groups(rng, scale, feeds)


def _feeds(rng: random.Random, scale: float, catalogs_: list[Record]) -> list[Record]:
    ids = IdSeq(rng, 2681, 13)
    out = []
    for c, count in enumerate(split(rng, scaled(4, scale), [1.0] * len(catalogs_))):
        catalog = catalogs_[c]
        created = int(rng.randrange(EPOCH_START + 400 * DAY, EPOCH_END - 200 * DAY))
        for k in range(count):
            fmt = ("TSV", "CSV", "XML")[k % 3]
            feed: Record = {
                "id": ids(),
                "created_at": iso(created),
                "updated_at": iso(created + rng.randrange(150 * DAY)),
                "catalog_id": catalog["id"],
                "catalog_type": catalog["catalog_type"],
                "name": f"{catalog['name']} feed {k + 1}",
                "credentials": None,
                "default_currency": "USD",
                "default_locale": "en-US",
                "format": fmt,
                "location": f"https://{vocab.domain(c)}/feeds/{k + 1}.{fmt.lower()}",
                "preferred_processing_schedule": {
                    "time": f"{rng.randrange(24):02d}:{rng.choice((0, 15, 30, 45)):02d}",
                    "timezone": _TIMEZONES[k % len(_TIMEZONES)],
                },
                "status": "ACTIVE" if k % 4 != 3 else "INACTIVE",
            }
            if catalog["catalog_type"] == "RETAIL":
                feed["default_availability"] = "IN_STOCK"
                feed["default_country"] = "US"
            out.append(feed)
            created += rng.randrange(DAY, 20 * DAY)
    return out


def _product_groups(rng: random.Random, scale: float, feeds: list[Record]) -> list[Record]:
    ids = IdSeq(rng, 4437, 12)
    out = []
    kinds = ("ALL_PRODUCTS", "MERCHANT_CREATED", "BEST_DEALS", "NEW_ARRIVALS", "TOP_SELLERS")
    for f, count in enumerate(split(rng, scaled(8, scale), [1.0] * len(feeds))):
        feed = feeds[f]
        for k in range(count):
            words = vocab.Words(rng.getrandbits(64), "home decor")
            created = rng.randrange(EPOCH_START + 500 * DAY, EPOCH_END - 100 * DAY)
            group: Record = {
                "id": ids(),
                "catalog_id": feed["catalog_id"],
                "catalog_type": feed["catalog_type"],
                "created_at": created,
                "updated_at": created + rng.randrange(90 * DAY),
                "description": words.description(),
                "name": words.name(),
                "filters": {"any_of": [{"BRAND": {"values": [vocab.brand(f + k)]}}]},
            }
            if feed["catalog_type"] == "RETAIL":
                group.update(
                    {
                        "feed_id": feed["id"],
                        "type": kinds[k % len(kinds)],
                        "status": "ACTIVE" if k % 5 != 4 else "INACTIVE",
                        "country": "US",
                        "locale": "en-US",
                        "is_featured": k == 0,
                    }
                )
            else:
                group["type"] = "ALL_LISTINGS" if k == 0 else "MERCHANT_CREATED"
            out.append(group)
    return out
