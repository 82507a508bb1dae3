"""Unicode (code page 1200) text normalization: a stand-in for Windows' ``LCMapStringEx``.

ESE keys a Unicode text column by the Windows sort key of the value (``norm.cxx``
ErrNORMMapString calls ``LCMapStringEx(locale, flags | LCMAP_SORTKEY, ...)``). Windows'
sorting tables are not available off Windows, so this module builds keys with the *same
structure* and reproduces Windows' bytes exactly where we can:

Layout of a sort key (what Windows emits, and what we emit)::

    primary weights  01  diacritic weights  01  case weights  01  extra  01  special  00

* Every weight byte is >= 0x02, so 0x01 separates sections and 0x00 terminates the key;
  byte-wise comparison of two keys compares primaries first, then diacritics, then case.
* Trailing diacritic and case weights equal to 0x02 (the "plain" weight) are dropped.

Exact (byte-identical to Windows 10, en-US) for text made of U+0000..U+007F: the primary
weights come from Microsoft's published *Windows 10 Sorting Weight Table* for that block
(letters script 0x0E, digits 0x0D, symbols 0x07/0x08, "punctuation" 0x06); lower and upper
case share the primary weight and differ in the case weight (0x02 vs 0x12).

Synthetic (well-defined, *not* Windows' bytes) for everything else:

* A character is NFKD-decomposed. Combining marks add to the diacritic weight of the
  preceding character (so ``"é"`` and ``"e\\u0301"`` give the same key); each base
  character that decomposes to ASCII takes the Windows weight of that ASCII character,
  so ``"É"`` sorts with ``"E"`` and ``"ﬁ"`` expands to ``"fi"``.
* Other decimal digits take the weight of the ASCII digit of the same value.
* Other symbols/punctuation/separators get a 3-byte primary in scripts 0x09..0x0C (after
  ASCII symbols, before digits); other characters a 3-byte primary in script 0x0F and up
  (after Latin), ordered by code point of the case-folded character; a supplementary
  character gets two 2-byte weights (one per UTF-16 code unit, as Windows does).
* Katakana is folded onto hiragana with the katakana case bit (0x20); ``<wide>`` forms
  carry the width bit (0x01), ``<super>``/``<sub>`` forms 0x08, upper case 0x10.
* Control, format, unassigned and lone-surrogate code points are ignored, as is U+0000.
* Word sort (the default, no SORT_STRINGSORT): the ASCII "punctuation" class (hyphen,
  apostrophe, controls) is left out of the primary weights and recorded in the special
  section as (position, script, weight); with SORT_STRINGSORT it is weighted as a symbol.

Flags: NORM_IGNORECASE / LINGUISTIC_IGNORECASE clear the upper and sub/superscript case
bits, NORM_IGNOREWIDTH the width bit, NORM_IGNOREKANATYPE the katakana bit;
NORM_IGNORENONSPACE / LINGUISTIC_IGNOREDIACRITIC drop the diacritic section;
NORM_IGNORESYMBOLS drops symbols and punctuation; LCMAP_BYTEREV swaps each byte pair.
SORT_DIGITSASNUMBERS and NORM_LINGUISTIC_CASING are accepted and have no effect. The
locale name is accepted and ignored (no locale-specific tailoring).

The invariant callers can rely on: for fixed flags, ``sort_key(a) < sort_key(b)`` defines
a total preorder of strings that is case-insensitive under NORM_IGNORECASE, so ``"abc"``
and ``"ABC"`` produce the same key.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

NORM_IGNORECASE = 0x00000001
NORM_IGNORENONSPACE = 0x00000002
NORM_IGNORESYMBOLS = 0x00000004
SORT_DIGITSASNUMBERS = 0x00000008
LINGUISTIC_IGNORECASE = 0x00000010
LINGUISTIC_IGNOREDIACRITIC = 0x00000020
LCMAP_UPPERCASE = 0x00000200
LCMAP_SORTKEY = 0x00000400
LCMAP_BYTEREV = 0x00000800
SORT_STRINGSORT = 0x00001000
NORM_IGNOREKANATYPE = 0x00010000
NORM_IGNOREWIDTH = 0x00020000
NORM_LINGUISTIC_CASING = 0x08000000

LCMAP_FLAGS_DEFAULT = LCMAP_SORTKEY | NORM_IGNORECASE | NORM_IGNOREKANATYPE | NORM_IGNOREWIDTH
"""ESE's dwLCMapFlagsDefault (``norm.cxx``): 0x00030401."""

LOCALE_NAME_DEFAULT = "en-US"

