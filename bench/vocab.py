"""Vocabulary for the synthetic corpus: word lists, names, publishers and a Zipf sampler.

Everything here is built once at import time so that drawing a word while generating a
record is one ``random()`` call and one ``bisect``. Real words form the head of each
distribution; a long tail of pronounceable pseudo-names (built from syllables, in a fixed
order) gives the index a realistic number of distinct rare terms.
"""

from __future__ import annotations

import random
import tomllib
from bisect import bisect
from itertools import accumulate
from pathlib import Path

__all__ = [
    "CJK_PLACES",
    "CJK_PUBLISHERS",
    "CJK_SURNAMES",
    "CJK_GIVEN",
    "CJK_WORDS",
    "LATIN",
    "PUBLISHERS",
    "SUBJECTS",
    "Zipf",
    "member_codes",
    "pseudo_names",
]


class Zipf:
    """Draws from ``values`` with probability proportional to ``1 / rank ** exponent``."""

    __slots__ = ("_cum", "_values")

    def __init__(self, values: list | tuple, exponent: float = 1.0) -> None:
        if not values:
            raise ValueError("Zipf needs at least one value")
        weights = [1.0 / (rank**exponent) for rank in range(1, len(values) + 1)]
        total = sum(weights)
        self._cum = list(accumulate(w / total for w in weights))
        self._cum[-1] = 1.0
        self._values = list(values)

    def __call__(self, rng: random.Random):
        return self._values[bisect(self._cum, rng.random())]

    def __len__(self) -> int:
        return len(self._values)


def _split(text: str) -> list[str]:
    return text.split()


def _split_on(separator: str, text: str) -> list[str]:
    return text.split(separator)


# --- Latin-script languages: nouns, adjectives, function words, subtitles ----------------

_EN_NOUNS = _split(
    """history society culture politics economy education language literature science state
    theory practice development law religion philosophy war power identity art music health
    medicine women children family labor work trade market empire nation city revolution
    memory knowledge technology environment climate water energy policy reform democracy
    rights justice migration modernity tradition community media communication data networks
    learning mind body nature sociology anthropology archaeology geography psychology ethics
    governance security conflict peace diplomacy finance capital banking industry agriculture
    food land population landscape architecture design poetry fiction drama theatre film
    translation rhetoric discourse narrative gender race class religion ritual myth science
    mathematics physics chemistry biology ecology evolution genetics engineering computing
    algorithms systems information libraries archives museums heritage texts manuscripts
    print reading writing authorship publishing journalism propaganda censorship
    citizenship welfare inequality poverty wealth consumption globalization colonialism
    empires frontiers borders diaspora exile travel exploration encounters missions
    monasteries churches temples courts kings queens emperors peasants workers elites
    intellectuals scholars students universities schools teachers curriculum"""
)
_EN_ADJ = _split(
    """modern early medieval ancient global social political economic cultural urban rural
    comparative critical historical international contemporary colonial postcolonial imperial
    national local regional public private religious secular scientific digital visual
    literary intellectual legal moral natural environmental sustainable quantitative
    qualitative experimental theoretical applied practical new changing emerging global
    Chinese Japanese Korean Asian European American African British French German Russian
    Indian Islamic Buddhist Confucian Christian Latin Atlantic Pacific Mediterranean"""
)
_EN_SUBTITLES = (
    "a critical introduction",
    "theory and practice",
    "a comparative study",
    "essays in honour of {person}",
    "an introduction",
    "a reader",
    "new perspectives",
    "a history",
    "case studies from {place}",
    "{noun} and {noun} in {place}, {y1}-{y2}",
    "proceedings",
    "a handbook",
    "selected essays",
    "the {adj} turn",
    "from {noun} to {noun}",
)
_EN_TEMPLATES = (
    "{adj} {noun}",
    "{noun} and {noun}",
    "the {noun} of {noun}",
    "{adj} {noun} in {place}",
    "{noun}, {noun}, and {noun}",
    "a history of {adj} {noun}",
    "{noun} of the {adj} {noun}",
    "{place} and the {adj} {noun}",
    "{person} and the {noun} of {noun}",
    "rethinking {adj} {noun}",
    "{noun} in {adj} {place}",
    "the {adj} {noun} of {place}",
)

