"""LINE Messaging API edge: webhook signature and parsing, message building, a retrying client, rich menu, a fake.

Nothing here knows about Rasa or the gateway's storage; `bot.line` wires it to `ChatService` (the webhook route
in bot/line/routes.py, the answering in bot/line/worker.py and handlers.py). `fake.py` is a loopback stand-in for
the LINE Messaging API that tests, benchmarks and staging run against.
"""