_VALID_SORTKEY_FLAGS = (
    LCMAP_BYTEREV
    | NORM_IGNORECASE
    | NORM_IGNORENONSPACE
    | NORM_IGNORESYMBOLS
    | LINGUISTIC_IGNORECASE
    | LINGUISTIC_IGNOREDIACRITIC
    | SORT_DIGITSASNUMBERS
    | NORM_IGNOREKANATYPE
    | NORM_IGNOREWIDTH
    | NORM_LINGUISTIC_CASING
    | SORT_STRINGSORT
)


def check_lcmap_flags(flags: int, *, uppercase_allowed: bool = True) -> int:
    """Validate index LCMapString flags as ESE's ErrNORMCheckLCMapFlags; return them.

    LCMAP_SORTKEY is forced on unless the flags are exactly LCMAP_UPPERCASE (allowed only
    when the database format supports uppercase text normalization). Anything else outside
    the allowed set raises JET_errInvalidLCMapStringFlags.
    """
    if flags != LCMAP_UPPERCASE:
        flags |= LCMAP_SORTKEY
    if (flags & ~_VALID_SORTKEY_FLAGS) == LCMAP_SORTKEY:
        return flags
    if flags == LCMAP_UPPERCASE and uppercase_allowed:
        return flags
    raise_error(C.JET_errInvalidLCMapStringFlags, f"LCMapString flags 0x{flags:08X}")


# (script member, primary weight) of U+0000..U+007F, from Microsoft's published
# "Windows 10 Sorting Weight Table". Script 0 is unsortable (U+0000 is ignored).
_ASCII_PRIMARY = bytes.fromhex(
    "0000 0603 0604 0605 0606 0607 0608 0609 060a 0705 0706 0707 0708 0709 060b 060c"
    "060d 060e 060f 0610 0611 0612 0613 0614 0615 0616 0617 0618 0619 061a 061b 061c"
    "0702 071c 071d 071f 0721 0723 0725 0680 0727 072a 072d 0803 072f 0682 0733 0735"
    "0d03 0d1a 0d1c 0d1e 0d20 0d22 0d24 0d26 0d28 0d2a 0737 073a 080e 0812 0814 073c"
    "073e 0e02 0e09 0e0a 0e1a 0e21 0e23 0e25 0e2c 0e32 0e35 0e36 0e48 0e51 0e70 0e7c"
    "0e7e 0e89 0e8a 0e91 0e99 0e9f 0ea2 0ea4 0ea6 0ea7 0ea9 073f 0741 0742 0743 0744"
    "0748 0e02 0e09 0e0a 0e1a 0e21 0e23 0e25 0e2c 0e32 0e35 0e36 0e48 0e51 0e70 0e7c"
    "0e7e 0e89 0e8a 0e91 0e99 0e9f 0ea2 0ea4 0ea6 0ea7 0ea9 074a 074c 074e 0750 061d"
)
_SCRIPT_PUNCTUATION = 0x06
_SCRIPT_SYMBOL_FIRST, _SCRIPT_SYMBOL_LAST = 0x07, 0x0C

_CASE_PLAIN = 0x02
_CASE_WIDTH = 0x01
_CASE_SUBSCRIPT = 0x08
_CASE_UPPER = 0x10
_CASE_KATAKANA = 0x20

# kinds of a weighted unit
_ALNUM, _SYMBOL, _PUNCT = 0, 1, 2

_Unit = tuple[int, bytes, int, int]
"""(kind, primary bytes, diacritic weight, case weight) of one sortable element."""
_Mapping = tuple[tuple[_Unit, ...], int]
"""(units, diacritic to add to the previous unit) for one code point."""


def _ascii_unit(cp: int, case_bits: int) -> _Unit | None:
    script, weight = _ASCII_PRIMARY[2 * cp], _ASCII_PRIMARY[2 * cp + 1]
    if script == 0:
        return None
    kind = _ALNUM
    if script == _SCRIPT_PUNCTUATION:
        kind = _PUNCT
    elif _SCRIPT_SYMBOL_FIRST <= script <= _SCRIPT_SYMBOL_LAST:
        kind = _SYMBOL
    case = _CASE_PLAIN | case_bits | (_CASE_UPPER if 0x41 <= cp <= 0x5A else 0)
    return (kind, bytes((script, weight)), _CASE_PLAIN, case)


def _mark_weight(cp: int) -> int:
    if 0x300 <= cp <= 0x36F:
        return 3 + (cp - 0x300)
    return 0x73 + (cp % 0x40)


