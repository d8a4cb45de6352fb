"""Database sessions whose keys are stored hashed.

The sessions table is shared by every bank and cannot be under row-level security (the
session is read before anyone's bank is known). The runtime role must read and write it,
so what it holds must be useless to whoever reads it through that role: the key a browser
presents is hashed before every lookup and only the hash is stored, as with passwords.
Session keys are 32 random characters, so an unsalted hash is enough.
"""

import hashlib
from typing import Any, overload

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone


@overload
def stored_key(session_key: str) -> str: ...
@overload
def stored_key(session_key: str | None) -> str | None: ...
def stored_key(session_key: str | None) -> str | None:
    if session_key is None:
        return None
    # 40 hex characters: the width of Django's session_key column.
    return hashlib.blake2b(session_key.encode(), digest_size=20).hexdigest()


# The private methods overridden and called here are Django's, not declared by django-stubs.
class SessionStore(db.SessionStore[Session]):
    def _get_session_from_db(self) -> Session | None:
        try:
            return self.model.objects.get(
                session_key=stored_key(self.session_key), expire_date__gt=timezone.now()
            )
        except (self.model.DoesNotExist, SuspiciousOperation):
            self._session_key = None
        return None

    async def _aget_session_from_db(self) -> Session | None:
        try:
            return await self.model.objects.aget(
                session_key=stored_key(self.session_key), expire_date__gt=timezone.now()
            )
        except (self.model.DoesNotExist, SuspiciousOperation):
            self._session_key = None
        return None

    def exists(self, session_key: str | None) -> bool:
        return self.model.objects.filter(session_key=stored_key(session_key)).exists()

    async def aexists(self, session_key: str | None) -> bool:
        return await self.model.objects.filter(session_key=stored_key(session_key)).aexists()

    def create_model_instance(self, data: dict[str, Any]) -> Session:
        return self.model(
            session_key=stored_key(self._get_or_create_session_key()),  # type: ignore[attr-defined]
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
        )

    async def acreate_model_instance(self, data: dict[str, Any]) -> Session:
        return self.model(
            session_key=stored_key(await self._aget_or_create_session_key()),  # type: ignore[attr-defined]
            session_data=self.encode(data),
            expire_date=await self.aget_expiry_date(),
        )

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self.model.objects.filter(session_key=stored_key(session_key)).delete()

    async def adelete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        await self.model.objects.filter(session_key=stored_key(session_key)).adelete()
