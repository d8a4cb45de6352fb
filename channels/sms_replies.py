"""Is an inbound SMS an unsubscribe reply? Marketing SMS in China end with "回T退订" (reply T
to unsubscribe); customers answer "T", "TD", "退订", "回T退订", in full-width letters, with
spaces or a full stop. The reply is compared once folded: NFKC (full-width to half-width),
case-folded, with spaces, punctuation and symbols removed, against the short list below.
Only a reply that is nothing but one of these forms counts: "T" inside a longer message
("请问T+0理财") is not a withdrawal.
"""

from __future__ import annotations

import unicodedata

UNSUBSCRIBE_REPLIES = frozenset(
    {
        "t",
        "td",
        "退订",
        "t退订",
        "回t退订",
        "回td退订",
        "退订t",
        "取消订阅",
        "stop",
        "unsubscribe",
    }
)


def folded(text: str) -> str:
    """``text`` in NFKC, case-folded, without spaces, punctuation or symbols."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in normal if unicodedata.category(char)[0] not in "ZPSC")


def is_unsubscribe_reply(text: str) -> bool:
    return folded(text) in UNSUBSCRIBE_REPLIES