def _wide_bits(ch: str) -> int:
    tag = unicodedata.decomposition(ch)
    if tag.startswith("<wide>") or tag.startswith("<narrow>"):
        return _CASE_WIDTH if tag.startswith("<wide>") else 0
    if tag.startswith("<super>") or tag.startswith("<sub>"):
        return _CASE_SUBSCRIPT
    return 0


@lru_cache(maxsize=65536)
def _map_code_point(cp: int) -> _Mapping:
    """The sortable units one code point contributes (cached; pure)."""
    if cp < 0x80:
        unit = _ascii_unit(cp, 0)
        return ((unit,) if unit else (), 0)
    ch = chr(cp)
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Cn", "Cs", "Co") and not 0xE000 <= cp <= 0xF8FF:
        return ((), 0)
    if category in ("Mn", "Me", "Mc") or unicodedata.combining(ch):
        return ((), _mark_weight(cp))
    case_bits = _wide_bits(ch)
    katakana = 0x30A1 <= cp <= 0x30F6
    if katakana:
        ch = chr(cp - 0x60)
        case_bits |= _CASE_KATAKANA
    units: list[_Unit] = []
    carry = 0
    for x in unicodedata.normalize("NFKD", ch):
        xcp = ord(x)
        if unicodedata.combining(x) or unicodedata.category(x) in ("Mn", "Me"):
            mark = _mark_weight(xcp)
            if units:
                kind, primary, diacritic, case = units[-1]
                units[-1] = (kind, primary, min(0xFF, diacritic + mark), case)
            else:
                carry += mark
            continue
        if xcp < 0x80:
            unit = _ascii_unit(xcp, case_bits)
            if unit:
                units.append(unit)
            continue
        xcat = unicodedata.category(x)
        if xcat in ("Cc", "Cf", "Cn", "Cs"):
            continue
        if xcat == "Nd":
            unit = _ascii_unit(0x30 + unicodedata.digit(x), case_bits)
            assert unit is not None
            units.append(unit)
            continue
        lower, folded = x.lower(), x.casefold()
        upper_bit = _CASE_UPPER if lower != x else 0
        lcp = ord(folded) if len(folded) == 1 else ord(lower) if len(lower) == 1 else xcp
        case = _CASE_PLAIN | case_bits | upper_bit
        if xcat[0] in "PSZ" and lcp < 0x10000:
            primary = bytes((0x09 + (lcp >> 14), 2 + ((lcp >> 7) & 0x7F), 2 + (lcp & 0x7F)))
            units.append((_SYMBOL, primary, _CASE_PLAIN, case))
        elif lcp < 0x10000:
            primary = bytes((0x0F + (lcp >> 14), 2 + ((lcp >> 7) & 0x7F), 2 + (lcp & 0x7F)))
            units.append((_ALNUM, primary, _CASE_PLAIN, case))
        else:
            # two weights, one per UTF-16 code unit, as Windows weighs surrogate pairs
            sup = lcp - 0x10000
            units.append((_ALNUM, bytes((0x13 + (sup >> 18), 2 + ((sup >> 12) & 0x3F))),
                          _CASE_PLAIN, case))
            units.append((_ALNUM, bytes((2 + ((sup >> 6) & 0x3F), 2 + (sup & 0x3F))),
                          _CASE_PLAIN, case))
    return (tuple(units), carry)


def _trim_plain(weights: bytes | bytearray) -> bytes:
    end = len(weights)
    while end and weights[end - 1] == _CASE_PLAIN:
        end -= 1
    return bytes(weights[:end])


