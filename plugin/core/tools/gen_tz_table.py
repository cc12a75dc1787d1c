#!/usr/bin/env python3
"""Generates plugin/core/src/tz_table.rs: the recipient's time zones by phone number prefix.

Uses the Python port of libphonenumber, pinned like gen_phone_table.py: phonenumbers==9.0.43
(Python 3.11 or later), and the system's tzdata (/usr/share/zoneinfo, TZif version 2 or later).

    pip install phonenumbers==9.0.43
    python3 plugin/core/tools/gen_tz_table.py            # rewrites tz_table.rs

The table holds:

* for each NANP (+1) area code, the union of the zones libphonenumber's prefix → time zone map
  (`phonenumbers.tzdata.TIMEZONE_DATA`, what `phonenumbers.timezone.time_zones_for_number`
  reads) gives for every prefix under it. A few area codes are split finer than that in the data
  (208 and 928 down to 7 digits); the union keeps every zone, and compliance.rs applies the
  strictest. The bare "+1" entry (every NANP zone at once) is left out: an area code the data
  doesn't know (555, the toll-free 8XX codes) has no zone;
* for every other country calling code, the union of the zones over all its prefixes;
* in each code's list, the zone most of its prefixes name comes first (Europe/London for +44,
  not Europe/Guernsey), then the rest by name: compliance.rs names the first of equally
  strict zones;
* for every zone named, its current rules as a POSIX TZ string: the footer (last line) of
  /usr/share/zoneinfo/<zone>. The script checks, hour by hour over three years from
  CHECK_FROM, that the footer alone gives the same UTC offsets as the whole file (explicit
  transitions included), so a zone whose footer isn't its current rule (Morocco's Ramadan
  changes, say) is caught; it fails if one disagrees.

"Etc/Unknown" (libphonenumber's "no zone") is dropped; codes left with no zone are not listed
(the non-geographic codes: +800, +808, +870, +878, +881, +882, +883, +888, +979).

The zone names, the rules and the zone sets are each interned once; the area code and country
rows are sorted, for binary search, and point at a zone set.
"""

import datetime as dt
import io
import struct
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE
from phonenumbers.tzdata import TIMEZONE_DATA

PINNED_VERSION = "9.0.43"
ZONEINFO = Path("/usr/share/zoneinfo")
UNKNOWN = "Etc/Unknown"
CHECK_FROM = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
CHECK_YEARS = 3

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "plugin" / "core" / "src" / "tz_table.rs"


def country_code(prefix):
    """The country calling code `prefix` starts with (calling codes are prefix-free)."""
    for n in (1, 2, 3):
        if int(prefix[:n]) in COUNTRY_CODE_TO_REGION_CODE:
            return int(prefix[:n])
    raise ValueError(f"no country calling code starts {prefix}")


def zone_sets():
    """({area code: zones}, {country code: zones}) from libphonenumber's prefix data, each
    code's zones as a tuple, the zone most of its prefixes name first (then by name)."""
    nanp = {}
    countries = {}
    for prefix, zones in TIMEZONE_DATA.items():
        code = country_code(prefix)
        if code == 1:
            if prefix == "1":
                continue
            assert len(prefix) >= 4, prefix
            counts = nanp.setdefault(int(prefix[1:4]), Counter())
        else:
            counts = countries.setdefault(code, Counter())
        counts.update(set(zones) - {UNKNOWN})

    def ordered(counts):
        return tuple(sorted(counts, key=lambda z: (-counts[z], z)))

    nanp = {k: ordered(v) for k, v in nanp.items() if v}
    countries = {k: ordered(v) for k, v in countries.items() if v}
    return nanp, countries


def tzdata_version():
    first = (ZONEINFO / "tzdata.zi").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# version "), first
    version = first.removeprefix("# version ").strip()
    try:
        deb = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "tzdata"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (FileNotFoundError, subprocess.CalledProcessError):
        deb = None
    return version, deb


def footer(zone):
    """The POSIX TZ string at the end of a TZif v2+ file."""
    data = (ZONEINFO / zone).read_bytes()
    if data[:4] != b"TZif" or data[4:5] not in (b"2", b"3", b"4"):
        sys.exit(f"{zone}: not a TZif file of version 2 or later")
    if not data.endswith(b"\n"):
        sys.exit(f"{zone}: no footer")
    posix = data[:-1].rsplit(b"\n", 1)[1].decode("ascii")
    if not posix:
        sys.exit(f"{zone}: empty footer (no rule for times after its last transition)")
    return posix


def footer_only_tzif(posix):
    """A TZif v2 file with no transitions, only the footer: zoneinfo then applies the rule."""
    block = struct.pack(">4s16s6l", b"TZif", b"2", 0, 0, 0, 0, 1, 4)
    block += struct.pack(">lBB", 0, 0, 0) + b"UTC\0"
    return block + block + b"\n" + posix.encode("ascii") + b"\n"


def footer_disagrees(zone, posix):
    """The first hour from CHECK_FROM at which the footer alone and the whole file differ."""
    real = ZoneInfo(zone)
    rule = ZoneInfo.from_file(io.BytesIO(footer_only_tzif(posix)))
    for hour in range(0, 24 * 366 * CHECK_YEARS):
        t = CHECK_FROM + dt.timedelta(hours=hour)
        if t.astimezone(real).utcoffset() != t.astimezone(rule).utcoffset():
            return t
    return None


def rust_str(s):
    assert '"' not in s and "\\" not in s, s
    return f'"{s}"'


