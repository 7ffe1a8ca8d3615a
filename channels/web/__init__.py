"""Web widget edge: the embeddable script and page, its small APIs, CORS and the chat rate limit.

The routes that need the gateway's state (widget script and page, widget config, history, feedback,
furigana) live in `bot/api/widget.py`; `channels.web.ratelimit.chat_rate_limit` is the dependency the gateway
attaches to `POST /api/v1/chat`.
"""
