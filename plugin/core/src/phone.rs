//! Phone numbers as staff type them, turned into E.164.
//!
//! US numbers may be typed any common way (`555-123-4567`, `(555) 123-4567`, `5551234567`,
//! `1-555-123-4567`, `+1 555 123 4567`, dots or spaces). International numbers need the leading
//! `+` (`+44 20 7946 0958`, also `+44 (0) 20 …`), or `011` as dialled from the US. Anything else
//! is refused with a reason that says what to change.
//!
//! Numbers are checked the way libphonenumber's `isPossibleNumber` checks them: the country
//! calling code must exist and the national number must have one of the lengths that country's
//! numbers have (local-only lengths don't count: a text can't be dialled locally). The
//! per-country data is the generated table in `phone_table.rs`. Within +1 (the US, Canada and
//! the Caribbean) any 10 digits whose area code doesn't start with 0 or 1 are taken, so the help
//! article's fictional 555 numbers keep working.

#[path = "phone_table.rs"]
mod table;

use std::fmt::Write as _;

/// The shortest and longest E.164 numbers, in digits after the `+`.
const E164_MIN_DIGITS: usize = 7;
const E164_MAX_DIGITS: usize = 15;

/// Normalizes `input` to E.164 (`+15551234567`), or returns a sentence saying why it can't.
pub fn normalize(input: &str) -> Result<String, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err("enter a phone number, for example (555) 123-4567.".into());
    }
    if has_extension(text) {
        return Err(
            "it has an extension, and extensions can't receive texts. Remove the extension.".into(),
        );
    }
    let (plus, rest) = match text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let digits = digits_of(rest)?;
    if plus {
        return international(&digits, "the +");
    }
    if let Some(after) = digits.strip_prefix("011") {
        return international(after, "011");
    }
    match (digits.len(), digits.strip_prefix('1')) {
        (10, _) => us(&digits),
        (11, Some(national)) => us(national),
        (7, _) => {
            Err("it has 7 digits, which is a local number. Add the 3-digit area code.".into())
        }
        (n, _) => Err(format!(
            "US numbers have 10 digits; this has {n}. International numbers need the leading + \
             and country code (+44 20 7946 0958)."
        )),
    }
}

/// Spaces, dashes, dots, brackets and slashes, including the look-alikes that come with copied
/// text: no-break, thin and ideographic spaces, soft hyphens, zero-width characters, Unicode
/// hyphens and dashes, and the minus sign.
const SEPARATORS: [char; 24] = [
    ' ', '\t', '-', '.', '(', ')', '[', ']', '/', '\u{a0}', '\u{ad}', '\u{2007}', '\u{2009}',
    '\u{200b}', '\u{2060}', '\u{202f}', '\u{3000}', '\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}',
    '\u{2014}', '\u{2015}', '\u{2212}',
];

/// The digits of `rest`, skipping the punctuation people put between them.
fn digits_of(rest: &str) -> Result<String, String> {
    let mut digits = String::with_capacity(rest.len().min(32));
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            c if SEPARATORS.contains(&c) => {}
            '+' => {
                return Err("a '+' can only come first, before the country code.".into());
            }
            other => {
                return Err(format!(
                    "'{other}' is not part of a phone number. Use digits, with spaces, dashes, \
                     dots or parentheses if you like."
                ));
            }
        }
    }
    Ok(digits)
}

/// `ext 12`, `x12`, `#12` or a dialling pause (`,`): texts can't reach an extension.
fn has_extension(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["extension", "ext", "x", "#", ","].iter().any(|marker| {
        lower.match_indices(marker).any(|(i, m)| {
            lower.get(i + m.len()..).is_some_and(|after| {
                after
                    .trim_start_matches([' ', '.', ':', ','])
                    .starts_with(|c: char| c.is_ascii_digit())
            })
        })
    })
}

/// A 10-digit US (NANP) national number.
fn us(national: &str) -> Result<String, String> {
    match national.chars().next() {
        Some(first @ ('0' | '1')) => Err(format!(
            "US area codes don't start with {first}. Check the number."
        )),
        _ => Ok(format!("+1{national}")),
    }
}

