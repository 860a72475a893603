"""Every string the API can send loads: half a surrogate pair (a title cut in the middle
of an emoji) becomes U+FFFD at the tap, is counted in one line per stream, and the
target loads the whole sync."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import requests

from tap_pinterest.mirror import Mirror
from tap_pinterest.mirror.load.target import TargetPinterestMirror
from tap_pinterest.simulator import Simulator
from tests.resilience.harness import Files, run_tap, tap_config

CUT = "Lemon pie \ud83d"  # the high half of U+1F600 alone
LOW = "\ude00 at the start"
EMOJI = "Lemon pie \U0001f600"  # a whole pair: nothing to replace


def _edit(sim: Simulator, entity: str, record_id: str, **fields: str) -> None:
    # ensure_ascii: the simulator receives, stores and serves the lone surrogate escaped
    body = json.dumps({"entity": entity, "id": record_id, "fields": fields}, ensure_ascii=True)
    response = requests.post(f"{sim.url}/_sim/edit", data=body, timeout=10)
    assert response.status_code == 200, response.text


def test_unpaired_surrogates_load_as_replacement_characters(db_url: str, tmp_path: Path) -> None:
    with Simulator(seed=5, scale=0.1) as sim:
        first, second, third = (p["id"] for p in sim.dataset.pins[:3])
        board = sim.dataset.boards[0]["id"]
        _edit(sim, "pins", first, title=CUT, description=LOW)
        _edit(sim, "pins", second, title=EMOJI)
        _edit(sim, "boards", board, description=CUT)
        served = requests.get(
            f"{sim.base_url}/pins/{first}",
            headers={"Authorization": f"Bearer {sim.access_token}"},
            timeout=10,
        )
        assert b'"Lemon pie \\ud83d"' in served.content  # what Pinterest sends
        files = Files(tmp_path, tap_config(sim), streams=["boards", "board_pins", "pins"])
        tap = run_tap(files)
    assert tap.returncode == 0, tap.stderr[-3000:]
    summary = [line for line in tap.stderr.splitlines() if "unpaired UTF-16 surrogate" in line]
    assert [line.split(" | ")[-1] for line in summary] == [
        f"Stream '{stream}': replaced {count} unpaired UTF-16 surrogate(s) in the API's text "
        "with U+FFFD (e.g. a title cut in the middle of an emoji), so that every target can "
        "load it"
        for stream, count in (("boards", 1), ("board_pins", 2), ("pins", 2))
    ]
    target = TargetPinterestMirror(config={"database_url": db_url})
    with redirect_stdout(io.StringIO()):
        target.listen(file_input=io.StringIO(tap.stdout))  # the tap's output as it is
    target.store.engine.dispose()
    with Mirror(db_url) as mirror:
        for stream in ("pins", "board_pins"):
            assert mirror.get(stream, first)["title"] == "Lemon pie \ufffd"
            assert mirror.get(stream, first)["description"] == "\ufffd at the start"
            assert mirror.get(stream, second)["title"] == EMOJI
            assert mirror.get(stream, third)["title"] == sim.dataset.pins[2]["title"]
        assert mirror.get("boards", board)["description"] == "Lemon pie \ufffd"
        assert mirror.stats()["pins"]["records"] == len(sim.dataset.pins)