def _weigh(text: str, ignore_symbols: bool, string_sort: bool,
           case_mask: int) -> tuple[bytearray, bytearray, bytearray, bytearray]:
    """The general path: the primary, diacritic, case and special weights of ``text``."""
    primary = bytearray()
    diacritics = bytearray()
    cases = bytearray()
    special = bytearray()
    position = 0
    for cp in map(ord, text):
        units, carry = _map_code_point(cp)
        if carry and diacritics:
            diacritics[-1] = min(0xFF, diacritics[-1] + carry)
        for kind, weights, diacritic, case in units:
            if kind != _ALNUM and ignore_symbols:
                continue
            if kind == _PUNCT and not string_sort:
                special += bytes((2 + position // 250, 2 + position % 250)) + weights
                continue
            primary += weights
            diacritics.append(diacritic)
            cases.append(case & case_mask)
            position += 1
    return primary, diacritics, cases, special


# Precomputed per-character weights for the common case. A *simple* character maps to
# exactly one unit, carries no diacritic onto the previous one, and under the given flags
# is neither ignored nor a special (punctuation) weight: its primary weight, diacritic and
# masked case byte can be joined without the per-unit loop above. Per flag combination the
# weights live in ``str.translate`` tables (code point -> latin-1 string of the weight
# bytes), so a whole string is weighed by three C-level translations instead of a Python
# loop per character. The tables start with every simple ASCII character and grow lazily
# (bounded by the code points seen); ``rejected`` remembers the non-simple ones.
_SimpleEntry = tuple[bytes, int, int] | None


class _SimpleTables:
    """The translate tables of one flag combination (see above)."""

    __slots__ = ("primary", "diacritic", "case", "known", "plain", "rejected",
                 "ignore_symbols", "string_sort", "case_mask")

    def __init__(self, ignore_symbols: bool, string_sort: bool, case_mask: int) -> None:
        self.ignore_symbols = ignore_symbols
        self.string_sort = string_sort
        self.case_mask = case_mask
        self.primary: dict[int, str] = {}
        self.diacritic: dict[int, str] = {}
        self.case: dict[int, str] = {}
        self.known: dict[int, None] = {}
        """Simple code points mapped to None: translating by it deletes them."""
        self.plain: dict[int, None] = {}
        """The simple code points with no diacritic and no case weight (both 2, which
        the sort key's trailing trim drops): a text of only these has empty diacritic
        and case sections."""
        self.rejected: set[int] = set()
        for cp in range(0x80):
            self.learn(cp)

    def learn(self, cp: int) -> bool:
        """Add code point ``cp`` to the tables; False (and remembered) if it is not simple."""
        if cp in self.known:
            return True
        if cp in self.rejected:
            return False
        e = _simple_entry(chr(cp), self.ignore_symbols, self.string_sort, self.case_mask)
        if e is None:
            self.rejected.add(cp)
            return False
        weights, diacritic, case = e
        self.primary[cp] = weights.decode("latin-1")
        self.diacritic[cp] = chr(diacritic)
        self.case[cp] = chr(case)
        self.known[cp] = None
        if diacritic == 2 and case == 2:
            self.plain[cp] = None
        return True


_SIMPLE: dict[tuple[bool, bool, int], _SimpleTables] = {}


def _simple_entry(ch: str, ignore_symbols: bool, string_sort: bool,
                  case_mask: int) -> _SimpleEntry:
    units, carry = _map_code_point(ord(ch))
    if carry or len(units) != 1:
        return None
    kind, weights, diacritic, case = units[0]
    if (kind != _ALNUM and ignore_symbols) or (kind == _PUNCT and not string_sort):
        return None
    return (weights, diacritic, case & case_mask)


def _tables(ignore_symbols: bool, string_sort: bool, case_mask: int) -> _SimpleTables:
    flags = (ignore_symbols, string_sort, case_mask)
    tables = _SIMPLE.get(flags)
    if tables is None:
        tables = _SIMPLE.setdefault(flags, _SimpleTables(ignore_symbols, string_sort,
                                                         case_mask))
    return tables


def _simple_units(text: str, ignore_symbols: bool, string_sort: bool,
                  case_mask: int) -> tuple[bytes, bytes, bytes] | None:
    """(primary, diacritics, cases) of ``text`` when every character is simple (same bytes
    as :func:`_weigh` with no special weights), else None."""
    tables = _tables(ignore_symbols, string_sort, case_mask)
    rest = text.translate(tables.known)
    if rest:
        for ch in set(rest):
            if not tables.learn(ord(ch)):
                return None
    return (text.translate(tables.primary).encode("latin-1"),
            text.translate(tables.diacritic).encode("latin-1"),
            text.translate(tables.case).encode("latin-1"))


def sort_key(data: bytes, flags: int = LCMAP_FLAGS_DEFAULT, locale: str = "") -> bytes:
    """The sort key of UTF-16LE ``data`` (what ``LCMapStringEx(LCMAP_SORTKEY)`` returns).

    ``flags`` must already have passed :func:`check_lcmap_flags`. The result always ends in
    the 0x00 terminator. With flags exactly LCMAP_UPPERCASE the result is instead the
    upper-cased UTF-16 code units written big-endian (no terminator; ESE adds it).
    """
    text = data[: len(data) & ~1].decode("utf-16-le", errors="surrogatepass")
    if flags == LCMAP_UPPERCASE:
        return text.upper().encode("utf-16-be", errors="surrogatepass")
    ignore_symbols, string_sort, case_mask = _flag_facts(flags)
    tables = _tables(ignore_symbols, string_sort, case_mask)
    if not text.translate(tables.plain):
        # every character simple, none with a diacritic or case weight: the sections
        # after the primary weights are empty (the join below with both trimmed away)
        key = text.translate(tables.primary).encode("latin-1") + b"\x01\x01\x01\x01\x00"
        return _byterev(key) if flags & LCMAP_BYTEREV else key
    fast = _simple_units(text, ignore_symbols, string_sort, case_mask)
    if fast is not None:
        primary, diacritics, cases = fast
        if flags & (NORM_IGNORENONSPACE | LINGUISTIC_IGNOREDIACRITIC):
            diacritics = b""
        key = b"".join((primary, b"\x01", diacritics.rstrip(b"\x02"), b"\x01",
                        cases.rstrip(b"\x02"), b"\x01\x01\x00"))
        return _byterev(key) if flags & LCMAP_BYTEREV else key
    return _assemble(flags, *_weigh(text, ignore_symbols, string_sort, case_mask))


def sort_key_function(flags: int) -> Callable[[bytes], bytes]:
    """:func:`sort_key` with ``flags`` bound (same bytes): the flag facts and translate
    tables looked up once, for a caller that keys many values with the same flags (an
    index's key normalizer). ``flags`` must already have passed
    :func:`check_lcmap_flags`."""
    if flags == LCMAP_UPPERCASE:
        def upper_key(data: bytes) -> bytes:
            return sort_key(data, flags)
        return upper_key
    ignore_symbols, string_sort, case_mask = _flag_facts(flags)
    tables = _tables(ignore_symbols, string_sort, case_mask)
    plain = tables.plain  # the tables only grow: these stay the ones sort_key uses
    primary = tables.primary
    byterev = bool(flags & LCMAP_BYTEREV)

    def key_of(data: bytes) -> bytes:
        if len(data) & 1:
            data = data[:-1]
        text = data.decode("utf-16-le", errors="surrogatepass")
        if not text.translate(plain):
            key = text.translate(primary).encode("latin-1") + b"\x01\x01\x01\x01\x00"
            return _byterev(key) if byterev else key
        return sort_key(data, flags)

    return key_of


def _assemble(flags: int, primary: bytearray, diacritics: bytearray, cases: bytearray,
              special: bytearray) -> bytes:
    """Join the sections of a sort key (the general path's layout, see the module doc)."""
    key = bytearray(primary)
    key.append(1)
    if not flags & (NORM_IGNORENONSPACE | LINGUISTIC_IGNOREDIACRITIC):
        key += _trim_plain(diacritics)
    key.append(1)
    key += _trim_plain(cases)
    key += b"\x01\x01"
    key += special
    key.append(0)
    return _byterev(bytes(key)) if flags & LCMAP_BYTEREV else bytes(key)


def _byterev(key: bytes) -> bytes:
    """LCMAP_BYTEREV: swap each byte pair (an odd last byte stays)."""
    swapped = bytearray(key)
    even = len(key) & ~1
    swapped[0:even:2] = key[1:even:2]
    swapped[1:even:2] = key[0:even:2]
    return bytes(swapped)


def sort_key_reference(data: bytes, flags: int = LCMAP_FLAGS_DEFAULT) -> bytes:
    """:func:`sort_key` by the general per-unit path only (no translate tables): the
    reference the fast path is tested against."""
    text = data[: len(data) & ~1].decode("utf-16-le", errors="surrogatepass")
    if flags == LCMAP_UPPERCASE:
        return text.upper().encode("utf-16-be", errors="surrogatepass")
    ignore_symbols, string_sort, case_mask = _flag_facts(flags)
    return _assemble(flags, *_weigh(text, ignore_symbols, string_sort, case_mask))


_FLAG_FACTS: dict[int, tuple[bool, bool, int]] = {}


def _flag_facts(flags: int) -> tuple[bool, bool, int]:
    """(ignore symbols, string sort, case mask) of LCMapString ``flags`` (cached)."""
    facts = _FLAG_FACTS.get(flags)
    if facts is None:
        facts = _FLAG_FACTS[flags] = _compute_flag_facts(flags)
    return facts


def _compute_flag_facts(flags: int) -> tuple[bool, bool, int]:
    case_mask = 0xFF
    if flags & (NORM_IGNORECASE | LINGUISTIC_IGNORECASE):
        case_mask &= ~(_CASE_UPPER | _CASE_SUBSCRIPT)
    if flags & NORM_IGNOREWIDTH:
        case_mask &= ~_CASE_WIDTH
    if flags & NORM_IGNOREKANATYPE:
        case_mask &= ~_CASE_KATAKANA
    return bool(flags & NORM_IGNORESYMBOLS), bool(flags & SORT_STRINGSORT), case_mask
