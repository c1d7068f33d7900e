"""Deterministic demo data: a Double-11-style campaign whose numbers tell the stories a retrospective seeks.

The generator writes every canonical table of :mod:`retro.schema` as Parquet, one folder per table
(``<out>/<table>/part-00000.parquet`` …), so the kit, its tests and its benchmarks run without anyone's real
data. The shapes are built in on purpose so that every section has something to find: the midnight burst on
burst day 1, presale deposits paid at midnight, a top-5 SKU selling out on burst day 2 and restocked 30 h
later, slow remote deliveries, an overloaded service desk, a KOL-concentrated off-site spend.

Same (params, size, seed) gives byte-identical Parquet: all randomness comes from numpy generators seeded
by (seed, stream, chunk), rows are sorted by deterministic keys and nothing depends on the clock. Big sizes
are generated in chunks of users and visitors and streamed to part files; only the inventory, marketing and
coupon tables need totals over all chunks, and those are aggregated incrementally.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..params import CampaignParams
from ..rundir import new_folder
from ..schema import TABLES
from .plan import demo_dir

HOUR = 3600
DAY = 86400
EPOCH = date(1970, 1, 1)

ARROW_TYPES = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}


@dataclass(frozen=True)
class SizeSpec:
    """How big a demo size is: population multiplier, catalogue size and chunking."""

    scale: int
    n_skus: int
    chunk_scale: int
    rows_per_part: int


SIZES = {
    "small": SizeSpec(scale=1, n_skus=200, chunk_scale=1, rows_per_part=5_000_000),
    "medium": SizeSpec(scale=90, n_skus=1000, chunk_scale=5, rows_per_part=5_000_000),
    "large": SizeSpec(scale=450, n_skus=2000, chunk_scale=5, rows_per_part=10_000_000),
}

# People per unit of scale: customers with history, new buyers, registered browsers who never buy,
# dormant registered users (no activity) and anonymous visitors.
POPULATION = {"pool": 21000, "new": 3100, "browser": 9000, "dormant": 12000, "anon": 52000}
MEMBER_RATE = np.array([0.50, 0.35, 0.15, 0.05])  # by user type pool / new / browser / dormant
BUY_RATE = {True: 0.50, False: 0.18}  # campaign participation of customers with history, member or not
SECOND_ORDER = {True: 0.08, False: 0.04}  # another campaign order
# follow-up orders in the retention window: [pool non-member, pool member], [new non-member, new member]
FOLLOW_UP = np.array([[0.10, 0.28], [0.17, 0.40]])
PRESALE_SHARE = 0.40  # presale share of campaign net sales

CHANNELS = ("search", "live", "offsite", "private", "other")
CAMPAIGN_CHANNEL_SHARES = np.array([0.35, 0.25, 0.20, 0.10, 0.10])
# editions (YAML data.demo.edition): last year's campaign had fewer visitors and new buyers and less livestream
EDITIONS = {
    "this_year": ({}, CAMPAIGN_CHANNEL_SHARES),
    "last_year": ({"anon": 0.8, "browser": 0.85, "new": 0.85}, np.array([0.42, 0.15, 0.20, 0.12, 0.11])),
}
PULL_FORWARD = (7, 0.75)  # the days before the campaign sell this share of normal: shoppers wait for it
HISTORY_CHANNEL_SHARES = np.array([0.42, 0.18, 0.12, 0.15, 0.13])
REGISTERED_MIX = np.array([0.28, 0.20, 0.17, 0.25, 0.10])
ANON_MIX = np.array([0.28, 0.14, 0.36, 0.12, 0.10])
HOME_STICKINESS = 0.65  # share of a visitor's browsing sessions through their usual channel
ORDER_STICKINESS = 0.60

STATUSES = ("paid", "cancelled", "refunded")
STATUS_P = {"other": (0.90, 0.05), "campaign": (0.885, 0.048), "presale": (0.865, 0.06)}  # paid, cancelled
EVENT_TYPES = ("view", "cart", "order", "pay")
TIERS = ("tier1", "tier2", "tier3", "tier4+")
TIER_SHARES = np.array([0.20, 0.35, 0.25, 0.20])

REGIONS = ("华东", "华南", "华北", "华中", "西南", "西北", "东北")
REGION_TRANSIT_HOURS = np.array([14.0, 18.0, 20.0, 20.0, 72.0, 80.0, 40.0])
REGION_PROMISED_HOURS = np.array([72.0, 72.0, 72.0, 72.0, 120.0, 120.0, 72.0])
# province, region index, weight among buyers, weight among tier-1 city buyers
PROVINCES = (
    ("广东", 1, 12.0, 25.0),
    ("浙江", 0, 8.0, 9.0),
    ("江苏", 0, 8.0, 8.0),
    ("上海", 0, 5.0, 20.0),
    ("北京", 2, 4.5, 18.0),
    ("山东", 0, 6.0, 2.0),
    ("河南", 3, 5.0, 2.0),
    ("四川", 4, 5.0, 6.0),
    ("湖北", 3, 4.0, 5.0),
    ("湖南", 3, 4.0, 2.0),
    ("福建", 0, 4.0, 0.0),
    ("安徽", 0, 3.5, 1.0),
    ("河北", 2, 4.0, 0.0),
    ("江西", 0, 2.5, 0.0),
    ("广西", 1, 2.5, 0.0),
    ("陕西", 5, 2.5, 3.0),
    ("重庆", 4, 2.5, 4.0),
    ("辽宁", 6, 2.5, 0.0),
    ("云南", 4, 2.0, 0.0),
    ("天津", 2, 1.5, 3.0),
    ("山西", 2, 1.8, 0.0),
    ("贵州", 4, 1.5, 0.0),
    ("黑龙江", 6, 1.5, 0.0),
    ("吉林", 6, 1.2, 0.0),
    ("内蒙古", 2, 1.0, 0.0),
    ("新疆", 5, 1.0, 0.0),
    ("甘肃", 5, 1.0, 0.0),
    ("海南", 1, 0.7, 0.0),
    ("宁夏", 5, 0.4, 0.0),
    ("青海", 5, 0.3, 0.0),
    ("西藏", 4, 0.2, 0.0),
)
PROVINCE_NAMES = tuple(p[0] for p in PROVINCES)
PROVINCE_REGION = np.array([p[1] for p in PROVINCES])
CARRIERS = ("顺丰", "中通", "圆通", "韵达", "京东物流")
CARRIER_SHARES = np.array([0.15, 0.25, 0.20, 0.20, 0.20])
CARRIER_SPEED = np.array([0.75, 1.05, 1.05, 1.10, 0.80])

# category, share of SKUs, price range (yuan), gross margin, product nouns, brands, specs
CATEGORIES = (
    (
        "护肤",
        0.20,
        89,
        899,
        0.60,
        ("精华液", "面霜", "水乳套装", "眼霜", "修护面膜", "防晒乳", "洁面乳", "精华油"),
        ("澜玥", "植研社", "雪颜", "初润", "肌本"),
        ("30ml", "50ml", "100ml", "礼盒装"),
    ),
    (
        "彩妆",
        0.14,
        59,
        459,
        0.56,
        ("口红", "粉底液", "眼影盘", "气垫", "散粉", "眉笔", "腮红", "定妆喷雾"),
        ("绯色", "花漾", "星黛", "锦瑟"),
        ("01号", "02号", "03号", "限定色"),
    ),
    (
        "个护",
        0.12,
        29,
        219,
        0.50,
        ("洗发水", "沐浴露", "牙膏", "护发素", "身体乳", "电动牙刷头", "剃须刀片"),
        ("清沐", "舒禾", "净享"),
        ("500ml", "750ml", "三支装", "家庭装"),
    ),
    (
        "家清",
        0.10,
        19,
        159,
        0.42,
        ("洗衣液", "洗洁精", "消毒湿巾", "厨房清洁剂", "洗衣凝珠", "抽纸"),
        ("洁净家", "白鹭", "好管家"),
        ("2kg", "3kg", "12包", "整箱"),
    ),
    (
        "食品",
        0.12,
        19,
        239,
        0.40,
        ("坚果礼盒", "挂耳咖啡", "燕麦片", "牛肉干", "蜂蜜", "茶叶", "巧克力"),
        ("山野集", "三餐食", "甄味"),
        ("500g", "1kg", "礼盒", "30袋"),
    ),
    (
        "母婴",
        0.10,
        49,
        499,
        0.46,
        ("纸尿裤", "奶瓶", "婴儿湿巾", "儿童洗护套装", "辅食米粉", "爬行垫"),
        ("贝乐", "童心", "小鹿妈妈"),
        ("S码", "M码", "L码", "大包装"),
    ),
    (
        "服饰",
        0.12,
        79,
        699,
        0.55,
        ("羽绒服", "羊毛衫", "卫衣", "牛仔裤", "保暖内衣", "运动鞋", "围巾"),
        ("北岸", "素织", "简行"),
        ("S", "M", "L", "XL"),
    ),
    (
        "数码配件",
        0.10,
        39,
        599,
        0.44,
        ("蓝牙耳机", "充电宝", "数据线", "手机壳", "智能手环", "无线充电器", "键盘"),
        ("极点", "声动", "芯联"),
        ("黑色", "白色", "蓝色", "标准版"),
    ),
)
PRESALE_CATEGORIES = ("护肤", "彩妆", "母婴", "服饰", "数码配件")
ADJECTIVES = ("", "修护", "焕亮", "经典", "轻盈", "保湿", "升级款", "大促限定")
N_NEW_PRODUCTS = 10
ZIPF = 1.2  # popularity falls as rank ** -ZIPF
UNIT_PRICE = 209.0  # mean list price of a campaign unit: sets campaign AOV near 540 whatever the seed

COUPONS = (  # id, type, face value, share of coupon orders among returning / new buyers
    ("CP001", "满减", 30.0, 0.20, 0.10),
    ("CP002", "满减", 50.0, 0.12, 0.05),
    ("CP003", "店铺券", 20.0, 0.20, 0.10),
    ("CP004", "店铺券", 40.0, 0.10, 0.05),
    ("CP005", "平台券", 30.0, 0.18, 0.10),
    ("CP006", "平台券", 60.0, 0.10, 0.05),
    ("CP007", "新客券", 15.0, 0.0, 0.30),
    ("CP008", "新客券", 25.0, 0.0, 0.20),
)
COUPON_RATE = 0.40

KOLS = (
    "小鹿酱",
    "美妆阿七",
    "柚子姐姐",
    "大橙子",
    "李小萌",
    "阿May在这",
    "甜甜圈",
    "王大锤",
    "桃子酱酱",
    "老周说数码",
    "宝妈小雨",
    "吃货阿飞",
    "穿搭Coco",
    "青青子衿",
    "一只喵",
)
# channel, placements, spend weights, revenue weights, CPM (yuan), CTR
PLACEMENTS = (
    (
        "search",
        ("关键词竞价", "品牌专区", "猜你喜欢推荐"),
        (0.55, 0.25, 0.20),
        (0.60, 0.25, 0.15),
        25.0,
        0.045,
    ),
    ("live", ("店铺自播间", "品牌直播日", "直播间投流"), (0.45, 0.20, 0.35), (0.50, 0.25, 0.25), 35.0, 0.030),
    ("offsite", KOLS, None, None, 45.0, 0.018),
    ("private", ("企微社群", "会员短信", "公众号推文"), (0.40, 0.35, 0.25), (0.50, 0.20, 0.30), 8.0, 0.040),
    ("other", ("开屏广告", "联盟推广"), (0.60, 0.40), (0.40, 0.60), 15.0, 0.012),
)
SPEND_VS_BUDGET = {"search": 0.97, "live": 1.15, "offsite": 0.98, "private": 0.93, "other": 1.00}
ATTRIBUTED_SHARE = {"search": 0.95, "live": 0.85, "offsite": 0.85, "private": 0.40, "other": 0.30}
DEFAULT_BUDGET = {"search": 420000, "live": 360000, "offsite": 300000, "private": 60000, "other": 60000}

REASONS = ("物流慢", "尺码不合适", "质量问题", "优惠券未生效", "发错货", "价格保护", "预售尾款", "其他")
TICKET_TYPES = ("consult", "complaint", "return")
# reason mix by ticket type, on ordinary days and during the burst (logistics-heavy)
REASON_P = np.array(
    [
        [[0.10, 0.12, 0.05, 0.18, 0.02, 0.15, 0.10, 0.28], [0.30, 0.08, 0.03, 0.14, 0.02, 0.12, 0.10, 0.21]],
        [[0.25, 0.03, 0.30, 0.12, 0.15, 0.05, 0.02, 0.08], [0.55, 0.02, 0.18, 0.07, 0.10, 0.03, 0.01, 0.04]],
        [[0.05, 0.45, 0.30, 0.00, 0.12, 0.00, 0.00, 0.08], [0.15, 0.40, 0.25, 0.00, 0.12, 0.00, 0.00, 0.08]],
    ]
)
NPS_P = np.array([1, 1, 1.5, 2, 3, 6.5, 10, 13, 17, 20, 25]) / 100

# hour-of-day shapes: evenings busier than mornings; burst day 1 opens with the midnight rush
ORDER_PROFILE = np.array(
    [
        2.2,
        1.2,
        0.6,
        0.35,
        0.25,
        0.3,
        0.6,
        1.2,
        2.2,
        3.0,
        3.4,
        3.5,
        3.6,
        3.2,
        3.1,
        3.3,
        3.4,
        3.6,
        3.9,
        4.6,
        5.6,
        6.2,
        5.8,
        3.9,
    ]
)
MIDNIGHT_ORDERS = np.concatenate([[30.0, 9.0, 3.0], ORDER_PROFILE[3:]])
TRAFFIC_PROFILE = ORDER_PROFILE**0.8
MIDNIGHT_TRAFFIC = np.concatenate([[12.0, 5.0, 2.0], TRAFFIC_PROFILE[3:]])

# browsing behaviour
VISITS = {
    "pool_buyer_days": 0.9,
    "pool_present": 0.35,
    "pool_days": 0.8,
    "new_days": 0.8,
    "browser_present": 0.75,
    "browser_days": 0.5,
    "anon_campaign": 0.8,
    "anon_days": 0.3,
    "anon_both": 0.15,
    "anon_base_days": 0.2,
    "pool_base": 0.35,
    "browser_base": 0.2,
    "extra_sessions": 0.15,
    "bounce": 0.52,
    "more_views": 0.4,
    "extra_views": 0.7,
}
CART_RATE = np.array([0.006, 0.05, 0.035, 0.04, 0.04])  # per view: warm-up, burst, tail, other day, baseline
SESSION_GAP = 30 * 60

# service desk: consults per day per unit of scale, load multipliers, response-time medians
CONSULTS_PER_DAY = 8.0
COMPLAINT_RATE = {"baseline": 0.011, "campaign": 0.0138}
RETURN_TICKET_RATE = 0.35
FIRST_RESPONSE_MEDIAN = 15.0


@dataclass(frozen=True)
class Calendar:
    """The campaign's windows in seconds since 1970 (naive local time) and its day structure."""

    start: int
    end: int
    base_start: int
    base_end: int
    hist_start: int
    post_end: int
    after_end: int
    burst1: int
    day_kind: np.ndarray  # per campaign day: 0 warm-up, 1 burst, 2 tail, 3 no phase
    day_rank: np.ndarray  # position of the day within its phase

    @property
    def n_days(self) -> int:
        """Days in the campaign window."""
        return (self.end - self.start) // DAY

    @property
    def n_base_days(self) -> int:
        """Days in the baseline period."""
        return (self.base_end - self.base_start) // DAY

    @property
    def burst1_day(self) -> int:
        """Index of burst day 1 among the campaign days."""
        return (self.burst1 - self.start) // DAY


