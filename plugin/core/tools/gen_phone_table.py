#!/usr/bin/env python3
"""Generates plugin/core/src/phone_table.rs from Google's libphonenumber metadata.

Uses the Python port of libphonenumber, pinned: phonenumbers==9.0.43 (Python 3.11 or later).

    pip install phonenumbers==9.0.43
    python3 plugin/core/tools/gen_phone_table.py            # rewrites phone_table.rs
    python3 plugin/core/tools/gen_phone_table.py --check    # compares the Rust code with phonenumbers

For every country calling code the table holds:

* a short display name for messages ("UK", "Germany", "US and Canadian");
* the possible national number lengths, as libphonenumber's `isPossibleNumber` sees them: the
  union of `general_desc` possible lengths over the regions sharing the code, less the lengths
  that are local-only in any of them (which drops the 7 that Canada's metadata lists beside its
  10, so +1 keeps the 10 that the US metadata, the one `isPossibleNumber` uses, has), and less
  the lengths that would make the whole number shorter than 7 or longer than 15 digits (E.164);
* the national (trunk) prefix when it is one digit ("0" in the UK, "8" in Russia), and the
  digits that can follow that digit at the start of a genuine national number. A leading trunk
  digit followed by any other digit ("+44 (0) 20 …", "+44 020 …") can only be the trunk prefix.
  Found by enumerating the two-digit prefixes of the `general_desc` national number pattern.

`--check` is not run in CI. It builds a sample of inputs (every example number of every region
and number type, each shortened and lengthened, with trunk prefixes, in "(0)" and "011" forms,
plus random digits), asks phonenumbers which are possible (`is_possible_number_with_reason` ==
IS_POSSIBLE, so local-only numbers count as impossible) and what their E.164 form is, runs the
ignored Rust test `phonenumbers_cross_check` in plugin/core/src/phone.rs on the same inputs,
and prints where the two disagree, grouped by the reason for the known, deliberate differences.
"""

import argparse
import os
import random
import re._constants as sre_c
import re._parser as sre_parse
import subprocess
import sys
import tempfile
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberType, ValidationResult
from phonenumbers.geocoder import _region_display_name
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

PINNED_VERSION = "9.0.43"
E164_MIN_DIGITS = 7
E164_MAX_DIGITS = 15

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "plugin" / "core" / "src" / "phone_table.rs"

# Names for messages where the main region's English name is long, dated or missing, and for
# codes that several regions share (the message names them all, or the one everybody knows).
NAME_OVERRIDES = {
    1: "US and Canadian",
    7: "Russian and Kazakh",
    44: "UK",
    212: "Morocco and Western Sahara",
    243: "DR Congo",
    242: "Republic of the Congo",
    239: "São Tomé and Príncipe",
    247: "Ascension Island",
    262: "Réunion and Mayotte",
    268: "Eswatini",
    290: "Saint Helena and Tristan da Cunha",
    383: "Kosovo",
    389: "North Macedonia",
    590: "Guadeloupe, Saint Barthélemy and Saint Martin",
    599: "Curaçao and Caribbean Netherlands",
    853: "Macau",
    # Non-geographic codes ("001" regions).
    800: "International Freephone",
    808: "International Shared Cost",
    870: "Inmarsat",
    878: "Universal Personal Telecommunications",
    881: "Global Mobile Satellite",
    882: "International Networks",
    883: "International Networks",
    888: "UN OCHA",
    979: "International Premium Rate",
}


def metadata(code, region):
    if region == "001":
        return PhoneMetadata.metadata_for_nongeo_region(code)
    return PhoneMetadata.metadata_for_region(region)


# --- the first characters a national number pattern can match -----------------------------


def _then(heads, items, k):
    """Each of `heads` followed by what `items` can match, cut at k characters."""
    out = set()
    for head in heads:
        if len(head) == k:
            out.add(head)
        else:
            out |= {head + tail for tail in _prefixes(items, k - len(head))}
    return out


def _prefixes_of_item(op, av, k):
    """Strings of length <= k: full matches shorter than k, or prefixes of length k."""
    digits = "0123456789"
    if k == 0:
        return {""}
    if op is sre_c.LITERAL:
        return {chr(av)}
    if op is sre_c.IN:
        chars = set()
        negate = False
        for o, a in av:
            if o is sre_c.NEGATE:
                negate = True
            elif o is sre_c.LITERAL:
                chars.add(chr(a))
            elif o is sre_c.RANGE:
                chars |= {chr(c) for c in range(a[0], a[1] + 1)}
            elif o is sre_c.CATEGORY and a is sre_c.CATEGORY_DIGIT:
                chars |= set(digits)
            else:
                raise ValueError(f"unexpected class item {o} {a}")
        return set(digits) - chars if negate else chars
    if op is sre_c.CATEGORY and av is sre_c.CATEGORY_DIGIT:
        return set(digits)
    if op is sre_c.SUBPATTERN:
        return _prefixes(av[-1], k)
    if op is sre_c.BRANCH:
        return set().union(*(_prefixes(branch, k) for branch in av[1]))
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
        low, high, sub = av
        reps = {""}
        result = set()
        count = 0
        while True:
            result |= reps if count >= low else {s for s in reps if len(s) == k}
            if count >= high:
                break
            following = _then(reps, sub, k)
            count += 1
            if following == reps and count > low:
                break
            reps = following
        return result
    raise ValueError(f"unexpected pattern item {op} {av}")


