"""LINE Messaging API edge: webhook signature and parsing, message building, a retrying sender, rich menu.

Nothing here knows about Rasa or the gateway's storage; `bot.line.worker` wires it to `ChatService`.
"""
