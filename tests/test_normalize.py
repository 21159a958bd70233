from assistant.normalize import normalize, unmask
from assistant.tokens import content_words

from .conftest import SEED


def test_masked_characters_resolve_to_the_words_users_type():
    text = SEED.read_text(encoding="utf-8")
    norm = normalize(text)
    for typed in ["党委书记", "县政府", "政策", "党支部", "党校", "党政正职", "行政村", "党组织"]:
        assert typed in norm, typed
    # the shown text keeps the mask
    assert "党委书记" not in text and "*委书记" in text


def test_unmask_prefers_context_words():
    assert unmask("县*府") == "县政府"
    assert unmask("梵瑞社区*委书记") == "梵瑞社区党委书记"
    assert unmask("扶贫*策") == "扶贫政策"
    assert unmask("该村*支部书记") == "该村党支部书记"
    assert unmask("没有星号") == "没有星号"


def test_traditional_and_fullwidth_match_simplified():
    assert normalize("貧困縣脫貧") == normalize("贫困县脱贫")
    assert normalize("ＡＢＣ１２３％") == "abc123%"
    assert normalize("黨委書記") == "党委书记"


def test_normalize_keeps_length_and_offsets():
    text = SEED.read_text(encoding="utf-8") + "…ﬁ貧困縣"
    norm = normalize(text)
    assert len(norm) == len(text)
    i = norm.index("党委书记")
    assert text[i : i + 4] == "*委书记"


def test_question_words_are_not_content():
    words = content_words(normalize("江口县县长是谁？"))
    assert "县长" in words and "谁" not in words and "是" not in words


def test_the_mask_rule_is_a_setting():
    from assistant.normalize import MASK_CHARS, MASK_FILLS, configure_masks, mask_config

    try:
        configure_masks("#", "党政")
        assert normalize("县#府") == "县政府"
        assert normalize("县*府") == "县*府"  # no longer a mask
        assert mask_config() == {"chars": "#", "fills": "党政"}
        configure_masks("*", "")
        assert normalize("县*府") == "县*府"  # nothing to fill with
    finally:
        configure_masks(MASK_CHARS, MASK_FILLS)
    assert normalize("县*府") == "县政府"
