"""Request and push-message signatures of the 1688 Open Platform (HMAC-SHA1).

The official SDKs concatenate every parameter as ``name + value``, sort those joined strings
(plain code-point order, not by name), and prefix the URL path. Sorting by name instead gives a
different signature whenever one parameter name is a prefix of another, so the rule is kept
exactly here and shared with the simulator, which must verify what clients send.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

SIGNATURE_PARAM = "_aop_signature"


def sign(url_path: str, params: Mapping[str, str], secret: str) -> str:
    """Return the 40-character upper-case hex signature for ``params`` sent to ``url_path``.

    ``url_path`` is ``param2/1/{namespace}/{apiName}/{appKey}`` (no host, no leading slash);
    values must be exactly the strings that go on the wire. ``_aop_signature`` itself is ignored.
    """
    joined = sorted(f"{name}{value}" for name, value in params.items() if name != SIGNATURE_PARAM)
    message = url_path + "".join(joined)
    digest = hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha1)
    return digest.hexdigest().upper()


def sign_push_message(message_json: str, secret: str) -> str:
    """Signature of a pushed event: the same HMAC over ``"message" + messageJson``, empty path."""
    return sign("", {"message": message_json}, secret)


def encode_param(value: Any) -> str | None:
    """Encode one parameter value as it is sent and signed; ``None`` (and empty) means "drop it".

    Objects and lists become one compact JSON text with CJK left unescaped; booleans are
    ``true``/``false``.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    else:
        text = str(value)
    return text or None


def encode_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Encode every parameter and drop the null or empty ones, as the platform expects."""
    encoded = {name: encode_param(value) for name, value in params.items()}
    return {name: text for name, text in encoded.items() if text is not None}
