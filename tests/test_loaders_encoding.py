"""Files in a legacy encoding are read as what they say, or refused — never indexed as mojibake
(issue 10: Big5, Shift-JIS and Latin-1 files were “已保存、已加入索引” as garbage)."""

from __future__ import annotations

import random

import pytest

from assistant.loaders import LoaderError, decode_bytes, load_paths
from assistant.loaders.encoding import common_han, guess_legacy, plausibility

from .conftest import SEED

TEXTS = {
    "gb18030": SEED.read_text(encoding="utf-8")[:400],
    "big5": "江口縣堅持以脫貧攻堅統攬經濟社會發展全局，產業扶貧帶動了農戶就業，易地搬遷讓群眾住上新房。",
    "cp932": "日本の地方創生は、人口減少と高齢化に対応するための政策です。農村では若者が戻ってきました。",
    "cp1252": "Le développement rural nécessite une coopération étroite entre les villages. Ça coûte cher – 3 €.",
}


def test_the_common_characters_are_gb2312_level_one():
    han = common_han()
    assert len(han) == 3755 and {"扶", "贫", "县", "村"} <= han and "祇" not in han


@pytest.mark.parametrize("encoding", list(TEXTS))
def test_each_encoding_is_read_as_written(encoding, tmp_path):
    text = TEXTS[encoding]
    data = text.encode(encoding, errors="ignore")
    assert decode_bytes(data, "x.txt") == data.decode(encoding)
    path = tmp_path / f"{encoding}.txt"
    path.write_bytes(data)
    docs, errors = load_paths([path])
    assert not errors and docs[0].text == data.decode(encoding)


@pytest.mark.parametrize("encoding", ["big5", "cp932", "cp1252"])
def test_gb18030_would_have_given_mojibake(encoding):
    data = TEXTS[encoding].encode(encoding)
    wrong = data.decode("gb18030", errors="replace")
    assert plausibility(wrong, "gb18030") < 0.8 <= plausibility(data.decode(encoding), encoding)


def test_bytes_that_read_as_nothing_are_refused_not_guessed():
    rng = random.Random(3)
    noise = bytes(rng.randrange(0x80, 0x100) for _ in range(3000))
    assert guess_legacy(noise) is None
    with pytest.raises(LoaderError, match="无法识别文件编码"):
        decode_bytes(noise, "noise.txt")


@pytest.mark.parametrize("text", ["扶贫", "中文", "江口县"])
def test_short_gbk_text_stays_chinese(text):
    assert decode_bytes(text.encode("gbk"), "short.txt") == text
