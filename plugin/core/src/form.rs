//! `application/x-www-form-urlencoded`, as WHATWG URL defines it: Twilio's request bodies
//! and its webhooks' parameters. Written here because a general crate's tables cost more of
//! the component's size budget than these few lines.

/// Appends `name=value` pairs, encoded, joined by `&`.
pub fn encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(&mut out, name);
        out.push('=');
        encode_into(&mut out, value);
    }
    out
}

fn encode_into(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
}

/// Decodes a body or query into its pairs, in order (`+` is a space; invalid UTF-8 is
/// replaced; a `%` not followed by two hex digits stays as it is).
pub fn decode(bytes: &[u8]) -> Vec<(String, String)> {
    bytes
        .split(|&b| b == b'&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = match part.iter().position(|&b| b == b'=') {
                Some(i) => (&part[..i], &part[i + 1..]),
                None => (part, &part[part.len()..]),
            };
            (decode_one(name), decode_one(value))
        })
        .collect()
}

fn decode_one(bytes: &[u8]) -> String {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match (
            b,
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                // Two hex digits: at most 255.
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_browsers_and_twilios_libraries() {
        assert_eq!(
            encode(&[
                ("To", "+15551234567"),
                ("Body", "Ring ready & shiny: 100%! ~*")
            ]),
            "To=%2B15551234567&Body=Ring+ready+%26+shiny%3A+100%25%21+%7E*"
        );
        assert_eq!(encode(&[("B", "Hé 😀")]), "B=H%C3%A9+%F0%9F%98%80");
        assert_eq!(encode(&[]), "");
    }

    #[test]
    fn decodes_pairs_in_order() {
        assert_eq!(
            decode(b"a=1&b=x+y%21&&c&d=%zz&e=%E2%82%AC"),
            [
                ("a".to_string(), "1".to_string()),
                ("b".into(), "x y!".into()),
                ("c".into(), "".into()),
                ("d".into(), "%zz".into()),
                ("e".into(), "€".into()),
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn matches_the_form_urlencoded_crate(name in ".{0,12}", value in ".{0,40}", raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80)) {
            let ours = encode(&[(name.as_str(), value.as_str())]);
            let theirs = form_urlencoded::Serializer::new(String::new())
                .append_pair(&name, &value)
                .finish();
            proptest::prop_assert_eq!(&ours, &theirs);
            proptest::prop_assert_eq!(decode(ours.as_bytes()), vec![(name, value)]);
            let theirs: Vec<(String, String)> = form_urlencoded::parse(&raw)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            proptest::prop_assert_eq!(decode(&raw), theirs);
        }
    }
}
