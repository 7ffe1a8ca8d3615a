"""Web widget edge: the embeddable script and page, its small APIs, CORS and the chat rate limit.

`channels.web.api.install(app)` registers everything; `channels.web.ratelimit.chat_rate_limit` is the
dependency the gateway attaches to `POST /api/v1/chat`.
"""
