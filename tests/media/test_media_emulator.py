"""The emulator's file parts, through the real SDK: inline_data and file_data accepted, billed as the API
documents, answered from the content (not the path or URI), and the API's errors for what it refuses."""

from __future__ import annotations

import io

import pytest
from google import genai
from google.genai import errors, types
from media_files import pdf, png, wav

pytestmark = pytest.mark.sdk_compat

MODEL = "gemini-2.5-flash"


def _inline(data: bytes, mime: str) -> types.Part:
    return types.Part(inline_data=types.Blob(data=data, mime_type=mime))


def _upload(client: genai.Client, data: bytes, mime: str) -> types.Part:
    uploaded = client.files.upload(file=io.BytesIO(data), config=types.UploadFileConfig(mime_type=mime))
    return types.Part(file_data=types.FileData(file_uri=uploaded.uri, mime_type=mime))


@pytest.mark.parametrize(
    ("data", "mime", "tokens"),
    [
        (png(300, 384), "image/png", 258),  # both sides <= 384 px: one image
        (png(1600, 700), "image/png", 3 * 258),  # 3 x 1 tiles of 768 px
        (wav(2.5), "audio/wav", 80),  # 32 per second
        (pdf(3), "application/pdf", 3 * 258),  # 258 per page
    ],
)
def test_media_is_billed_as_the_api_documents(emulator_client: genai.Client, data, mime, tokens) -> None:
    text = types.Part(text="abcd")  # one token
    for part in (_inline(data, mime), _upload(emulator_client, data, mime)):
        counted = emulator_client.models.count_tokens(
            model=MODEL, contents=[types.Content(role="user", parts=[text, part])]
        )
        assert counted.total_tokens == 1 + tokens
        reply = emulator_client.models.generate_content(
            model=MODEL, contents=[types.Content(role="user", parts=[text, part])]
        )
        assert reply.usage_metadata.prompt_token_count == 1 + tokens


def test_the_reply_depends_on_the_content_not_on_how_it_travelled(emulator_client: genai.Client) -> None:
    photo, other = png(50, 40, seed=1), png(50, 40, seed=2)

    def ask(part: types.Part) -> str:
        contents = [types.Content(role="user", parts=[types.Part(text="What is this?"), part])]
        return emulator_client.models.generate_content(model=MODEL, contents=contents).text

    inline = ask(_inline(photo, "image/png"))
    assert (
        inline == ask(_upload(emulator_client, photo, "image/png")) == ask(_upload(emulator_client, photo, "image/png"))
    )
    assert "image/png 50x40 sha256:" in inline and ask(_inline(other, "image/png")) != inline


def test_an_unsupported_mime_type_is_a_400(emulator_client: genai.Client) -> None:
    with pytest.raises(errors.ClientError) as caught:
        emulator_client.models.generate_content(model=MODEL, contents=[_inline(b"GIF89a" + bytes(10), "image/gif")])
    assert caught.value.code == 400 and caught.value.status == "INVALID_ARGUMENT"
    assert caught.value.message == "Unsupported MIME type: image/gif"


def test_a_missing_or_deleted_file_is_refused_as_the_files_api_does(emulator_client: genai.Client) -> None:
    part = _upload(emulator_client, png(8, 8), "image/png")
    emulator_client.files.delete(name="files/" + part.file_data.file_uri.rsplit("/", 1)[-1])
    with pytest.raises(errors.ClientError) as caught:
        emulator_client.models.generate_content(model=MODEL, contents=[types.Content(role="user", parts=[part])])
    assert caught.value.code == 403 and "or it may not exist" in caught.value.message