/// The digits after `+` (or after `011`, which `after` names): country code first.
fn international(digits: &str, after: &str) -> Result<String, String> {
    if digits.is_empty() {
        return Err(format!("there are no digits after {after}."));
    }
    if digits.starts_with('0') {
        return Err(format!(
            "country codes don't start with 0. Put the country code right after {after}."
        ));
    }
    if let Some(national) = digits.strip_prefix('1') {
        // "+1 1 555 …": the second 1 is the trunk prefix dialled within North America.
        let national = match national.strip_prefix('1') {
            Some(rest) if rest.len() == 10 => rest,
            _ => national,
        };
        return match national.len() {
            10 => us(national),
            n => Err(format!(
                "US and Canadian numbers have 10 digits after +1; this has {n}."
            )),
        };
    }
    let too_short = |n: usize| {
        format!(
            "international numbers have at least {E164_MIN_DIGITS} digits after {after}; this \
             has {n}."
        )
    };
    let n = digits.len();
    let too_long = || {
        format!(
            "international numbers have at most {E164_MAX_DIGITS} digits after {after}; this has \
             {n}."
        )
    };
    let Some((country, national)) = split_country_code(digits) else {
        return Err(match digits.get(..3) {
            Some(code) => format!("+{code} is not a country calling code. Check the number."),
            // Too few digits to tell: they may be the start of a code.
            None => too_short(n),
        });
    };
    let code_digits = digits.len().saturating_sub(national.len());
    let (national, dropped) = drop_trunk_prefix(&country, national)?;
    // A trunk prefix is not part of the number: "+49 0800 1234567890" fits in 15 digits.
    let total = code_digits + national.len();
    if total > E164_MAX_DIGITS {
        return Err(too_long());
    }
    let name = country.name();
    let code = country.code;
    if !country.has_length(national.len()) {
        let mut message = format!(
            "{name} (+{code}) numbers have {} digits after the country code; this has {}",
            Lengths(country.lengths),
            national.len()
        );
        if let Some(trunk) = dropped {
            let _ = write!(message, ", not counting the {trunk} after +{code}");
        }
        message.push('.');
        return Err(message);
    }
    // The table leaves out lengths that would make too short a number; checked all the same.
    if total < E164_MIN_DIGITS {
        return Err(too_short(total));
    }
    Ok(format!("+{code}{national}"))
}

