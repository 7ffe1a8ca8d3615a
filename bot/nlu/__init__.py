"""Rasa-side extensions of madoguchi, loaded only by the Rasa runtime (``.venv-rasa``).

- ``bot.nlu.tokenizer.JapaneseTokenizer``: fugashi + unidic-lite tokenizer (``config.yml``).
- ``bot.nlu.channel.MadoguchiInput``: the gateway's REST channel (``credentials.yml``).
- ``bot.nlu.tracker_store.SessionOrderedSQLTrackerStore``: SQL tracker store (``var/run/endpoints.yml``).
- ``bot.nlu.lock_store.AtomicRedisLockStore``: Redis lock store for `--workers` > 1 (same file).
- ``bot.nlu.speedups``: Rasa's action-response check without re-checking its schema on every call.

Kept import-free: the gateway's virtualenv has no Rasa.
"""
