"""Technology texts (Vietnamese with diacritics, and English) used to check and time models.

Needs and offers in the style of a tech-transfer session; the last two of each language are
paragraph-length (about 110-120 tokens), the rest short sentences (18-32 tokens).
"""

VIETNAMESE = [
    "Cần giải pháp IoT giám sát chất lượng nước ao nuôi tôm theo thời gian thực.",
    "Viện nghiên cứu chuyển giao công nghệ sấy lạnh nông sản giữ nguyên màu và vitamin.",
    "Doanh nghiệp cần hệ thống xử lý nước thải dệt nhuộm đạt quy chuẩn QCVN 13:2015.",
    "Công nghệ in 3D kim loại cho linh kiện cơ khí chính xác, dung sai dưới 50 micromet.",
    "Phần mềm quản lý kho thông minh ứng dụng trí tuệ nhân tạo dự báo nhu cầu tồn kho.",
    "Chế phẩm vi sinh xử lý phụ phẩm nông nghiệp thành phân bón hữu cơ trong 30 ngày.",
    "Tìm đối tác chuyển giao dây chuyền sản xuất gạch không nung từ tro xỉ nhiệt điện.",
    "Robot hàn tự động tích hợp thị giác máy tính cho xưởng đóng tàu ở Hải Phòng.",
    "Giải pháp năng lượng mặt trời áp mái kết hợp lưu trữ pin lithium cho nhà xưởng.",
    "Đại học Bách khoa có công nghệ nhận dạng tiếng nói tiếng Việt độ chính xác cao.",
    "Cảm biến đo độ mặn đất trồng lúa vùng Đồng bằng sông Cửu Long, truyền dữ liệu qua LoRa.",
    (
        "Công ty chúng tôi sản xuất bao bì nhựa tại khu công nghiệp Đình Vũ và đang tìm kiếm "
        "công nghệ tái chế nhựa PET sau tiêu dùng thành hạt nhựa đạt tiêu chuẩn tiếp xúc thực "
        "phẩm. Yêu cầu: công suất tối thiểu 2 tấn mỗi ngày, tiêu thụ điện năng thấp, có khả "
        "năng loại bỏ tạp chất và mùi, vận hành bán tự động với đội ngũ kỹ thuật hiện có. Chúng "
        "tôi sẵn sàng hợp tác thử nghiệm quy mô pilot, cùng đăng ký đề tài khoa học cấp thành "
        "phố và chia sẻ chi phí đầu tư thiết bị với đơn vị chuyển giao."
    ),
    (
        "Viện Công nghệ sinh học đã làm chủ quy trình nhân giống cây lan kim tuyến bằng nuôi "
        "cấy mô, tỷ lệ sống khi ra vườn ươm trên 90%. Quy trình gồm các bước khử trùng mẫu, "
        "tạo chồi, nhân nhanh, ra rễ và huấn luyện cây con trong nhà màng. Viện có thể chuyển "
        "giao trọn gói kèm đào tạo kỹ thuật viên, hỗ trợ xây dựng phòng nuôi cấy đạt chuẩn và "
        "bao tiêu một phần sản phẩm dược liệu trong ba năm đầu."
    ),
]

ENGLISH = [
    "We need a real-time IoT system to monitor water quality in shrimp ponds.",
    "The institute offers freeze-drying technology that keeps the colour and vitamins of fruit.",
    "A textile dyeing company is looking for a wastewater treatment process meeting standards.",
    "Metal 3D printing for precision mechanical parts with tolerances below 50 micrometres.",
    "Smart warehouse software that uses machine learning to forecast inventory demand.",
    "A microbial product that composts agricultural residues into organic fertiliser in 30 days.",
    "Looking for a partner to transfer a production line for unfired bricks made from fly ash.",
    "Automatic welding robot with computer vision for shipyards.",
    "Rooftop solar power combined with lithium battery storage for factories.",
    "The university has a highly accurate Vietnamese speech recognition engine.",
    "Soil salinity sensors for rice fields that send their readings over LoRa.",
    (
        "Our company makes plastic packaging in an industrial park near the port and is looking "
        "for a technology to recycle post-consumer PET into food-grade pellets. Requirements: a "
        "capacity of at least two tonnes per day, low energy use, removal of contaminants and "
        "odours, and semi-automatic operation by our existing technicians. We are ready to run "
        "a pilot, apply jointly for a city research grant and share the cost of the equipment "
        "with the technology provider."
    ),
    (
        "The biotechnology institute has mastered the micropropagation of a rare medicinal "
        "orchid by tissue culture, with more than 90% of plantlets surviving in the nursery. "
        "The process covers explant sterilisation, shoot induction, multiplication, rooting and "
        "acclimatisation in a greenhouse. The institute can transfer the whole package with "
        "training for technicians, help set up a certified culture room and buy back part of "
        "the harvest during the first three years."
    ),
]
