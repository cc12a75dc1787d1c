//! A small, strict JSON reader (RFC 8259) and the little writing the plugin does.
//!
//! It replaces serde and serde_json, which cost the component tens of kilobytes (mostly float
//! formatting it never needed). Numbers are kept as their literal text and never converted to
//! floating point: Twilio's integers are read with [`Json::as_u32`].
//!
//! The reader rejects everything RFC 8259 does not allow: other white space, bad or
//! incomplete escapes, lone surrogates, raw control characters in strings, leading zeros,
//! trailing characters, input that is not UTF-8. Containers nest at most [`MAX_DEPTH`] deep,
//! so hostile input cannot exhaust the stack. Nothing here panics.

use std::fmt::{self, Write as _};

/// How deeply arrays and objects may nest (the outermost container is depth 1).
pub const MAX_DEPTH: usize = 64;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Json {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, as its literal text (validated against the JSON grammar).
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object's members in document order; duplicate keys are kept (see [`Json::get`]).
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The value of the first member named `key`, if this is an object that has one.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// A non-negative integer that fits `u32`: a number written with digits only (no sign,
    /// fraction or exponent), or a string of ASCII digits (Twilio sends `"num_segments": "2"`).
    pub fn as_u32(&self) -> Option<u32> {
        let digits = match self {
            Json::Number(text) | Json::String(text) => text,
            _ => return None,
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
}

/// What is wrong with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    /// The bytes are not UTF-8.
    InvalidUtf8,
    /// The document ends in the middle of a value.
    UnexpectedEnd,
    /// Something other than a value where a value must be.
    ExpectedValue,
    /// Something other than a string where an object key must be.
    ExpectedKey,
    /// Something other than `:` after an object key.
    ExpectedColon,
    /// Something other than `,` or `]` after an array element.
    ExpectedCommaOrBracket,
    /// Something other than `,` or `}` after an object member.
    ExpectedCommaOrBrace,
    /// A raw control character (U+0000 to U+001F) inside a string.
    ControlCharacter,
    /// A backslash followed by something that is not an escape.
    InvalidEscape,
    /// `\u` not followed by four hex digits.
    InvalidUnicodeEscape,
    /// A UTF-16 surrogate escape without its other half.
    LoneSurrogate,
    /// A number that does not follow the grammar (`-`, `1.`, `1e`, `.5`, …).
    InvalidNumber,
    /// A number with a leading zero (`01`).
    LeadingZero,
    /// Containers nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Something after the document's value.
    TrailingCharacters,
}

impl JsonErrorKind {
    fn describe(self) -> &'static str {
        match self {
            JsonErrorKind::InvalidUtf8 => "bytes that are not UTF-8",
            JsonErrorKind::UnexpectedEnd => "the end of the document in the middle of a value",
            JsonErrorKind::ExpectedValue => "something that is not a value",
            JsonErrorKind::ExpectedKey => "an object key that is not a string",
            JsonErrorKind::ExpectedColon => "a missing ':' after an object key",
            JsonErrorKind::ExpectedCommaOrBracket => "a missing ',' or ']' in an array",
            JsonErrorKind::ExpectedCommaOrBrace => "a missing ',' or '}' in an object",
            JsonErrorKind::ControlCharacter => "a raw control character in a string",
            JsonErrorKind::InvalidEscape => "an invalid escape in a string",
            JsonErrorKind::InvalidUnicodeEscape => "a \\u escape without four hex digits",
            JsonErrorKind::LoneSurrogate => "a \\u escape that is half of a surrogate pair",
            JsonErrorKind::InvalidNumber => "a malformed number",
            JsonErrorKind::LeadingZero => "a number with a leading zero",
            JsonErrorKind::TooDeep => "arrays or objects nested too deeply",
            JsonErrorKind::TrailingCharacters => "characters after the end of the value",
        }
    }
}

