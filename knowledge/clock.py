"""The city clock: the one place that knows the city's time zone and what "now" and "today" are for the city.

Servers run on UTC and store naive UTC timestamps; the city lives in Japan. City logic asks a
:class:`CityClock` for the local date and time, never ``date.today()`` or a naive ``datetime.now()``.
``CityClock(fixed=…)`` (built from ``MADOGUCHI_CLOCK``) freezes "now" for rehearsals and tests; it then governs
every answer, export and report year that asks this clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["CITY_TZ", "CityClock", "city_day_bounds_utc", "to_city_time", "to_utc_naive"]

CITY_TZ = ZoneInfo("Asia/Tokyo")


def to_city_time(utc_naive: datetime) -> datetime:
    """A stored (naive UTC) timestamp as an aware city-local date-time."""
    if utc_naive.tzinfo is not None:
        return utc_naive.astimezone(CITY_TZ)
    return utc_naive.replace(tzinfo=UTC).astimezone(CITY_TZ)


def to_utc_naive(moment: datetime) -> datetime:
    """A city-local date-time (naive = city time, or aware) as the naive UTC the database stores."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CITY_TZ)
    return moment.astimezone(UTC).replace(tzinfo=None)


def city_day_bounds_utc(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in city time, as naive UTC, the way timestamps are stored."""
    lo = datetime.combine(start, time(0), CITY_TZ)
    hi = datetime.combine(end + timedelta(days=1), time(0), CITY_TZ)
    return to_utc_naive(lo), to_utc_naive(hi)


@dataclass(frozen=True)
class CityClock:
    """What time it is in the city. ``fixed`` (naive city time) freezes it."""

    fixed: datetime | None = None

    def now(self) -> datetime:
        """The city's wall-clock time, naive (what the knowledge library expects)."""
        if self.fixed is not None:
            return self.fixed
        return datetime.now(CITY_TZ).replace(tzinfo=None)

    def today(self) -> date:
        return self.now().date()

    def utc_now(self) -> datetime:
        """Now as naive UTC (for comparing with stored timestamps)."""
        return to_utc_naive(self.now())

    def year(self) -> int:
        return self.now().year