@dataclass
class Products:
    """The catalogue and the popularity vectors order lines and views are drawn from."""

    table: pa.Table
    price_cents: np.ndarray
    is_merch: np.ndarray
    pop_base: np.ndarray
    pop_campaign: np.ndarray
    pop_presale: np.ndarray
    pop_open: np.ndarray
    view_base: np.ndarray
    view_campaign: np.ndarray
    blocked: list  # (sku index, out-of-stock from, back in stock at or None)
    sku_names: pa.Array
    presale_rate: float  # share of campaign orders that are presale, so presale is PRESALE_SHARE of sales

    @property
    def n(self) -> int:
        """Number of SKUs, POSTAGE included."""
        return self.price_cents.size


@dataclass
class Context:
    """Everything a chunk needs that is shared by all chunks."""

    cal: Calendar
    products: Products
    seed: int
    scale: int
    chunk_scale: int
    n_chunks: int
    pop: dict
    hist_p: np.ndarray
    camp_p: np.ndarray
    presale_p: np.ndarray
    post_p: np.ndarray
    uv_day_p: np.ndarray
    base_day_p: np.ndarray
    consult_mult: np.ndarray  # per day from base_start to after_end
    user_width: int
    coupon_face_cents: np.ndarray
    coupon_p_returning: np.ndarray
    coupon_p_new: np.ndarray
    presale_rate: float
    counters: dict
    channel_shares: np.ndarray  # campaign orders and new buyers' usual channel, by CHANNELS


# ----------------------------------------------------------------------------------------------------------
# Entry point


