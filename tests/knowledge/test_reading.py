from knowledge.reading import Reader

reading = Reader().read


def test_reading_is_hiragana() -> None:
    assert reading("住民票") == "じゅうみんひょう"


def test_ime_typo_collapses() -> None:
    assert reading("除雪者") == reading("除雪車")


def test_unknown_words_keep_surface() -> None:
    reader = Reader()
    assert "asdf" in reader.read("asdf の件")
    assert reader.read("") == ""
