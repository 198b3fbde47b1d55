"""The page cache's rules in isolation (site/plugins/page_cache.py): which requests it keeps, and that its
memory stays under its cap, least recently used answers going first."""

import importlib.util

import pytest

from douzelage.layout import SITE

spec = importlib.util.spec_from_file_location("page_cache_under_test", SITE / "plugins" / "page_cache.py")
page_cache = importlib.util.module_from_spec(spec)
spec.loader.exec_module(page_cache)


@pytest.mark.parametrize(
    "path, query, kept_as",
    [
        ("/", b"", ""),
        ("/sv/", b"", ""),
        ("/sv", b"", ""),
        ("/town/oxelosund", b"", ""),
        ("/fr/town/oxelosund", b"", ""),
        ("/meetings", b"year=2018&country=SE", "country=SE&year=2018"),  # normalised: sorted
        ("/meetings", b"country=SE&year=2018", "country=SE&year=2018"),
        ("/sv/projects", b"programme=Erasmus%2B&page=2", "page=2&programme=Erasmus%2B"),  # every list filter
        ("/de/towns", b"status=current", "status=current"),
        ("/sv/guide", b"", ""),
        ("/fr/api", b"", ""),
        ("/catalogue", b"", None),  # negotiated on Accept: one URL, several answers
        ("/sv/catalogue", b"", None),
        ("/town/oxelosund", b"x=1", None),  # a parameter the page does not take: not kept
        ("/meetings", b"year=2018&_sort=x", None),
        ("/search", b"q=music", None),  # not listed
        ("/douzelage/towns", b"", None),
        ("/town/Oxelosund", b"", None),
        ("/town/../etc", b"", None),
        ("/-/versions.json", b"", None),
    ],
)
def test_which_requests_are_kept_and_under_which_query(path, query, kept_as):
    assert page_cache.cache_key_query(path, query) == kept_as


def test_the_cache_stays_under_its_byte_cap_dropping_the_least_recently_used():
    cache = page_cache.PageCache(max_bytes=250)
    for i in range(3):
        cache.put(("k", i), [], b"x" * 100, b'"t"')
    assert cache.bytes <= 250 and ("k", 0) not in cache.entries  # the oldest went first
    cache.get(("k", 1))  # used: now the most recent
    cache.put(("k", 3), [], b"x" * 100, b'"t"')
    assert set(cache.entries) == {("k", 1), ("k", 3)}
    assert cache.bytes == 200


def test_only_cookie_and_authorization_in_vary_still_let_a_page_be_kept():
    assert not page_cache._varies_beyond_identity(b"Cookie, Authorization")
    assert not page_cache._varies_beyond_identity(None)
    assert page_cache._varies_beyond_identity(b"Accept")
    assert page_cache._varies_beyond_identity(b"Cookie, Accept-Language")


def test_if_none_match_matches_the_tag_in_a_list_and_a_weak_form_of_it():
    assert page_cache._matches(b'"a", "b"', b'"b"')
    assert page_cache._matches(b'W/"b"', b'"b"')
    assert page_cache._matches(b"*", b'"b"')
    assert not page_cache._matches(b'"c"', b'"b"')
    assert not page_cache._matches(None, b'"b"')