def _prefixes(items, k):
    result = {""}
    for op, av in items:
        result = {
            head + tail
            for head in result
            for tail in ({""} if len(head) == k else _prefixes_of_item(op, av, k - len(head)))
        }
    return result


def pattern_prefixes(pattern, k):
    """Every k-character prefix of a string the whole `pattern` matches (and shorter full
    matches)."""
    return _prefixes(sre_parse.parse(pattern), k)


# --- the table ------------------------------------------------------------------------------


def build_table():
    rows = []
    for code in sorted(COUNTRY_CODE_TO_REGION_CODE):
        regions = COUNTRY_CODE_TO_REGION_CODE[code]
        metas = [metadata(code, r) for r in regions]
        lengths = set()
        local_only = set()
        for m in metas:
            lengths |= set(m.general_desc.possible_length)
            local_only |= set(m.general_desc.possible_length_local_only or ())
        lengths -= local_only
        main = set(metas[0].general_desc.possible_length)
        assert lengths == main - local_only, (code, lengths, main)
        code_digits = len(str(code))
        lengths = {
            n
            for n in lengths
            if E164_MIN_DIGITS <= code_digits + n <= E164_MAX_DIGITS
        }
        assert lengths and max(lengths) < 16, (code, lengths)

        prefixes = {m.national_prefix for m in metas}
        assert len(prefixes) == 1, (code, prefixes)
        prefix = prefixes.pop()
        trunk = None
        trunk_leads = []
        if prefix is not None and len(prefix) == 1:
            trunk = int(prefix)
            starts = set()
            for m in metas:
                starts |= pattern_prefixes(m.general_desc.national_number_pattern, 2)
            trunk_leads = sorted(
                int(s[1]) for s in starts if len(s) == 2 and s[0] == prefix
            )
        name = NAME_OVERRIDES.get(code)
        if name is None:
            name = _region_display_name(regions[0], "en")
        assert name, (code, regions)
        name = name.replace(" And ", " and ").replace(" Of ", " of ")
        rows.append((code, name, sorted(lengths), trunk, trunk_leads))
    return rows


def rust_list(values):
    return "&[" + ", ".join(str(v) for v in values) + "]"


def render(rows):
    out = [
        "//! Country calling codes, with the national number lengths each can have.",
        "//!",
        f"//! @generated by plugin/core/tools/gen_phone_table.py from phonenumbers {PINNED_VERSION}",
        "//! (Google's libphonenumber metadata). Do not edit by hand. To regenerate:",
        f"//! `pip install phonenumbers=={PINNED_VERSION}` and",
        "//! `python3 plugin/core/tools/gen_phone_table.py`; the script's docstring says how each",
        "//! column is derived. `phone.rs` packs these rows into 8 bytes each at compile time.",
        "",
        "use super::Row;",
        "",
        "/// One row per country calling code, sorted by code: the code; the name messages use; the",
        "/// possible national number lengths; the one-digit national (trunk) prefix, if any; and",
        "/// the digits that may follow the trunk digit at the start of a genuine national number.",
        "#[rustfmt::skip]",
        f"pub(super) const ROWS: [Row; {len(rows)}] = [",
    ]
    for code, name, lengths, trunk, leads in rows:
        trunk_s = "None" if trunk is None else f"Some({trunk})"
        out.append(f'    ({code}, "{name}", {rust_list(lengths)}, {trunk_s}, {rust_list(leads)}),')
    out += ["];", ""]
    return "\n".join(out)


def generate():
    if phonenumbers.__version__ != PINNED_VERSION:
        sys.exit(
            f"phonenumbers {phonenumbers.__version__} is installed; this script pins "
            f"{PINNED_VERSION}. Install it, or update PINNED_VERSION and the docstring."
        )
    rows = build_table()
    OUT.write_text(render(rows), encoding="utf-8")
    try:
        subprocess.run(["rustfmt", "--edition", "2024", str(OUT)], check=True)
    except FileNotFoundError:
        print("rustfmt not found: format phone_table.rs before committing", file=sys.stderr)
    names = sum(len(r[1].encode("utf-8")) for r in rows)
    print(f"wrote {OUT.relative_to(ROOT)}: {len(rows)} codes, {names} bytes of names")


