"""Unicode sort keys (keys_text) and LCMap flag checks (ESE norm.cxx ErrNORMCheckLCMapFlags)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyese.engine.records import keys_text as T
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError


def sk(s: str, flags: int = T.LCMAP_FLAGS_DEFAULT) -> bytes:
    return T.sort_key(s.encode("utf-16-le"), flags)


def test_structure_of_a() -> None:
    assert sk("a") == bytes.fromhex("0e020101010100")
    assert sk("") == b"\x01\x01\x01\x01\x00"
    assert sk("a\x00b") == sk("ab")  # NUL is unsortable


def test_case_weights_without_ignorecase() -> None:
    flags = T.LCMAP_SORTKEY
    assert sk("A", flags) == bytes.fromhex("0e020101120101" + "00")
    assert sk("a", flags) < sk("A", flags) < sk("b", flags)


def test_diacritics_after_primary() -> None:
    assert sk("e") < sk("\u00e9") < sk("f")
    assert sk("\u00e9") == sk("e\u0301")  # canonical equivalence
    assert sk("\u00e9", T.LCMAP_SORTKEY | T.NORM_IGNORENONSPACE) == sk("e")


def test_word_sort_hyphen_and_string_sort() -> None:
    assert sk("coop")[:8] == sk("co-op")[:8]  # hyphen not in the primary weights
    assert sk("co-op") != sk("coop")
    ss = T.LCMAP_SORTKEY | T.SORT_STRINGSORT
    assert sk("co-op", ss)[:6] == bytes.fromhex("0e0a0e7c0682")


def test_ignore_symbols_and_width_and_kana() -> None:
    assert sk("a b", T.LCMAP_FLAGS_DEFAULT | T.NORM_IGNORESYMBOLS) == sk("ab")
    assert sk("\uff21") == sk("a")  # fullwidth A, IGNOREWIDTH | IGNORECASE
    assert sk("\u30a2") == sk("\u3042")  # katakana A == hiragana A under IGNOREKANATYPE
    assert sk("\u30a2", T.LCMAP_SORTKEY) != sk("\u3042", T.LCMAP_SORTKEY)


def test_uppercase_mode() -> None:
    assert T.sort_key("ab".encode("utf-16-le"), T.LCMAP_UPPERCASE) == "AB".encode("utf-16-be")


def test_byterev() -> None:
    plain = sk("ab")
    rev = sk("ab", T.LCMAP_FLAGS_DEFAULT | T.LCMAP_BYTEREV)
    assert rev[0:2] == plain[1::-1] and len(rev) == len(plain)


@pytest.mark.parametrize(
    "flags",
    [0x00030401, T.NORM_IGNORECASE, T.SORT_STRINGSORT | T.LCMAP_BYTEREV, T.LCMAP_UPPERCASE],
)
def test_valid_flags(flags: int) -> None:
    out = T.check_lcmap_flags(flags)
    assert out & T.LCMAP_SORTKEY or out == T.LCMAP_UPPERCASE


@pytest.mark.parametrize("flags", [0x100, T.LCMAP_UPPERCASE | T.NORM_IGNORECASE, 0x00400000])
def test_invalid_flags(flags: int) -> None:
    with pytest.raises(JetError) as exc:
        T.check_lcmap_flags(flags)
    assert exc.value.err == C.JET_errInvalidLCMapStringFlags
    with pytest.raises(JetError):
        T.check_lcmap_flags(T.LCMAP_UPPERCASE, uppercase_allowed=False)


_letters = st.text(st.characters(categories=("Lu", "Ll", "Nd", "Zs")), max_size=12)


@given(_letters, _letters)
def test_case_insensitive_by_default(a: str, b: str) -> None:
    if a.lower() == b.lower() and all(ord(c) < 0x80 for c in a + b):
        assert sk(a) == sk(b)
    if a.upper().lower() == a.lower():
        assert sk(a) == sk(a.upper())


@given(_letters, _letters, _letters)
def test_keys_are_a_total_preorder_with_prefix_rule(a: str, b: str, c: str) -> None:
    ka, kb = sk(a), sk(b)
    assert ka.endswith(b"\x00") and ka.count(0) == 1
    # comparing keys only depends on the keys: consistent with concatenation at primary level
    if ka < kb:
        assert not kb < ka


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", max_size=20),
       st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", max_size=20))
def test_ascii_letters_order_like_windows(a: str, b: str) -> None:
    # primary order of Windows weights: space < letters; letters alphabetical
    if a != b:
        def rank(s: str) -> list[int]:
            return [0 if ch == " " else ord(ch) for ch in s]

        assert (sk(a) < sk(b)) == (rank(a) < rank(b))


def test_nfkd_expansion() -> None:
    assert sk("\ufb01") == sk("fi")  # ligature, compatibility decomposition
    assert unicodedata.normalize("NFKD", "\ufb01") == "fi"


_FLAG_CHOICES = [T.LCMAP_SORTKEY | f for f in (
    0, T.NORM_IGNORECASE, T.NORM_IGNORESYMBOLS, T.SORT_STRINGSORT,
    T.NORM_IGNORECASE | T.NORM_IGNORENONSPACE | T.NORM_IGNOREKANATYPE | T.NORM_IGNOREWIDTH)]


@given(st.text(min_size=0, max_size=12), st.sampled_from(_FLAG_CHOICES))
def test_precomputed_character_table_gives_the_general_paths_weights(text, flags):
    # sort_key's fast path (per-character weights precomputed per flag set) must give the
    # same bytes as the general per-unit loop whenever it applies
    ignore_symbols = bool(flags & T.NORM_IGNORESYMBOLS)
    string_sort = bool(flags & T.SORT_STRINGSORT)
    mask = 0xFF
    if flags & T.NORM_IGNORECASE:
        mask &= ~(T._CASE_UPPER | T._CASE_SUBSCRIPT)
    if flags & T.NORM_IGNOREWIDTH:
        mask &= ~T._CASE_WIDTH
    if flags & T.NORM_IGNOREKANATYPE:
        mask &= ~T._CASE_KATAKANA
    fast = T._simple_units(text, ignore_symbols, string_sort, mask)
    primary, diacritics, cases, special = T._weigh(text, ignore_symbols, string_sort, mask)
    if fast is not None:
        assert fast == (bytes(primary), bytes(diacritics), bytes(cases))
        assert special == b""


def test_fast_path_covers_plain_names_and_falls_back_for_punctuation():
    assert T._simple_units("n00001234", False, False, 0xFF) is not None
    assert T._simple_units("co-op", False, False, 0xFF) is None  # '-' is a special weight
