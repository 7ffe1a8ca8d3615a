"""Action server entry point: build the one runtime, warm it up, then serve rasa-sdk on loopback, one process.

Every action the domain names is registered here by instance, from :func:`served_actions`.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

from actions.clinics import ActionHolidayClinic
from actions.departments import ActionDepartment
from actions.faq import ActionHumanContact, ActionSearchFaq
from actions.garbage import ActionGarbageDay, ActionGarbageItem
from actions.reminders import ActionSubscribeReminder, ActionUnsubscribeReminder
from actions.report_form import (
    ActionAskReportCategory,
    ActionAskReportConfirm,
    ActionAskReportDescription,
    ActionAskReportLocation,
    ActionAskReportPhotos,
    ValidateReportForm,
)
from actions.reports import ActionCancelForm, ActionReportStatus, ActionSubmitReport
from actions.runtime import Runtime
from actions.smalltalk import ActionGoodbye, ActionGreet, ActionThanks
from actions.snowplow import ActionSnowplow
from bot.settings import load_settings

log = logging.getLogger(__name__)


def served_actions(rt: Runtime) -> list[Action]:
    """The custom actions of domain.yml, each holding the runtime."""
    return [
        ActionSearchFaq(rt),
        ActionHumanContact(rt),
        ActionGreet(rt),
        ActionThanks(rt),
        ActionGoodbye(rt),
        ActionGarbageDay(rt),
        ActionGarbageItem(rt),
        ActionSnowplow(rt),
        ActionHolidayClinic(rt),
        ActionDepartment(rt),
        ActionSubscribeReminder(rt),
        ActionUnsubscribeReminder(rt),
        ValidateReportForm(rt),
        ActionAskReportCategory(rt),
        ActionAskReportPhotos(rt),
        ActionAskReportLocation(rt),
        ActionAskReportDescription(rt),
        ActionAskReportConfirm(rt),
        ActionSubmitReport(rt),
        ActionCancelForm(rt),
        ActionReportStatus(rt),
    ]


def make_executor(rt: Runtime) -> ActionExecutor:
    executor = ActionExecutor()
    for action in served_actions(rt):
        executor.register_action(action)
    return executor


def add_stats_route(app: Any, rt: Runtime) -> None:
    """`GET /stats` (loopback only, like the whole server): the query-embedding caches' hits and misses, which
    `make bench` reports beside its figures."""
    from sanic import response

    async def stats(_request: Any) -> Any:
        cache = getattr(rt.searcher, "query_cache_stats", None)
        return response.json({"query_cache": cache() if callable(cache) else {}})

    app.add_route(stats, "/stats", methods=["GET"])


def main() -> None:
    parser = argparse.ArgumentParser(description="madoguchi action server")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from bot.privacy import install_log_masking

    install_log_masking()  # noqa: E702, I001  (issue 9: PII masked in logs)
    rt = Runtime.start(load_settings())
    if rt.settings.clock is not None:
        log.warning("city answers use the fixed clock %s", rt.settings.clock)

    from rasa_sdk.endpoint import create_app

    app = create_app(make_executor(rt), cors_origins=[])
    add_stats_route(app, rt)
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
