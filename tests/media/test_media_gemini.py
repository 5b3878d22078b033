"""Files in prompts through the real SDK on the emulator: parts in order and billed as the API documents, inline
or uploaded by size, one upload per content (reused across rows and runs until it expires), a cache keyed on
content, batch jobs carrying file URIs, dry runs counting media tokens.

Tests that run several times with one client use ``await nl.arun`` (google-genai 1.x binds ``client.aio`` to the
first event loop that used it)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from google import genai
from media_files import pdf, png, wav, write

import notebookllm as nl
from notebookllm.emulator.clock import ManualClock
from notebookllm.emulator.tokens import count_text
from notebookllm.gemini.media_parts import MediaParts
from notebookllm.media import MultimodalPrompt
from notebookllm.media import file as media_file
from notebookllm.store import Store

pytestmark = pytest.mark.sdk_compat

MODEL = "gemini-2.5-flash"
TEMPLATE = "Does this match '{caption}'? {item} Answer briefly."


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "store.sqlite")


def _strategy(client: genai.Client, store: Store, **media: object) -> nl.GeminiStrategy:
    strategy = nl.GeminiStrategy(client, MODEL, include_metadata=True)
    strategy.media = MediaParts(client, store=store, **media)  # type: ignore[arg-type]
    return strategy


def _text_tokens(prompt: MultimodalPrompt) -> int:
    return sum(count_text(p) for p in prompt.parts if isinstance(p, str))


async def test_images_a_pdf_and_audio_in_one_dataframe(tmp_path, emulator_client, emulator, store) -> None:
    df = pd.DataFrame(
        {
            "caption": ["a striped banner", "a wide panorama", "a two-page report", "a short tone"],
            "item": [
                write(tmp_path, "small.png", png(320, 200)),
                write(tmp_path, "wide.png", png(1600, 700)),
                write(tmp_path, "report.pdf", pdf(2)),
                write(tmp_path, "tone.wav", wav(3.0)),
            ],
        }
    )
    strategy = _strategy(emulator_client, store)
    results = await nl.arun(df, prompt=TEMPLATE, strategy=strategy, store=store, progress=False)
    frame = results.df
    assert frame["success"].all()
    # billed as documented: 258 per small image, 258 per 768 px tile, 258 per PDF page, 32 per second of audio
    media_tokens = [258, 3 * 1 * 258, 2 * 258, 3 * 32]
    _, items = nl.notebook.inputs.build_items(df, prompt=TEMPLATE, strategy=strategy)
    for item, media, tokens in zip(items, media_tokens, frame["input_tokens"], strict=True):
        assert item.prompt.media[0].tokens == media  # the client-side estimate agrees with the bill
        assert tokens == _text_tokens(item.prompt) + media
    seen = [output.split("Seen: ")[1] for output in frame["output"]]
    assert seen[0].startswith("image/png 320x200 sha256:") and seen[1].startswith("image/png 1600x700")
    assert seen[2].startswith("application/pdf") and seen[3].startswith("audio/wav")
    assert emulator.count(endpoint="files.upload") == 0  # all small: inline


async def test_small_files_go_inline_large_ones_are_uploaded(tmp_path, emulator_client, emulator, store) -> None:
    small = write(tmp_path, "small.png", png(40, 40))
    large = write(tmp_path, "large.png", png(200, 200, stored=True))  # ~120 kB
    strategy = _strategy(emulator_client, store, inline_limit=100_000)
    df = pd.DataFrame({"caption": ["small", "large"], "item": [small, large]})
    results = await nl.arun(df, prompt=TEMPLATE, strategy=strategy, store=store, progress=False)
    assert results.df["success"].all()
    uploaded = list(emulator_client.files.list())
    assert [f.display_name for f in uploaded] == ["large.png"] and strategy.media.uploads == 1
    assert int(uploaded[0].size_bytes) == large.stat().st_size


async def test_a_large_file_used_by_100_rows_is_uploaded_once(tmp_path, emulator_client, emulator, store) -> None:
    logo = write(tmp_path, "logo.png", png(200, 200, stored=True))
    strategy = _strategy(emulator_client, store, inline_limit=50_000)
    df = pd.DataFrame({"caption": [f"caption {i}" for i in range(100)], "item": [logo] * 100})
    results = await nl.arun(df, prompt=TEMPLATE, strategy=strategy, store=store, progress=False, max_workers=16)
    assert results.df["success"].all()
    assert strategy.media.uploads == 1 and len(list(emulator_client.files.list())) == 1
    assert emulator.count(endpoint="generateContent") == 100

    again = _strategy(emulator_client, store, inline_limit=50_000)  # a new kernel: the store remembers the upload
    df["caption"] = [f"other caption {i}" for i in range(100)]
    results = await nl.arun(df, prompt=TEMPLATE, strategy=again, store=store, progress=False)
    assert results.df["success"].all() and again.media.uploads == 0


async def test_an_expired_upload_is_uploaded_again(tmp_path, make_emulator, store) -> None:
    clock = ManualClock()
    emu = make_emulator(clock=clock)
    client = emu.client()
    photo = write(tmp_path, "photo.png", png(200, 200, stored=True))
    df = pd.DataFrame({"caption": ["first"], "item": [photo]})

    async def run(caption: str) -> nl.GeminiStrategy:
        strategy = _strategy(client, store, inline_limit=50_000, clock=clock)
        df["caption"] = [caption]
        results = await nl.arun(df, prompt=TEMPLATE, strategy=strategy, store=store, progress=False)
        assert results.df["success"].all()
        return strategy

    kept = await run("first")
    assert kept.media.uploads == 1
    clock.advance(40 * 3600)
    assert (await run("forty hours on")).media.uploads == 0  # still valid: reused from the store
    clock.advance(9 * 3600)  # 49 h: the API deleted it
    assert list(client.files.list()) == []
    assert (await run("forty-nine hours on")).media.uploads == 1
    df["caption"] = ["the first strategy, still in memory two days on"]
    results = await nl.arun(df, prompt=TEMPLATE, strategy=kept, store=store, progress=False)
    await client.aio.aclose()
    # its own record of the upload expired too: it takes the newer upload from the store instead
    assert results.df["success"].all() and kept.media.uploads == 1
    assert emu.count(endpoint="generateContent", status=200) == 4
    assert emu.count(endpoint="generateContent", status=403) == 0  # never sent with an expired file


async def test_an_upload_deleted_early_is_replaced_within_the_attempt(tmp_path, emulator_client, emulator, store):
    photo = write(tmp_path, "photo.png", png(200, 200, stored=True))
    df = pd.DataFrame({"caption": ["first"], "item": [photo]})
    first = _strategy(emulator_client, store, inline_limit=50_000)
    await nl.arun(df, prompt=TEMPLATE, strategy=first, store=store, progress=False)
    for uploaded in emulator_client.files.list():
        emulator_client.files.delete(name=uploaded.name)  # gone, though the store thinks it has 48 h left

    second = _strategy(emulator_client, store, inline_limit=50_000)
    df["caption"] = ["second"]
    results = await nl.arun(df, prompt=TEMPLATE, strategy=second, store=store, progress=False)
    assert results.df["success"].all() and results.df["attempts"].tolist() == [1]
    assert second.media.uploads == 1
    assert emulator.count(endpoint="generateContent", status=403) == 1


async def test_a_rerun_is_answered_from_the_store_reading_files_only_to_hash(
    tmp_path, emulator_client, emulator, store, monkeypatch
) -> None:
    files = [write(tmp_path, f"p{i}.png", png(64, 64, seed=i)) for i in range(3)]
    df = pd.DataFrame({"caption": ["a", "b", "c", "d"], "item": [*files, files[0]]})
    strategy = _strategy(emulator_client, store)
    first = await nl.arun(df, prompt=TEMPLATE, strategy=strategy, store=store, progress=False)
    requests = emulator.count()

    opened: list[str] = []
    real_open = open
    monkeypatch.setattr(media_file, "open", lambda p, *a, **k: opened.append(str(p)) or real_open(p, *a, **k),
                        raising=False)  # fmt: skip
    again = await nl.arun(df, prompt=TEMPLATE, strategy=strategy, store=store, progress=False)
    assert again.df["from_cache"].all() and emulator.count() == requests
    assert sorted(opened) == sorted(map(str, files))  # each file read once, to hash it; none read to send
    assert again.df["output"].tolist() == first.df["output"].tolist()


async def test_changed_content_is_asked_again_a_moved_file_is_not(tmp_path, emulator_client, emulator, store):
    a, b = write(tmp_path, "a.png", png(30, 30, seed=1)), write(tmp_path, "b.png", png(30, 30, seed=2))
    strategy = _strategy(emulator_client, store)
    df = pd.DataFrame({"caption": ["x", "y"], "item": [a, b]})
    await nl.arun(df, prompt=TEMPLATE, strategy=strategy, store=store, progress=False)
    assert emulator.count(endpoint="generateContent") == 2

    a.write_bytes(png(30, 30, seed=3))  # same path, new content
    moved = b.rename(tmp_path / "moved.png")  # same content, new path
    df = pd.DataFrame({"caption": ["x", "y"], "item": [a, moved]})
    results = await nl.arun(df, prompt=TEMPLATE, strategy=strategy, store=store, progress=False)
    assert emulator.count(endpoint="generateContent") == 3  # exactly one new request
    assert results.df["from_cache"].tolist() == [False, True]


async def test_batch_mode_sends_every_file_by_uri(tmp_path, emulator_client, emulator, store) -> None:
    files = [write(tmp_path, f"p{i}.png", png(20, 20, seed=i)) for i in range(2)]
    df = pd.DataFrame({"caption": ["a", "b", "c"], "item": [files[0], files[1], files[0]]})
    strategy = _strategy(emulator_client, store)
    results = await nl.arun(df, prompt=TEMPLATE, strategy=strategy, store=store, progress=False, mode="batch")
    assert results.df["success"].all()
    assert emulator.count(endpoint="batchGenerateContent") == 1 and emulator.count(endpoint="generateContent") == 0
    # small files, yet uploaded: the job's requests name them by URI (one upload per content)
    assert strategy.media.uploads == 2 and len(list(emulator_client.files.list())) == 2
    assert all("Seen: image/png 20x20" in o for o in results.df["output"])


def test_a_dry_run_counts_media_tokens(tmp_path, emulator_client, emulator, store) -> None:
    df = pd.DataFrame({"caption": ["wide", "report"], "item": [write(tmp_path, "w.png", png(1600, 700)),
                                                               write(tmp_path, "r.pdf", pdf(3))]})  # fmt: skip
    strategy = _strategy(emulator_client, store)
    results = nl.run(df, prompt=TEMPLATE, strategy=strategy, dry_run=True, progress=False)
    text = len("Does this match 'wide'?  Answer briefly.") // 4
    assert results.df["input_tokens"].tolist()[0] == text + 3 * 258
    assert results.df["input_tokens"].tolist()[1] >= 3 * 258
    assert emulator.count() == 0


async def test_the_cached_strategy_sends_files_after_its_context_cache(tmp_path, emulator_client, emulator, store):
    catalogue = "The catalogue lists colour, shape and price for every product we sell. " * 120
    strategy = nl.GeminiCachedStrategy(emulator_client, MODEL, cached_content=catalogue, include_metadata=True)
    strategy.media = MediaParts(emulator_client, store=store)
    df = pd.DataFrame({"caption": ["a ball"], "item": [write(tmp_path, "ball.png", png(900, 300))]})
    results = await nl.arun(df, prompt=TEMPLATE, strategy=strategy, store=store, progress=False)
    row = results.df.iloc[0]
    assert row["success"] and "Seen: image/png 900x300" in row["output"]
    assert row["cached_tokens"] > 1000 and row["input_tokens"] > row["cached_tokens"] + 2 * 258


async def test_a_prompt_function_or_a_work_item_may_carry_files(tmp_path, emulator_client, emulator, store) -> None:
    photo = write(tmp_path, "photo.png", png(64, 48))
    strategy = _strategy(emulator_client, store)
    df = pd.DataFrame({"name": ["ball"], "file": [str(photo)]})
    results = await nl.arun(
        df,
        prompt=lambda row: nl.MultimodalPrompt([f"Is this a {row.name}? ", Path(row.file)]),
        strategy=strategy,
        store=store,
        progress=False,
    )
    assert "Seen: image/png 64x48" in results.df.loc[0, "output"]

    item = nl.LLMWorkItem("direct", strategy, nl.MultimodalPrompt(["Describe ", nl.File(photo)]))
    async with nl.ParallelBatchProcessor(nl.ProcessorConfig(max_workers=2, timeout_per_item=30)) as processor:
        await processor.add_work(item)
        batch = await processor.process_all()
    assert batch.succeeded == 1 and "Seen: image/png 64x48" in batch.results[0].output.output


async def test_a_row_cancelled_while_waiting_does_not_cancel_the_upload(tmp_path, emulator_client, store) -> None:
    import asyncio

    media = MediaParts(emulator_client, store=store, inline_limit=0)
    prompt = nl.MultimodalPrompt(["Describe ", write(tmp_path, "p.png", png(32, 32))])
    first = asyncio.ensure_future(media._upload(prompt.media[0]))
    await asyncio.sleep(0)  # one turn of the loop: the first row starts the upload and waits for it
    assert media._in_flight
    second = asyncio.ensure_future(media.prepare(prompt))
    first.cancel()  # e.g. its attempt timed out
    await second
    assert first.cancelled() and media.uploads == 1
    assert media.parts(prompt)[1].file_data is not None
