//! Phone numbers as staff type them, turned into E.164.
//!
//! US numbers may be typed any common way (`555-123-4567`, `(555) 123-4567`, `5551234567`,
//! `1-555-123-4567`, `+1 555 123 4567`, dots or spaces). International numbers need the leading
//! `+` (`+44 20 7946 0958`, also `+44 (0) 20 …`), or `011` as dialled from the US. Anything else
//! is refused with a reason that says what to change.

/// The shortest and longest E.164 numbers, in digits after the `+`.
const E164_MIN_DIGITS: usize = 7;
const E164_MAX_DIGITS: usize = 15;

/// Normalizes `input` to E.164 (`+15551234567`), or returns a sentence saying why it can't.
pub fn normalize(input: &str) -> Result<String, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err("enter a phone number, for example (555) 123-4567.".into());
    }
    if has_extension(&text.to_ascii_lowercase()) {
        return Err(
            "it has an extension, and extensions can't receive texts. Remove the extension.".into(),
        );
    }
    let (plus, rest) = match text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    // "(0)" is the trunk prefix written inside international numbers: "+44 (0) 20 …".
    let rest = if plus {
        rest.replacen("(0)", "", 1)
    } else {
        rest.to_string()
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
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
    if plus {
        return international(&digits);
    }
    if let Some(after) = digits.strip_prefix("011") {
        return international(after);
    }
    match digits.len() {
        10 => us(&digits),
        11 if digits.starts_with('1') => us(&digits[1..]),
        7 => Err("it has 7 digits, which is a local number. Add the 3-digit area code.".into()),
        n => Err(format!(
            "US numbers have 10 digits; this has {n}. International numbers need the leading + \
             and country code (+44 20 7946 0958)."
        )),
    }
}

/// `ext 12`, `x12`, `#12` or a dialling pause (`,`): texts can't reach an extension.
fn has_extension(lower: &str) -> bool {
    ["ext", "x", "#", ","].iter().any(|marker| {
        lower.match_indices(marker).any(|(i, m)| {
            lower[i + m.len()..]
                .trim_start_matches([' ', '.', ':', ','])
                .starts_with(|c: char| c.is_ascii_digit())
        })
    })
}

/// A 10-digit US (NANP) national number.
fn us(national: &str) -> Result<String, String> {
    if national.starts_with('0') || national.starts_with('1') {
        return Err(format!(
            "US area codes don't start with {}. Check the number.",
            &national[..1]
        ));
    }
    Ok(format!("+1{national}"))
}

/// The digits after `+` (country code first).
fn international(digits: &str) -> Result<String, String> {
    if digits.is_empty() {
        return Err("there are no digits after the +.".into());
    }
    if digits.starts_with('0') {
        return Err(
            "country codes don't start with 0. Put the country code right after the +.".into(),
        );
    }
    if let Some(national) = digits.strip_prefix('1') {
        return match national.len() {
            10 => us(national),
            n => Err(format!(
                "US and Canadian numbers have 10 digits after +1; this has {n}."
            )),
        };
    }
    match digits.len() {
        n if n < E164_MIN_DIGITS => Err(format!(
            "international numbers have at least {E164_MIN_DIGITS} digits after the +; this has {n}."
        )),
        n if n > E164_MAX_DIGITS => Err(format!(
            "international numbers have at most {E164_MAX_DIGITS} digits after the +; this has {n}."
        )),
        _ => Ok(format!("+{digits}")),
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

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
}