_FR_NOUNS = _split(
    """société histoire économie éducation littérature théâtre politique études réflexions
    mémoire pensée guerre révolution république nation état droit église science langue
    écriture poésie musée patrimoine frontières colonies médecine santé travail"""
)
_FR_ADJ = _split(
    """française européenne moderne contemporaine médiévale sociale économique culturelle
    littéraire politique coloniale républicaine internationale générale québécoise"""
)
_DE_NOUNS = _split(
    """Geschichte Gesellschaft Wirtschaft Bevölkerung Kultur Sprache Forschung Entwicklung
    Politik Bildung Literatur Philosophie Märchen Grundzüge Erinnerung Öffentlichkeit Kirche
    Rechtsgeschichte Wissenschaft Städte Künste Übersetzung Heimat Aufklärung Reformation"""
)
_DE_ADJ = _split(
    """deutsche europäische moderne frühneuzeitliche mittelalterliche soziale politische
    wirtschaftliche kulturelle östliche südliche bürgerliche städtische"""
)
_ES_NOUNS = _split(
    """historia política economía educación análisis sociedad construcción nación revolución
    mujeres literatura cultura memoria poesía independencia frontera ciudad iglesia ciencia
    lengua identidad migración tradición"""
)
_ES_ADJ = _split(
    """española mexicana latinoamericana colonial moderna contemporánea económica política
    social cultural andina rioplatense peruana"""
)
_IT_NOUNS = _split(
    """storia società economia letteratura politica cultura città chiesa filosofia lingua
    memoria pittura architettura università scienza guerra libertà identità"""
)
_IT_ADJ = _split("italiana moderna medievale rinascimentale politica sociale letteraria veneta")
_PT_NOUNS = _split(
    """história sociedade formação educação economia política literatura cultura nação
    memória cidade religião ciência língua escravidão independência"""
)
_PT_ADJ = _split("brasileira portuguesa colonial moderna contemporânea econômica política social")

#: language code -> (nouns, adjectives, connective templates)
LATIN: dict[str, tuple[Zipf, Zipf, tuple[str, ...]]] = {
    "eng": (Zipf(_EN_NOUNS, 1.05), Zipf(_EN_ADJ, 1.0), _EN_TEMPLATES),
    "fre": (
        Zipf(_FR_NOUNS),
        Zipf(_FR_ADJ),
        ("{noun} {adj}", "{noun} et {noun}", "la {noun} {adj} à {place}", "{noun} de la {noun}"),
    ),
    "ger": (
        Zipf(_DE_NOUNS),
        Zipf(_DE_ADJ),
        ("{adj} {noun}", "{noun} und {noun}", "{noun} in {place}", "{noun} der {adj}n {noun}"),
    ),
    "spa": (
        Zipf(_ES_NOUNS),
        Zipf(_ES_ADJ),
        ("{noun} {adj}", "{noun} y {noun}", "{noun} en {place}", "la {noun} de la {noun}"),
    ),
    "ita": (
        Zipf(_IT_NOUNS),
        Zipf(_IT_ADJ),
        ("{noun} {adj}", "{noun} e {noun}", "{noun} a {place}", "la {noun} della {noun}"),
    ),
    "por": (
        Zipf(_PT_NOUNS),
        Zipf(_PT_ADJ),
        ("{noun} {adj}", "{noun} e {noun}", "{noun} em {place}", "a {noun} da {noun}"),
    ),
}
EN_SUBTITLES = Zipf(_EN_SUBTITLES, 0.8)

SUBJECTS = Zipf(
    [
        " ".join(s.split())
        for s in _split_on(
            "|",
            """China -- History | Economic development | Education, Higher | Women -- Social
        conditions | Political science | Japan -- Foreign relations | Chinese literature --
        History and criticism | Capitalism | Globalization | Climate change | Public health |
        English literature -- History and criticism | Sociology | Philosophy, Chinese |
        Buddhism | Confucianism | Law -- China | Economics | International relations |
        Urbanization | Migration, Internal | Labor market | Social movements | Nationalism |
        Communication | Mass media | Linguistics | Art, Chinese | Music -- History and
        criticism | Architecture | Archaeology | Anthropology | Religion | Ethics | Finance |
        Banks and banking | Agriculture | Rural development | Environmental policy | Energy
        policy | Water resources development | Science -- History | Technology -- Social
        aspects | Computer science | Machine learning | Mathematics | Statistics | Demography
        | Medicine, Chinese | Psychology | Cognition | Translating and interpreting |
        Libraries | Archives | Museums | Cultural property | Colonies | Imperialism |
        Diplomacy | Military history | Korea -- History | Taiwan -- Politics and government |
        Hong Kong (China) -- History | Europe -- Civilization | United States -- Foreign
        relations -- China | Silk Road | Tibet (China) | Manchuria (China) | Qing dynasty,
        1644-1912 | Ming dynasty, 1368-1644 | Tang dynasty, 618-907""",
        )
    ],
    1.1,
)
SUBDIVISIONS = Zipf(
    [
        "History",
        "20th century",
        "21st century",
        "Case studies",
        "Congresses",
        "Research",
        "Statistics",
        "Periodicals",
        "Bibliography",
        "Sources",
    ],
    1.0,
)

