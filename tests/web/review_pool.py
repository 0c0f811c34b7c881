"""A synthetic pool of needs and offers for the review queue's browser tests and its
benchmark: ``topics`` × variants, in Vietnamese and English, each need with offers on the
same topic (so that every need has several close offers and the queue fills up)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from service.auth.roles import Principal, Role
from service.postings import PostingService
from service.schemas.postings import PostingCreate

STAFF = Principal(role=Role.admin, organization="Ban tổ chức Techfest")

#: (sector, Vietnamese need, English offer, subject words vi, subject words en)
TOPICS: list[tuple[str, str, str]] = [
    (
        "aquaculture_fisheries",
        "cảm biến oxy hòa tan cho ao nuôi tôm",
        "dissolved oxygen sensors for shrimp ponds",
    ),
    ("aquaculture_fisheries", "thức ăn viên cho cá tra", "pelleted feed for pangasius farms"),
    (
        "aquaculture_fisheries",
        "bảo quản cá ngừ trên tàu bằng đá sệt",
        "slurry ice for tuna on fishing boats",
    ),
    ("environment", "xử lý nước thải chế biến thủy sản", "seafood processing wastewater treatment"),
    ("environment", "quan trắc bụi mịn tại cảng", "fine dust monitoring at ports"),
    ("environment", "tái chế tro trấu làm phụ gia xi măng", "rice husk ash as a cement additive"),
    (
        "ports_logistics",
        "đặt lịch xe vào bãi container",
        "truck appointment booking for container depots",
    ),
    (
        "ports_logistics",
        "nhận dạng số container bằng camera",
        "camera recognition of container numbers",
    ),
    ("ports_logistics", "lập lịch cần cẩu bến cảng", "quay crane scheduling software"),
    ("agriculture_food", "máy sấy cà phê năng lượng mặt trời", "solar dryer for coffee beans"),
    (
        "agriculture_food",
        "tưới nhỏ giọt cho vườn thanh long",
        "drip irrigation for dragon fruit farms",
    ),
    ("agriculture_food", "phát hiện bệnh đạo ôn trên lúa", "rice blast disease detection"),
    (
        "materials_chemistry",
        "sơn chống ăn mòn cho kết cấu thép",
        "anti-corrosion coating for steel structures",
    ),
    (
        "materials_chemistry",
        "bê tông chịu mặn cho công trình biển",
        "salt-resistant concrete for marine works",
    ),
    ("energy", "điện mặt trời áp mái cho nhà xưởng", "rooftop solar power for factories"),
    ("energy", "tiết kiệm điện cho kho lạnh", "energy saving for cold storage"),
    ("automation_manufacturing", "robot hàn vỏ tàu", "welding robots for ship hulls"),
    (
        "automation_manufacturing",
        "kiểm tra khuyết tật sản phẩm bằng thị giác máy",
        "machine vision defect inspection",
    ),
    ("health", "giám sát nhiệt độ chuỗi lạnh vắc xin", "vaccine cold chain temperature monitoring"),
    (
        "software_ict",
        "trợ lý ảo trả lời khách hàng bằng tiếng Việt",
        "Vietnamese voice assistant for customer service",
    ),
]
VARIANTS_VI = [
    "Chúng tôi cần {t} cho {n} cơ sở, có báo cáo hằng ngày và cảnh báo qua điện thoại.",
    "Doanh nghiệp cần giải pháp {t}, chuyển giao quy trình và đào tạo kỹ thuật viên ({n} người).",
    "Tìm đối tác cung cấp {t} đã thử nghiệm thực tế, quy mô {n} đơn vị.",
    "Cần công nghệ {t} chi phí thấp, vận hành đơn giản, bảo trì tại chỗ cho {n} điểm.",
]
VARIANTS_EN = [
    "We offer {t}, piloted at {n} sites, with daily reports and phone alerts.",
    "Our institute transfers {t} with the process and technician training ({n} people).",
    "Field-tested {t} at a scale of {n} units, ready for licensing.",
    "Low-cost {t}, simple to run and maintained on site, deployed at {n} locations.",
]


def _postings(kind: str, count: int, english_share: float) -> Iterator[dict[str, Any]]:
    for i in itertools.count():
        if i >= count:
            return
        sector, topic_vi, topic_en = TOPICS[i % len(TOPICS)]
        english = (i * 7919 % 100) < english_share * 100
        variants = VARIANTS_EN if english else VARIANTS_VI
        topic = topic_en if english else topic_vi
        text = variants[(i // len(TOPICS)) % len(variants)].format(t=topic, n=10 + i)
        title = f"{topic[0].upper()}{topic[1:]} — {'lot' if english else 'gói'} {i + 1}"
        yield {
            "title": title,
            "description": text,
            "sector": sector,
            "trl": 4 + (i * 3 % 6),
            "language": "en" if english else "vi",
            "organization": f"{'Công ty' if kind == 'need' else 'Viện'} {kind} {i % 37}",
            "external_id": f"pool-{kind}-{i}",
        }


def seed_pool(postings: PostingService, needs: int, offers: int) -> list[int]:
    """Store ``needs`` needs (mostly Vietnamese) and ``offers`` offers (mostly English);
    their ids, needs first."""
    ids = []
    for kind, count, english in (("need", needs, 0.25), ("offer", offers, 0.7)):
        for data in _postings(kind, count, english):
            ids.append(postings.create(STAFF, kind, PostingCreate.model_validate(data)).id)
    return ids