def generate_demo(
    params: CampaignParams,
    out_dir: Path,
    size: str = "small",
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Write every canonical table as Parquet under out_dir/<table>/ and return {table: folder}.

    The data set is assembled in a temporary sibling folder and renamed into place at the end, so readers
    never see a half-written out_dir.
    """
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r}; choose one of {', '.join(SIZES)}")
    if seed < 0:
        raise ValueError(f"seed must be zero or positive, got {seed}")
    say = progress or (lambda _msg: None)
    spec = SIZES[size]
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    with new_folder(out_dir) as tmp:
        story, rows = write_dataset(params, tmp, spec, seed, say)
        info = {
            "size": size,
            "seed": seed,
            "edition": params.data.demo.edition if params.data.demo else "this_year",
            "campaign": params.campaign.id,
            "rows": rows,
            "seconds": round(time.perf_counter() - t0, 2),
            "story": story,
        }
        (tmp / "_demo.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    say(f"demo data ({size}, seed {seed}) written to {out_dir} in {time.perf_counter() - t0:.1f}s")
    return {name: out_dir / name for name in TABLES}


def write_dataset(params: CampaignParams, folder: Path, spec: SizeSpec, seed: int, say) -> tuple[dict, dict]:
    """Generate chunk by chunk, stream to part files, then write the tables that need totals."""
    cal = build_calendar(params)
    rng = np.random.default_rng([seed, 0])
    products = build_products(rng, cal, spec.n_skus)
    ctx = build_context(params, cal, products, spec, seed)
    writers = {
        name: PartWriter(folder / name, table_schema(name, NOT_EXPORTED.get(name, ())), spec.rows_per_part)
        for name in TABLES
    }
    n_hours = cal.n_days * 24
    sold = np.zeros((products.n, n_hours), dtype=np.int64)
    n_mkt_days = cal.n_base_days + cal.n_days
    gmv = np.zeros((n_mkt_days, len(CHANNELS)))
    n_orders = np.zeros((n_mkt_days, len(CHANNELS)), dtype=np.int64)
    redeemed = np.zeros(len(COUPONS), dtype=np.int64)
    writers["products"].write(products.table)
    for k in range(ctx.n_chunks):
        say(f"demo data: chunk {k + 1}/{ctx.n_chunks}")
        tables, agg = generate_chunk(ctx, k)
        for name, table in tables.items():
            writers[name].write(table)
        sold += agg["sold"]
        gmv += agg["gmv"]
        n_orders += agg["orders"]
        redeemed += agg["redeemed"]
    say("demo data: inventory, marketing and coupons")
    inventory, story = build_inventory(rng, cal, products, sold)
    writers["inventory"].write(inventory)
    budget = {c: float(params.budget.get(c, DEFAULT_BUDGET[c])) for c in CHANNELS}
    writers["marketing"].write(build_marketing(rng, cal, ctx, budget, gmv, n_orders))
    writers["coupons"].write(build_coupons(rng, redeemed, ctx.scale))
    rows = {name: w.close() for name, w in writers.items()}
    return story, rows


# ----------------------------------------------------------------------------------------------------------
# Calendar, catalogue and shared context


def day_secs(d: date) -> int:
    """Midnight of a calendar day in seconds since 1970 (naive local time)."""
    return (d - EPOCH).days * DAY


def build_calendar(params: CampaignParams) -> Calendar:
    """Windows of the data: history year, baseline, campaign phases, retention and after-sales weeks."""
    start, end = day_secs(params.start), day_secs(params.end_exclusive)
    n_days = (end - start) // DAY
    kind = np.full(n_days, 3, dtype=np.int8)
    rank = np.zeros(n_days, dtype=np.int64)
    codes = {"warmup": 0, "burst": 1, "tail": 2}
    for phase in params.phases:
        first = (phase.start - params.start).days
        kind[first : first + phase.days] = codes[phase.name]
        rank[first : first + phase.days] = np.arange(phase.days)
    burst_days = np.flatnonzero(kind == 1)
    burst1 = start + int(burst_days[0]) * DAY if burst_days.size else start
    if params.baseline is not None:
        base_start, base_end = day_secs(params.baseline.start), day_secs(params.baseline.end) + DAY
    else:
        base_start, base_end = start - 21 * DAY, start - 7 * DAY
    return Calendar(
        start=start,
        end=end,
        base_start=base_start,
        base_end=base_end,
        hist_start=start - 365 * DAY,
        post_end=end + params.settings.retention_days * DAY,
        after_end=end + 7 * DAY,
        burst1=burst1,
        day_kind=kind,
        day_rank=rank,
    )


def weigh_days(cal: Calendar, warm: float, burst: tuple, tail: float, decay: float, gap: float) -> np.ndarray:
    """Share of a campaign quantity per day, from the phase each day belongs to."""
    w = np.full(cal.n_days, gap)
    w[cal.day_kind == 0] = warm
    b = cal.day_kind == 1
    w[b] = np.asarray(burst)[np.minimum(cal.day_rank[b], len(burst) - 1)]
    t = cal.day_kind == 2
    w[t] = tail * decay ** cal.day_rank[t]
    return w / w.sum()


def spread_hours(
    day_w: np.ndarray, profile: np.ndarray, special: np.ndarray | None = None, special_day: int | None = None
) -> np.ndarray:
    """Probability of each hour of a window: day weight times that day's hour-of-day shape."""
    m = np.tile(profile / profile.sum(), (day_w.size, 1))
    if special is not None and special_day is not None and 0 <= special_day < day_w.size:
        m[special_day] = special / special.sum()
    p = (m * day_w[:, None]).ravel()
    return p / p.sum()


def weekday(day_index: np.ndarray) -> np.ndarray:
    """Day of week (Monday 0) of days counted from 1970-01-01, a Thursday."""
    return (day_index + 3) % 7


def build_context(params: CampaignParams, cal: Calendar, products: Products, spec: SizeSpec, seed: int) -> Context:
    """Per-window time distributions and per-chunk populations shared by all chunks."""
    order_w = weigh_days(cal, 0.02, (0.24, 0.12, 0.09, 0.07), 0.11, 0.8, 0.02)
    uv_w = weigh_days(cal, 0.07, (0.12, 0.085, 0.07, 0.06), 0.08, 0.92, 0.04)
    camp_p = spread_hours(order_w, ORDER_PROFILE, MIDNIGHT_ORDERS, cal.burst1_day)
    warm = cal.day_kind == 0
    presale_w = np.where(warm, 1.0 + 0.12 * cal.day_rank, 0.0)
    presale_w[warm & (cal.day_rank == 0)] = 2.0
    presale_rate = products.presale_rate if warm.any() and cal.burst1 > cal.start else 0.0
    if presale_rate == 0:
        presale_w = np.ones(cal.n_days)
    presale_p = spread_hours(presale_w / presale_w.sum(), ORDER_PROFILE)
    hist_days = np.arange(365) + cal.hist_start // DAY
    hist_w = (0.9 + 0.2 * np.arange(365) / 365) * np.where(weekday(hist_days) >= 5, 1.12, 1.0)
    hist_w[: cal.n_days] *= 1 + 14 * order_w[:365]  # last year's edition of the campaign
    hist_w[-PULL_FORWARD[0] :] *= PULL_FORWARD[1]
    hist_p = spread_hours(hist_w / hist_w.sum(), ORDER_PROFILE)
    n_post = (cal.post_end - cal.end) // DAY
    post_w = 0.97 ** np.arange(n_post)
    post_p = spread_hours(post_w / post_w.sum(), ORDER_PROFILE)
    base_days = np.arange(cal.n_base_days) + cal.base_start // DAY
    base_w = np.where(weekday(base_days) >= 5, 1.1, 1.0)
    n_chunks = spec.scale // spec.chunk_scale
    scales, shares = EDITIONS[params.data.demo.edition if params.data.demo else "this_year"]
    pop = {k: int(round(v * spec.chunk_scale * scales.get(k, 1.0))) for k, v in POPULATION.items()}
    users_per_chunk = pop["pool"] + pop["new"] + pop["browser"] + pop["dormant"]
    face = np.array([c[2] for c in COUPONS]) * 100
    p_ret = np.array([c[3] for c in COUPONS])
    p_new = np.array([c[4] for c in COUPONS])
    return Context(
        cal=cal,
        products=products,
        seed=seed,
        scale=spec.scale,
        chunk_scale=spec.chunk_scale,
        n_chunks=n_chunks,
        pop=pop,
        hist_p=hist_p,
        camp_p=camp_p,
        presale_p=presale_p,
        post_p=post_p,
        uv_day_p=uv_w,
        base_day_p=base_w / base_w.sum(),
        consult_mult=consult_multipliers(cal),
        user_width=max(7, len(str(users_per_chunk * n_chunks))),
        coupon_face_cents=face.astype(np.int64),
        coupon_p_returning=p_ret / p_ret.sum(),
        coupon_p_new=p_new / p_new.sum(),
        presale_rate=presale_rate,
        counters={"order": 0, "session": 0, "ticket": 0},
        channel_shares=shares / shares.sum(),
    )


def consult_multipliers(cal: Calendar) -> np.ndarray:
    """Service contacts per day relative to a baseline day, from base_start to the end of the after-week."""
    n = (cal.after_end - cal.base_start) // DAY
    m = np.zeros(n)
    b0 = 0
    m[b0 : b0 + cal.n_base_days] = 1.0
    c0 = (cal.start - cal.base_start) // DAY
    kind, rank = cal.day_kind, cal.day_rank
    camp = np.where(kind == 0, 2.5, np.where(kind == 2, 3.0 * 0.88**rank, 2.0))
    burst = kind == 1
    camp[burst] = np.array([7.0, 5.0, 3.5, 3.0])[np.minimum(rank[burst], 3)]
    m[c0 : c0 + cal.n_days] = camp
    m[c0 + cal.n_days :] = 1.8
    return m


def build_products(rng: np.random.Generator, cal: Calendar, n_skus: int) -> Products:
    """The catalogue: Chinese names, category prices and margins, Zipf popularity, new launches, POSTAGE."""
    m = n_skus - 1
    shares = np.array([c[1] for c in CATEGORIES])
    cat = np.sort(rng.choice(len(CATEGORIES), m, p=shares / shares.sum()))
    lo = np.array([c[2] for c in CATEGORIES], dtype=float)[cat]
    hi = np.array([c[3] for c in CATEGORIES], dtype=float)[cat]
    price = np.exp(rng.uniform(np.log(lo), np.log(hi)))
    margin = np.array([c[4] for c in CATEGORIES])[cat] * rng.uniform(0.9, 1.1, m)
    nouns = [np.array(c[5]) for c in CATEGORIES]
    brands = [np.array(c[6]) for c in CATEGORIES]
    specs = [np.array(c[7]) for c in CATEGORIES]
    noun = np.empty(m, dtype=object)
    brand = np.empty(m, dtype=object)
    spec = np.empty(m, dtype=object)
    for i in range(len(CATEGORIES)):  # loop over the eight categories, not over rows
        sel = cat == i
        noun[sel] = rng.choice(nouns[i], sel.sum())
        brand[sel] = rng.choice(brands[i], sel.sum())
        spec[sel] = rng.choice(specs[i], sel.sum())
    adjective = rng.choice(np.array(ADJECTIVES, dtype=object), m)
    name = brand + " " + adjective + noun + " " + spec
    rank = rng.permutation(m)  # 0 = most popular
    weight = (rank + 2.5) ** -ZIPF * (np.median(price) / price) ** 0.6  # units: cheap SKUs sell more
    new = rng.choice(np.flatnonzero(rank >= 10), min(N_NEW_PRODUCTS, max(0, m - 10)), replace=False)
    launch_lo = max(cal.base_end, cal.start - 30 * DAY) // DAY
    launch = cal.start // DAY - rng.integers(60, 3 * 365, m)
    launch[new] = rng.integers(launch_lo, cal.start // DAY, new.size)
    is_new = np.zeros(m, dtype=bool)
    is_new[new] = True
    new_weight = (np.arange(new.size) * 3.0 + 9.0) ** -ZIPF * (np.median(price) / price[new]) ** 0.6
    camp_weight = weight.copy()
    camp_weight[new] = new_weight
    base_weight = np.where(is_new, 0.0, weight)
    cat_names = np.array([c[0] for c in CATEGORIES])
    eligible = np.isin(cat_names[cat], PRESALE_CATEGORIES) & (price >= np.quantile(price, 0.3))
    presale_weight = (camp_weight * eligible) ** 0.3
    # presale orders carry pricier baskets: their share of orders is set so they make PRESALE_SHARE of sales,
    # then all prices are scaled so that a campaign unit costs UNIT_PRICE on average (AOV near 540)
    unit_c = (camp_weight * price).sum() / camp_weight.sum()
    unit_p = (presale_weight * price).sum() / presale_weight.sum()
    presale_rate = PRESALE_SHARE * unit_c / (PRESALE_SHARE * unit_c + (1 - PRESALE_SHARE) * unit_p)
    unit = (1 - presale_rate) * unit_c + presale_rate * unit_p
    price = np.maximum(9, np.round(price * UNIT_PRICE / unit / 10) * 10 - 1)  # prices end in 9
    price_cents = np.round(price * 100).astype(np.int64)
    cost_cents = np.round(price_cents * (1 - margin)).astype(np.int64)
    revenue = (
        (1 - presale_rate) * camp_weight / camp_weight.sum() + presale_rate * presale_weight / presale_weight.sum()
    ) * price
    revenue[new] = -1.0
    top2 = np.argsort(-revenue, kind="stable")[:2]  # of the two best sellers, the one selling more units
    blocked = plan_sellouts(cal, int(top2[np.argmax(revenue[top2] / price[top2])]), new)
    open_weight = camp_weight.copy()
    open_weight[[b[0] for b in blocked]] = 0.0

    def padded(w: np.ndarray) -> np.ndarray:
        return np.append(w / w.sum(), 0.0)

    sku = pa.concat_arrays([format_ids("SKU", np.arange(1, m + 1), 5), pa.array(["POSTAGE"])])
    table = pa.Table.from_arrays(
        [
            sku,
            pa.array(np.append(name, "运费（邮费补差）").tolist(), type=pa.string()),
            pa.array(np.append(cat_names[cat], "运费").tolist(), type=pa.string()),
            pa.array(np.append(brand, "—").tolist(), type=pa.string()),
            pa.array(np.append(launch, cal.hist_start // DAY - 365).astype("datetime64[D]"), type=pa.date32()),
            pa.array(np.append(price_cents, 1000) / 100.0),
            pa.array(np.append(cost_cents, 0) / 100.0),
            pa.array(np.append(np.ones(m, dtype=bool), False)),
        ],
        schema=table_schema("products"),
    )
    view_campaign = padded(camp_weight**0.75)
    return Products(
        table=table,
        price_cents=np.append(price_cents, 1000),
        is_merch=np.append(np.ones(m, bool), False),
        pop_base=padded(base_weight),
        pop_campaign=padded(camp_weight),
        pop_presale=padded(presale_weight),
        pop_open=padded(open_weight),
        view_base=padded(base_weight**0.75),
        view_campaign=view_campaign,
        blocked=blocked,
        sku_names=sku,
        presale_rate=float(presale_rate),
    )


def plan_sellouts(cal: Calendar, top_sku: int, new: np.ndarray) -> list:
    """Out-of-stock windows: a top-5 SKU on burst day 2 mid-morning (back 30 h later), three new products."""
    plans = [(top_sku, cal.burst1 + DAY + 10 * HOUR, 30 * HOUR)]
    offsets = ((9 * HOUR, 36 * HOUR), (21 * HOUR, None), (3 * DAY + 14 * HOUR, None))
    plans += [(int(s), cal.burst1 + off, lag) for s, (off, lag) in zip(new[:3], offsets, strict=False)]
    blocked = []
    for sku, w0, lag in plans:
        if cal.start + 6 * HOUR <= w0 < cal.end - 6 * HOUR:
            back = w0 + lag if lag is not None and w0 + lag < cal.end - HOUR else None
            blocked.append((sku, int(w0), back))
    return blocked


# ----------------------------------------------------------------------------------------------------------
# One chunk of users and visitors


def generate_chunk(ctx: Context, k: int) -> tuple[dict, dict]:
    """All per-person tables for chunk k, plus the totals the cross-chunk tables need."""
    rng = np.random.default_rng([ctx.seed, 1, k])
    users = make_users(rng, ctx, k)
    orders = make_orders(rng, ctx, users)
    items = make_items(rng, ctx, orders)
    price_orders(rng, ctx, users, orders, items)
    events = make_events(rng, ctx, users, orders, items)
    register_users(ctx, users, orders)
    tables = {
        "users": users_table(users),
        "orders": orders_table(ctx, users, orders),
        "order_items": items_table(ctx, orders, items),
        "events": events,
        "shipments": make_shipments(rng, ctx, users, orders),
        "service": make_service(rng, ctx, orders),
        "nps": make_nps(rng, ctx, users, orders),
    }
    return tables, aggregate_chunk(ctx, orders, items)


def make_users(rng: np.random.Generator, ctx: Context, k: int) -> dict:
    """Registered users (customers, new buyers, browsers, dormant) and anonymous visitors of one chunk."""
    pop = ctx.pop
    counts = [pop["pool"], pop["new"], pop["browser"], pop["dormant"]]
    n = sum(counts)
    utype = np.repeat(np.arange(4, dtype=np.int8), counts)
    member = rng.random(n) < MEMBER_RATE[utype]
    tier = rng.choice(len(TIERS), n, p=TIER_SHARES)
    province = np.zeros(n, dtype=np.int64)
    base_w = np.array([p[2] for p in PROVINCES])
    tier1_w = np.array([p[3] for p in PROVINCES])
    other_w = np.where(np.isin(PROVINCE_NAMES, ("北京", "上海", "天津")), 0.0, base_w)
    for t in range(len(TIERS)):  # four tiers
        sel = tier == t
        w = tier1_w if t == 0 else other_w
        province[sel] = rng.choice(len(PROVINCES), sel.sum(), p=w / w.sum())
    home = np.where(utype <= 1, rng.choice(5, n, p=ctx.channel_shares), rng.choice(5, n, p=REGISTERED_MIX))
    rate = rng.gamma(2.0, 0.5, n) * np.where(member, 1.8, 0.9)  # orders per year of customers with history
    number = k * n + rng.permutation(n) + 1
    n_anon = pop["anon"]
    anon_number = k * n_anon + rng.permutation(n_anon) + 1
    return {
        "n": n,
        "type": utype,
        "member": member,
        "tier": tier,
        "province": province,
        "home": home,
        "rate": rate,
        "id": format_ids("U", number, ctx.user_width),
        "number": number,
        "n_anon": n_anon,
        "anon_id": format_ids("V", anon_number, 8),
        "anon_home": rng.choice(5, n_anon, p=ANON_MIX),
    }


def sample_times(rng: np.random.Generator, n: int, origin: int, hour_p: np.ndarray) -> np.ndarray:
    """N timestamps (seconds) in a window, hour drawn from hour_p, uniform within the hour."""
    idx = rng.choice(hour_p.size, size=n, p=hour_p)
    return origin + idx.astype(np.int64) * HOUR + rng.integers(0, HOUR, n)


def make_orders(rng: np.random.Generator, ctx: Context, u: dict) -> dict:
    """History, campaign and retention-window orders with times, status, payment and channel."""
    cal = ctx.cal
    pool = np.flatnonzero(u["type"] == 0)
    member = u["member"]
    n_hist = 1 + rng.poisson(u["rate"][pool] * 0.8)
    n_bg = rng.poisson(u["rate"][pool] * (cal.post_end - cal.end) / DAY / 365)
    buys = np.zeros(u["n"], dtype=bool)
    buys[pool] = rng.random(pool.size) < np.where(member[pool], BUY_RATE[True], BUY_RATE[False])
    buys[u["type"] == 1] = True
    buyers = np.flatnonzero(buys)
    n_camp = 1 + (rng.random(buyers.size) < np.where(member[buyers], SECOND_ORDER[True], SECOND_ORDER[False]))
    follow = FOLLOW_UP[u["type"][buyers], member[buyers].astype(int)]
    n_follow = (rng.random(buyers.size) < follow) * (1 + (rng.random(buyers.size) < 0.2))
    h_user, b_user = np.repeat(pool, n_hist), np.repeat(pool, n_bg)
    c_user, f_user = np.repeat(buyers, n_camp), np.repeat(buyers, n_follow)
    presale = rng.random(c_user.size) < ctx.presale_rate
    c_time = np.where(
        presale,
        sample_times(rng, c_user.size, cal.start, ctx.presale_p),
        sample_times(rng, c_user.size, cal.start, ctx.camp_p),
    )
    user = np.concatenate([h_user, b_user, c_user, f_user])
    otime = np.concatenate(
        [
            sample_times(rng, h_user.size, cal.hist_start, ctx.hist_p),
            sample_times(rng, b_user.size, cal.end, ctx.post_p),
            c_time,
            sample_times(rng, f_user.size, cal.end, ctx.post_p),
        ]
    )
    sizes = [h_user.size, b_user.size, c_user.size, f_user.size]
    kind = np.repeat(np.array([0, 2, 1, 2], dtype=np.int8), sizes)
    presale = np.concatenate([np.zeros(sizes[0] + sizes[1], bool), presale, np.zeros(sizes[3], bool)])
    order = np.lexsort((user, otime))
    user, otime, kind, presale = user[order], otime[order], kind[order], presale[order]
    n = user.size
    # status: the first history order of a customer is paid, so they count as returning
    p_paid = np.where(
        presale, STATUS_P["presale"][0], np.where(kind == 1, STATUS_P["campaign"][0], STATUS_P["other"][0])
    )
    p_canc = np.where(
        presale, STATUS_P["presale"][1], np.where(kind == 1, STATUS_P["campaign"][1], STATUS_P["other"][1])
    )
    r = rng.random(n)
    status = (r >= p_paid).astype(np.int8) + (r >= p_paid + p_canc)
    hist_idx = np.flatnonzero(kind == 0)
    _, first = np.unique(user[hist_idx], return_index=True)
    status[hist_idx[first]] = 0
    delay = np.minimum(np.round(rng.lognormal(np.log(90), 1.0, n)), 1500).astype(np.int64) + 5
    pay = otime + delay
    wait = -25 * 60 * np.log(1 - rng.random(n) * (1 - np.exp(-2 * HOUR / (25 * 60))))
    pay[presale] = cal.burst1 + np.minimum(wait[presale].astype(np.int64), 2 * HOUR - 1)
    paid_then_cancelled = (rng.random(n) < 0.1) & ~presale
    pay[(status == 1) & ~paid_then_cancelled] = -1
    for w0, w1 in ((cal.start, cal.end), (cal.base_start, cal.base_end)):
        inside = (otime >= w0) & (otime < w1) & ~presale & (pay >= 0)
        pay[inside] = np.minimum(pay[inside], w1 - 1)
    shares = np.where((kind == 1)[:, None], ctx.channel_shares, HISTORY_CHANNEL_SHARES)
    drawn = (rng.random(n)[:, None] > np.cumsum(shares, axis=1)).sum(axis=1)
    channel = np.where(rng.random(n) < ORDER_STICKINESS, u["home"][user], np.minimum(drawn, 4))
    window = np.full(n, -1, dtype=np.int8)  # 0 baseline, 1 campaign: orders that have events
    window[(otime >= cal.base_start) & (otime < cal.base_end)] = 0
    window[(otime >= cal.start) & (otime < cal.end)] = 1
    number = ctx.counters["order"] + np.arange(1, n + 1)
    ctx.counters["order"] += n
    return {
        "n": n,
        "user": user,
        "time": otime,
        "pay": pay,
        "status": status,
        "channel": channel,
        "presale": presale,
        "kind": kind,
        "window": window,
        "id": format_ids("O", number, 8),
    }


def make_items(rng: np.random.Generator, ctx: Context, o: dict) -> dict:
    """Order lines: more lines and units in the campaign, sold-out SKUs moved aside, some postage lines."""
    p = ctx.products
    campaign = o["kind"] == 1
    group = np.where(o["presale"], 1, np.where(campaign, 2, np.where(o["kind"] == 2, 3, 0)))
    lines_p = np.array(
        [
            [0.52, 0.28, 0.13, 0.07],
            [0.36, 0.30, 0.21, 0.13],
            [0.36, 0.30, 0.21, 0.13],
            [0.45, 0.30, 0.16, 0.09],
        ]
    )  # 1-4 lines: history, presale, campaign, retention window
    n_lines = 1 + (rng.random(o["n"])[:, None] > np.cumsum(lines_p[group], axis=1)[:, :3]).sum(axis=1)
    line_order = np.repeat(np.arange(o["n"]), n_lines)
    line_group = group[line_order]
    sku = np.zeros(line_order.size, dtype=np.int64)
    for g, pop in enumerate((p.pop_base, p.pop_presale, p.pop_campaign, p.pop_campaign)):
        sel = line_group == g
        sku[sel] = rng.choice(p.n, sel.sum(), p=pop)
    qty_p = np.where(campaign[line_order, None], [[0.72, 0.91]], [[0.85, 0.97]])
    qty = 1 + (rng.random(line_order.size)[:, None] > qty_p).sum(axis=1)
    ot, pt = o["time"][line_order], o["pay"][line_order]
    for b, w0, back in p.blocked:  # no sales of a sold-out SKU until it is back in stock
        w1 = back if back is not None else ctx.cal.end
        hit = (sku == b) & (((ot >= w0) & (ot < w1)) | ((pt >= w0) & (pt < w1)))
        sku[hit] = rng.choice(p.n, hit.sum(), p=p.pop_open)
    postage = np.flatnonzero(rng.random(o["n"]) < 0.012)
    line_order = np.concatenate([line_order, postage])
    sku = np.concatenate([sku, np.full(postage.size, p.n - 1)])
    qty = np.concatenate([qty, np.ones(postage.size, dtype=np.int64)])
    keys, inverse = np.unique(line_order * p.n + sku, return_inverse=True)
    return {
        "order": keys // p.n,
        "sku": keys % p.n,
        "qty": np.bincount(inverse, weights=qty).astype(np.int64),
    }


def price_orders(rng: np.random.Generator, ctx: Context, u: dict, o: dict, it: dict) -> None:
    """List, discount and paid amounts in cents; line paid amounts add up to the order's exactly."""
    value = it["qty"] * ctx.products.price_cents[it["sku"]]
    list_c = np.bincount(it["order"], weights=value, minlength=o["n"]).astype(np.int64)
    campaign = o["kind"] == 1
    uses = campaign & (rng.random(o["n"]) < COUPON_RATE)
    is_new = u["type"][o["user"]] == 1
    coupon = np.where(
        is_new,
        (rng.random(o["n"])[:, None] > np.cumsum(ctx.coupon_p_new)).sum(1),
        (rng.random(o["n"])[:, None] > np.cumsum(ctx.coupon_p_returning)).sum(1),
    )
    coupon = np.where(uses, np.minimum(coupon, len(COUPONS) - 1), -1)
    face = np.where(coupon >= 0, ctx.coupon_face_cents[np.maximum(coupon, 0)], 0)
    everyday = np.round(list_c * rng.uniform(0, 0.06, o["n"])).astype(np.int64)
    discount = np.where(campaign, list_c // 30000 * 3000 + face, everyday)
    discount = np.minimum(discount, list_c * 6 // 10)
    paid_c = list_c - discount
    line_paid = paid_c[it["order"]] * value // list_c[it["order"]]
    first = np.searchsorted(it["order"], np.arange(o["n"]))
    allocated = np.bincount(it["order"], weights=line_paid, minlength=o["n"]).astype(np.int64)
    line_paid[first] += paid_c - allocated  # the rounding remainder goes on the first line
    o.update(list_c=list_c, discount_c=discount, paid_c=paid_c, coupon=coupon)
    it.update(paid_c=line_paid, value=value)


# ----------------------------------------------------------------------------------------------------------
# Behaviour log


def make_events(rng: np.random.Generator, ctx: Context, u: dict, o: dict, it: dict) -> pa.Table:
    """Browsing sessions of everyone plus a view-cart-order-pay path behind every order in the windows."""
    browse = make_browse_events(rng, ctx, u, o)
    buy = make_buy_events(rng, ctx, o, it)
    v, t, ch, typ, sku, dwell = (np.concatenate(pair) for pair in zip(browse, buy, strict=True))
    order = np.lexsort((typ, t, v))
    v, t, ch, typ, sku, dwell = v[order], t[order], ch[order], typ[order], sku[order], dwell[order]
    brk = np.ones(v.size, dtype=bool)
    brk[1:] = (v[1:] != v[:-1]) | (t[1:] - t[:-1] > SESSION_GAP)
    session = ctx.counters["session"] + np.cumsum(brk)
    ctx.counters["session"] = int(session[-1]) if session.size else ctx.counters["session"]
    order = np.lexsort((typ, v, t))
    v, t, ch, typ, sku, dwell, session = (a[order] for a in (v, t, ch, typ, sku, dwell, session))
    visitor = pa.concat_arrays([u["id"], u["anon_id"]])
    vi = pa.array(v)
    registered = v < u["n"]
    return pa.Table.from_arrays(
        [
            visitor.take(vi),
            u["id"].take(pa.array(v, mask=~registered)),
            timestamps(t),
            pick(CHANNELS, ch),
            pick(EVENT_TYPES, typ),
            ctx.products.sku_names.take(pa.array(sku)),
            format_ids("S", session, 9),
            pa.array(dwell, from_pandas=True),
        ],
        schema=table_schema("events"),
    )


def make_browse_events(rng: np.random.Generator, ctx: Context, u: dict, o: dict) -> list:
    """Views (and a few carts) of visitors on the days they come, in sessions that often bounce."""
    cal, vs, p = ctx.cal, VISITS, ctx.products
    n_users, n_anon = u["n"], u["n_anon"]
    nv = n_users + n_anon
    utype = np.concatenate([u["type"], np.full(n_anon, 4, dtype=np.int8)])
    home = np.concatenate([u["home"], u["anon_home"]])
    buyer = np.zeros(nv, dtype=bool)
    buyer[o["user"][o["kind"] == 1]] = True
    r = rng.random((2, nv))
    camp_days = np.select(
        [utype == 0, utype == 1, utype == 2, utype == 4],
        [
            np.where(
                buyer,
                rng.poisson(vs["pool_buyer_days"], nv),
                (r[0] < vs["pool_present"]) * (1 + rng.poisson(vs["pool_days"], nv)),
            ),
            rng.poisson(vs["new_days"], nv),
            (r[0] < vs["browser_present"]) * (1 + rng.poisson(vs["browser_days"], nv)),
            (r[0] < vs["anon_campaign"]) * (1 + rng.poisson(vs["anon_days"], nv)),
        ],
        0,
    )
    anon_base = np.where(r[0] < vs["anon_campaign"], r[1] < vs["anon_both"], True)
    base_days = np.select(
        [utype == 0, utype == 2, utype == 4],
        [
            rng.poisson(vs["pool_base"], nv),
            rng.poisson(vs["browser_base"], nv),
            anon_base * (1 + rng.poisson(vs["anon_base_days"], nv)),
        ],
        0,
    )
    dv = np.concatenate([np.repeat(np.arange(nv), camp_days), np.repeat(np.arange(nv), base_days)])
    dcode = np.concatenate(
        [
            rng.choice(cal.n_days, camp_days.sum(), p=ctx.uv_day_p),
            cal.n_days + rng.choice(cal.n_base_days, base_days.sum(), p=ctx.base_day_p),
        ]
    )
    key = np.unique(dv.astype(np.int64) * 1024 + dcode)
    dv, dcode = key // 1024, key % 1024
    n_sess = 1 + rng.poisson(vs["extra_sessions"], dv.size)
    sv, sday = np.repeat(dv, n_sess), np.repeat(dcode, n_sess)
    in_base = sday >= cal.n_days
    day_start = np.where(in_base, cal.base_start + (sday - cal.n_days) * DAY, cal.start + sday * DAY)
    midnight = sday == cal.burst1_day
    hour = np.where(
        midnight,
        rng.choice(24, sv.size, p=MIDNIGHT_TRAFFIC / MIDNIGHT_TRAFFIC.sum()),
        rng.choice(24, sv.size, p=TRAFFIC_PROFILE / TRAFFIC_PROFILE.sum()),
    )
    start = day_start + hour * HOUR + rng.integers(0, HOUR, sv.size)
    mix = np.where((utype[sv] == 4)[:, None], ANON_MIX, REGISTERED_MIX)
    drawn = np.minimum((rng.random(sv.size)[:, None] > np.cumsum(mix, axis=1)).sum(axis=1), 4)
    s_channel = np.where(rng.random(sv.size) < HOME_STICKINESS, home[sv], drawn)
    single = rng.random(sv.size) < vs["bounce"]
    n_views = np.where(single, 1, 1 + rng.geometric(vs["more_views"], sv.size))
    e_s, _ = expand_counts(n_views)
    gaps = np.clip(np.round(rng.lognormal(np.where(single[e_s], np.log(12), np.log(35)), 0.9)), 1, 1200)
    gaps = gaps.astype(np.int64)
    offset = exclusive_group_cumsum(gaps, n_views)
    length = np.bincount(e_s, weights=gaps, minlength=sv.size).astype(np.int64)
    w_end = np.where(in_base, cal.base_end, cal.end)
    start = np.minimum(start, w_end - length - 1)
    t = start[e_s] + offset
    e_base = in_base[e_s]
    sku = np.where(e_base, rng.choice(p.n, e_s.size, p=p.view_base), rng.choice(p.n, e_s.size, p=p.view_campaign))
    day_kind = np.where(e_base, 4, cal.day_kind[np.minimum(sday[e_s], cal.n_days - 1)])
    cart = (~single[e_s]) & (rng.random(e_s.size) < CART_RATE[day_kind])
    for b, w0, back in p.blocked:  # nobody can add a sold-out SKU to the cart
        w1 = back if back is not None else cal.end
        cart &= ~((sku == b) & (t >= w0) & (t < w1))
    cart_t = t[cart] + np.floor(gaps[cart] * rng.uniform(0.3, 0.9, cart.sum())).astype(np.int64)
    n_e, n_c = e_s.size, int(cart.sum())
    return [
        np.concatenate([sv[e_s], sv[e_s][cart]]),
        np.concatenate([t, cart_t]),
        np.concatenate([s_channel[e_s], s_channel[e_s][cart]]).astype(np.int8),
        np.concatenate([np.zeros(n_e, np.int8), np.ones(n_c, np.int8)]),
        np.concatenate([sku, sku[cart]]),
        np.concatenate([gaps.astype(float), np.full(n_c, np.nan)]),
    ]


def make_buy_events(rng: np.random.Generator, ctx: Context, o: dict, it: dict) -> list:
    """Behind each order in the baseline or campaign: views and carts of its SKUs, the order, the payment."""
    cal, p = ctx.cal, ctx.products
    wo = np.flatnonzero(o["window"] >= 0)
    keep = p.is_merch[it["sku"]] & (o["window"][it["order"]] >= 0)
    m_order, m_sku = it["order"][keep], it["sku"][keep]
    n_lines = np.bincount(m_order, minlength=o["n"])[wo]
    line_start = np.cumsum(n_lines) - n_lines
    extra = rng.poisson(VISITS["extra_views"], wo.size)
    n_pre = extra + 2 * n_lines
    parent, pos = expand_counts(n_pre)
    is_extra = pos < extra[parent]
    j = (pos - extra[parent]) // 2
    typ = np.where(is_extra | ((pos - extra[parent]) % 2 == 0), 0, 1).astype(np.int8)
    sku = np.where(
        is_extra,
        rng.choice(p.n, parent.size, p=p.view_campaign),
        m_sku[np.minimum(line_start[parent] + np.maximum(j, 0), m_sku.size - 1)],
    )
    gaps = np.clip(np.round(rng.lognormal(np.log(35), 0.8, parent.size)), 1, 900).astype(np.int64)
    otime = o["time"][wo]
    w_start = np.where(o["window"][wo] == 0, cal.base_start, cal.start)
    total = np.bincount(parent, weights=gaps, minlength=wo.size)
    room = (otime - w_start).astype(float)
    squeeze = np.where(total > room, room / np.maximum(total, 1), 1.0)
    gaps = np.floor(gaps * squeeze[parent]).astype(np.int64)
    cs = np.cumsum(gaps)
    group_end = cs[np.cumsum(n_pre) - 1]
    t = otime[parent] - (group_end[parent] - cs + gaps)
    first_sku = m_sku[line_start]
    pay = o["pay"][wo]
    presale = o["presale"][wo]
    paid_now = (pay >= 0) & ~presale
    paid_later = (pay >= 0) & presale
    later_view = pay[paid_later] - rng.integers(30, 180, paid_later.sum())
    user, channel = o["user"][wo], o["channel"][wo].astype(np.int8)
    n_pl = int(paid_later.sum())
    return [
        np.concatenate([user[parent], user, user[paid_now], user[paid_later], user[paid_later]]),
        np.concatenate([t, otime, pay[paid_now], later_view, pay[paid_later]]),
        np.concatenate([channel[parent], channel, channel[paid_now], channel[paid_later], channel[paid_later]]),
        np.concatenate(
            [
                typ,
                np.full(wo.size, 2, np.int8),
                np.full(paid_now.sum(), 3, np.int8),
                np.zeros(n_pl, np.int8),
                np.full(n_pl, 3, np.int8),
            ]
        ),
        np.concatenate([sku, first_sku, first_sku[paid_now], first_sku[paid_later], first_sku[paid_later]]),
        np.concatenate(
            [
                np.where(typ == 0, gaps, np.nan),
                np.full(wo.size + paid_now.sum(), np.nan),
                (pay[paid_later] - later_view).astype(float),
                np.full(n_pl, np.nan),
            ]
        ),
    ]


def expand_counts(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parent index and position within the parent for a flat array of variable-length groups."""
    parent = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return parent, np.arange(parent.size) - starts[parent]


def exclusive_group_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Running total of values before each element, restarting at every group."""
    cs = np.cumsum(values) - values
    starts = np.cumsum(counts) - counts
    return cs - np.repeat(cs[starts], counts) if values.size else cs


# ----------------------------------------------------------------------------------------------------------
# Fulfilment, service, survey


def make_shipments(rng: np.random.Generator, ctx: Context, u: dict, o: dict) -> pa.Table:
    """Paid and refunded orders from the campaign on: backlog on burst days 1-2, slow remote regions."""
    cal = ctx.cal
    sel = np.flatnonzero((o["status"] != 1) & (o["pay"] >= 0) & (o["time"] >= cal.start))
    pay = o["pay"][sel]
    pay_day = (pay - cal.burst1) // DAY
    median = np.select(
        [pay_day == 0, pay_day == 1, pay_day == 2, pay < cal.burst1], [20.0, 26.0, 14.0, 10.0], 10.0
    )  # hours to ship: the backlog of burst days 1-2
    wait = rng.lognormal(np.log(median), np.where(median > 15, 0.7, 0.5))
    shipped = pay + np.round(wait * HOUR).astype(np.int64)
    region = PROVINCE_REGION[u["province"][o["user"][sel]]]
    carrier = rng.choice(len(CARRIERS), sel.size, p=CARRIER_SHARES)
    ship_day = (shipped - cal.burst1) // DAY
    congestion = np.where((ship_day >= 1) & (ship_day <= 2), 1.15, 1.0)
    transit = REGION_TRANSIT_HOURS[region] * CARRIER_SPEED[carrier] * congestion
    delivered = shipped + np.round(rng.lognormal(np.log(transit), 0.3) * HOUR).astype(np.int64)
    has_ship = shipped < cal.post_end
    has_delivery = has_ship & (delivered < cal.post_end) & (rng.random(sel.size) > 0.003)
    return pa.Table.from_arrays(
        [
            o["id"].take(pa.array(sel)),
            timestamps(shipped, has_ship),
            timestamps(delivered, has_delivery),
            pick(CARRIERS, carrier),
            pick(REGIONS, region),
            pa.array(REGION_PROMISED_HOURS[region]),
        ],
        schema=table_schema("shipments", NOT_EXPORTED["shipments"]),
    )


def make_service(rng: np.random.Generator, ctx: Context, o: dict) -> pa.Table:
    """Tickets in the baseline, the campaign and the week after: load drives response times and stars."""
    cal = ctx.cal
    paid = (o["status"] != 1) & (o["pay"] >= 0)
    recent = o["time"] >= cal.base_start - 3 * DAY
    rate = np.where(o["time"] >= cal.start, COMPLAINT_RATE["campaign"], COMPLAINT_RATE["baseline"])
    comp = np.flatnonzero(paid & recent & (rng.random(o["n"]) < rate))
    comp_t = o["pay"][comp] + np.round(rng.lognormal(np.log(20 * HOUR), 0.8, comp.size)).astype(np.int64)
    ret = np.flatnonzero((o["status"] == 2) & recent & (rng.random(o["n"]) < RETURN_TICKET_RATE))
    ret_t = o["pay"][ret] + np.round(rng.lognormal(np.log(4 * DAY), 0.4, ret.size)).astype(np.int64)
    per_day = rng.poisson(CONSULTS_PER_DAY * ctx.chunk_scale * ctx.consult_mult)
    c_day = np.repeat(np.arange(per_day.size), per_day)
    day0 = cal.base_start + c_day * DAY
    midnight = day0 == cal.burst1
    hour = np.where(
        midnight,
        rng.choice(24, c_day.size, p=MIDNIGHT_TRAFFIC / MIDNIGHT_TRAFFIC.sum()),
        rng.choice(24, c_day.size, p=TRAFFIC_PROFILE / TRAFFIC_PROFILE.sum()),
    )
    cons_t = day0 + hour * HOUR + rng.integers(0, HOUR, c_day.size)
    lo = np.searchsorted(o["time"], cons_t - 7 * DAY)
    hi = np.searchsorted(o["time"], cons_t)
    linked = (hi > lo) & (rng.random(c_day.size) < 0.7)
    cons_o = np.where(linked, lo + np.floor(rng.random(c_day.size) * (hi - lo)).astype(np.int64), -1)
    order_idx = np.concatenate([comp, ret, cons_o])
    created = np.concatenate([comp_t, ret_t, cons_t])
    ttype = np.repeat(np.array([1, 2, 0], dtype=np.int8), [comp.size, ret.size, c_day.size])
    inside = ((created >= cal.base_start) & (created < cal.base_end)) | (
        (created >= cal.start) & (created < cal.after_end)
    )
    order_idx, created, ttype = order_idx[inside], created[inside], ttype[inside]
    srt = np.lexsort((ttype, created))
    order_idx, created, ttype = order_idx[srt], created[srt], ttype[srt]
    n = created.size
    day = (created - cal.start) // DAY
    in_camp = (created >= cal.start) & (created < cal.end)
    kind = np.where(in_camp, cal.day_kind[np.clip(day, 0, cal.n_days - 1)], 5)
    hot = (created >= cal.burst1) & (created < cal.after_end)
    reason_p = REASON_P[ttype, hot.astype(int)]
    reason = np.minimum((rng.random(n)[:, None] > np.cumsum(reason_p, axis=1)).sum(1), len(REASONS) - 1)
    load = response_load(cal, created, kind)
    frt = np.round(rng.lognormal(np.log(FIRST_RESPONSE_MEDIAN * load), 1.0), 1)
    handling = rng.lognormal(np.log(np.array([1.0, 20.0, 60.0])[ttype] * HOUR), 0.8)
    resolved = created + np.round(frt + handling).astype(np.int64)
    resolved_ok = (resolved < cal.after_end + 7 * DAY) & (rng.random(n) > 0.02)
    stars = 4.8 - 0.35 * np.log2(np.maximum(frt, 1) / FIRST_RESPONSE_MEDIAN) - np.array([0, 0.9, 0.4])[ttype]
    stars = np.clip(np.round(stars + rng.normal(0, 0.7, n)), 1, 5)
    rated = rng.random(n) < 0.6
    number = ctx.counters["ticket"] + np.arange(1, n + 1)
    ctx.counters["ticket"] += n
    return pa.Table.from_arrays(
        [
            format_ids("T", number, 7),
            o["id"].take(pa.array(order_idx, mask=order_idx < 0)),
            timestamps(created),
            pa.array(frt),
            timestamps(resolved, resolved_ok),
            pick(TICKET_TYPES, ttype),
            pick(REASONS, reason),
            pa.array(np.where(rated, stars, np.nan), from_pandas=True),
        ],
        schema=table_schema("service"),
    )


def response_load(cal: Calendar, created: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """How many times slower than a baseline day the desk answers: worst in the first hours of burst day 1."""
    since = created - cal.burst1
    burst_day = since // DAY
    load = np.select([kind == 0, kind == 2, created >= cal.end], [2.0, 2.5, 1.5], 1.0)
    load = np.where((kind == 1) & (burst_day == 0), 28.0, load)
    load = np.where((kind == 1) & (burst_day == 0) & (since < 3 * HOUR), 40.0, load)
    load = np.where((kind == 1) & (burst_day == 1), 10.0, load)
    load = np.where((kind == 1) & (burst_day >= 2), 5.0, load)
    evening = (created % DAY) // HOUR >= 19
    return load * np.where(evening, 1.3, 1.0)


def make_nps(rng: np.random.Generator, ctx: Context, u: dict, o: dict) -> pa.Table:
    """About 400 survey answers per unit of scale from campaign buyers in the week after the campaign."""
    cal = ctx.cal
    buyers = np.unique(o["user"][(o["kind"] == 1) & (o["status"] != 1)])
    n = min(400 * ctx.chunk_scale, buyers.size)
    who = np.sort(rng.choice(buyers, n, replace=False))
    when = cal.end + rng.integers(0, 7 * DAY, n)
    score = rng.choice(11, n, p=NPS_P)
    srt = np.argsort(when, kind="stable")
    return pa.Table.from_arrays(
        [
            u["id"].take(pa.array(who[srt])),
            timestamps(when[srt]),
            pa.array(score[srt].astype(np.int64)),
        ],
        schema=table_schema("nps"),
    )


def aggregate_chunk(ctx: Context, o: dict, it: dict) -> dict:
    """Totals the cross-chunk tables need: units sold per SKU-hour, GMV per day and channel, coupon use."""
    cal, p = ctx.cal, ctx.products
    n_hours = cal.n_days * 24
    pay = o["pay"][it["order"]]
    counted = (o["status"][it["order"]] != 1) & (pay >= cal.start) & (pay < cal.end)
    cell = it["sku"][counted] * n_hours + (pay[counted] - cal.start) // HOUR
    sold = np.bincount(cell, weights=it["qty"][counted], minlength=p.n * n_hours)
    day = np.full(o["n"], -1)
    in_base = o["window"] == 0
    day[in_base] = (o["time"][in_base] - cal.base_start) // DAY
    in_camp = o["window"] == 1
    day[in_camp] = cal.n_base_days + (o["time"][in_camp] - cal.start) // DAY
    ok = day >= 0
    n_cells = (cal.n_base_days + cal.n_days) * len(CHANNELS)
    cell = day[ok] * len(CHANNELS) + o["channel"][ok]
    coupon = o["coupon"][o["coupon"] >= 0]
    return {
        "sold": sold.astype(np.int64).reshape(p.n, n_hours),
        "gmv": np.bincount(cell, weights=o["paid_c"][ok] / 100, minlength=n_cells).reshape(-1, len(CHANNELS)),
        "orders": np.bincount(cell, minlength=n_cells).reshape(-1, len(CHANNELS)),
        "redeemed": np.bincount(coupon, minlength=len(COUPONS)),
    }


# ----------------------------------------------------------------------------------------------------------
# Tables built from totals over all chunks


def build_inventory(rng: np.random.Generator, cal: Calendar, p: Products, sold: np.ndarray) -> tuple:
    """Hourly stock per SKU consistent with paid units; the planned SKUs hit zero and restock late."""
    merch = np.flatnonzero(p.is_merch)
    n_hours = sold.shape[1]
    cum_sold = np.zeros((p.n, n_hours + 1), dtype=np.int64)
    cum_sold[:, 1:] = np.cumsum(sold, axis=1)
    total = cum_sold[:, -1]
    rep = np.zeros_like(cum_sold)
    restock = merch[rng.random(merch.size) < 0.2]
    when = rng.integers(n_hours // 2, n_hours, restock.size)
    rep[restock, when] = np.ceil(total[restock] * rng.uniform(0.2, 0.4, restock.size)).astype(np.int64)
    cum_rep = np.cumsum(rep, axis=1)
    opening = (cum_sold - cum_rep).max(axis=1) + np.ceil(total * rng.uniform(0.1, 0.9, p.n)).astype(np.int64)
    opening += rng.integers(5, 40, p.n)
    story = []
    for b, w0, back in p.blocked:  # a handful of planned sell-outs
        k0 = (w0 - cal.start) // HOUR
        rep[b] = 0
        opening[b] = cum_sold[b, k0]
        entry = {"sku": p.sku_names[b].as_py(), "sold_out_at": None, "back_in_stock_at": None}
        if back is not None:
            k1 = (back - cal.start) // HOUR
            rep[b, k1] = int(np.ceil((total[b] - cum_sold[b, k1]) * rng.uniform(1.2, 1.6))) + 10
            entry["back_in_stock_at"] = iso(back)
        story.append(entry)
    stock = opening[:, None] + np.cumsum(rep, axis=1) - cum_sold
    if (stock[merch] < 0).any():
        raise AssertionError("demo inventory went negative; the sell-out plan and the order stream disagree")
    snaps = cal.start + np.arange(n_hours + 1, dtype=np.int64) * HOUR
    for entry, (b, _, _) in zip(story, p.blocked, strict=True):  # the last sale may come before the plan
        entry["sold_out_at"] = iso(snaps[np.argmax(stock[b] == 0)])
    table = pa.Table.from_arrays(
        [
            p.sku_names.take(pa.array(np.repeat(merch, n_hours + 1))),
            timestamps(np.tile(snaps, merch.size)),
            pa.array(stock[merch].ravel()),
            pa.array(rep[merch].ravel()),
        ],
        schema=table_schema("inventory"),
    )
    return table, {"sellouts": story, "top_sku_sold_out": story[0]["sku"] if story else None}


def build_marketing(
    rng: np.random.Generator, cal: Calendar, ctx: Context, budget: dict, gmv: np.ndarray, n_orders: np.ndarray
) -> pa.Table:
    """Spend per day, channel and placement near budget (live overspent); revenue follows channel GMV."""
    n_days = cal.n_base_days + cal.n_days
    day_w = 0.5 * ctx.uv_day_p + 0.5 * weigh_days(cal, 0.02, (0.24, 0.12, 0.09, 0.07), 0.11, 0.8, 0.02)
    rows = []
    for channel, names, spend_w, rev_w, cpm, ctr in PLACEMENTS:  # five channels
        c = CHANNELS.index(channel)
        k = len(names)
        if spend_w is None:  # KOLs: the top one takes most of the money and even more of the revenue
            spend_w = np.append(0.35, 0.65 * zipf(k - 1, 0.8))
            rev_w = np.append(0.60, 0.40 * zipf(k - 1, 0.8))
        spend_w, rev_w = np.asarray(spend_w), np.asarray(rev_w)
        target = budget[channel] * SPEND_VS_BUDGET[channel] * ctx.scale
        daily = np.concatenate([np.full(cal.n_base_days, 0.3 * target / cal.n_days), target * day_w])
        noise = rng.lognormal(0, 0.15, (n_days, k))
        spend = daily[:, None] * spend_w * noise
        camp = spend[cal.n_base_days :]
        spend[cal.n_base_days :] = camp * target / camp.sum()
        rev_noise = rng.lognormal(0, 0.1, (n_days, k)) * rev_w
        revenue = gmv[:, c, None] * ATTRIBUTED_SHARE[channel] * rev_noise / rev_noise.sum(1, keepdims=True)
        aov = np.where(n_orders[:, c] > 0, gmv[:, c] / np.maximum(n_orders[:, c], 1), 1.0)
        impressions = np.round(spend / cpm * 1000 * rng.lognormal(0, 0.1, (n_days, k)))
        clicks = np.round(impressions * ctr * rng.lognormal(0, 0.1, (n_days, k)))
        rows.append(
            (
                np.repeat(np.arange(n_days), k),
                np.full(n_days * k, c),
                np.tile(np.array(names), n_days),
                np.full(n_days * k, channel == "offsite"),
                np.round(spend, 2).ravel(),
                impressions.ravel(),
                clicks.ravel(),
                np.round(revenue / aov[:, None]).ravel(),
                np.round(revenue, 2).ravel(),
            )
        )
    cols = [np.concatenate(x) for x in zip(*rows, strict=True)]
    order = np.lexsort((cols[2], cols[1], cols[0]))
    cols = [c[order] for c in cols]
    day_idx = cols[0]
    days = np.where(
        day_idx < cal.n_base_days,
        cal.base_start // DAY + day_idx,
        cal.start // DAY + day_idx - cal.n_base_days,
    )
    return pa.Table.from_arrays(
        [
            pa.array(days.astype("datetime64[D]"), type=pa.date32()),
            pick(CHANNELS, cols[1]),
            pa.array(cols[2].tolist(), type=pa.string()),
            pa.array(cols[3]),
            pa.array(cols[4]),
            pa.array(cols[5].astype(np.int64)),
            pa.array(cols[6].astype(np.int64)),
            pa.array(cols[7].astype(np.int64)),
            pa.array(cols[8]),
        ],
        schema=table_schema("marketing"),
    )


def build_coupons(rng: np.random.Generator, redeemed: np.ndarray, scale: int) -> pa.Table:
    """Coupons with issue counts 5-20 times their redemptions; redeemed counts come from the orders."""
    issued = np.maximum(redeemed, np.round(redeemed * rng.uniform(5, 20, redeemed.size)).astype(np.int64))
    issued = np.where(redeemed == 0, rng.integers(100, 1000, redeemed.size) * scale, issued)
    return pa.Table.from_arrays(
        [
            pa.array([c[0] for c in COUPONS]),
            pa.array([c[1] for c in COUPONS]),
            pa.array([c[2] for c in COUPONS]),
            pa.array(issued.astype(np.int64)),
            pa.array(redeemed.astype(np.int64)),
        ],
        schema=table_schema("coupons"),
    )


def zipf(k: int, s: float) -> np.ndarray:
    """Long-tailed shares 1/r^s over k ranks."""
    w = 1.0 / np.arange(1, k + 1) ** s
    return w / w.sum()


# ----------------------------------------------------------------------------------------------------------
# Arrow and Parquet helpers


# columns the demo shop does not export: no freight, and the delivery promise in hours, not as a date
NOT_EXPORTED = {"orders": ("freight",), "shipments": ("promised_time",)}


def table_schema(name: str, omit: tuple[str, ...] = ()) -> pa.Schema:
    """Arrow schema of a canonical table: every source column, in schema order, with its logical type.

    ``omit``: columns the demo shop does not export (an export without them has no such header, rather than
    one empty in every row, which `retro check` rightly warns about).
    """
    cols = [c for c in TABLES[name].source_columns if c.name not in omit]
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in cols])


def users_table(u: dict) -> pa.Table:
    """Users sorted by id; registration times were set when their orders were known."""
    order = np.argsort(u["number"])
    return pa.Table.from_arrays(
        [
            u["id"].take(pa.array(order)),
            timestamps(u["registered"][order]),
            pa.array(u["member"][order]),
            pick(TIERS, u["tier"][order]),
            pick(PROVINCE_NAMES, u["province"][order]),
        ],
        schema=table_schema("users"),
    )


def orders_table(ctx: Context, u: dict, o: dict) -> pa.Table:
    """Orders in time order, with the buyer's province and city tier."""
    cal = ctx.cal
    user = o["user"]
    return pa.Table.from_arrays(
        [
            o["id"],
            u["id"].take(pa.array(user)),
            timestamps(o["time"]),
            timestamps(o["pay"], o["pay"] >= 0),
            pick(STATUSES, o["status"]),
            pick(CHANNELS, o["channel"]),
            pa.array(o["list_c"] / 100.0),
            pa.array(o["discount_c"] / 100.0),
            pa.array(o["paid_c"] / 100.0),
            pa.array(o["presale"] & (o["time"] >= cal.start)),
            pick(PROVINCE_NAMES, u["province"][user]),
            pick(TIERS, u["tier"][user]),
            pick(tuple(c[0] for c in COUPONS), o["coupon"]),
        ],
        schema=table_schema("orders", NOT_EXPORTED["orders"]),
    )


def register_users(ctx: Context, u: dict, o: dict) -> None:
    """Registration: years ago for most, weeks before the campaign for new buyers, always before buying."""
    cal = ctx.cal
    rng = np.random.default_rng([ctx.seed, 2, int(u["number"][0])])
    three_years = cal.start - 3 * 365 * DAY
    first = np.full(u["n"], cal.start, dtype=np.int64)
    np.minimum.at(first, o["user"], o["time"])
    first_visit = min(cal.base_start, cal.start)  # logged-in visits start with the baseline
    first = np.minimum(first, first_visit)
    spread = rng.random(u["n"]) ** 0.7
    reg = first - np.round(spread * (first - three_years)).astype(np.int64)
    new = u["type"] == 1
    reg[new] = cal.start - rng.integers(HOUR, 60 * DAY, new.sum())
    idle = u["type"] >= 2
    reg[idle] = first_visit - rng.integers(DAY, 3 * 365 * DAY, idle.sum())
    u["registered"] = reg


def items_table(ctx: Context, o: dict, it: dict) -> pa.Table:
    """Order lines with list unit price, paid share and unit cost from the catalogue."""
    products = ctx.products.table
    return pa.Table.from_arrays(
        [
            o["id"].take(pa.array(it["order"])),
            ctx.products.sku_names.take(pa.array(it["sku"])),
            pa.array(it["qty"]),
            products.column("list_price").combine_chunks().take(pa.array(it["sku"])),
            pa.array(it["paid_c"] / 100.0),
            products.column("unit_cost").combine_chunks().take(pa.array(it["sku"])),
        ],
        schema=table_schema("order_items"),
    )


def timestamps(secs: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Naive local timestamps (microseconds) from seconds since 1970; invalid rows become null."""
    us = (np.asarray(secs, dtype=np.int64) * 1_000_000).astype("datetime64[us]")
    return pa.array(us, type=pa.timestamp("us"), mask=None if valid is None else ~np.asarray(valid))


def pick(values: tuple, codes: np.ndarray) -> pa.Array:
    """String column from small integer codes; negative codes become null."""
    codes = np.asarray(codes, dtype=np.int64)
    return pa.array(list(values), type=pa.string()).take(pa.array(codes, mask=codes < 0))


def format_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Fixed-width ids such as U0000001, built as Arrow strings without a Python loop over rows."""
    n = np.asarray(numbers, dtype=np.int64)
    if n.size and n.max() >= 10**width:
        raise ValueError(f"id {prefix}{n.max()} does not fit in {width} digits")
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    buf = np.empty((n.size, head.size + width), dtype=np.uint8)
    buf[:, : head.size] = head
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    buf[:, head.size :] = n[:, None] // powers % 10 + 48
    offsets = np.arange(n.size + 1, dtype=np.int32) * buf.shape[1]
    return pa.StringArray.from_buffers(n.size, pa.py_buffer(offsets), pa.py_buffer(buf.tobytes()))


def iso(secs: int) -> str:
    """Seconds since 1970 as an ISO local time string, for _demo.json."""
    return str(np.datetime64(int(secs), "s"))


class PartWriter:
    """Streams one table into <folder>/part-NNNNN.parquet, starting a new part file past rows_per_part."""

    def __init__(self, folder: Path, schema: pa.Schema, rows_per_part: int):
        self.folder, self.schema, self.rows_per_part = folder, schema, rows_per_part
        self.writer: pq.ParquetWriter | None = None
        self.parts = 0
        self.rows_in_part = 0
        self.rows = 0
        folder.mkdir(parents=True, exist_ok=True)

    def write(self, table: pa.Table) -> None:
        """Append a batch of rows (same schema) to the current part file."""
        if self.writer is None or self.rows_in_part >= self.rows_per_part:
            self.open_part()
        self.writer.write_table(table, row_group_size=1_000_000)
        self.rows_in_part += table.num_rows
        self.rows += table.num_rows

    def open_part(self) -> None:
        """Close the current part file and start the next one."""
        if self.writer is not None:
            self.writer.close()
        path = self.folder / f"part-{self.parts:05d}.parquet"
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd")
        self.parts += 1
        self.rows_in_part = 0

    def close(self) -> int:
        """Finish the last part (an empty one if nothing was written) and return the row count."""
        if self.writer is None:
            self.open_part()
        self.writer.close()
        return self.rows


def ensure_demo_data(params: CampaignParams, progress=None) -> Path | None:
    """Generate the demo data set if the YAML asks for it and it is not on disk yet."""
    if params.data.demo is None:
        return None
    out = demo_dir(params)
    if not (out / "_demo.json").is_file():
        if progress:
            progress(f"generating demo data ({params.data.demo.size}, seed {params.data.demo.seed}) in {out}")
        generate_demo(params, out, size=params.data.demo.size, seed=params.data.demo.seed, progress=progress)
    return out


def describe_demo(params: CampaignParams) -> dict:
    """Row counts and settings of the generated demo data (from its _demo.json)."""
    path = demo_dir(params) / "_demo.json"
    return json.loads(path.read_text()) if path.is_file() else {}
