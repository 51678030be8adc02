"""domain.user_profile: which fields a page may ask for, and what each answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.person_names import PersonNames
from ledgerline.domain.user_profile import (
    PROFILE_QUERY,
    requested_fields,
    user_profile,
    utc_offset_hours,
)

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def test_requested_fields() -> None:
    assert requested_fields(None) == ["first_name", "last_name", "profile_pic"]
    assert requested_fields(" ") == ["first_name", "last_name", "profile_pic"]
    assert requested_fields("name, name,locale") == ["name", "locale"]
    with pytest.raises(InvalidParameter, match="comma-separated"):
        requested_fields(["name"])
    with pytest.raises(InvalidParameter, match=r"nonexisting field \(email\)"):
        requested_fields("name,email")


def test_the_fields_query_reads_and_documents_requested_fields() -> None:
    assert PROFILE_QUERY.read({}) == {"fields": ["first_name", "last_name", "profile_pic"]}
    assert PROFILE_QUERY.read({"fields": "locale,name"}) == {"fields": ["locale", "name"]}
    schema = PROFILE_QUERY.fields["fields"].schema({})
    assert schema["default"] == "first_name,last_name,profile_pic"
    assert "`timezone`" in schema["description"]
    assert PROFILE_QUERY.read({"fields": schema["examples"][0]})["fields"][-1] == "locale"


def test_offsets_follow_the_zone_and_its_summer_time() -> None:
    assert utc_offset_hours("Asia/Ho_Chi_Minh", NOW) == 7
    assert utc_offset_hours("Europe/London", NOW) == 1
    assert utc_offset_hours("Asia/Kolkata", NOW) == 5.5
    assert utc_offset_hours("Not/AZone", NOW) is None


def test_timezone_only_when_linked_and_gender_never() -> None:
    names = PersonNames("Jane", "Doe", "Jane Doe")
    fields = ["timezone", "gender", "locale"]
    kwargs = {"psid": "1", "names": names, "locale": "en", "timezone": "UTC", "now": NOW}
    linked = user_profile(fields, linked=True, avatar_url="a", **kwargs)  # type: ignore[arg-type]
    assert linked == {"timezone": 0, "locale": "en_US", "id": "1"}
    unlinked = user_profile(fields, linked=False, avatar_url="a", **kwargs)  # type: ignore[arg-type]
    assert unlinked == {"locale": "en_US", "id": "1"}