/// A generated row: code, name, possible national lengths, trunk digit, and the digits that
/// may follow the trunk digit at the start of a genuine national number.
type Row = (u16, &'static str, &'static [u8], Option<u8>, &'static [u8]);

/// A country calling code, packed from its row into 8 bytes at compile time.
#[derive(Clone, Copy)]
struct CallingCode {
    /// The code, 1 to 3 digits (`44`).
    code: u16,
    /// Bit `n` is set when a national number may have `n` digits.
    lengths: u16,
    /// Bits 12 to 15: the trunk digit plus one, or 0 when there is none. Bits 0 to 9: bit `d`
    /// is set when a genuine national number may start with the trunk digit and then `d`.
    trunk: u16,
    /// Where the code's name ends in `NAMES`; it starts where the previous code's ends.
    name_end: u16,
}

const COUNT: usize = table::ROWS.len();

/// Every country calling code, sorted by code.
static CODES: [CallingCode; COUNT] = pack_codes();

/// The codes' names, one after another in the order of `CODES`.
static NAMES: &str = match std::str::from_utf8(&NAME_BYTES) {
    Ok(names) => names,
    Err(_) => panic!("names are UTF-8"),
};

// What follows runs at compile time only: an index out of range or an overflow stops the
// build, never the plugin.

const fn bits(ns: &[u8]) -> u16 {
    let mut mask = 0;
    let mut i = 0;
    while i < ns.len() {
        mask |= 1 << ns[i];
        i += 1;
    }
    mask
}

const fn pack_codes() -> [CallingCode; COUNT] {
    let empty = CallingCode {
        code: 0,
        lengths: 0,
        trunk: 0,
        name_end: 0,
    };
    let mut codes = [empty; COUNT];
    let mut name_end = 0;
    let mut i = 0;
    while i < COUNT {
        let (code, name, lengths, trunk, trunk_leads) = table::ROWS[i];
        name_end += name.len();
        assert!(name_end <= u16::MAX as usize);
        codes[i] = CallingCode {
            code,
            lengths: bits(lengths),
            trunk: match trunk {
                Some(digit) => ((digit as u16 + 1) << 12) | bits(trunk_leads),
                None => 0,
            },
            name_end: name_end as u16,
        };
        i += 1;
    }
    codes
}

const NAMES_LEN: usize = {
    let mut len = 0;
    let mut i = 0;
    while i < COUNT {
        len += table::ROWS[i].1.len();
        i += 1;
    }
    len
};

const NAME_BYTES: [u8; NAMES_LEN] = {
    let mut bytes = [0; NAMES_LEN];
    let mut at = 0;
    let mut i = 0;
    while i < COUNT {
        let name = table::ROWS[i].1.as_bytes();
        let mut j = 0;
        while j < name.len() {
            bytes[at] = name[j];
            at += 1;
            j += 1;
        }
        i += 1;
    }
    bytes
};

/// The country calling code `digits` start with, and the national number after it. Codes are
/// prefix-free, so at most one of the first 1, 2 or 3 digits is a code.
fn split_country_code(digits: &str) -> Option<(CallingCode, &str)> {
    (1..=3).find_map(|len| {
        // `digits` holds only ASCII digits, and at most 3 of them make a code.
        let code = digits.get(..len)?.bytes().fold(0u16, |code, b| {
            code.wrapping_mul(10)
                .wrapping_add(b.wrapping_sub(b'0').into())
        });
        let index = CODES.binary_search_by_key(&code, |c| c.code).ok()?;
        Some((*CODES.get(index)?, digits.get(len..)?))
    })
}

/// Whether `national` starts with the country's trunk digit, and whether that digit can only
/// be the trunk prefix.
#[derive(PartialEq)]
enum Lead {
    /// It doesn't start with the trunk digit (or the country has none).
    Plain,
    /// It starts with the trunk digit, and no national number starts this way.
    Trunk,
    /// It starts with the trunk digit, and some national numbers do too.
    Either,
}

impl CallingCode {
    /// The name messages use (`UK`, `Germany`, `US and Canadian`).
    fn name(&self) -> &'static str {
        let index = CODES.partition_point(|c| c.code < self.code);
        let start = index
            .checked_sub(1)
            .and_then(|previous| CODES.get(previous))
            .map_or(0, |previous| previous.name_end.into());
        NAMES.get(start..self.name_end.into()).unwrap_or_default()
    }

    /// The one-digit national (trunk) prefix, if the country has one.
    fn trunk_digit(&self) -> Option<u8> {
        match self.trunk >> 12 {
            0 => None,
            digit => u8::try_from(digit - 1).ok(),
        }
    }

    /// Whether a genuine national number may start with the trunk digit and then `next`.
    fn trunk_may_precede(&self, next: u8) -> bool {
        next < 10 && self.trunk & bit(next.into()) != 0
    }

    /// Whether national numbers can have `len` digits.
    fn has_length(&self, len: usize) -> bool {
        self.lengths & bit(len) != 0
    }

    fn lead(&self, national: &str) -> Lead {
        let Some(trunk) = self.trunk_digit() else {
            return Lead::Plain;
        };
        let mut digits = national.bytes().map(|b| b.wrapping_sub(b'0'));
        if digits.next() != Some(trunk) {
            return Lead::Plain;
        }
        match digits.next() {
            Some(next) if !self.trunk_may_precede(next) => Lead::Trunk,
            _ => Lead::Either,
        }
    }
}

/// `1 << n`, or 0 when `n` is past the mask.
fn bit(n: usize) -> u16 {
    u32::try_from(n)
        .ok()
        .and_then(|n| 1u16.checked_shl(n))
        .unwrap_or(0)
}

