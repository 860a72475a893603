"""Bearer tokens, their expiry, and the OAuth refresh with a rotating refresh token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tap_pinterest.simulator import Simulator

from .conftest import Api


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed_sim(clock: Clock) -> Iterator[Simulator]:
    with Simulator(seed=2, scale=0.2, token_ttl=60, static_token_ttl=3600, clock=clock) as sim:
        yield sim


def _refresh(
    sim: Simulator, refresh_token: str, auth: tuple[str, str] | None = None, **extra: str
) -> requests.Response:
    return requests.post(
        sim.base_url + "/oauth/token",
        auth=auth or (sim.client_id, sim.client_secret),
        data={"grant_type": "refresh_token", "refresh_token": refresh_token, **extra},
        timeout=10,
    )


def test_missing_or_unknown_token_is_401_code_2(sim: Simulator) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = requests.get(sim.base_url + "/boards", headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.json()["code"] == 2


def test_static_token_works(sim: Simulator, api: Api) -> None:
    assert api.get("/user_account").status_code == 200


def test_refresh_rotates_the_refresh_token(timed_sim: Simulator) -> None:
    sim = timed_sim
    first = sim.refresh_token
    response = _refresh(sim, first, continuous_refresh="true")
    assert response.status_code == 200
    body = response.json()
    assert body["refresh_token"] != first
    assert body["refresh_token"] == sim.refresh_token
    assert body["token_type"] == "bearer" and body["expires_in"] == 60
    assert body["response_type"] == "refresh_token"
    assert body["refresh_token_expires_in"] == 60 * 86_400
    assert body["refresh_token_expires_at"] == 1_800_000_000 + 60 * 86_400
    assert "boards:read" in body["scope"]
    assert Api(sim, body["access_token"]).get("/boards").status_code == 200
    # The old refresh token is dead; the new one works once.
    reused = _refresh(sim, first)
    assert reused.status_code == 401
    assert set(reused.json()) == {"code", "message"}
    second = _refresh(sim, body["refresh_token"])
    assert second.status_code == 200
    assert _refresh(sim, body["refresh_token"]).status_code == 401


def test_issued_tokens_expire_after_token_ttl(timed_sim: Simulator, clock: Clock) -> None:
    token = _refresh(timed_sim, timed_sim.refresh_token).json()["access_token"]
    api = Api(timed_sim, token)
    clock.now += 59
    assert api.get("/boards").status_code == 200
    clock.now += 1
    response = api.get("/boards")
    assert response.status_code == 401
    assert response.json()["code"] in (2, 1104)
    assert "expired" in response.json()["message"]


def test_static_token_ttl(timed_sim: Simulator, clock: Clock) -> None:
    api = Api(timed_sim)
    assert api.get("/boards").status_code == 200
    clock.now += 3600
    assert api.get("/boards").status_code == 401


def test_refresh_token_expires(timed_sim: Simulator, clock: Clock) -> None:
    clock.now += 60 * 86_400
    assert _refresh(timed_sim, timed_sim.refresh_token).status_code == 401


def test_bad_client_credentials_are_401(sim: Simulator) -> None:
    response = _refresh(sim, sim.refresh_token, auth=(sim.client_id, "wrong"))
    assert response.status_code == 401
    assert response.json()["code"] == 2
    no_basic = requests.post(
        sim.base_url + "/oauth/token",
        timeout=10,
        data={"grant_type": "refresh_token", "refresh_token": "x"},
    )
    assert no_basic.status_code == 401
    # A failed attempt does not consume the refresh token.
    assert _refresh(sim, sim.refresh_token).status_code == 200


@pytest.mark.parametrize(
    ("data", "as_json"),
    [
        ({"grant_type": "authorization_code", "refresh_token": "x"}, False),
        ({"grant_type": "refresh_token"}, False),
        ({"grant_type": "refresh_token", "refresh_token": "REPLACE"}, True),
        (
            {
                "grant_type": "refresh_token",
                "refresh_token": "REPLACE",
                "continuous_refresh": "yes",
            },
            False,
        ),
    ],
)
def test_malformed_token_requests_are_400(sim: Simulator, data: dict, as_json: bool) -> None:
    data = {k: sim.refresh_token if v == "REPLACE" else v for k, v in data.items()}
    response = requests.post(
        sim.base_url + "/oauth/token",
        timeout=10,
        auth=(sim.client_id, sim.client_secret),
        json=data if as_json else None,
        data=None if as_json else data,
    )
    assert response.status_code == 400
    assert response.json()["code"] == 1


def test_request_log_never_holds_credentials(sim: Simulator) -> None:
    _refresh(sim, sim.refresh_token)
    Api(sim).get("/boards")
    text = repr(sim.request_log.entries()) + repr(sim.request_log.to_dict(with_entries=True))
    for secret in (sim.access_token, sim.client_secret, sim.refresh_token):
        assert secret not in text
