"""What a generated bank's contacts look like: who uses which channel, for what, when.

Over a typical bank about 40 % of contacts are by mobile banking, 17 % at the counter, 12 %
by online banking, then ATM, POS, phone, WeChat and SMS; the mix depends on who the customer
is (``PROFILES``). Each channel has its sorts of contact with their weights (``CONTACTS``)
and its busy hours (``HOURS``).
"""

from channels.models import Outlet

SOURCE = "bankgen"  # the source of every generated contact and request
NULL = r"\N"  # COPY text's null

# --- who uses which channel ---------------------------------------------------------------

CHANNEL_CODES = ("MOBILE", "ONLINE", "COUNTER", "ATM", "POS", "PHONE", "WECHAT", "SMS")
# Share of contacts per channel (in the order of CHANNEL_CODES) for each kind of customer.
PROFILES = {
    "young": (52, 8, 8, 6, 12, 2, 8, 4),  # under 35
    "middle": (40, 12, 16, 9, 8, 5, 6, 4),
    "senior": (14, 4, 40, 16, 4, 12, 3, 7),  # 60 and over
    "corporate": (22, 45, 22, 2, 0, 5, 1, 3),
}
CORPORATE_AMOUNTS = 8  # companies move this many times what a person does

# Per channel: (kind, weight, items). A transaction's item is (summary, median in yuan); the
# others' are summaries. Within a kind, items are equally likely.
CONTACTS = {
    "COUNTER": (
        (
            "transaction",
            68,
            (
                ("现金存款", 5_000),
                ("现金取款", 3_000),
                ("跨行转账汇款", 20_000),
                ("定期存款开户", 50_000),
                ("购买理财产品", 100_000),
                ("外币兑换", 5_000),
            ),
        ),
        (
            "service",
            18,
            ("挂失补卡", "重置交易密码", "更新身份证件信息", "开立借记卡", "签约手机银行"),
        ),
        ("enquiry", 10, ("咨询大额存单利率", "咨询个人住房贷款", "咨询理财产品")),
        ("marketing", 2, ("大堂经理推荐理财产品",)),
        ("complaint", 2, ("排队等候时间过长", "对账户管理费有异议")),
    ),
    "ATM": (
        ("transaction", 94, (("ATM取款", 1_000), ("ATM存款", 2_000), ("自助转账", 3_000))),
        ("enquiry", 6, ("ATM查询余额",)),
    ),
    "POS": (
        (
            "transaction",
            100,
            (("超市购物", 150), ("餐饮消费", 120), ("加油站消费", 300), ("商场购物", 600)),
        ),
    ),
    "PHONE": (
        ("enquiry", 45, ("咨询信用卡账单", "咨询贷款利率", "查询账户余额", "咨询理财产品收益")),
        ("service", 22, ("电话挂失", "信用卡分期申请", "修改账单地址")),
        ("callback", 15, ("理财产品到期回访", "新开户客户回访", "投诉处理结果回访")),
        ("complaint", 8, ("信用卡年费争议", "转账到账延迟")),
        ("transaction", 10, (("电话银行转账", 5_000),)),
    ),
    "ONLINE": (
        (
            "transaction",
            80,
            (
                ("网银转账", 5_000),
                ("缴纳水电燃气费", 200),
                ("购买基金", 20_000),
                ("跨行汇款", 10_000),
            ),
        ),
        ("enquiry", 12, ("查询交易明细", "下载电子回单")),
        ("service", 8, ("修改网银登录密码", "设置转账限额")),
    ),
    "MOBILE": (
        (
            "transaction",
            82,
            (
                ("手机银行转账", 1_500),
                ("扫码支付", 80),
                ("信用卡还款", 3_000),
                ("购买理财", 50_000),
                ("手机充值", 100),
                ("生活缴费", 200),
            ),
        ),
        ("enquiry", 12, ("查询余额", "查看理财收益")),
        ("service", 6, ("修改登录密码", "预约网点取号", "绑定第三方支付")),
    ),
    "WECHAT": (
        ("enquiry", 55, ("微信银行查询余额", "预约网点取号", "查询网点营业时间")),
        ("marketing", 30, ("公众号推送：存款利率活动", "公众号推送：信用卡优惠")),
        ("service", 15, ("签约微信动账提醒",)),
    ),
    "SMS": (
        (
            "marketing",
            100,
            ("理财产品到期提醒", "新客户专属存款利率活动", "信用卡分期优惠", "贵宾客户生日祝福"),
        ),
    ),
}
OUTCOMES = {
    "transaction": "交易成功",
    "enquiry": "已解答",
    "service": "已办结",
    "marketing": "已送达",
    "complaint": "已受理，转投诉处理",
    "callback": "已回访",
}
OUTBOUND_KINDS = frozenset({"marketing", "callback"})
AMOUNT_SPREAD = 0.9  # sigma of the log of an amount around its median
ATM_NOTE_FEN = 100_00  # ATMs pay out and take 100-yuan notes
ATM_LIMIT_FEN = 20_000_00

# Relative busyness of each hour of the day (0-23), per channel.
HOURS = {
    "COUNTER": "0 0 0 0 0 0 0 0 0 8 10 10 7 7 9 9 6 2 0 0 0 0 0 0",
    "ATM": "0 0 0 0 0 0 1 3 5 6 6 6 7 6 6 6 6 7 8 8 6 4 2 1",
    "POS": "0 0 0 0 0 0 0 1 2 3 5 7 9 7 5 5 6 7 9 10 8 5 2 1",
    "PHONE": "0 0 0 0 0 0 0 0 4 8 9 8 6 7 8 8 7 5 3 2 1 0 0 0",
    "ONLINE": "1 0 0 0 0 0 0 1 3 7 9 9 7 7 9 9 8 6 5 5 5 4 2 1",
    "MOBILE": "2 1 0 0 0 0 1 3 5 6 6 7 8 6 6 6 6 7 8 9 10 10 7 4",
    "WECHAT": "1 0 0 0 0 0 0 2 4 6 6 6 7 6 6 6 6 6 7 8 8 7 4 2",
    "SMS": "0 0 0 0 0 0 0 0 0 6 10 8 4 4 8 8 6 2 0 0 0 0 0 0",
}
DORMANT_DAYS = 180  # a dormant customer did nothing but receive marketing in this time

OUTLET_MODELS = (
    (Outlet.Model.COMMUNITY, 40),
    (Outlet.Model.BUSINESS_DISTRICT, 30),
    (Outlet.Model.CONVENIENCE, 20),
    (Outlet.Model.CAMPUS, 10),
)
OFF_SITE_ATM_PLACES = {
    Outlet.Model.COMMUNITY: "社区便民服务中心",
    Outlet.Model.BUSINESS_DISTRICT: "商务中心大厦",
    Outlet.Model.CONVENIENCE: "购物广场",
    Outlet.Model.CAMPUS: "大学城",
}
HOME_OUTLET_SHARE = 0.85  # counter and ATM contacts at the home sub-branch, the rest nearby
