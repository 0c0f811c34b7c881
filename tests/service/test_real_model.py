"""A few checks with the real default model (multilingual-e5-small): cross-lingual matches."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from tests.service.conftest import Api, add_keys, make_settings

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def e5_api(tmp_path_factory: pytest.TempPathFactory, e5_model: Any) -> Any:
    model = e5_model
    directory = tmp_path_factory.mktemp("e5")
    app = create_app(make_settings(directory, None, model="multilingual-e5-small"), model=model)
    with TestClient(app) as client:
        yield Api(client, add_keys(client), "sqlite")


def test_vietnamese_need_finds_english_offer(e5_api: Api) -> None:
    api = e5_api
    need = api.create(
        "need",
        title="Hệ thống giám sát oxy hòa tan cho ao nuôi tôm",
        description="Chúng tôi cần cảm biến đo oxy hòa tan và pH trong ao nuôi "
        "tôm, cảnh báo qua điện thoại khi vượt ngưỡng.",
        language=None,
        sector="aquaculture_fisheries",
    )
    good = api.create(
        "offer",
        title="IoT dissolved oxygen monitoring for shrimp farms",
        description="Solar-powered buoys measure dissolved oxygen and pH in shrimp "
        "ponds and send SMS alerts.",
        sector="aquaculture_fisheries",
    )
    others = [
        (
            "Robot hàn tự động cho vỏ tàu",
            "Hệ thống robot hàn các block vỏ tàu tại nhà máy đóng tàu.",
        ),
        ("Hotel booking software", "A booking engine and channel manager for small hotels."),
        (
            "Xi măng ít phát thải",
            "Công nghệ sản xuất xi măng giảm phát thải CO2 bằng phụ gia tro bay.",
        ),
        ("Coffee roasting line", "Automatic roasting and packaging line for specialty coffee."),
    ]
    for title, description in others:
        api.create("offer", title=title, description=description, sector="other", trl=None)
    assert need["language"] == "vi" and good["language"] == "en"
    items = api.get(f"/needs/{need['id']}/matches", "company").json()["items"]
    assert items[0]["offer"]["id"] == good["id"], [i["offer"]["title"] for i in items]
    health = api.client.get("/health").json()
    assert (
        health["model"]["name"] == "multilingual-e5-small" and health["model"]["dimension"] == 384
    )
    selection = health["model"]["selection"]  # how the auto backend was chosen, on which CPU
    assert selection["mode"] == "auto" and selection["choice"] == health["model"]["backend"]
    assert selection["cpu"]["model"] and health["model"]["backend"] in selection["candidates"]
