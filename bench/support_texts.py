"""Words the service-desk benchmark builds its tickets and knowledge-base articles from, and the search queries.

Articles combine a topic (question and answer stems, tags, category), a product, numbers and a few filler
sentences drawn from a pool, so a common word (退款, refund) is in a tenth or so of the articles and a rare one
(蓝牙, bluetooth) in a few percent: the selectivity of a real knowledge base, not one repeated text.
"""

from __future__ import annotations

import random

PRODUCTS = [
    ("智能空气净化器", "AP"), ("扫地机器人", "RV"), ("无线吸尘器", "VC"), ("电热水器", "EW"), ("净水器", "WP"),
    ("蓝牙耳机", "BT"), ("智能手表", "SW"), ("电饭煲", "RC"), ("空调挂机", "AC"), ("冰箱", "RF"),
    ("洗衣机", "WM"), ("微波炉", "MW"), ("加湿器", "HM"), ("电动牙刷", "TB"), ("办公打印机", "PR"),
    ("Air purifier", "AP-E"), ("Robot vacuum", "RV-E"), ("Smart watch", "SW-E"), ("Water heater", "EW-E"),
    ("Wireless earbuds", "BT-E"),
]

# (question stems, answer stem with {n}/{m}, tags, category); the Chinese topics first, then the English ones.
ZH_TOPICS = [
    (["退款多久到账", "退款什么时候到账", "申请退款后多久退回"], "退款在审核通过后 {n} 到 {m} 个工作日内原路退回，信用卡退款以银行入账为准。",
     "退款,售后", "退款"),
    (["如何开具增值税专用发票", "发票怎么开", "电子发票在哪里下载"], "请在订单完成后提供开票信息，财务将在 {n} 个工作日内开具增值税发票。",
     "发票,财务", "发票"),
    (["保修期是多久", "保修范围包括哪些", "过了保修期怎么维修"], "整机保修 {n} 年，主要部件保修 {m} 年，人为损坏不在保修范围。",
     "保修,维修", "保修"),
    (["物流发货时间", "什么时候发货", "快递几天能到"], "现货订单 {n} 小时内发货，定制产品 {m} 天内发出，偏远地区另加两天。",
     "物流,发货", "物流"),
    (["退换货需要什么条件", "七天无理由退货怎么办理", "换货流程是什么"], "商品未使用、包装完好，自签收之日起七天内可无理由退货，{n} 天内质量问题可换货。",
     "退货,换货", "退换货"),
    (["安装服务是否收费", "如何预约上门安装", "安装师傅什么时候上门"], "标准安装免费，特殊安装环境按现场情况收费，预约后 {n} 小时内联系您。",
     "安装,服务", "安装"),
    (["滤网多久更换一次", "滤网在哪里购买"], "建议每 {n} 个月更换一次滤网，官方商城和授权门店均可购买原装滤网。", "滤网,耗材", "耗材"),
    (["电池续航时间短怎么办", "充电充不进去", "电池鼓包怎么处理"], "请使用原装充电器充电 {n} 小时后再试；电池鼓包请立即停止使用并联系售后更换。",
     "电池,充电", "故障"),
    (["开机没有反应", "无法开机怎么办", "机器突然断电"], "请检查电源插座和保险丝，长按电源键 {n} 秒重启；仍无反应请预约检修。",
     "开机,故障", "故障"),
    (["运行噪音很大", "机器有异响"], "噪音超过 {n} 分贝多为放置不平或异物卡住，请关机清理后重新放平。", "噪音,故障", "故障"),
    (["漏水怎么处理", "底部漏水"], "请先断电并关闭进水阀，检查密封圈是否老化；{n} 小时内工程师会电话联系您。", "漏水,维修", "维修"),
    (["蓝牙连接不上", "蓝牙配对失败"], "请删除手机上的旧配对记录，长按配对键 {n} 秒进入配对模式后重新连接。", "蓝牙,连接", "故障"),
    (["会员积分怎么使用", "积分什么时候过期"], "每消费 1 元积 1 分，{n} 分可抵 1 元，积分有效期 {m} 个月。", "会员,积分", "会员"),
    (["优惠券无法使用", "优惠券过期了能补发吗"], "优惠券须在有效期内、满 {n} 元使用；因系统原因失效的可在 {m} 天内申请补发。",
     "优惠券,促销", "促销"),
    (["价格保护怎么申请", "买贵了可以退差价吗"], "签收后 {n} 天内同款降价可申请价格保护，差价退回原支付账户。", "价保,退款", "退款"),
    (["账户无法登录", "忘记密码怎么办"], "请在登录页点击“忘记密码”，通过绑定手机号验证后重置；{n} 次输错将锁定 {m} 分钟。",
     "账户,密码", "账户"),
    (["维修需要多长时间", "送修进度怎么查询"], "收到维修件后 {n} 个工作日内完成检测维修，进度可在服务中心查询。", "维修,进度", "维修"),
    (["发错货了怎么办", "少发了配件"], "非常抱歉，请拍照反馈，我们将在 {n} 小时内补发或安排换货，运费由我们承担。",
     "发错货,配件", "退换货"),
]
EN_TOPICS = [
    (["How long does a refund take", "When will I get my refund", "Refund status"],
     "Refunds reach the original payment method {n} to {m} working days after approval.", "refund", "Refunds"),
    (["Can I change my delivery address", "Change the delivery address of an order"],
     "Yes, until the order ships: call us or reply to the confirmation e-mail within {n} hours.",
     "delivery,address", "Delivery"),
    (["What does the warranty cover", "How long is the warranty"],
     "The warranty covers manufacturing defects for {n} years; accidental damage is not covered.",
     "warranty,repair", "Warranty"),
    (["Battery does not charge", "Battery life is short"],
     "Charge with the original adapter for {n} hours; if the battery still drains within {m} hours, book a repair.",
     "battery,charging", "Troubleshooting"),
    (["How do I reset my password", "I cannot log in"],
     "Use 'Forgot password' on the sign-in page; after {n} failed attempts the account is locked for {m} minutes.",
     "account,password", "Account"),
    (["Where do I download my invoice", "I need a VAT invoice"],
     "Invoices are issued within {n} working days of delivery and can be downloaded from your orders page.",
     "invoice,billing", "Billing"),
    (["How do I return an item", "Return an unused product"],
     "Unused items in their original packaging can be returned within {n} days; we send a prepaid label.",
     "return,exchange", "Returns"),
    (["Bluetooth pairing fails", "Cannot connect over Bluetooth"],
     "Remove the old pairing on your phone, hold the pairing button for {n} seconds and connect again.",
     "bluetooth,pairing", "Troubleshooting"),
    (["When will the filter need replacing", "Which replacement filter fits"],
     "Replace the filter every {n} months; genuine filters are sold in our online store.", "filter,parts",
     "Parts"),
    (["My coupon does not work", "Coupon expired"],
     "Coupons apply to orders over {n} yuan within their validity; expired ones can be reissued within {m} days.",
     "coupon,promotion", "Promotions"),
]
ZH_FILLER = [
    "如有疑问请拨打客服热线 400-800-{n:04d}，工作时间 9:00 至 18:00。", "节假日期间处理时间顺延。",
    "请保留购买凭证和包装，以便售后核实。", "企业客户可联系专属客户经理办理。", "上门服务前工程师会提前电话确认。",
    "如产品在运输中损坏，请在签收时当场拒收。", "本答复适用于 {n} 年以后购买的产品。", "退款和换货不影响会员积分的累计。",
    "维修期间可申请备用机。", "线上订单与门店订单的售后政策相同。", "特殊型号以产品说明书为准。",
    "客户满意度回访将在处理完成后进行。", "投诉处理结果将在 {n} 个工作日内书面回复。", "物流信息更新可能有延迟。",
]
EN_FILLER = [
    "Our service line is open 9:00-18:00 on working days.", "Public holidays extend the processing time.",
    "Please keep your receipt and the original packaging.", "Business customers can contact their account manager.",
    "An engineer calls before every home visit.", "Refuse a parcel that arrives damaged.",
    "A loan unit is available during repairs of more than {n} days.", "Store and online orders get the same service.",
]

