"""Names, places and phrases the seeder draws from: Korean and English, as the real users are."""

from __future__ import annotations

import random

KO_SURNAMES = (("김", "kim"), ("이", "lee"), ("박", "park"), ("최", "choi"), ("정", "jung"), ("강", "kang"),
               ("조", "cho"), ("윤", "yoon"), ("장", "jang"), ("임", "lim"), ("한", "han"), ("오", "oh"),
               ("서", "seo"), ("신", "shin"), ("권", "kwon"), ("황", "hwang"), ("안", "ahn"), ("송", "song"))
KO_GIVEN = (("민준", "minjun"), ("서연", "seoyeon"), ("도윤", "doyun"), ("지우", "jiwoo"), ("하준", "hajun"),
            ("서윤", "seoyun"), ("시우", "siwoo"), ("지민", "jimin"), ("예준", "yejun"), ("하은", "haeun"),
            ("주원", "juwon"), ("수아", "sua"), ("지호", "jiho"), ("지유", "jiyu"), ("준서", "junseo"),
            ("채원", "chaewon"), ("현우", "hyunwoo"), ("다은", "daeun"), ("승민", "seungmin"), ("유진", "yujin"))
EN_FIRST = ("James", "Olivia", "Liam", "Emma", "Noah", "Ava", "William", "Sophia", "Lucas", "Mia", "Ethan",
            "Grace", "Daniel", "Chloe", "Henry", "Ella", "Jack", "Zoe", "Owen", "Nora")
EN_LAST = ("Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Walker", "Wright",
           "Clark", "Hall", "Young", "King", "Green", "Baker", "Hill", "Scott", "Adams", "Moore")
EMAIL_DOMAINS = ("example.com", "example.kr", "mail.example.net", "corp.example.org", "rcmd.example.dev")
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; SM-S928N) AppleWebKit/537.36 Chrome/127.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:129.0) Gecko/20100101 Firefox/129.0",
    "rclone/v1.68.1",
    "curl/8.9.1",
)
REMOTES = ("gdrive", "s3-archive", "dropbox", "onedrive", "b2-backup", "sftp-nas", "gcs-media", "webdav-team")
REMOTE_NAMES = {"gdrive": "Google Drive", "s3-archive": "S3 Archive", "dropbox": "Dropbox", "onedrive": "OneDrive",
                "b2-backup": "Backblaze B2", "sftp-nas": "Office NAS", "gcs-media": "GCS Media",
                "webdav-team": "Team WebDAV"}
FOLDERS = ("/documents", "/photos/2025", "/projects/alpha", "/backup/db", "/shared/design", "/private/hr",
           "/public/releases", "/media/video", "/finance/reports", "/home/공유폴더", "/사진/여행")
JOB_ERRORS = (
    "googleapi: Error 403: User Rate Limit Exceeded, userRateLimitExceeded",
    "failed to copy: context deadline exceeded",
    "Failed to sync: source directory not found",
    "couldn't list directory: 401 Unauthorized: token expired",
    "s3 upload: SlowDown: Please reduce your request rate",
    "sftp: connection lost (ssh: handshake failed: EOF)",
    "insufficient storage on destination (quota exceeded)",
)
RESTAURANT_BRANDS = ("김밥천국", "본죽", "교촌치킨", "홍콩반점", "스시로", "한솥도시락", "이디야커피", "명동교자",
                     "백채김치찌개", "Burger Lab", "Pasta Factory", "Taco Loco", "Green Bowl", "Seoul Noodle House")
BRANCHES = ("강남역점", "홍대입구점", "잠실점", "여의도점", "판교점", "신촌점", "건대점", "성수점", "종로점", "Itaewon")
CATEGORIES = ("한식", "중식", "일식", "양식", "분식", "카페", "치킨")
DISTRICTS = (("강남구", "테헤란로"), ("마포구", "양화로"), ("송파구", "올림픽로"), ("영등포구", "여의대로"),
             ("성동구", "왕십리로"), ("종로구", "종로"), ("용산구", "이태원로"), ("서대문구", "신촌로"))
MENU_ITEMS = (("김치찌개", "한식"), ("된장찌개", "한식"), ("비빔밥", "한식"), ("불고기", "한식"), ("제육볶음", "한식"),
              ("짜장면", "중식"), ("짬뽕", "중식"), ("탕수육", "중식"), ("연어초밥", "일식"), ("돈카츠", "일식"),
              ("우동", "일식"), ("떡볶이", "분식"), ("김밥", "분식"), ("라면", "분식"), ("후라이드치킨", "치킨"),
              ("양념치킨", "치킨"), ("아메리카노", "카페"), ("카페라떼", "카페"), ("Cheeseburger", "양식"),
              ("Carbonara", "양식"), ("Caesar Salad", "양식"), ("Fish Tacos", "양식"))
MENU_DESCRIPTIONS = ("매일 아침 직접 준비합니다", "맵기 조절 가능", "Chef's signature", "국내산 재료 사용",
                     "Best seller since 2019", "1인분 기준", "곱빼기 가능")
SPECIAL_REQUESTS = ("덜 맵게 해주세요", "양파 빼주세요", "No cilantro please", "수저 2개 부탁드려요",
                    "문 앞에 두고 벨 눌러주세요", "Extra sauce on the side", "포장 부탁드립니다")
CARD_ISSUERS = ("신한카드", "KB국민카드", "현대카드", "삼성카드", "롯데카드", "Visa", "Mastercard")


def person(rng: random.Random) -> tuple[str, str]:
    """(display name, romanized handle): about six in ten Korean, the rest English."""
    if rng.random() < 0.6:
        (sur, sur_r), (given, given_r) = rng.choice(KO_SURNAMES), rng.choice(KO_GIVEN)
        return f"{sur}{given}", f"{given_r}.{sur_r}"
    first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
    return f"{first} {last}", f"{first.lower()}.{last.lower()}"


def ipv4(rng: random.Random) -> str:
    prefix = rng.choice(("10.20", "172.16", "192.168", "121.134", "211.36", "58.120", "203.0"))
    return f"{prefix}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def phone_mobile(rng: random.Random) -> str:
    return f"010-{rng.randrange(2000, 9999)}-{rng.randrange(10000):04d}"


def address(rng: random.Random) -> str:
    district, road = rng.choice(DISTRICTS)
    return f"서울특별시 {district} {road} {rng.randrange(1, 400)}, {rng.randrange(1, 12)}층"