/// Drops a trunk prefix written after the country code (`+44 (0) 20 …`, `+44 020 …`,
/// `+7 8 912 …`), returning the national number and the digit dropped.
///
/// A trunk digit that no national number starts with is always dropped. One that some national
/// numbers do start with is dropped only when the number has an impossible length with it and a
/// possible one without it. Either way the result is a number this function leaves alone, so
/// normalizing twice gives what normalizing once gave.
fn drop_trunk_prefix<'a>(
    country: &CallingCode,
    national: &'a str,
) -> Result<(&'a str, Option<char>), String> {
    let Some(first) = national.chars().next() else {
        return Ok((national, None));
    };
    let stripped = national.get(1..).unwrap_or_default();
    match country.lead(national) {
        Lead::Plain => Ok((national, None)),
        Lead::Trunk if country.lead(stripped) == Lead::Trunk => Err(format!(
            "{} (+{}) numbers don't start with {first}{first} after the country code. Check \
             the number.",
            country.name(),
            country.code
        )),
        Lead::Trunk => Ok((stripped, Some(first))),
        Lead::Either
            if !country.has_length(national.len())
                && country.has_length(stripped.len())
                && country.lead(stripped) != Lead::Trunk =>
        {
            Ok((stripped, Some(first)))
        }
        Lead::Either => Ok((national, None)),
    }
}

/// A set of lengths in words: `9`, `9 or 10`, `7, 9 or 10`, `5 to 13`, `6 to 10 or 12`.
struct Lengths(u16);

impl Lengths {
    /// The items to name: each run of 3 or more lengths as (first, last), others one by one.
    fn items(&self) -> impl Iterator<Item = (u8, u8)> {
        let mask = self.0;
        let has = move |n: u8| mask & bit(n.into()) != 0;
        let mut n = 0u8;
        let mut pending = None;
        std::iter::from_fn(move || {
            if let Some(last) = pending.take() {
                return Some((last, last));
            }
            while n < 16 && !has(n) {
                n += 1;
            }
            let first = n;
            while n < 16 && has(n) {
                n += 1;
            }
            let last = n.checked_sub(1).filter(|&last| last >= first)?;
            if last == first + 1 {
                pending = Some(last);
                return Some((first, first));
            }
            Some((first, last))
        })
    }
}

