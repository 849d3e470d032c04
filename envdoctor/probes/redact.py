"""Redaction rules for what a probe records (stdlib only; runs in the target interpreter,
imported by a sibling probe script, so no envdoctor imports and no new syntax).

Secrets reach a snapshot through environment variables and URLs: ``PIP_INDEX_URL`` with
``https://user:TOKEN@host`` or ``https://TOKEN@host``, ``?access_token=...`` in a URL,
``OBS_AK`` / ``OBS_SK`` and ``*TOKEN*`` / ``*SECRET*`` / ``*PASSWORD*`` names. Every rule
is linear in the length of the value (no backtracking pattern over unbounded input).
"""

import re

__all__ = ["SECRET_WORDS", "REDACTED", "is_secret_name", "redact_text", "redact"]

REDACTED = "<redacted>"
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "KEY", "CREDENTIAL",
                "AUTH", "COOKIE", "SESSION", "SIGNATURE")
# Huawei Cloud / OBS style access key pairs: OBS_AK, MOXING_SK, AK, SK, AK_ID.
_KEY_PAIR = re.compile(r"(^|_)(AK|SK)(_|$)")
# A query parameter: bounded name, so a long run without '=' costs linear time only.
_QUERY = re.compile(r"([?&;])([^=&#\s?;]{1,100})=([^&#\s;]*)")


def is_secret_name(name):
    """An environment variable or query parameter whose value is a secret by its name."""
    upper = str(name).upper().replace("-", "_")
    if any(word in upper for word in SECRET_WORDS):
        return True
    return bool(_KEY_PAIR.search(upper))


_AUTHORITY = re.compile(r"[^/?#\s]*")


def _redact_userinfo(text):
    """``scheme://anything@host`` -> ``scheme://<redacted>@host``, in one pass."""
    out = []
    pos = search = 0
    while True:
        at = text.find("://", search)
        if at < 0:
            out.append(text[pos:])
            return "".join(out)
        start = at + 3
        end = _AUTHORITY.match(text, start).end()
        authority = text[start:end]
        out.append(text[pos:start])
        if "@" in authority:
            out.append(REDACTED + "@" + authority.rsplit("@", 1)[1])
        else:
            out.append(authority)
        pos = end
        search = max(end - 1, start)  # "a://b://c@d": the ':' may begin the next "://"


def _query(match):
    if is_secret_name(match.group(2)):
        return "%s%s=%s" % (match.group(1), match.group(2), REDACTED)
    return match.group(0)


def redact_text(value):
    """``value`` with URL credentials and secret query parameters replaced."""
    text = str(value)
    if "://" in text:
        text = _redact_userinfo(text)
    if "=" in text:
        text = _QUERY.sub(_query, text)
    return text


def redact(name, value):
    """The value of environment variable ``name`` as a snapshot may record it."""
    if is_secret_name(name):
        return REDACTED
    return redact_text(value)
