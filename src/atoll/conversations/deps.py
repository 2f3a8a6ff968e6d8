"""Request dependencies of the conversations routers: ``FileStorage``, where attachments are
kept (the shell makes it from the settings at startup: ``app.state.storage``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from atoll.conversations.attachments import Storage


def storage_of(request: Request) -> Storage:
    return request.app.state.storage


FileStorage = Annotated[Storage, Depends(storage_of)]
