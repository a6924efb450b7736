"""Standard Webhooks signatures (https://www.standardwebhooks.com): the headers webhook-id, webhook-timestamp
and webhook-signature = "v1," + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")), made by the
`standardwebhooks` library, the same one a receiver verifies with (README, "Webhooks")."""

from datetime import datetime

from standardwebhooks import Webhook


def signed_headers(*, secret: str, message_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, timestamp, body),
        "content-type": "application/json",
    }


def verify(*, secret: str, body: bytes | str, headers: dict) -> dict:
    """The parsed payload, or standardwebhooks.WebhookVerificationError (wrong signature, stale timestamp)."""
    return Webhook(secret).verify(body, headers)
