"""Encryption at rest for secrets (project environment variables)."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from vzero.errors import VzeroError


class SecretBox:
    """Fernet (AES-128-CBC + HMAC-SHA256) with a key from VZERO_SECRET_KEY or a key file in the data directory."""

    def __init__(self, fernet: Fernet) -> None:
        self._fernet = fernet

    @classmethod
    def from_settings(cls, secret_key: str | None, data_dir: Path) -> SecretBox:
        if secret_key:
            # Any passphrase works: it is stretched to the 32 bytes Fernet wants.
            derived = hashlib.sha256(secret_key.encode()).digest()
            return cls(Fernet(base64.urlsafe_b64encode(derived)))
        path = data_dir / "secret.key"
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
        return cls(Fernet(path.read_bytes().strip()))

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise VzeroError(
                "An environment variable cannot be decrypted: VZERO_SECRET_KEY (or data_dir/secret.key) changed since it was stored"
            ) from exc
