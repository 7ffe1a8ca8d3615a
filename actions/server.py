"""Action server entry point: warm the FAQ index up first, then serve rasa-sdk on loopback, one process."""

from __future__ import annotations

import argparse
import logging

from actions.runtime import Runtime, install
from bot.live_citydata import CityDataStore, install_store, local_now


def city_store(rt: Runtime) -> CityDataStore:
    """The city data of this process; `MADOGUCHI_CLOCK` (never in production) fixes the "now" of its answers."""
    moment = rt.settings.clock
    clock = local_now if moment is None else (lambda: moment)
    return CityDataStore(rt.factory, rt.settings.city_data_dir, clock=clock)


def main() -> None:
    parser = argparse.ArgumentParser(description="madoguchi action server")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from bot.privacy import install_log_masking

    install_log_masking()  # noqa: E702, I001  (issue 9: PII masked in logs)
    rt = Runtime.create()
    rt.searcher.warm_up()
    # Load the city data now so a bad file fails at start-up, not on a resident's first question.
    store = city_store(rt)
    store.get()
    install_store(store)
    if rt.settings.clock is not None:
        logging.getLogger(__name__).warning("city answers use the fixed clock %s", rt.settings.clock)
    install(rt)

    from rasa_sdk.endpoint import create_app
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(executor, cors_origins=[])
    # single_process keeps the warmed-up searcher: Sanic's worker processes would start cold.
    app.run(
        host="127.0.0.1",
        port=args.port or rt.settings.actions_port,
        single_process=True,
        access_log=False,
        motd=False,
    )


if __name__ == "__main__":
    main()
