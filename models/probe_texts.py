"""Technology texts (Vietnamese with diacritics, and English) used to check and time models.

Needs and offers in the style of a tech-transfer session; the last two of each language are
paragraph-length (about 110-120 tokens), the rest short sentences (18-32 tokens).
``POSTINGS`` are four posting-length paragraphs (164-177 tokens), two per language.
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

# Posting-length paragraphs (about 150-200 tokens, like a dev-set posting's title and
# description: median 138, 90th percentile 173): what the service embeds on every import.
POSTINGS = [
    (
        "Hợp tác xã nuôi trồng thủy sản ven biển Cà Mau cần công nghệ xử lý nước cấp và nước "
        "thải cho 40 ha ao nuôi tôm thẻ chân trắng siêu thâm canh. Hiện nay nước thải chứa "
        "nhiều bùn đáy, thức ăn dư thừa và khí độc NH3, H2S làm tôm chết hàng loạt vào mùa "
        "nắng nóng. Chúng tôi mong muốn một hệ thống lọc sinh học kết hợp tuần hoàn nước, có "
        "cảm biến đo oxy hòa tan, pH và độ mặn gửi cảnh báo qua điện thoại, chi phí vận hành "
        "dưới 5.000 đồng cho mỗi kilogram tôm. Hợp tác xã có mặt bằng, nhân công và sẵn sàng "
        "đối ứng 30% kinh phí, ưu tiên đơn vị có mô hình đã chạy thực tế tại đồng bằng sông "
        "Cửu Long và có thể hướng dẫn vận hành trong mùa vụ đầu tiên."
    ),
    (
        "Trung tâm Ứng dụng tiến bộ khoa học và công nghệ tỉnh chào bán quy trình sản xuất "
        "phân bón hữu cơ vi sinh từ bã mía, vỏ cà phê và phân gia súc bằng chủng nấm "
        "Trichoderma và vi khuẩn Bacillus tuyển chọn. Thời gian ủ rút ngắn còn 25 ngày, sản "
        "phẩm đạt tiêu chuẩn TCVN về hàm lượng hữu cơ, mật độ vi sinh vật hữu ích và kim loại "
        "nặng. Gói chuyển giao gồm bộ giống gốc, hướng dẫn thiết kế nhà ủ quy mô 1.000 tấn mỗi "
        "năm, đào tạo cán bộ kỹ thuật, hồ sơ công bố hợp quy và hỗ trợ tiêu thụ qua mạng lưới "
        "hợp tác xã trồng cà phê, hồ tiêu ở Tây Nguyên. Đã có ba doanh nghiệp áp dụng, giảm "
        "40% lượng phân hóa học mà năng suất cây trồng không đổi."
    ),
    (
        "A mid-sized food processing company in Binh Duong exports dried mango, jackfruit and "
        "dragon fruit to Japan and Korea and wants to replace its diesel-fired hot-air dryers. "
        "The current line uses about 1,200 litres of diesel a week, browns the fruit and "
        "loses much of its vitamin C, and buyers now ask for a lower carbon footprint. We are "
        "looking for a heat-pump or solar-assisted drying technology with a capacity of three "
        "tonnes of fresh fruit per batch, precise humidity control, automatic logging of the "
        "drying curve for HACCP records, and a payback period under four years. We can host a "
        "demonstration unit, share production data and co-finance the installation with a "
        "provincial innovation grant."
    ),
    (
        "Our university laboratory has developed a low-cost machine-vision system that grades "
        "rice grains for broken kernels, chalkiness and foreign matter at 300 kilograms per "
        "hour, using an industrial camera, a vibrating feeder and a convolutional neural "
        "network trained on 60,000 labelled images of Vietnamese varieties. Accuracy against "
        "trained inspectors is 97 percent, and the software runs on a small embedded computer "
        "without an internet connection. We offer a licence for the software and the feeder "
        "design, on-site installation, training for quality-control staff and two years of "
        "model updates. We are looking for rice mills, exporters or equipment makers in the "
        "Mekong Delta willing to pilot the system on a production line."
    ),
]
