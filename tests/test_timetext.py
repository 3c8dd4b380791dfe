"""Times found in free text: written zones, daylight saving, context from the text, durations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from mkdocs_postmortems.authoring.timetext import find_moments, parse_duration, zone_named


def _offset(text: str) -> timedelta | None:
    (moment,) = find_moments(text)
    resolved = moment.resolve(None, None)
    assert resolved is not None
    return resolved.utcoffset()


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("2024-01-05 10:00 PST", -8),
        ("2024-07-05 10:00 PDT", -7),
        ("2024-03-31 01:30 CET", 1),
        ("2024-03-31 03:30 CEST", 2),
        ("2024-05-02 09:00 UTC", 0),
        ("2024-05-02 09:00 UTC+05:30", 5.5),
    ],
)
def test_a_written_zone_gives_its_offset(text: str, hours: float) -> None:
    assert _offset(text) == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        # US daylight saving time began at 02:00 local time on 2024-03-10.
        ("2024-03-09 09:00 ET", -5),
        ("2024-03-10 09:00 ET", -4),
        # ... and ended at 02:00 on 2024-11-03.
        ("2024-11-02 09:00 PT", -7),
        ("2024-11-04 09:00 PT", -8),
    ],
)
def test_regional_zones_follow_daylight_saving(text: str, hours: int) -> None:
    assert _offset(text) == timedelta(hours=hours)


def test_a_time_without_a_date_or_zone_takes_them_from_context() -> None:
    (moment,) = find_moments("The alert fired at 14:05.")
    assert moment.day is None
    assert moment.resolve(None, None) is None
    zone = zone_named("CEST")
    assert zone is not None
    resolved = moment.resolve(date(2024, 6, 1), zone)
    assert resolved == datetime(2024, 6, 1, 12, 5, tzinfo=UTC)


def test_zone_names_offsets_and_unknowns() -> None:
    ist = zone_named("IST")
    assert ist is not None
    assert datetime(2024, 1, 1, tzinfo=ist.tz).utcoffset() == timedelta(hours=5, minutes=30)
    minus = zone_named("UTC-5")
    assert minus is not None
    assert datetime(2024, 1, 1, tzinfo=minus.tz).utcoffset() == timedelta(hours=-5)
    assert zone_named("UTC+15") is None
    assert zone_named("Nowhere/Land") is None


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("2 hours 15 minutes", 135), ("45 min", 45), ("1:30", 90), ("3h", 180), ("soon", None)],
)
def test_durations_in_words(text: str, minutes: int | None) -> None:
    found = parse_duration(text)
    assert (None if found is None else found.total_seconds() / 60) == minutes
