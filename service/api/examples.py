"""Vietnamese and English examples shown in the OpenAPI docs (``/docs``)."""

from __future__ import annotations

from typing import Any

CREATE_EXAMPLES: dict[str, dict[str, Any]] = {
    "need": {
        "vi": {
            "summary": "Nhu cầu công nghệ (tiếng Việt)",
            "value": {
                "title": "Hệ thống giám sát chất lượng nước ao nuôi tôm theo thời gian thực",
                "description": "Doanh nghiệp nuôi tôm thẻ chân trắng tại Hải Phòng cần giải pháp "
                "đo oxy hòa tan, pH và nhiệt độ liên tục, cảnh báo qua điện thoại khi chỉ số "
                "vượt ngưỡng. Diện tích 20 ha, 40 ao nuôi.",
                "sector": "aquaculture_fisheries",
                "keywords": ["cảm biến", "IoT", "nuôi tôm", "chất lượng nước"],
                "trl": 6,
                "transfer_modes": ["licence", "technical_service"],
                "province": "Hải Phòng",
                "organization": "Công ty TNHH Thủy sản Đồ Sơn",
                "contact": {
                    "name": "Nguyễn Văn An",
                    "email": "an.nguyen@example.vn",
                    "phone": "+84 912 345 678",
                },
                "status": "published",
            },
        },
        "en": {
            "summary": "Technology need (English)",
            "value": {
                "title": "Automated weld seam inspection for ship hull blocks",
                "description": "A shipyard needs an automated system to inspect weld seams on "
                "hull blocks (ultrasonic or vision based) to cut manual inspection time by half.",
                "language": "en",
                "sector": "shipbuilding_marine",
                "keywords": ["welding", "non-destructive testing", "computer vision"],
                "trl": 7,
                "transfer_modes": ["joint_development", "licence"],
                "province": "Hải Phòng",
                "organization": "Bach Dang Shipyard",
                "status": "published",
            },
        },
    },
    "offer": {
        "vi": {
            "summary": "Công nghệ chào bán (tiếng Việt)",
            "value": {
                "title": "Chế phẩm vi sinh xử lý nước thải chế biến thủy sản",
                "description": "Viện nghiên cứu chuyển giao chế phẩm vi sinh giảm 80% COD và "
                "mùi hôi trong nước thải nhà máy chế biến thủy sản; đã áp dụng tại 5 nhà máy.",
                "sector": "environment",
                "keywords": ["vi sinh", "nước thải", "thủy sản"],
                "trl": 8,
                "ip_status": "utility_solution",
                "transfer_modes": ["licence", "training"],
                "province": "Hà Nội",
                "organization": "Viện Công nghệ Môi trường",
                "status": "published",
            },
        },
        "en": {
            "summary": "Technology offer (English)",
            "value": {
                "title": "Low-cost IoT water quality sensor kit",
                "description": "Our lab offers a solar-powered sensor buoy measuring dissolved "
                "oxygen, pH and temperature, with SMS alerts. Field-tested in shrimp ponds.",
                "language": "en",
                "sector": "electronics",
                "keywords": ["IoT", "sensor", "dissolved oxygen", "aquaculture"],
                "trl": 7,
                "ip_status": "patent_pending",
                "transfer_modes": ["licence", "sale", "technical_service"],
                "province": "Hải Phòng",
                "organization": "Vietnam Maritime University",
                "status": "published",
            },
        },
    },
}

UPDATE_EXAMPLES: dict[str, dict[str, Any]] = {
    "vi": {"summary": "Đổi trạng thái và TRL", "value": {"status": "archived", "trl": 5}},
    "en": {
        "summary": "Change keywords, clear the expiry date",
        "value": {"keywords": ["welding", "NDT"], "expires_on": None},
    },
}