PUBLISHERS = Zipf(
    [
        ("Oxford", "Oxford University Press", "Oxford Univ. Press", "enk"),
        ("Cambridge", "Cambridge University Press", "Cambridge Univ. Press", "enk"),
        ("New York", "Routledge", "Routledge, Taylor & Francis Group", "nyu"),
        ("Cham", "Springer", "Springer International Publishing", "sz "),
        ("Princeton", "Princeton University Press", "Princeton Univ. Press", "nju"),
        ("Berlin", "De Gruyter", "Walter de Gruyter", "gw "),
        ("Leiden", "Brill", "Koninklijke Brill", "ne "),
        ("Chicago", "University of Chicago Press", "Univ. of Chicago Press", "ilu"),
        ("Stanford", "Stanford University Press", "Stanford Univ. Press", "cau"),
        ("London", "Bloomsbury Academic", "Bloomsbury", "enk"),
        ("Amsterdam", "Elsevier", "Elsevier Science", "ne "),
        ("Hoboken", "Wiley", "John Wiley & Sons", "nju"),
        ("Paris", "Gallimard", "Éditions Gallimard", "fr "),
        ("Paris", "Presses universitaires de France", "PUF", "fr "),
        ("München", "C.H. Beck", "Verlag C.H. Beck", "gw "),
        ("Madrid", "Cátedra", "Ediciones Cátedra", "sp "),
        ("Torino", "Einaudi", "Giulio Einaudi editore", "it "),
        ("São Paulo", "Companhia das Letras", "Cia. das Letras", "bl "),
        ("Singapore", "World Scientific", "World Scientific Publishing", "si "),
        ("Honolulu", "University of Hawaiʻi Press", "Univ. of Hawaii Press", "hiu"),
    ],
    0.9,
)

