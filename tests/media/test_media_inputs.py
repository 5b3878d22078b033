"""Files in DataFrame cells: types read from content, parts in template order, and every bad file refused before
any request, naming the row and the column."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from google import genai
from media_files import pdf, png, wav, write

import notebookllm as nl
from notebookllm.media import Media, MultimodalPrompt, to_media
from notebookllm.media import file as media_file
from notebookllm.media.mime import sniff


@pytest.fixture
def strategy(emulator_client: genai.Client) -> nl.GeminiStrategy:
    return nl.GeminiStrategy(emulator_client, "gemini-2.5-flash")


def test_type_comes_from_content_then_extension(tmp_path: Path) -> None:
    assert to_media(write(tmp_path, "really_a_png.jpg", png(4, 4))).mime_type == "image/png"
    assert to_media(write(tmp_path, "call.wav", wav(0.1))).mime_type == "audio/wav"
    assert to_media(write(tmp_path, "scan.bin", pdf(1))).mime_type == "application/pdf"
    assert to_media(write(tmp_path, "notes.txt", b"plain words")).mime_type == "text/plain"
    assert to_media(write(tmp_path, "readme.md", b"# title")).mime_type == "text/md"
    assert sniff(b"\x00\x01binary\xff\xfe", "notes.txt") == "application/octet-stream"  # not text after all
    assert to_media(nl.File(b"anything", mime_type="text/csv")).mime_type == "text/csv"


def test_template_places_each_file_between_its_text(tmp_path: Path, strategy: nl.GeminiStrategy) -> None:
    photo = write(tmp_path, "photo.png", png(8, 8))
    df = pd.DataFrame({"caption": ["a red car", "plain text row"], "photo": [photo, "not a file: a string"]})
    _, items = nl.notebook.inputs.build_items(
        df, prompt="Does this photo match '{caption}'? {photo} Answer yes or no.", strategy=strategy
    )
    first, second = (item.prompt for item in items)
    assert isinstance(first, MultimodalPrompt) and not isinstance(second, MultimodalPrompt)
    text_before, media, text_after = first.parts
    assert text_before == "Does this photo match 'a red car'? "
    assert isinstance(media, Media) and media.mime_type == "image/png" and media.path == str(photo)
    assert text_after == " Answer yes or no."
    assert f"sha256:{media.sha256[:16]}" in first  # the text form names the content, for tables and run identity
    assert second == "Does this photo match 'plain text row'? not a file: a string Answer yes or no."


def test_bytes_pil_images_and_nl_file_are_files_too(tmp_path: Path, strategy: nl.GeminiStrategy) -> None:
    from PIL import Image

    df = pd.DataFrame(
        {
            "x": [
                png(3, 3),
                Image.new("RGB", (500, 400), "navy"),
                nl.File(str(write(tmp_path, "t.wav", wav(1.0)))),
                nl.File("https://generativelanguage.googleapis.com/v1beta/files/abc", mime_type="video/mp4"),
            ]
        }
    )
    _, items = nl.notebook.inputs.build_items(df, prompt="Describe {x}", strategy=strategy)
    kinds = [(item.prompt.media[0].mime_type, item.prompt.media[0].tokens) for item in items]
    assert kinds[:3] == [("image/png", 258), ("image/png", 258), ("audio/wav", 32)]
    assert kinds[3][0] == "video/mp4" and items[3].prompt.media[0].uri.endswith("/files/abc")


def test_a_file_used_by_many_rows_is_hashed_once(tmp_path: Path, strategy: nl.GeminiStrategy, monkeypatch) -> None:
    photo = write(tmp_path, "logo.png", png(16, 16))
    opened: list[str] = []
    real_open = open

    def counting_open(path, *args, **kwargs):
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(media_file, "open", counting_open, raising=False)
    df = pd.DataFrame({"q": [f"question {i}" for i in range(100)], "logo": [photo] * 100})
    _, items = nl.notebook.inputs.build_items(df, prompt="{q} {logo}", strategy=strategy)
    assert len({item.prompt.media[0].sha256 for item in items}) == 1
    assert opened == [str(photo)]


def _bad_input_error(df: pd.DataFrame, strategy: nl.GeminiStrategy, emulator) -> str:
    with pytest.raises(nl.InvalidWorkItemError) as caught:
        nl.run(df, prompt="Look: {shot}", strategy=strategy, cache=False, progress=False)
    assert emulator.count() == 0  # refused before any request
    return str(caught.value)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "missing.png", "does not exist"),
        (lambda d: d, "is a directory, not a file"),
        (lambda d: write(d, "empty.png", b""), "is empty"),
        (lambda d: write(d, "anim.gif", b"GIF89a" + bytes(20)), "image/gif, which Gemini does not accept"),
        (lambda d: write(d, "blob.bin", bytes(range(256))), "application/octet-stream, which Gemini does not"),
        (lambda d: write(d, "blob", bytes(range(256))), "its type cannot be told"),
        (lambda d: nl.File(write(d, "fake.png", png(2, 2)), mime_type="application/zip"), "application/zip"),
    ],
)
def test_bad_files_are_refused_naming_row_and_column(tmp_path, strategy, emulator, make, expected) -> None:
    good = write(tmp_path, "good.png", png(2, 2))
    df = pd.DataFrame({"shot": [good, make(tmp_path)]}, index=["ok", "bad-row"])
    message = _bad_input_error(df, strategy, emulator)
    assert message.startswith("row 'bad-row', column 'shot': ")
    assert expected in message


def test_a_file_over_the_files_api_limit_is_refused(tmp_path, strategy, emulator, monkeypatch) -> None:
    monkeypatch.setattr(media_file, "MAX_FILE_BYTES", 1000)
    df = pd.DataFrame({"shot": [write(tmp_path, "big.png", png(40, 40, stored=True))]})
    assert "the Gemini Files API takes at most 1.0 kB per file" in _bad_input_error(df, strategy, emulator)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_refused(tmp_path, strategy, emulator) -> None:
    locked = write(tmp_path, "locked.png", png(2, 2))
    locked.chmod(0)
    df = pd.DataFrame({"shot": [locked]})
    assert "cannot be read" in _bad_input_error(df, strategy, emulator)
