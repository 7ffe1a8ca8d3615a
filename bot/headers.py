"""Security headers on every answer of the gateway (an ASGI middleware, outermost, so that answers sent ahead
of the framework, such as a 413 from the body limit, carry them too).

- ``Strict-Transport-Security`` when the request came over https (uvicorn sets the scheme from a trusted
  proxy's ``X-Forwarded-Proto``) and always in production: browsers then refuse plain http to the console.
- ``X-Content-Type-Options: nosniff`` on every answer, JSON included: a browser never guesses a script or a
  page out of an API answer that echoes a resident's words.

A header a route set itself is kept.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HSTS", "SecurityHeadersMiddleware"]

# One year; subdomains included (the gateway has its own host name, docs/deploy.md); no preload list.
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        strict = self.production or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if strict:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