/// Why a document was refused, and at which byte offset. It never quotes the input, which may
/// hold secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonError {
    /// What is wrong.
    pub kind: JsonErrorKind,
    /// The byte offset where it was found.
    pub offset: usize,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid JSON: {} at byte {}",
            self.kind.describe(),
            self.offset
        )
    }
}

impl std::error::Error for JsonError {}

/// Parses one JSON document: a single value with optional white space around it.
pub fn parse(bytes: &[u8]) -> Result<Json, JsonError> {
    let text = std::str::from_utf8(bytes).map_err(|e| JsonError {
        kind: JsonErrorKind::InvalidUtf8,
        offset: e.valid_up_to(),
    })?;
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let value = parser.value(0)?;
    parser.skip_whitespace();
    if parser.pos < parser.bytes.len() {
        return Err(parser.error(JsonErrorKind::TrailingCharacters));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn error(&self, kind: JsonErrorKind) -> JsonError {
        self.error_at(kind, self.pos)
    }

    fn error_at(&self, kind: JsonErrorKind, offset: usize) -> JsonError {
        JsonError { kind, offset }
    }

    /// `kind` at the current position, or `UnexpectedEnd` when there is nothing left.
    fn unexpected(&self, kind: JsonErrorKind) -> JsonError {
        match self.peek() {
            None => self.error(JsonErrorKind::UnexpectedEnd),
            Some(_) => self.error(kind),
        }
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// The text between two byte offsets that fall on character boundaries.
    fn slice(&self, start: usize, end: usize) -> Result<&str, JsonError> {
        self.text
            .get(start..end)
            .ok_or(self.error_at(JsonErrorKind::InvalidUtf8, start))
    }

    /// A value after optional white space. `depth` counts the containers around it.
    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.unexpected(JsonErrorKind::ExpectedValue)),
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, JsonError> {
        let end = self.pos + word.len();
        if self.bytes.get(self.pos..end) == Some(word.as_bytes()) {
            self.pos = end;
            Ok(value)
        } else {
            Err(self.error(JsonErrorKind::ExpectedValue))
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error(JsonErrorKind::TooDeep));
        }
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.unexpected(JsonErrorKind::ExpectedCommaOrBracket)),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error(JsonErrorKind::TooDeep));
        }
        self.pos += 1; // '{'
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected(JsonErrorKind::ExpectedKey));
            }
            let key = self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.unexpected(JsonErrorKind::ExpectedColon));
            }
            self.pos += 1;
            let value = self.value(depth)?;
            members.push((key, value));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.unexpected(JsonErrorKind::ExpectedCommaOrBrace)),
            }
        }
    }

    /// A string, starting at its opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // '"'
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // Runs start and end next to ASCII bytes (or the input's ends): char boundaries.
            out.push_str(self.slice(start, self.pos)?);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => out.push(self.escape()?),
                Some(_) => return Err(self.error(JsonErrorKind::ControlCharacter)),
                None => return Err(self.error(JsonErrorKind::UnexpectedEnd)),
            }
        }
    }

    /// An escape, starting at its backslash.
    fn escape(&mut self) -> Result<char, JsonError> {
        let at = self.pos;
        self.pos += 1; // '\\'
        let Some(b) = self.peek() else {
            return Err(self.error(JsonErrorKind::UnexpectedEnd));
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(at),
            _ => return Err(self.error_at(JsonErrorKind::InvalidEscape, at)),
        })
    }

    /// The rest of a `\uXXXX` escape (and of its low surrogate, if it is a high one).
    fn unicode_escape(&mut self, at: usize) -> Result<char, JsonError> {
        let lone = self.error_at(JsonErrorKind::LoneSurrogate, at);
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(lone);
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(lone);
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(lone),
            _ => first,
        };
        char::from_u32(code).ok_or(lone)
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut value = 0;
        for _ in 0..4 {
            let digit = match self.peek() {
                Some(b) => char::from(b).to_digit(16),
                None => return Err(self.error(JsonErrorKind::UnexpectedEnd)),
            };
            let Some(digit) = digit else {
                return Err(self.error(JsonErrorKind::InvalidUnicodeEscape));
            };
            value = value * 16 + digit;
            self.pos += 1;
        }
        Ok(value)
    }

    /// Skips ASCII digits and says how many there were.
    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, kept as text.
    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.error_at(JsonErrorKind::LeadingZero, self.pos - 1));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.unexpected(JsonErrorKind::InvalidNumber)),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.unexpected(JsonErrorKind::InvalidNumber));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.unexpected(JsonErrorKind::InvalidNumber));
            }
        }
        Ok(Json::Number(self.slice(start, self.pos)?.to_string()))
    }
}

