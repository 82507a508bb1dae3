"""The translate-table fast path of the Unicode sort key gives the general path's bytes.

``keys_text.sort_key`` weighs text made only of *simple* characters (one unit each, no
special weight) through ``str.translate`` tables; everything else goes through the per-unit
loop. ``sort_key_reference`` always takes the loop. Key bytes are on disk (index keys), so
the two must agree byte for byte on any text and any valid flag combination.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pyese.engine.records import keys_text as kt

_FLAG_BITS = [kt.NORM_IGNORECASE, kt.NORM_IGNORENONSPACE, kt.NORM_IGNORESYMBOLS,
              kt.LINGUISTIC_IGNORECASE, kt.LINGUISTIC_IGNOREDIACRITIC, kt.LCMAP_BYTEREV,
              kt.SORT_STRINGSORT, kt.NORM_IGNOREKANATYPE, kt.NORM_IGNOREWIDTH]

# code points that exercise every branch of _map_code_point: ASCII letters, digits,
# symbols, "punctuation" (hyphen, apostrophe, controls), U+0000, Latin-1 letters with
# diacritics, combining marks, other digits, kana, full-width forms, super/subscripts,
# CJK, private use, lone surrogates, ligatures
_INTERESTING = st.sampled_from(
    [0x00, 0x01, 0x09, 0x27, 0x2D, 0x41, 0x5A, 0x61, 0x7A, 0x30, 0x39, 0x20, 0x7E,
     0xC9, 0xE9, 0xDF, 0x130, 0x300, 0x301, 0x327, 0x660, 0x969, 0x3042, 0x30A2, 0x30F6,
     0xFF21, 0xFF41, 0x00B2, 0x2082, 0x4E00, 0xE000, 0xD800, 0xDC00, 0xFB01, 0x2014,
     0x200B, 0x3000, 0x1D400, 0x1F600])


def _char(cp: int) -> str:
    return chr(cp)


_TEXT = st.lists(
    st.one_of(
        st.integers(0x20, 0x7E),
        _INTERESTING,
        st.integers(0, 0x2FFF),
        st.integers(0, 0x10FFFF),
    ).map(_char),
    max_size=24,
).map("".join)


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le", errors="surrogatepass")


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.sets(st.sampled_from(_FLAG_BITS)))
def test_fast_path_matches_reference(text: str, bits: set[int]) -> None:
    flags = kt.check_lcmap_flags(sum(bits))
    data = _utf16(text)
    assert kt.sort_key(data, flags) == kt.sort_key_reference(data, flags)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40))
def test_fast_path_matches_reference_default_flags_ascii(text: str) -> None:
    data = _utf16(text)
    assert kt.sort_key(data) == kt.sort_key_reference(data)


def test_fast_path_taken_for_plain_text_and_not_for_punctuation() -> None:
    """The common case really is the fast one, and a word-sort special falls back."""
    facts = kt._flag_facts(kt.LCMAP_FLAGS_DEFAULT)
    assert kt._simple_units("Hello World 42", *facts) is not None
    assert kt._simple_units("co-op", *facts) is None  # hyphen: a special weight
    # pinned bytes of the ASCII block (Windows 10 weights: 'a' 0E02, 'B' 0E09 upper case)
    assert kt.sort_key(_utf16("aB")) == bytes.fromhex("0e020e09" "01" "01" "0101" "00")
    assert kt.sort_key(_utf16("aB"), kt.check_lcmap_flags(0)) == bytes.fromhex(
        "0e020e09" "01" "01" "0212" "0101" "00")


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.sets(st.sampled_from(_FLAG_BITS)), st.booleans(),
       st.sampled_from([0, kt.LCMAP_UPPERCASE]))
def test_bound_sort_key_matches_sort_key(text: str, bits: set[int], odd: bool,
                                         upper: int) -> None:
    """``sort_key_function(flags)`` (what an index's key normalizer holds) gives
    ``sort_key``'s bytes, an odd trailing byte dropped as there, upper-case keys too."""
    flags = kt.check_lcmap_flags(upper or sum(bits))
    data = _utf16(text) + (b"\x41" if odd else b"")
    bound = kt.sort_key_function(flags)
    assert bound(data) == kt.sort_key(data, flags)
    assert bound(data) == kt.sort_key_reference(data, flags)