TICKET_SUBJECTS = ["产品质量问题", "发票开具", "退货申请", "物流延迟", "安装预约", "保修咨询", "账户无法登录",
                   "价格咨询", "Invoice request", "Delivery delay", "Refund status", "Warranty question",
                   "配件缺失", "售后维修", "漏水", "开机无反应", "蓝牙连接失败", "优惠券无法使用"]

KB_QUERIES = [
    # Chinese, 2-4 characters
    "退款", "发票", "保修期", "物流", "退换货", "安装", "增值税", "七天", "原路退回", "滤网", "电池", "蓝牙",
    "会员积分", "优惠券", "维修", "换货", "开机", "噪音", "漏水", "价格保护", "净化器", "扫地机器人", "电子发票",
    "上门",
    # English words and two-word phrases
    "refund", "invoice", "warranty", "battery", "bluetooth", "coupon", "delivery address", "change address",
    "reset password", "battery life", "vat invoice",
    # pinyin (of titles)
    "tuikuan", "fapiao", "baoxiu", "lanya",
    # long sentences
    "我上周买的空气净化器滤网坏了，想问一下能不能换货或者退款？",
    "I ordered a robot vacuum last week and the battery does not charge, can I get a refund?",
]


def article_text(rng: random.Random) -> dict[str, str]:
    """One article's title, answer, category and tags (the product is chosen by the caller)."""
    english = rng.random() < 0.3
    stems, answer, tags, category = rng.choice(EN_TOPICS if english else ZH_TOPICS)
    product, code = rng.choice(PRODUCTS[15:] if english else PRODUCTS[:15])
    model = f"{code}-{rng.randint(100, 999)}"
    n, m = rng.randint(1, 15), rng.randint(16, 40)
    fillers = rng.sample(EN_FILLER if english else ZH_FILLER, rng.randint(1, 4))
    body = " ".join([answer.format(n=n, m=m), *(f.format(n=rng.randint(2015, 2026)) for f in fillers)])
    title = (f"{product} {model}: {rng.choice(stems)}?" if english else f"{product}{model}：{rng.choice(stems)}")
    extra = rng.choice(["", "", "常见问题" if not english else "faq", "新品" if not english else "new"])
    return {"title": title[:200], "answer": body, "category": category,
            "tags": ", ".join(t for t in [*tags.split(","), extra] if t), "product": product}
