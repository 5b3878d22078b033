"""Files in prompts: images, PDFs, audio, video and text files as parts of a prompt.

Provider-neutral and standard-library only, below every layer: the engine carries a
:class:`MultimodalPrompt` like any prompt, the Gemini layer turns its parts into inline or uploaded ``Part``\\ s,
and the emulator bills the parts it receives with the same token rules (:mod:`notebookllm.media.tokens`).

Example:
    >>> import notebookllm as nl
    >>> prompt = nl.MultimodalPrompt(["Describe ", b"\\x89PNG\\r\\n\\x1a\\n" + bytes(16)])
    >>> prompt.media[0].mime_type
    'image/png'
"""

from .file import MAX_FILE_BYTES, File, Media, MediaError, is_media_value, media_key, to_media, to_media_all
from .prompt import MultimodalPrompt, input_tokens

__all__ = [
    "MAX_FILE_BYTES",
    "File",
    "Media",
    "MediaError",
    "MultimodalPrompt",
    "input_tokens",
    "is_media_value",
    "media_key",
    "to_media",
    "to_media_all",
]