# --- --check ---------------------------------------------------------------------------------


def expected(text):
    """What libphonenumber makes of `text`: its E.164 form when possible, else None."""
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return None
    if number.extension:
        return None
    if phonenumbers.is_possible_number_with_reason(number) != ValidationResult.IS_POSSIBLE:
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not E164_MIN_DIGITS <= len(e164) - 1 <= E164_MAX_DIGITS:
        return None
    return e164


def sample(rng):
    inputs = set()
    for code, regions in COUNTRY_CODE_TO_REGION_CODE.items():
        for region in regions:
            m = metadata(code, region)
            nationals = set()
            for kind in PhoneNumberType.values():
                if region == "001":
                    ex = phonenumbers.example_number_for_non_geo_entity(code)
                else:
                    ex = phonenumbers.example_number_for_type(region, kind)
                if ex is not None:
                    nationals.add(phonenumbers.national_significant_number(ex))
            for nat in sorted(nationals):
                variants = {nat, nat[:-1], nat + "5", nat[:-2], nat + "55"}
                if m.national_prefix and len(m.national_prefix) == 1:
                    variants.add(m.national_prefix + nat)
                    inputs.add(f"+{code} ({m.national_prefix}) {nat}")
                for v in variants:
                    if v:
                        inputs.add(f"+{code} {v}")
                inputs.add(f"011 {code} {nat}")
        for _ in range(12):
            n = rng.randint(1, 16)
            first = rng.choice("0123456789")
            inputs.add(f"+{code} {first}" + "".join(rng.choice("0123456789") for _ in range(n)))
    for _ in range(300):
        n = rng.randint(1, 17)
        inputs.add("+" + "".join(rng.choice("0123456789") for _ in range(n)))
    return sorted(inputs)


def classify(text, ours, theirs):
    """Why the Rust code and libphonenumber differ (the known differences are deliberate)."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("011"):
        digits = digits[3:]
    if digits.startswith("1"):
        return "NANP: we refuse area codes starting 0 or 1 (libphonenumber checks length only)"
    code = next(
        (int(digits[:n]) for n in (1, 2, 3) if int(digits[:n]) in COUNTRY_CODE_TO_REGION_CODE),
        None,
    )
    if code is None:
        return "other"
    prefix = metadata(code, COUNTRY_CODE_TO_REGION_CODE[code][0]).national_prefix
    national = digits[len(str(code)) :]
    trunk_led = bool(prefix) and national.startswith(prefix)
    if ours is None and theirs is not None and trunk_led:
        return (
            "we drop a leading trunk digit and refuse what's left; libphonenumber keeps the "
            "digit when dropping it leaves an impossible length"
        )
    if ours is None and theirs is not None:
        return (
            "libphonenumber rewrites the number (a multi-digit or regex national prefix, or a "
            "national_prefix_transform_rule)"
        )
    if ours is not None and theirs is not None:
        return (
            "a trunk digit that can also start a number: libphonenumber decides by the "
            "national number pattern, we by length"
        )
    return "we accept what libphonenumber refuses"


def check():
    rng = random.Random(20241127)
    inputs = sample(rng)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "inputs.txt"
        dst = Path(tmp) / "outputs.txt"
        src.write_text("\n".join(inputs) + "\n", encoding="utf-8")
        env = dict(os.environ, PHONE_CHECK_IN=str(src), PHONE_CHECK_OUT=str(dst))
        subprocess.run(
            [
                "cargo",
                "test",
                "-p",
                "sms-core",
                "--lib",
                "--",
                "--ignored",
                "--exact",
                "phone::tests::phonenumbers_cross_check",
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        lines = dst.read_text(encoding="utf-8").splitlines()
    ours_by_input = {}
    for line in lines:
        text, _, result = line.partition("\t")
        ours_by_input[text] = None if result == "-" else result
    agree = 0
    differences = {}
    for text in inputs:
        ours = ours_by_input.get(text)
        theirs = expected(text)
        if ours == theirs:
            agree += 1
            continue
        reason = classify(text, ours, theirs)
        differences.setdefault(reason, []).append((text, ours, theirs))
    print(f"{len(inputs)} inputs: {agree} agree")
    for reason, cases in sorted(differences.items(), key=lambda kv: -len(kv[1])):
        print(f"\n{len(cases)} x {reason}")
        for text, ours, theirs in cases[:8]:
            print(f"    {text!r}: ours {ours}, phonenumbers {theirs}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with phonenumbers")
    args = parser.parse_args()
    if args.check:
        check()
    else:
        generate()


if __name__ == "__main__":
    main()
