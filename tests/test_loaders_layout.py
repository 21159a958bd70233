"""Reading order and line joining of OCR boxes (assistant.loaders.layout), on boxes laid out by hand."""

from __future__ import annotations

from assistant.loaders.layout import Piece, lay_out

H = 30  # text height in pixels; a character is about as wide


def line(x: float, y: float, text: str, score: float = 0.99) -> Piece:
    return Piece(x, y, x + H * len(text), y + H, text, score)


def test_wrapped_lines_join_and_paragraphs_break_on_indent_and_short_lines():
    pieces = [
        line(160, 100, "江口县坚持把脱贫攻坚作为头等"),  # indented: a paragraph starts
        line(100, 150, "大事，群众认可度达到百分之九十"),
        line(100, 200, "九。"),  # short: the paragraph ends
        line(160, 250, "驻村干部走村入户，摸清底数，"),
        line(100, 300, "帮扶到户到人。"),
    ]
    assert lay_out(pieces).text == ("江口县坚持把脱贫攻坚作为头等大事，群众认可度达到百分之九十九。\n"
                                    "驻村干部走村入户，摸清底数，帮扶到户到人。")


def test_a_large_gap_ends_a_paragraph_and_boxes_of_a_row_are_read_left_to_right():
    pieces = [
        line(100, 100, "第一段第一行的文字写到了这里为止"),
        line(100, 150, "第一段最后一行也写满了整整一行字"),
        line(100, 260, "第二段在空了一行之后才开始写起来"),  # a blank line above
        line(225, 310, "后半句"),  # one row read in two boxes, listed out of order
        line(100, 310, "前半句话"),
    ]
    assert lay_out(pieces).text == ("第一段第一行的文字写到了这里为止第一段最后一行也写满了整整一行字\n"
                                    "第二段在空了一行之后才开始写起来前半句话后半句")


def test_two_columns_are_read_column_by_column_under_a_spanning_title():
    left, right = 100, 100 + 16 * H + 80  # 16-character columns, an 80 px gutter
    pieces = [line(400, 40, "两栏排版的标题")]
    for i in range(4):
        y = 120 + 50 * i
        pieces.append(line(left, y, f"左栏第{i + 1}行文字左栏第{i + 1}行文字左栏"))
        pieces.append(line(right, y, f"右栏第{i + 1}行文字右栏第{i + 1}行文字右栏"))
    text = lay_out(pieces).text
    title, body = text.split("\n")
    assert title == "两栏排版的标题"
    # the left column's last line is full and the right column's first is not indented: one paragraph
    assert body == "".join(f"左栏第{i}行文字左栏第{i}行文字左栏" for i in range(1, 5)) + "".join(
        f"右栏第{i}行文字右栏第{i}行文字右栏" for i in range(1, 5))


def test_a_table_stays_in_rows_with_tab_separated_cells():
    pieces = []
    for i, (name, value) in enumerate([("指标", "数值"), ("认可度", "百分之九十九"), ("贫困村", "八十个")]):
        pieces += [line(100, 100 + 50 * i, name), line(500, 100 + 50 * i, value)]
    assert lay_out(pieces).text == "指标\t数值\n认可度\t百分之九十九\n贫困村\t八十个"


def test_latin_words_keep_a_space_across_a_line_break():
    pieces = [Piece(100, 100, 700, 130, "Poverty rate fell to zero"), Piece(100, 150, 400, 180, "in 2019.")]
    assert lay_out(pieces).text == "Poverty rate fell to zero in 2019."


def test_low_confidence_pieces_are_marked_by_offset():
    pieces = [line(100, 100, "清楚的一行字写满了整整一行"), line(100, 150, "模糊不清的一行", score=0.42)]
    laid = lay_out(pieces, min_confidence=0.8)
    [(start, end)] = laid.low_confidence
    assert laid.text[start:end] == "模糊不清的一行"
    assert lay_out(pieces, min_confidence=0.3).low_confidence == ()


def test_nothing_recognised_gives_empty_text():
    assert lay_out([]).text == ""
    assert lay_out([line(100, 100, "  ")]).text == ""
