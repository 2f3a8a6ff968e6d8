"""The ASGI entry point for uvicorn and other servers: ``atoll.asgi:app``."""

from atoll.app import create_app

app = create_app()
