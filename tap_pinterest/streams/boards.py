"""Boards, their sections and pins, and the user's own pins."""

from __future__ import annotations

import typing as t

from typing_extensions import override

from tap_pinterest.client import PinterestStream

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record


class BoardsStream(PinterestStream):
    """GET /boards, every privacy level by default (``board_privacy``)."""

    name = "boards"
    path = "/boards"

    def query_params(self, context: Context | None) -> dict[str, t.Any]:
        """Boards of the configured privacy level."""
        return {**super().query_params(context), "privacy": self.config["board_privacy"]}

    @override
    def get_child_context(self, record: Record, context: Context | None) -> Context:
        """Sections and pins are read per board."""
        return {"board_id": record["id"]}


class BoardSectionsStream(PinterestStream):
    """GET /boards/{board_id}/sections."""

    name = "board_sections"
    path = "/boards/{board_id}/sections"
    parent_stream_type = BoardsStream
    context_fields = ("board_id",)

    @override
    def get_child_context(self, record: Record, context: Context | None) -> Context:
        """Section pins are read per section (``board_id`` was set by post_process)."""
        return {"board_id": record["board_id"], "board_section_id": record["id"]}


class BoardPinsStream(PinterestStream):
    """GET /boards/{board_id}/pins: every pin of the board, in a section or not."""

    name = "board_pins"
    path = "/boards/{board_id}/pins"
    parent_stream_type = BoardsStream
    context_fields = ("board_id",)


class BoardSectionPinsStream(PinterestStream):
    """GET /boards/{board_id}/sections/{board_section_id}/pins."""

    name = "board_section_pins"
    path = "/boards/{board_id}/sections/{board_section_id}/pins"
    parent_stream_type = BoardSectionsStream
    context_fields = ("board_id", "board_section_id")


class PinsStream(PinterestStream):
    """GET /pins: the user's own pins."""

    name = "pins"
    path = "/pins"
    remember_ids = True

    def query_params(self, context: Context | None) -> dict[str, t.Any]:
        """Protected pins too, unless ``include_protected_pins`` is false."""
        include = self.config["include_protected_pins"]
        return {**super().query_params(context), "include_protected_pins": include}