impl std::fmt::Display for Lengths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.items().count();
        for (i, (first, last)) in self.items().enumerate() {
            if i > 0 {
                f.write_str(if i + 1 == count { " or " } else { ", " })?;
            }
            if first == last {
                write!(f, "{first}")?;
            } else {
                write!(f, "{first} to {last}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{CODES, Lengths, bit, normalize};
    use proptest::prelude::*;

    #[test]
    fn us_formats_from_the_help_article() {
        for input in [
            "555-123-4567",
            "(555) 123-4567",
            "5551234567",
            "1-555-123-4567",
            "+1 555 123 4567",
            "555.123.4567",
            "  +1 (555) 123-4567 ",
            "011 1 555 123 4567",
            "555\u{2013}123\u{2013}4567",
        ] {
            assert_eq!(normalize(input).as_deref(), Ok("+15551234567"), "{input}");
        }
    }

    #[test]
    fn international_needs_the_plus() {
        assert_eq!(
            normalize("+44 20 7946 0958").as_deref(),
            Ok("+442079460958")
        );
        assert_eq!(
            normalize("+44 (0) 20 7946 0958").as_deref(),
            Ok("+442079460958")
        );
        assert_eq!(
            normalize("011 44 20 7946 0958").as_deref(),
            Ok("+442079460958")
        );
        assert_eq!(
            normalize("44 20 7946 0958"),
            Err(
                "US numbers have 10 digits; this has 12. International numbers need the leading \
                 + and country code (+44 20 7946 0958)."
                    .into()
            )
        );
    }

    #[test]
    fn a_second_one_after_plus_one_is_dropped_only_before_ten_digits() {
        // "+1 1 212 …": the 1 dialled within North America, before a full number.
        assert_eq!(normalize("+1 1 212 555 0100"), Ok("+12125550100".into()));
        // Ten digits that start with 1 are not a trunk 1 and a 9-digit number, but an area
        // code that cannot start with 1.
        assert_eq!(
            normalize("+1 123 456 7890"),
            Err("US area codes don't start with 1. Check the number.".into())
        );
    }

    #[test]
    fn a_trunk_digit_that_can_start_a_number_is_kept_when_the_length_fits() {
        // Indonesia (+62): national numbers may start 00, and have 7 to 13 digits. With 12
        // digits the number is possible as it stands, so its leading 0 is not a trunk prefix,
        // even though the 11 digits after it would be possible too.
        assert_eq!(
            normalize("+62 000 123 456 789"),
            Ok("+62000123456789".into())
        );
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(
            normalize("555-123-456"),
            Err(
                "US numbers have 10 digits; this has 9. International numbers need the leading + \
                 and country code (+44 20 7946 0958)."
                    .into()
            )
        );
        assert_eq!(
            normalize("123-4567"),
            Err("it has 7 digits, which is a local number. Add the 3-digit area code.".into())
        );
        assert_eq!(
            normalize(""),
            Err("enter a phone number, for example (555) 123-4567.".into())
        );
        assert!(
            normalize("555-123-4567 ext 12")
                .unwrap_err()
                .contains("extension")
        );
        assert!(
            normalize("555-123-4567 x12")
                .unwrap_err()
                .contains("extension")
        );
        assert!(
            normalize("+44 20 7946 0958 extension 12")
                .unwrap_err()
                .contains("extension")
        );
        assert!(
            normalize("call me")
                .unwrap_err()
                .starts_with("'c' is not part")
        );
        assert!(
            normalize("text me")
                .unwrap_err()
                .starts_with("'t' is not part")
        );
        assert_eq!(
            normalize("+1 555 123 456"),
            Err("US and Canadian numbers have 10 digits after +1; this has 9.".into())
        );
        assert_eq!(
            normalize("+0 123 456 789"),
            Err("country codes don't start with 0. Put the country code right after the +.".into())
        );
        assert_eq!(
            normalize("+1234567890123456"),
            Err("US and Canadian numbers have 10 digits after +1; this has 15.".into())
        );
        assert_eq!(
            normalize("+4412345678901234"),
            Err("international numbers have at most 15 digits after the +; this has 16.".into())
        );
        assert_eq!(
            normalize("(155) 123-4567"),
            Err("US area codes don't start with 1. Check the number.".into())
        );
    }

    /// Inputs and what the `phonenumbers` package (libphonenumber 9.0.43) makes of them:
    /// the E.164 form when `is_possible_number_with_reason` is IS_POSSIBLE, else `None`.
    #[test]
    fn agrees_with_libphonenumber() {
        let cases: &[(&str, Option<&str>)] = &[
            ("+44 20 7946 0958", Some("+442079460958")),
            ("+44 7700 900123", Some("+447700900123")),
            ("+44 (0) 7700 900123", Some("+447700900123")),
            ("+44 020 7946 0958", Some("+442079460958")),
            ("+44 20 7946 095", Some("+44207946095")),
            ("+44 20 7946 09581", None),
            ("+49 30 123456", Some("+4930123456")),
            ("+49 (0)30 1234567", Some("+49301234567")),
            ("+49 1512 3456789", Some("+4915123456789")),
            ("+33 1 23 45 67 89", Some("+33123456789")),
            ("+33 (0)6 12 34 56 78", Some("+33612345678")),
            ("+33 1 23 45 67 8", None),
            ("+91 98765 43210", Some("+919876543210")),
            ("+91 098765 43210", Some("+919876543210")),
            ("+55 11 91234 5678", Some("+5511912345678")),
            ("+55 11 91234 56789", None),
            ("+61 2 1234 5678", Some("+61212345678")),
            ("+61 (0) 4 1234 5678", Some("+61412345678")),
            ("+81 3 1234 5678", Some("+81312345678")),
            ("+81 03 1234 5678", Some("+81312345678")),
            ("+81 90 1234 5678", Some("+819012345678")),
            ("+86 138 0013 8000", Some("+8613800138000")),
            ("+86 138 0013 80001", Some("+86138001380001")),
            ("+52 55 1234 5678", Some("+525512345678")),
            ("+52 1 55 1234 5678", None),
            ("+234 802 123 4567", Some("+2348021234567")),
            ("+234 0802 123 4567", Some("+2348021234567")),
            ("+39 06 1234 5678", Some("+390612345678")),
            ("+39 (0)6 1234 5678", Some("+390612345678")),
            ("+39 312 345 6789", Some("+393123456789")),
            ("+65 6123 4567", Some("+6561234567")),
            ("+65 6123 456", None),
            ("+1 613 555 0123", Some("+16135550123")),
            ("+1 1 613 555 0123", Some("+16135550123")),
            ("+1 (1) 876 523 0123", Some("+18765230123")),
            ("+7 912 345 67 89", Some("+79123456789")),
            ("+7 8 912 345 67 89", Some("+79123456789")),
            ("+7 800 123 45 67", Some("+78001234567")),
            ("+7 8 800 123 45 67", Some("+78001234567")),
            ("+353 (0)1 234 5678", Some("+35312345678")),
            ("+82 010 1234 5678", Some("+821012345678")),
            ("+683 4002", Some("+6834002")),
            ("+290 2 2158", Some("+29022158")),
            ("+800 1234 5678", Some("+80012345678")),
            ("+999 1234 5678", None),
            ("011 49 30 1234567", Some("+49301234567")),
            ("+49 0800 1234567890", Some("+498001234567890")),
            ("+7 8 943 449 2571 4875", Some("+794344925714875")),
            ("011 91 98765 43210", Some("+919876543210")),
            ("+380 50 123 456", None),
        ];
        for &(input, expected) in cases {
            assert_eq!(normalize(input).ok().as_deref(), expected, "{input}");
        }
    }

    #[test]
    fn country_refusals_name_the_problem() {
        let cases = [
            (
                "+44 20 7946 09581",
                "UK (+44) numbers have 7, 9 or 10 digits after the country code; this has 11.",
            ),
            (
                "+49 30 12",
                "Germany (+49) numbers have 5 to 13 digits after the country code; this has 4.",
            ),
            (
                "+65 6123 456",
                "Singapore (+65) numbers have 8, 10 or 11 digits after the country code; this \
                 has 7.",
            ),
            (
                "+7 912 345 67",
                "Russian and Kazakh (+7) numbers have 10 or 14 digits after the country code; \
                 this has 8.",
            ),
            (
                "+999 1234 5678",
                "+999 is not a country calling code. Check the number.",
            ),
            (
                "011 999 1234 5678",
                "+999 is not a country calling code. Check the number.",
            ),
            (
                "+44 0 7946 0958",
                "UK (+44) numbers have 7, 9 or 10 digits after the country code; this has 8, \
                 not counting the 0 after +44.",
            ),
            (
                "+44 00 20 7946 0958",
                "UK (+44) numbers don't start with 00 after the country code. Check the number.",
            ),
            (
                "+99",
                "international numbers have at least 7 digits after the +; this has 2.",
            ),
            ("011", "there are no digits after 011."),
            (
                "011 0 44 20",
                "country codes don't start with 0. Put the country code right after 011.",
            ),
            (
                "+44 20 7946 0958 +1",
                "a '+' can only come first, before the country code.",
            ),
        ];
        for (input, message) in cases {
            assert_eq!(normalize(input), Err(message.into()), "{input}");
        }
    }

    #[test]
    fn names_line_up_with_codes() {
        let name = |code| {
            CODES
                .iter()
                .find(|c| c.code == code)
                .map(|c| c.name())
                .unwrap()
        };
        assert_eq!(name(1), "US and Canadian");
        assert_eq!(name(7), "Russian and Kazakh");
        assert_eq!(name(44), "UK");
        assert_eq!(name(49), "Germany");
        assert_eq!(name(225), "Côte d'Ivoire");
        assert_eq!(name(998), "Uzbekistan");
        assert_eq!(CODES.len(), 215);
    }

    #[test]
    fn lengths_read_as_words() {
        let words = |lengths: &[usize]| {
            Lengths(lengths.iter().map(|&n| bit(n)).fold(0, |a, b| a | b)).to_string()
        };
        assert_eq!(words(&[9]), "9");
        assert_eq!(words(&[9, 10]), "9 or 10");
        assert_eq!(words(&[7, 9, 10]), "7, 9 or 10");
        assert_eq!(words(&[5, 6, 7, 8, 9, 10, 11, 12, 13]), "5 to 13");
        assert_eq!(words(&[6, 7, 8, 9, 10, 12]), "6 to 10 or 12");
        assert_eq!(words(&[4, 5, 7, 8, 9, 11, 12]), "4, 5, 7 to 9, 11 or 12");
    }

    #[test]
    fn the_table_is_sorted_prefix_free_and_fits_e164() {
        for pair in CODES.windows(2) {
            if let [a, b] = pair {
                assert!(a.code < b.code, "{} before {}", a.code, b.code);
            }
        }
        for c in &CODES {
            assert!((1..=999).contains(&c.code), "{}", c.code);
            assert!(!c.name().is_empty(), "{}", c.code);
            assert_eq!(c.name().trim(), c.name(), "{}", c.code);
            let text = c.code.to_string();
            for len in 1..text.len() {
                let prefix: u16 = text[..len].parse().unwrap();
                assert!(
                    CODES.iter().all(|o| o.code != prefix),
                    "{} and {prefix}",
                    c.code
                );
            }
            assert_ne!(c.lengths, 0, "{}", c.code);
            for n in 0..16 {
                if c.has_length(n) {
                    let total = text.len() + n;
                    assert!((7..=15).contains(&total), "+{} with {n} digits", c.code);
                }
            }
        }
    }

    /// Is `s` `+` then 7 to 15 digits, the first not 0 (`^\+[1-9]\d{6,14}$`)?
    fn is_e164(s: &str) -> bool {
        let Some(digits) = s.strip_prefix('+') else {
            return false;
        };
        (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    }

    fn check(input: &str) -> Result<(), TestCaseError> {
        if let Ok(e164) = normalize(input) {
            prop_assert!(is_e164(&e164), "{input:?} gave {e164:?}");
            prop_assert_eq!(normalize(&e164), Ok(e164.clone()), "{:?}", input);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn any_text_is_refused_or_normalized_for_good(input in any::<String>()) {
            check(&input)?;
        }

        #[test]
        fn phone_like_text_is_refused_or_normalized_for_good(
            input in "(\\+|011 ?)?[0-9 ().-]{0,22}(x[0-9]{1,3})?"
        ) {
            check(&input)?;
        }

        #[test]
        fn numbers_with_trunk_prefixes_normalize_for_good(
            code in prop::sample::select(CODES.iter().map(|c| c.code).collect::<Vec<_>>()),
            trunk in "(\\(0\\) |0|8|00|\\(8\\) )?",
            national in "[0-9]{0,14}",
        ) {
            check(&format!("+{code} {trunk}{national}"))?;
        }
    }

    /// `python3 plugin/core/tools/gen_phone_table.py --check` runs this on its sample: each line of
    /// `$PHONE_CHECK_IN` is an input, and `$PHONE_CHECK_OUT` gets `input<TAB>E.164 or ->`.
    #[test]
    #[ignore = "run by gen_phone_table.py --check"]
    fn phonenumbers_cross_check() {
        let input = std::fs::read_to_string(std::env::var("PHONE_CHECK_IN").unwrap()).unwrap();
        let mut output = String::new();
        for line in input.lines() {
            let result = normalize(line).unwrap_or_else(|_| "-".into());
            output.push_str(&format!("{line}\t{result}\n"));
        }
        std::fs::write(std::env::var("PHONE_CHECK_OUT").unwrap(), output).unwrap();
    }
}