def render(nanp, countries, zones, rules, rule_of, sets, set_of, tz_version, deb_version):
    rule_index = {r: i for i, r in enumerate(rules)}
    tzdata = f"tzdata {tz_version}" + (f" (Debian package {deb_version})" if deb_version else "")
    out = [
        "//! Time zones by phone number prefix, with each zone's current rules.",
        "//!",
        f"//! @generated by plugin/core/tools/gen_tz_table.py from phonenumbers {PINNED_VERSION}",
        "//! (libphonenumber's prefix → time zone map) and the system's time zone database,",
        f"//! {tzdata}: each zone's rules are the POSIX TZ",
        "//! string that ends its /usr/share/zoneinfo file. Do not edit by hand. To regenerate:",
        f"//! `pip install phonenumbers=={PINNED_VERSION}` and",
        "//! `python3 plugin/core/tools/gen_tz_table.py`; the script's docstring says how each",
        "//! table is derived. A newer tzdata changes RULES only where a zone's rules changed.",
        f"//! {len(nanp)} NANP area codes, {len(countries)} other calling codes, {len(zones)} zones,",
        f"//! {len(rules)} distinct rules, {len(sets)} distinct zone sets.",
        "",
        "/// The POSIX TZ strings the zones use, each once.",
        "#[rustfmt::skip]",
        f"pub(super) const RULES: [&str; {len(rules)}] = [",
    ]
    out += [f"    {rust_str(r)}," for r in rules]
    out += [
        "];",
        "",
        "/// Every zone named below, sorted by name: the IANA name and its rules (an index into",
        "/// [`RULES`]).",
        "#[rustfmt::skip]",
        f"pub(super) const ZONES: [(&str, u8); {len(zones)}] = [",
    ]
    out += [f"    ({rust_str(z)}, {rule_index[rule_of[z]]})," for z in zones]
    out += [
        "];",
        "",
        "/// The distinct sets of zones, each a list of indices into [`ZONES`], the zone that",
        "/// most of the code's prefixes name first (then by name).",
        "#[rustfmt::skip]",
        f"pub(super) const ZONE_SETS: [&[u16]; {len(sets)}] = [",
    ]
    for s in sets:
        names = ", ".join(zones[i] for i in s)
        entry = f"    &[{', '.join(str(i) for i in s)}],"
        if len(entry) + 4 + len(names) <= 100:
            out.append(f"{entry} // {names}")
        else:
            out += ["    // " + line for line in textwrap.wrap(names, 93)]
            out.append(entry)
    out += [
        "];",
        "",
        "/// NANP (+1) area codes, sorted: the area code and its zones (an index into",
        "/// [`ZONE_SETS`]).",
        "#[rustfmt::skip]",
        f"pub(super) const NANP: [(u16, u8); {len(nanp)}] = [",
    ]
    out += [f"    ({ac}, {set_of[nanp[ac]]})," for ac in sorted(nanp)]
    out += [
        "];",
        "",
        "/// Country calling codes other than 1, sorted: the code and its zones (an index into",
        "/// [`ZONE_SETS`]).",
        "#[rustfmt::skip]",
        f"pub(super) const COUNTRIES: [(u16, u8); {len(countries)}] = [",
    ]
    out += [f"    ({cc}, {set_of[countries[cc]]})," for cc in sorted(countries)]
    out += ["];", ""]
    # Zone indices must fit u16 and set/rule indices u8 (the Rust types above).
    assert len(zones) <= 0xFFFF and len(rules) <= 0xFF and len(sets) <= 0xFF
    return "\n".join(out)


def generate():
    if phonenumbers.__version__ != PINNED_VERSION:
        sys.exit(
            f"phonenumbers {phonenumbers.__version__} is installed; this script pins "
            f"{PINNED_VERSION}. Install it, or update PINNED_VERSION and the docstring."
        )
    nanp, countries = zone_sets()
    zones = sorted(set().union(*nanp.values(), *countries.values()))
    rule_of = {z: footer(z) for z in zones}
    bad = [(z, t) for z in zones if (t := footer_disagrees(z, rule_of[z])) is not None]
    if bad:
        for z, t in bad:
            print(f"{z}: footer {rule_of[z]!r} disagrees with the file at {t}", file=sys.stderr)
        sys.exit("some zones' footers are not their current rules; see above")
    rules = sorted(set(rule_of.values()))
    zone_index = {z: i for i, z in enumerate(zones)}
    distinct = set(nanp.values()) | set(countries.values())
    sets = sorted([zone_index[z] for z in s] for s in distinct)
    set_of = {tuple(zones[i] for i in s): n for n, s in enumerate(sets)}
    tz_version, deb_version = tzdata_version()
    OUT.write_text(
        render(nanp, countries, zones, rules, rule_of, sets, set_of, tz_version, deb_version),
        encoding="utf-8",
    )
    try:
        subprocess.run(["rustfmt", "--edition", "2024", str(OUT)], check=True)
    except FileNotFoundError:
        print("rustfmt not found: format tz_table.rs before committing", file=sys.stderr)
    print(
        f"wrote {OUT.relative_to(ROOT)}: {len(nanp)} area codes, {len(countries)} country "
        f"codes, {len(zones)} zones ({sum(len(z) for z in zones)} bytes of names), "
        f"{len(rules)} rules ({sum(len(r) for r in rules)} bytes), {len(sets)} zone sets "
        f"({sum(len(s) for s in sets)} indices)"
    )


if __name__ == "__main__":
    generate()