# --- CJK: (vernacular, romanised pinyin as LC writes it, word by word) --------------------
CJK_WORDS = Zipf(
    [
        tuple(pair.split("="))
        for pair in _split("""中国=Zhongguo 历史=lishi 研究=yanjiu 文学=wenxue 经济=jingji
        社会=shehui
        文化=wenhua 政治=zhengzhi 发展=fazhan 思想=sixiang 教育=jiaoyu 现代=xiandai 近代=jindai
        理论=lilun 问题=wenti 哲学=zhexue 艺术=yishu 语言=yuyan 科学=kexue 技术=jishu 法律=falü
        制度=zhidu 改革=gaige 城市=chengshi 农村=nongcun 地方=difang 民族=minzu 宗教=zongjiao
        佛教=fojiao 儒家=Rujia 清代=Qingdai 唐代=Tangdai 宋代=Songdai 上海=Shanghai 北京=Beijing
        香港=Xianggang 台湾=Taiwan 日本=Riben 世界=shijie 国际=guoji 关系=guanxi 比较=bijiao
        文献=wenxian 资料=ziliao 选编=xuanbian 论文集=lunwenji 史=shi 新=xin 与=yu 的=de
        中國=Zhongguo 歷史=lishi 經濟=jingji 學術=xueshu 臺灣=Taiwan 藝術=yishu 文獻=wenxian
        环境=huanjing 人口=renkou 妇女=funü 家庭=jiating 企业=qiye 金融=jinrong 市场=shichang
        战争=zhanzheng 外交=waijiao 考古=kaogu 音乐=yinle 电影=dianying 诗歌=shige 小说=xiaoshuo
        古代=gudai 当代=dangdai 变迁=bianqian 探索=tansuo 概论=gailun 导论=daolun 年鉴=nianjian
        丛书=congshu 报告=baogao 调查=diaocha 分析=fenxi 管理=guanli 数据=shuju 网络=wangluo""")
    ],
    0.9,
)
CJK_SURNAMES = Zipf(
    [
        tuple(p.split("="))
        for p in _split("""王=Wang 李=Li 张=Zhang 刘=Liu 陈=Chen 杨=Yang 黄=Huang
    赵=Zhao 吴=Wu 周=Zhou 徐=Xu 孙=Sun 马=Ma 朱=Zhu 胡=Hu 郭=Guo 何=He 林=Lin 罗=Luo 高=Gao
    梁=Liang 郑=Zheng 谢=Xie 宋=Song 唐=Tang 许=Xu 韩=Han 冯=Feng 邓=Deng 曹=Cao""")
    ],
    1.0,
)
CJK_GIVEN = Zipf(
    [
        tuple(p.split("="))
        for p in _split("""伟=wei 芳=fang 娜=na 敏=min 静=jing 丽=li 强=qiang 磊=lei
    军=jun 洋=yang 勇=yong 艳=yan 杰=jie 娟=juan 涛=tao 明=ming 超=chao 秀=xiu 霞=xia 平=ping
    刚=gang 桂=gui 英=ying 华=hua 文=wen 建=jian 国=guo 志=zhi 海=hai 小=xiao 晓=xiao 红=hong""")
    ],
    0.8,
)
CJK_PUBLISHERS = Zipf(
    [
        ("中华书局", "Zhonghua shu ju"),
        ("商务印书馆", "Shang wu yin shu guan"),
        ("北京大学出版社", "Beijing da xue chu ban she"),
        ("人民出版社", "Ren min chu ban she"),
        ("上海古籍出版社", "Shanghai gu ji chu ban she"),
        ("社会科学文献出版社", "She hui ke xue wen xian chu ban she"),
        ("生活·读书·新知三联书店", "Sheng huo, du shu, xin zhi san lian shu dian"),
        ("中国社会科学出版社", "Zhongguo she hui ke xue chu ban she"),
        ("聯經出版事業公司", "Lian jing chu ban shi ye gong si"),
    ],
    0.9,
)
CJK_PLACES = {
    "聯經出版事業公司": ("臺北", "Taibei", "ch "),
    "上海古籍出版社": ("上海", "Shanghai", "cc "),
}

_SYLLABLES = _split(
    """ka ri na to mo el an ber lin sa vo ra de mi lo ta ne gar ho wen sto ver ul ma tin ko
    bra fel dor hal is ka len mar nor os pe qui ran sel tor ur val win yor zan"""
)


def pseudo_names(count: int, seed: int = 1729) -> list[str]:
    """``count`` distinct capitalised pseudo-words, always the same for the same arguments."""
    rng = random.Random(seed)
    seen: dict[str, None] = {}
    while len(seen) < count:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        seen.setdefault(word.capitalize())
    return list(seen)


PROPER = Zipf(pseudo_names(30000), 1.0)
GIVEN_NAMES = Zipf(
    _split("""John Mary David Sarah Michael Anna Peter Laura James Elena Thomas
    Sophie Robert Claire William Julia Richard Marie Daniel Ingrid José Françoise Jürgen Søren
    Zoë Łukasz Ángel Renée Björn Inês"""),
    0.9,
)

_DEFAULT_MEMBERS = _split(
    """211010 211020 211030 211040 211050 211060 212010 213010 221010 222010 231010 232010
    233010 241010 242010 251010 252010 261010 262010 271010 272010 281010 311010 321010
    331010"""
)


def member_codes(members_file: Path | None = None) -> list[str]:
    """Member library codes from a members TOML file (``[[members]] code = ...`` or tables
    keyed by code) when it exists, else 25 built-in CALIS-style six-digit codes."""
    path = members_file or Path(__file__).resolve().parent.parent / "router/sample/members.toml"
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            return list(_DEFAULT_MEMBERS)
        entries = data.get("members") or data.get("member") or data.get("libraries") or []
        if isinstance(entries, dict):
            codes = [str(k) for k in entries]
        else:
            codes = [str(e["code"]) for e in entries if isinstance(e, dict) and e.get("code")]
        if len(codes) >= 2:
            return sorted(codes)
    return list(_DEFAULT_MEMBERS)
