"""API token keys: made here, stored only as a hash (accounts.models.ApiToken)."""

import hashlib
import secrets


def key_new() -> str:
    return secrets.token_hex(20)  # 40 characters, like the tokens DRF issued before named tokens


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