/// Appends `s` as a JSON string: quoted, with `"`, `\` and control characters escaped.
/// Everything else, including non-ASCII text, is written as is.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\0'..='\u{1f}' => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            _ => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a JSON object whose members are all strings, in the order given.
pub fn write_string_object(out: &mut String, members: &[(&str, &str)]) {
    out.push('{');
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(out, key);
        out.push(':');
        write_str(out, value);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use JsonErrorKind::*;
    use proptest::prelude::*;

    fn s(text: &str) -> Json {
        Json::String(text.into())
    }

    fn n(text: &str) -> Json {
        Json::Number(text.into())
    }

    fn ok(doc: &str) -> Json {
        match parse(doc.as_bytes()) {
            Ok(v) => v,
            Err(e) => panic!("{doc:?} should parse: {e}"),
        }
    }

    fn err(doc: &[u8]) -> (JsonErrorKind, usize) {
        match parse(doc) {
            Ok(v) => panic!(
                "{:?} should be refused, got {v:?}",
                String::from_utf8_lossy(doc)
            ),
            Err(e) => (e.kind, e.offset),
        }
    }

    /// A test-only writer for whole values, to round-trip generated documents.
    fn write_value(out: &mut String, value: &Json) {
        match value {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(text) => out.push_str(text),
            Json::String(text) => write_str(out, text),
            Json::Array(items) => {
                out.push_str("[ ");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" ,\n");
                    }
                    write_value(out, item);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push_str("{\t");
                for (i, (key, item)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(out, key);
                    out.push_str(" : ");
                    write_value(out, item);
                }
                out.push_str("\r\n}");
            }
        }
    }

    #[test]
    fn valid_documents() {
        let table: Vec<(&str, Json)> = vec![
            ("null", Json::Null),
            ("true", Json::Bool(true)),
            (" \t\r\nfalse\n ", Json::Bool(false)),
            ("0", n("0")),
            (r#""""#, s("")),
            (r#""plain""#, s("plain")),
            ("[]", Json::Array(vec![])),
            ("[ ]", Json::Array(vec![])),
            ("{}", Json::Object(vec![])),
            ("{ \n }", Json::Object(vec![])),
            (
                "[1, \"a\", null, true, [], {}]",
                Json::Array(vec![
                    n("1"),
                    s("a"),
                    Json::Null,
                    Json::Bool(true),
                    Json::Array(vec![]),
                    Json::Object(vec![]),
                ]),
            ),
            (
                r#" { "a" : 1 , "b":{"c":[false]} } "#,
                Json::Object(vec![
                    ("a".into(), n("1")),
                    (
                        "b".into(),
                        Json::Object(vec![("c".into(), Json::Array(vec![Json::Bool(false)]))]),
                    ),
                ]),
            ),
            (
                "\"h\u{e9} \u{1f600} \u{7f}\"",
                s("h\u{e9} \u{1f600} \u{7f}"),
            ),
        ];
        for (doc, expected) in table {
            assert_eq!(ok(doc), expected, "{doc:?}");
        }
    }

    #[test]
    fn number_forms() {
        for doc in [
            "0",
            "-0",
            "7",
            "-7",
            "10",
            "1234567890",
            "0.5",
            "-0.5",
            "10.25",
            "1e5",
            "1E5",
            "1e+5",
            "1e-5",
            "0e0",
            "-0.0e-0",
            "2.5E+10",
            "123456789012345678901234567890",
            "1e999999",
        ] {
            assert_eq!(ok(doc), n(doc), "{doc:?}");
        }
        let table: &[(&str, JsonErrorKind, usize)] = &[
            ("01", LeadingZero, 0),
            ("-01", LeadingZero, 1),
            ("00", LeadingZero, 0),
            ("-", UnexpectedEnd, 1),
            ("-a", InvalidNumber, 1),
            ("+1", ExpectedValue, 0),
            (".5", ExpectedValue, 0),
            ("1.", UnexpectedEnd, 2),
            ("1.e5", InvalidNumber, 2),
            ("1e", UnexpectedEnd, 2),
            ("1e+", UnexpectedEnd, 3),
            ("1ex", InvalidNumber, 2),
            ("0x10", TrailingCharacters, 1),
            ("1 2", TrailingCharacters, 2),
            ("NaN", ExpectedValue, 0),
            ("Infinity", ExpectedValue, 0),
            ("-Infinity", InvalidNumber, 1),
            ("[1.]", InvalidNumber, 3),
        ];
        for &(doc, kind, offset) in table {
            assert_eq!(err(doc.as_bytes()), (kind, offset), "{doc:?}");
        }
    }

    #[test]
    fn escapes_and_surrogates() {
        let table: &[(&str, &str)] = &[
            (r#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{c}\n\r\t"),
            (r#""\u0041\u00e9\u20AC""#, "A\u{e9}\u{20ac}"),
            (r#""\u0000""#, "\0"),
            (r#""\uD83D\uDE00""#, "\u{1f600}"),
            (r#""\ud83d\ude00x""#, "\u{1f600}x"),
            (r#""\uDBFF\uDFFF""#, "\u{10ffff}"),
            (r#""\uD800\uDC00""#, "\u{10000}"),
            (r#""a\u0022b""#, "a\"b"),
        ];
        for &(doc, expected) in table {
            assert_eq!(ok(doc), s(expected), "{doc:?}");
        }
        let refused: &[(&[u8], JsonErrorKind, usize)] = &[
            (br#""\uD83D""#, LoneSurrogate, 1),
            (br#""ab\uD83Dx""#, LoneSurrogate, 3),
            (br#""\uD83D\n""#, LoneSurrogate, 1),
            (br#""\uD83D\u0041""#, LoneSurrogate, 1),
            (br#""\uD83D\uD83D""#, LoneSurrogate, 1),
            (br#""\uDE00""#, LoneSurrogate, 1),
            (br#""\uDE00\uD83D""#, LoneSurrogate, 1),
            (br#""\u12""#, InvalidUnicodeEscape, 5),
            (br#""\u12G4""#, InvalidUnicodeEscape, 5),
            (br#""\u+123""#, InvalidUnicodeEscape, 3),
            (br#""\U0041""#, InvalidEscape, 1),
            (br#""\x41""#, InvalidEscape, 1),
            (br#""\'""#, InvalidEscape, 1),
            (br#""\ ""#, InvalidEscape, 1),
            (br#""\"#, UnexpectedEnd, 2),
            (br#""\u00"#, UnexpectedEnd, 5),
            (br#""\uD83D\u"#, UnexpectedEnd, 9),
            (b"\"a\nb\"", ControlCharacter, 2),
            (b"\"\t\"", ControlCharacter, 1),
            (b"\"\x00\"", ControlCharacter, 1),
            (b"\"\x1f\"", ControlCharacter, 1),
            (b"\"abc", UnexpectedEnd, 4),
            (b"\"\xff\"", InvalidUtf8, 1),
            (b"\"\xed\xa0\x80\"", InvalidUtf8, 1), // a surrogate encoded in UTF-8
            (b"\"\xc3\"", InvalidUtf8, 1),
        ];
        for &(doc, kind, offset) in refused {
            assert_eq!(
                err(doc),
                (kind, offset),
                "{:?}",
                String::from_utf8_lossy(doc)
            );
        }
    }

    #[test]
    fn invalid_documents() {
        let table: &[(&[u8], JsonErrorKind, usize)] = &[
            (b"", UnexpectedEnd, 0),
            (b"   ", UnexpectedEnd, 3),
            (b"nul", ExpectedValue, 0),
            (b"True", ExpectedValue, 0),
            (b"nullx", TrailingCharacters, 4),
            (b"truefalse", TrailingCharacters, 4),
            (b"{} {}", TrailingCharacters, 3),
            (b"[1,]", ExpectedValue, 3),
            (b"[,1]", ExpectedValue, 1),
            (b"[1 2]", ExpectedCommaOrBracket, 3),
            (b"[1", UnexpectedEnd, 2),
            (b"[", UnexpectedEnd, 1),
            (b"]", ExpectedValue, 0),
            (b"{\"a\":1,}", ExpectedKey, 7),
            (b"{,}", ExpectedKey, 1),
            (b"{a:1}", ExpectedKey, 1),
            (b"{'a':1}", ExpectedKey, 1),
            (b"{1:1}", ExpectedKey, 1),
            (b"{\"a\" 1}", ExpectedColon, 5),
            (b"{\"a\":}", ExpectedValue, 5),
            (b"{\"a\":1 \"b\":2}", ExpectedCommaOrBrace, 7),
            (b"{\"a\":1", UnexpectedEnd, 6),
            (b"{\"a\"", UnexpectedEnd, 4),
            (b"{", UnexpectedEnd, 1),
            (b"[}", ExpectedValue, 1),
            (b"{]", ExpectedKey, 1),
            (b"\xef\xbb\xbf{}", ExpectedValue, 0), // a byte-order mark
            (b"\x0c{}", ExpectedValue, 0),         // form feed is not JSON white space
            (b"{}\x00", TrailingCharacters, 2),
            (b"\xa0{}", InvalidUtf8, 0),
            (b"\xc2\xa0{}", ExpectedValue, 0), // U+00A0 is not JSON white space
            (b"// c\n{}", ExpectedValue, 0),
            (b"[1]/*c*/", TrailingCharacters, 3),
        ];
        for &(doc, kind, offset) in table {
            assert_eq!(
                err(doc),
                (kind, offset),
                "{:?}",
                String::from_utf8_lossy(doc)
            );
        }
        let e = parse(b"[1,]").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid JSON: something that is not a value at byte 3"
        );
    }

    #[test]
    fn depth_limit() {
        let nested = |open: &str, close: &str, depth: usize| {
            format!("{}{}", open.repeat(depth), close.repeat(depth))
        };
        assert!(parse(nested("[", "]", MAX_DEPTH).as_bytes()).is_ok());
        assert!(
            parse(format!("{}1{}", "{\"k\":".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH)).as_bytes())
                .is_ok()
        );
        assert_eq!(
            err(nested("[", "]", MAX_DEPTH + 1).as_bytes()),
            (TooDeep, MAX_DEPTH)
        );
        assert_eq!(
            err(format!(
                "{}1{}",
                "{\"k\":".repeat(MAX_DEPTH + 1),
                "}".repeat(MAX_DEPTH + 1)
            )
            .as_bytes()),
            (TooDeep, 5 * MAX_DEPTH)
        );
        // Hostile input fails fast instead of overflowing the stack.
        let hostile = "[".repeat(1_000_000);
        assert_eq!(err(hostile.as_bytes()), (TooDeep, MAX_DEPTH));
        let hostile = "{\"\":".repeat(1_000_000);
        assert_eq!(err(hostile.as_bytes()).0, TooDeep);
    }

    #[test]
    fn accessors() {
        let doc = ok(r#"{"a":"x","a":"y","n":12,"s":"34","z":null,"o":{"a":1}}"#);
        // Duplicate keys are kept; the first one wins.
        assert_eq!(doc.get("a"), Some(&s("x")));
        assert_eq!(doc.get("a").and_then(Json::as_str), Some("x"));
        assert_eq!(doc.get("missing"), None);
        assert_eq!(doc.get("n").and_then(Json::as_u32), Some(12));
        assert_eq!(doc.get("s").and_then(Json::as_u32), Some(34));
        assert_eq!(doc.get("n").and_then(Json::as_str), None);
        assert!(doc.get("z").is_some_and(Json::is_null));
        assert!(!doc.get("n").is_some_and(Json::is_null));
        assert_eq!(doc.get("o").and_then(|o| o.get("a")), Some(&n("1")));
        // `get` only looks into objects.
        assert_eq!(ok(r#"["a"]"#).get("a"), None);
        assert_eq!(s("a").get("a"), None);

        let u32_table: &[(Json, Option<u32>)] = &[
            (n("0"), Some(0)),
            (n("4294967295"), Some(u32::MAX)),
            (n("4294967296"), None),
            (n("99999999999999999999"), None),
            (n("-1"), None),
            (n("-0"), None),
            (n("1.0"), None),
            (n("1e2"), None),
            (s("2"), Some(2)),
            (s("007"), Some(7)),
            (s("4294967295"), Some(u32::MAX)),
            (s("4294967296"), None),
            (s(""), None),
            (s(" 2"), None),
            (s("+2"), None),
            (s("-2"), None),
            (s("2.0"), None),
            (s("\u{661}"), None), // an Arabic-Indic digit is not ASCII
            (Json::Null, None),
            (Json::Bool(true), None),
            (Json::Array(vec![n("1")]), None),
        ];
        for (value, expected) in u32_table {
            assert_eq!(value.as_u32(), *expected, "{value:?}");
        }
    }

    #[test]
    fn writing() {
        let mut out = String::new();
        write_str(
            &mut out,
            "a\"b\\c/d\n\r\t\u{8}\u{c}\0\u{1f}\u{7f}é😀\u{2028}",
        );
        assert_eq!(
            out,
            r#""a\"b\\c/d\n\r\t\b\f\u0000\u001f"#.to_string() + "\u{7f}é😀\u{2028}\""
        );
        let mut out = String::new();
        write_string_object(&mut out, &[]);
        assert_eq!(out, "{}");
        let mut out = String::new();
        write_string_object(&mut out, &[("k", "v"), ("q\"", "")]);
        assert_eq!(out, r#"{"k":"v","q\"":""}"#);
        assert_eq!(
            ok(&out),
            Json::Object(vec![("k".into(), s("v")), ("q\"".into(), s(""))])
        );
    }

    fn any_json() -> impl Strategy<Value = Json> {
        let number = "-?(0|[1-9][0-9]{0,12})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?";
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            number.prop_map(Json::Number),
            any::<String>().prop_map(Json::String),
        ];
        leaf.prop_recursive(6, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
                prop::collection::vec((any::<String>(), inner), 0..6).prop_map(Json::Object),
            ]
        })
    }

    proptest! {
        #[test]
        fn never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn never_panics_on_strings(text in any::<String>()) {
            let _ = parse(text.as_bytes());
        }

        #[test]
        fn never_panics_on_json_like_text(
            text in "[\\[\\]{}:,\" \\\\/0-9.eE+\\-tfrunlasbuDdCc\u{e9}\u{1f600}\n]{0,80}"
        ) {
            if let Err(e) = parse(text.as_bytes()) {
                prop_assert!(e.offset <= text.len());
            }
        }

        #[test]
        fn write_str_round_trips(text in any::<String>()) {
            let mut out = String::new();
            write_str(&mut out, &text);
            prop_assert_eq!(parse(out.as_bytes()), Ok(Json::String(text)));
        }

        #[test]
        fn documents_round_trip(value in any_json()) {
            let mut out = String::new();
            write_value(&mut out, &value);
            prop_assert_eq!(parse(out.as_bytes()), Ok(value));
        }
    }
}
