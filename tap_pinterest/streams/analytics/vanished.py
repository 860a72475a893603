"""A batch analytics call whose ids include one deleted since it was listed.

The analytics of campaigns, ad groups and ads go 250 ids to a call, those of pins 100.
The ids were listed earlier in the run; if one of them was deleted in between, Pinterest
refuses the whole call: 404 "Pin not found" (code 50) for pins, a 400 or 404 whose
message says the entities were not found for the others. :func:`rows_skipping_vanished`
then splits the batch in halves, and the halves again, until the calls that fail name
one id each: only those ids are skipped (a vanished entity costs only itself), the rows
of every other id are read, and the stream reports how many ids it skipped. Any other
error of the call still fails the sync.
"""

from __future__ import annotations

import typing as t
from http import HTTPStatus

from tap_pinterest.errors import ClientError

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

#: Pinterest's "not found" codes for users, boards and pins.
NOT_FOUND_CODES = frozenset({30, 40, 50})
#: Pinterest's code for an ad account not found (or not accessible): never one id's fault.
ACCOUNT_CODE = 2
_END = object()


def is_vanished_error(error: BaseException) -> bool:
    """True if the call failed because an entity it names no longer exists."""
    if not isinstance(error, ClientError) or error.code == ACCOUNT_CODE:
        return False
    if error.status == HTTPStatus.NOT_FOUND and error.code in NOT_FOUND_CODES:
        return True
    return error.status in {HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND} and (
        "not found" in str(error).lower()
    )


def rows_skipping_vanished(
    ids: list[str],
    fetch: Callable[[list[str]], Iterator[dict[str, t.Any]]],
    vanished: set[str],
) -> Iterator[dict[str, t.Any]]:
    """The rows ``fetch`` returns for ``ids``, less those of ids that no longer exist.

    ``fetch`` makes one call for the ids it is given (its first row comes after the
    call has succeeded). Ids found missing are added to ``vanished`` and left out of
    later calls too.
    """
    wanted = [i for i in ids if i not in vanished]
    if not wanted:
        return
    rows = fetch(wanted)
    try:
        first = next(rows, _END)
    except ClientError as error:
        if not is_vanished_error(error):
            raise
        if len(wanted) == 1:
            vanished.add(wanted[0])
            return
        half = len(wanted) // 2
        yield from rows_skipping_vanished(wanted[:half], fetch, vanished)
        yield from rows_skipping_vanished(wanted[half:], fetch, vanished)
        return
    if first is _END:
        return
    yield t.cast("dict[str, t.Any]", first)
    yield from rows
