//! GSM 03.38 character data and lookups.
//!
//! Three tables, each sorted by Unicode code point (checked at compile time):
//!
//! * [`BASIC`]: the 127 characters of the GSM 03.38 default alphabet (1 septet each);
//! * [`EXTENSION`]: the 10 characters reached through the escape code 0x1B (2 septets each);
//! * [`SMART`]: the 271 look-alike replacements of Twilio's smart encoding.
//!
//! Lookups never allocate: ASCII is answered from bitmasks built at compile time, everything
//! else by binary search. U+001B (ESC) is deliberately absent: it is not a text character.

/// GSM 03.38 default alphabet: `(character, GSM code)`, sorted by character.
pub static BASIC: [(char, u8); 127] = BASIC_DATA;

/// GSM 03.38 extension table: `(character, code sent after ESC 0x1B)`, sorted by character.
pub static EXTENSION: [(char, u8); 10] = EXTENSION_DATA;

/// Smart-encoding map: `(code point, replacement)`, sorted by code point. A replacement may be
/// empty (the code point is dropped) or several characters long; it is always pure GSM.
pub static SMART: [(char, &str); 271] = SMART_DATA;

/// The GSM escape code that prefixes every [`EXTENSION`] character.
pub const ESCAPE: u8 = 0x1B;

const BASIC_DATA: [(char, u8); 127] = [
    ('\n', 0x0A),
    ('\r', 0x0D),
    (' ', 0x20),
    ('!', 0x21),
    ('"', 0x22),
    ('#', 0x23),
    ('$', 0x02),
    ('%', 0x25),
    ('&', 0x26),
    ('\'', 0x27),
    ('(', 0x28),
    (')', 0x29),
    ('*', 0x2A),
    ('+', 0x2B),
    (',', 0x2C),
    ('-', 0x2D),
    ('.', 0x2E),
    ('/', 0x2F),
    ('0', 0x30),
    ('1', 0x31),
    ('2', 0x32),
    ('3', 0x33),
    ('4', 0x34),
    ('5', 0x35),
    ('6', 0x36),
    ('7', 0x37),
    ('8', 0x38),
    ('9', 0x39),
    (':', 0x3A),
    (';', 0x3B),
    ('<', 0x3C),
    ('=', 0x3D),
    ('>', 0x3E),
    ('?', 0x3F),
    ('@', 0x00),
    ('A', 0x41),
    ('B', 0x42),
    ('C', 0x43),
    ('D', 0x44),
    ('E', 0x45),
    ('F', 0x46),
    ('G', 0x47),
    ('H', 0x48),
    ('I', 0x49),
    ('J', 0x4A),
    ('K', 0x4B),
    ('L', 0x4C),
    ('M', 0x4D),
    ('N', 0x4E),
    ('O', 0x4F),
    ('P', 0x50),
    ('Q', 0x51),
    ('R', 0x52),
    ('S', 0x53),
    ('T', 0x54),
    ('U', 0x55),
    ('V', 0x56),
    ('W', 0x57),
    ('X', 0x58),
    ('Y', 0x59),
    ('Z', 0x5A),
    ('_', 0x11),
    ('a', 0x61),
    ('b', 0x62),
    ('c', 0x63),
    ('d', 0x64),
    ('e', 0x65),
    ('f', 0x66),
    ('g', 0x67),
    ('h', 0x68),
    ('i', 0x69),
    ('j', 0x6A),
    ('k', 0x6B),
    ('l', 0x6C),
    ('m', 0x6D),
    ('n', 0x6E),
    ('o', 0x6F),
    ('p', 0x70),
    ('q', 0x71),
    ('r', 0x72),
    ('s', 0x73),
    ('t', 0x74),
    ('u', 0x75),
    ('v', 0x76),
    ('w', 0x77),
    ('x', 0x78),
    ('y', 0x79),
    ('z', 0x7A),
    ('\u{00A1}', 0x40), // ¡
    ('\u{00A3}', 0x01), // £
    ('\u{00A4}', 0x24), // ¤
    ('\u{00A5}', 0x03), // ¥
    ('\u{00A7}', 0x5F), // §
    ('\u{00BF}', 0x60), // ¿
    ('\u{00C4}', 0x5B), // Ä
    ('\u{00C5}', 0x0E), // Å
    ('\u{00C6}', 0x1C), // Æ
    ('\u{00C7}', 0x09), // Ç
    ('\u{00C9}', 0x1F), // É
    ('\u{00D1}', 0x5D), // Ñ
    ('\u{00D6}', 0x5C), // Ö
    ('\u{00D8}', 0x0B), // Ø
    ('\u{00DC}', 0x5E), // Ü
    ('\u{00DF}', 0x1E), // ß
    ('\u{00E0}', 0x7F), // à
    ('\u{00E4}', 0x7B), // ä
    ('\u{00E5}', 0x0F), // å
    ('\u{00E6}', 0x1D), // æ
    ('\u{00E8}', 0x04), // è
    ('\u{00E9}', 0x05), // é
    ('\u{00EC}', 0x07), // ì
    ('\u{00F1}', 0x7D), // ñ
    ('\u{00F2}', 0x08), // ò
    ('\u{00F6}', 0x7C), // ö
    ('\u{00F8}', 0x0C), // ø
    ('\u{00F9}', 0x06), // ù
    ('\u{00FC}', 0x7E), // ü
    ('\u{0393}', 0x13), // Γ
    ('\u{0394}', 0x10), // Δ
    ('\u{0398}', 0x19), // Θ
    ('\u{039B}', 0x14), // Λ
    ('\u{039E}', 0x1A), // Ξ
    ('\u{03A0}', 0x16), // Π
    ('\u{03A3}', 0x18), // Σ
    ('\u{03A6}', 0x12), // Φ
    ('\u{03A8}', 0x17), // Ψ
    ('\u{03A9}', 0x15), // Ω
];

const EXTENSION_DATA: [(char, u8); 10] = [
    ('\u{000C}', 0x0A),
    ('[', 0x3C),
    ('\\', 0x2F),
    (']', 0x3E),
    ('^', 0x14),
    ('{', 0x28),
    ('|', 0x40),
    ('}', 0x29),
    ('~', 0x3D),
    ('\u{20AC}', 0x65),
];

const SMART_DATA: [(char, &str); 271] = [
    ('\u{0000}', ""),        // NULL
    ('\u{0003}', ""),        // END OF TEXT
    ('\u{0004}', ""),        // END OF TRANSMISSION
    ('\u{0009}', "       "), // CHARACTER TABULATION
    ('\u{0010}', ""),        // DATA LINK ESCAPE
    ('\u{0011}', ""),        // DEVICE CONTROL ONE
    ('\u{0012}', ""),        // DEVICE CONTROL TWO
    ('\u{0013}', ""),        // DEVICE CONTROL THREE
    ('\u{0014}', ""),        // DEVICE CONTROL FOUR
    ('\u{0017}', ""),        // END OF TRANSMISSION BLOCK
    ('\u{0019}', ""),        // END OF MEDIUM
    ('\u{0060}', "'"),       // GRAVE ACCENT
    ('\u{0080}', "  "),      // C1 CONTROL 0080
    ('\u{008D}', "  "),      // REVERSE LINE FEED
    ('\u{0090}', "  "),      // DEVICE CONTROL STRING
    ('\u{009B}', "  "),      // CONTROL SEQUENCE INTRODUCER
    ('\u{009F}', "  "),      // APPLICATION PROGRAM COMMAND
    ('\u{00A0}', "  "),      // NO-BREAK SPACE
    ('\u{00AB}', "\""),      // LEFT-POINTING DOUBLE ANGLE QUOTATION MARK
    ('\u{00B4}', "'"),       // ACUTE ACCENT
    ('\u{00BB}', "\""),      // RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK
    ('\u{00BC}', "1/4"),     // VULGAR FRACTION ONE QUARTER
    ('\u{00BD}', "1/2"),     // VULGAR FRACTION ONE HALF
    ('\u{00BE}', "3/4"),     // VULGAR FRACTION THREE QUARTERS
    ('\u{00F7}', "/"),       // DIVISION SIGN
    ('\u{01C3}', "!"),       // LATIN LETTER RETROFLEX CLICK
    ('\u{0262}', "G"),       // LATIN LETTER SMALL CAPITAL G
    ('\u{026A}', "I"),       // LATIN LETTER SMALL CAPITAL I
    ('\u{0274}', "N"),       // LATIN LETTER SMALL CAPITAL N
    ('\u{0280}', "R"),       // LATIN LETTER SMALL CAPITAL R
    ('\u{028F}', "Y"),       // LATIN LETTER SMALL CAPITAL Y
    ('\u{0299}', "B"),       // LATIN LETTER SMALL CAPITAL B
    ('\u{029C}', "H"),       // LATIN LETTER SMALL CAPITAL H
    ('\u{029F}', "L"),       // LATIN LETTER SMALL CAPITAL L
    ('\u{02B9}', "'"),       // MODIFIER LETTER PRIME
    ('\u{02BA}', "\""),      // MODIFIER LETTER DOUBLE PRIME
    ('\u{02BB}', "'"),       // MODIFIER LETTER TURNED COMMA
    ('\u{02BC}', "'"),       // MODIFIER LETTER APOSTROPHE
    ('\u{02BD}', "'"),       // MODIFIER LETTER REVERSED COMMA
    ('\u{02C6}', "^"),       // MODIFIER LETTER CIRCUMFLEX ACCENT
    ('\u{02C8}', "'"),       // MODIFIER LETTER VERTICAL LINE
    ('\u{02CA}', "'"),       // MODIFIER LETTER ACUTE ACCENT
    ('\u{02CB}', "'"),       // MODIFIER LETTER GRAVE ACCENT
    ('\u{02D0}', ":"),       // MODIFIER LETTER TRIANGULAR COLON
    ('\u{02D6}', "+"),       // MODIFIER LETTER PLUS SIGN
    ('\u{02DC}', "~"),       // SMALL TILDE
    ('\u{02EE}', "\""),      // MODIFIER LETTER DOUBLE APOSTROPHE
    ('\u{02F7}', "~"),       // MODIFIER LETTER LOW TILDE
    ('\u{02F8}', ":"),       // MODIFIER LETTER RAISED COLON
    ('\u{0302}', "^"),       // COMBINING CIRCUMFLEX ACCENT
    ('\u{0303}', "~"),       // COMBINING TILDE
    ('\u{0313}', "'"),       // COMBINING COMMA ABOVE
    ('\u{0314}', "'"),       // COMBINING REVERSED COMMA ABOVE
    ('\u{0326}', ","),       // COMBINING COMMA BELOW
    ('\u{0330}', "~"),       // COMBINING TILDE BELOW
    ('\u{0332}', "_"),       // COMBINING LOW LINE
    ('\u{0334}', "~"),       // COMBINING TILDE OVERLAY
    ('\u{0337}', "/"),       // COMBINING SHORT SOLIDUS OVERLAY
    ('\u{0338}', "/"),       // COMBINING LONG SOLIDUS OVERLAY
    ('\u{0347}', "="),       // COMBINING EQUALS SIGN BELOW
    ('\u{1D00}', "A"),       // LATIN LETTER SMALL CAPITAL A
    ('\u{1D04}', "C"),       // LATIN LETTER SMALL CAPITAL C
    ('\u{1D05}', "D"),       // LATIN LETTER SMALL CAPITAL D
    ('\u{1D07}', "E"),       // LATIN LETTER SMALL CAPITAL E
    ('\u{1D0A}', "J"),       // LATIN LETTER SMALL CAPITAL J
    ('\u{1D0B}', "K"),       // LATIN LETTER SMALL CAPITAL K
    ('\u{1D0D}', "M"),       // LATIN LETTER SMALL CAPITAL M
    ('\u{1D0F}', "O"),       // LATIN LETTER SMALL CAPITAL O
    ('\u{1D18}', "P"),       // LATIN LETTER SMALL CAPITAL P
    ('\u{1D1B}', "T"),       // LATIN LETTER SMALL CAPITAL T
    ('\u{1D1C}', "U"),       // LATIN LETTER SMALL CAPITAL U
    ('\u{1D20}', "V"),       // LATIN LETTER SMALL CAPITAL V
    ('\u{1D21}', "W"),       // LATIN LETTER SMALL CAPITAL W
    ('\u{1D22}', "Z"),       // LATIN LETTER SMALL CAPITAL Z
    ('\u{1DCD}', "^"),       // COMBINING DOUBLE CIRCUMFLEX ABOVE
    ('\u{2000}', "  "),      // EN QUAD
    ('\u{2001}', " "),       // EM QUAD
    ('\u{2002}', "  "),      // EN SPACE
    ('\u{2003}', "  "),      // EM SPACE
    ('\u{2004}', "  "),      // THREE-PER-EM SPACE
    ('\u{2005}', "  "),      // FOUR-PER-EM SPACE
    ('\u{2006}', "  "),      // SIX-PER-EM SPACE
    ('\u{2007}', "  "),      // FIGURE SPACE
    ('\u{2008}', "  "),      // PUNCTUATION SPACE
    ('\u{2009}', "  "),      // THIN SPACE
    ('\u{200A}', "  "),      // HAIR SPACE
    ('\u{200B}', ""),        // ZERO WIDTH SPACE
    ('\u{200C}', ""),        // ZERO WIDTH NON-JOINER
    ('\u{2010}', "-"),       // HYPHEN
    ('\u{2013}', "-"),       // EN DASH
    ('\u{2014}', "-"),       // EM DASH
    ('\u{2015}', "-"),       // HORIZONTAL BAR
    ('\u{2017}', "_"),       // DOUBLE LOW LINE
    ('\u{2018}', "'"),       // LEFT SINGLE QUOTATION MARK
    ('\u{2019}', "'"),       // RIGHT SINGLE QUOTATION MARK
    ('\u{201A}', ","),       // SINGLE LOW-9 QUOTATION MARK
    ('\u{201B}', "'"),       // SINGLE HIGH-REVERSED-9 QUOTATION MARK
    ('\u{201C}', "\""),      // LEFT DOUBLE QUOTATION MARK
    ('\u{201D}', "\""),      // RIGHT DOUBLE QUOTATION MARK
    ('\u{201E}', "\""),      // DOUBLE LOW-9 QUOTATION MARK
    ('\u{201F}', "\""),      // DOUBLE HIGH-REVERSED-9 QUOTATION MARK
    ('\u{2022}', "-"),       // BULLET
    ('\u{2026}', "..."),     // HORIZONTAL ELLIPSIS
    ('\u{2028}', " "),       // LINE SEPARATOR
    ('\u{2029}', " "),       // PARAGRAPH SEPARATOR
    ('\u{202F}', "  "),      // NARROW NO-BREAK SPACE
    ('\u{2039}', "<"),       // SINGLE LEFT-POINTING ANGLE QUOTATION MARK
    ('\u{203A}', ">"),       // SINGLE RIGHT-POINTING ANGLE QUOTATION MARK
    ('\u{203C}', "!!"),      // DOUBLE EXCLAMATION MARK
    ('\u{2043}', "-"),       // HYPHEN BULLET
    ('\u{2044}', "/"),       // FRACTION SLASH
    ('\u{204E}', "*"),       // LOW ASTERISK
    ('\u{204F}', ";"),       // REVERSED SEMICOLON
    ('\u{205F}', "  "),      // MEDIUM MATHEMATICAL SPACE
    ('\u{2060}', ""),        // WORD JOINER
    ('\u{20D2}', "|"),       // COMBINING LONG VERTICAL LINE OVERLAY
    ('\u{20D3}', "|"),       // COMBINING SHORT VERTICAL LINE OVERLAY
    ('\u{20E5}', "\\"),      // COMBINING REVERSE SOLIDUS OVERLAY
    ('\u{2215}', "/"),       // DIVISION SLASH
    ('\u{2217}', "*"),       // ASTERISK OPERATOR
    ('\u{2223}', "|"),       // DIVIDES
    ('\u{223C}', "~"),       // TILDE OPERATOR
    ('\u{229B}', "*"),       // CIRCLED ASTERISK OPERATOR
    ('\u{239C}', "|"),       // LEFT PARENTHESIS EXTENSION
    ('\u{239F}', "|"),       // RIGHT PARENTHESIS EXTENSION
    ('\u{23B8}', "|"),       // LEFT VERTICAL BOX LINE
    ('\u{23B9}', "|"),       // RIGHT VERTICAL BOX LINE
    ('\u{23BC}', "-"),       // HORIZONTAL SCAN LINE-7
    ('\u{23BD}', "-"),       // HORIZONTAL SCAN LINE-9
    ('\u{23D0}', "|"),       // VERTICAL LINE EXTENSION
    ('\u{2722}', "*"),       // FOUR TEARDROP-SPOKED ASTERISK
    ('\u{2723}', "*"),       // FOUR BALLOON-SPOKED ASTERISK
    ('\u{2724}', "*"),       // HEAVY FOUR BALLOON-SPOKED ASTERISK
    ('\u{2725}', "*"),       // FOUR CLUB-SPOKED ASTERISK
    ('\u{2731}', "*"),       // HEAVY ASTERISK
    ('\u{2732}', "*"),       // OPEN CENTRE ASTERISK
    ('\u{2733}', "*"),       // EIGHT SPOKED ASTERISK
    ('\u{273A}', "*"),       // SIXTEEN POINTED ASTERISK
    ('\u{273B}', "*"),       // TEARDROP-SPOKED ASTERISK
    ('\u{273C}', "*"),       // OPEN CENTRE TEARDROP-SPOKED ASTERISK
    ('\u{273D}', "*"),       // HEAVY TEARDROP-SPOKED ASTERISK
    ('\u{2743}', "*"),       // HEAVY TEARDROP-SPOKED PINWHEEL ASTERISK
    ('\u{2749}', "*"),       // BALLOON-SPOKED ASTERISK
    ('\u{274A}', "*"),       // EIGHT TEARDROP-SPOKED PROPELLER ASTERISK
    ('\u{274B}', "*"),       // HEAVY EIGHT TEARDROP-SPOKED PROPELLER ASTERISK
    ('\u{275B}', "'"),       // HEAVY SINGLE TURNED COMMA QUOTATION MARK ORNAMENT
    ('\u{275C}', "'"),       // HEAVY SINGLE COMMA QUOTATION MARK ORNAMENT
    ('\u{275D}', "\""),      // HEAVY DOUBLE TURNED COMMA QUOTATION MARK ORNAMENT
    ('\u{275E}', "\""),      // HEAVY DOUBLE COMMA QUOTATION MARK ORNAMENT
    ('\u{2768}', "("),       // MEDIUM LEFT PARENTHESIS ORNAMENT
    ('\u{2769}', ")"),       // MEDIUM RIGHT PARENTHESIS ORNAMENT
    ('\u{276A}', "("),       // MEDIUM FLATTENED LEFT PARENTHESIS ORNAMENT
    ('\u{276B}', ")"),       // MEDIUM FLATTENED RIGHT PARENTHESIS ORNAMENT
    ('\u{2774}', "{"),       // MEDIUM LEFT CURLY BRACKET ORNAMENT
    ('\u{2775}', "}"),       // MEDIUM RIGHT CURLY BRACKET ORNAMENT
    ('\u{27EE}', "("),       // MATHEMATICAL LEFT FLATTENED PARENTHESIS
    ('\u{27EF}', ")"),       // MATHEMATICAL RIGHT FLATTENED PARENTHESIS
    ('\u{2982}', ":"),       // Z NOTATION TYPE COLON
    ('\u{2985}', "("),       // LEFT WHITE PARENTHESIS
    ('\u{2986}', ")"),       // RIGHT WHITE PARENTHESIS
    ('\u{29C6}', "*"),       // SQUARED ASTERISK
    ('\u{29F5}', "\\"),      // REVERSE SOLIDUS OPERATOR
    ('\u{29F8}', "/"),       // BIG SOLIDUS
    ('\u{29F9}', "\\"),      // BIG REVERSE SOLIDUS
    ('\u{3000}', "  "),      // IDEOGRAPHIC SPACE
    ('\u{3001}', ","),       // IDEOGRAPHIC COMMA
    ('\u{3002}', "."),       // IDEOGRAPHIC FULL STOP
    ('\u{301D}', "\""),      // REVERSED DOUBLE PRIME QUOTATION MARK
    ('\u{301E}', "\""),      // DOUBLE PRIME QUOTATION MARK
    ('\u{A730}', "F"),       // LATIN LETTER SMALL CAPITAL F
    ('\u{A731}', "S"),       // LATIN LETTER SMALL CAPITAL S
    ('\u{A789}', ":"),       // MODIFIER LETTER COLON
    ('\u{A78A}', "="),       // MODIFIER LETTER SHORT EQUALS SIGN
    ('\u{FE10}', "'"),       // PRESENTATION FORM FOR VERTICAL COMMA
    ('\u{FE11}', "'"),       // PRESENTATION FORM FOR VERTICAL IDEOGRAPHIC COMMA
    ('\u{FE13}', ":"),       // PRESENTATION FORM FOR VERTICAL COLON
    ('\u{FE14}', ";"),       // PRESENTATION FORM FOR VERTICAL SEMICOLON
    ('\u{FE15}', "!"),       // PRESENTATION FORM FOR VERTICAL EXCLAMATION MARK
    ('\u{FE16}', "?"),       // PRESENTATION FORM FOR VERTICAL QUESTION MARK
    ('\u{FE50}', ","),       // SMALL COMMA
    ('\u{FE51}', ","),       // SMALL IDEOGRAPHIC COMMA
    ('\u{FE52}', "."),       // SMALL FULL STOP
    ('\u{FE54}', ";"),       // SMALL SEMICOLON
    ('\u{FE56}', "?"),       // SMALL QUESTION MARK
    ('\u{FE57}', "!"),       // SMALL EXCLAMATION MARK
    ('\u{FE59}', "("),       // SMALL LEFT PARENTHESIS
    ('\u{FE5A}', ")"),       // SMALL RIGHT PARENTHESIS
    ('\u{FE5B}', "{"),       // SMALL LEFT CURLY BRACKET
    ('\u{FE5C}', "}"),       // SMALL RIGHT CURLY BRACKET
    ('\u{FE5F}', "#"),       // SMALL NUMBER SIGN
    ('\u{FE60}', "&"),       // SMALL AMPERSAND
    ('\u{FE61}', "*"),       // SMALL ASTERISK
    ('\u{FE62}', "+"),       // SMALL PLUS SIGN
    ('\u{FE63}', "-"),       // SMALL HYPHEN-MINUS
    ('\u{FE64}', "<"),       // SMALL LESS-THAN SIGN
    ('\u{FE65}', ">"),       // SMALL GREATER-THAN SIGN
    ('\u{FE66}', "="),       // SMALL EQUALS SIGN
    ('\u{FE68}', "\\"),      // SMALL REVERSE SOLIDUS
    ('\u{FE69}', "$"),       // SMALL DOLLAR SIGN
    ('\u{FE6A}', "%"),       // SMALL PERCENT SIGN
    ('\u{FE6B}', "@"),       // SMALL COMMERCIAL AT
    ('\u{FEFF}', ""),        // ZERO WIDTH NO-BREAK SPACE
    ('\u{FF01}', "!"),       // FULLWIDTH EXCLAMATION MARK
    ('\u{FF02}', "\""),      // FULLWIDTH QUOTATION MARK
    ('\u{FF03}', "#"),       // FULLWIDTH NUMBER SIGN
    ('\u{FF04}', "$"),       // FULLWIDTH DOLLAR SIGN
    ('\u{FF05}', "%"),       // FULLWIDTH PERCENT SIGN
    ('\u{FF06}', "&"),       // FULLWIDTH AMPERSAND
    ('\u{FF07}', "'"),       // FULLWIDTH APOSTROPHE
    ('\u{FF08}', "("),       // FULLWIDTH LEFT PARENTHESIS
    ('\u{FF09}', ")"),       // FULLWIDTH RIGHT PARENTHESIS
    ('\u{FF0A}', "*"),       // FULLWIDTH ASTERISK
    ('\u{FF0B}', "+"),       // FULLWIDTH PLUS SIGN
    ('\u{FF0C}', ","),       // FULLWIDTH COMMA
    ('\u{FF0D}', "-"),       // FULLWIDTH HYPHEN-MINUS
    ('\u{FF0E}', "."),       // FULLWIDTH FULL STOP
    ('\u{FF0F}', "/"),       // FULLWIDTH SOLIDUS
    ('\u{FF10}', "0"),       // FULLWIDTH DIGIT ZERO
    ('\u{FF11}', "1"),       // FULLWIDTH DIGIT ONE
    ('\u{FF12}', "2"),       // FULLWIDTH DIGIT TWO
    ('\u{FF13}', "3"),       // FULLWIDTH DIGIT THREE
    ('\u{FF14}', "4"),       // FULLWIDTH DIGIT FOUR
    ('\u{FF15}', "5"),       // FULLWIDTH DIGIT FIVE
    ('\u{FF16}', "6"),       // FULLWIDTH DIGIT SIX
    ('\u{FF17}', "7"),       // FULLWIDTH DIGIT SEVEN
    ('\u{FF18}', "8"),       // FULLWIDTH DIGIT EIGHT
    ('\u{FF19}', "9"),       // FULLWIDTH DIGIT NINE
    ('\u{FF1A}', ":"),       // FULLWIDTH COLON
    ('\u{FF1B}', ";"),       // FULLWIDTH SEMICOLON
    ('\u{FF1C}', "<"),       // FULLWIDTH LESS-THAN SIGN
    ('\u{FF1D}', "="),       // FULLWIDTH EQUALS SIGN
    ('\u{FF1E}', ">"),       // FULLWIDTH GREATER-THAN SIGN
    ('\u{FF1F}', "?"),       // FULLWIDTH QUESTION MARK
    ('\u{FF20}', "@"),       // FULLWIDTH COMMERCIAL AT
    ('\u{FF21}', "A"),       // FULLWIDTH LATIN CAPITAL LETTER A
    ('\u{FF22}', "B"),       // FULLWIDTH LATIN CAPITAL LETTER B
    ('\u{FF23}', "C"),       // FULLWIDTH LATIN CAPITAL LETTER C
    ('\u{FF24}', "D"),       // FULLWIDTH LATIN CAPITAL LETTER D
    ('\u{FF25}', "E"),       // FULLWIDTH LATIN CAPITAL LETTER E
    ('\u{FF26}', "F"),       // FULLWIDTH LATIN CAPITAL LETTER F
    ('\u{FF27}', "G"),       // FULLWIDTH LATIN CAPITAL LETTER G
    ('\u{FF28}', "H"),       // FULLWIDTH LATIN CAPITAL LETTER H
    ('\u{FF29}', "I"),       // FULLWIDTH LATIN CAPITAL LETTER I
    ('\u{FF2A}', "J"),       // FULLWIDTH LATIN CAPITAL LETTER J
    ('\u{FF2B}', "K"),       // FULLWIDTH LATIN CAPITAL LETTER K
    ('\u{FF2C}', "L"),       // FULLWIDTH LATIN CAPITAL LETTER L
    ('\u{FF2D}', "M"),       // FULLWIDTH LATIN CAPITAL LETTER M
    ('\u{FF2E}', "N"),       // FULLWIDTH LATIN CAPITAL LETTER N
    ('\u{FF2F}', "O"),       // FULLWIDTH LATIN CAPITAL LETTER O
    ('\u{FF30}', "P"),       // FULLWIDTH LATIN CAPITAL LETTER P
    ('\u{FF31}', "Q"),       // FULLWIDTH LATIN CAPITAL LETTER Q
    ('\u{FF32}', "R"),       // FULLWIDTH LATIN CAPITAL LETTER R
    ('\u{FF33}', "S"),       // FULLWIDTH LATIN CAPITAL LETTER S
    ('\u{FF34}', "T"),       // FULLWIDTH LATIN CAPITAL LETTER T
    ('\u{FF35}', "U"),       // FULLWIDTH LATIN CAPITAL LETTER U
    ('\u{FF36}', "V"),       // FULLWIDTH LATIN CAPITAL LETTER V
    ('\u{FF37}', "W"),       // FULLWIDTH LATIN CAPITAL LETTER W
    ('\u{FF38}', "X"),       // FULLWIDTH LATIN CAPITAL LETTER X
    ('\u{FF39}', "Y"),       // FULLWIDTH LATIN CAPITAL LETTER Y
    ('\u{FF3A}', "Z"),       // FULLWIDTH LATIN CAPITAL LETTER Z
    ('\u{FF3B}', "["),       // FULLWIDTH LEFT SQUARE BRACKET
    ('\u{FF3C}', "\\"),      // FULLWIDTH REVERSE SOLIDUS
    ('\u{FF3D}', "]"),       // FULLWIDTH RIGHT SQUARE BRACKET
    ('\u{FF3E}', "^"),       // FULLWIDTH CIRCUMFLEX ACCENT
    ('\u{FF3F}', "_"),       // FULLWIDTH LOW LINE
    ('\u{FF5B}', "{"),       // FULLWIDTH LEFT CURLY BRACKET
    ('\u{FF5C}', "|"),       // FULLWIDTH VERTICAL LINE
    ('\u{FF5D}', "}"),       // FULLWIDTH RIGHT CURLY BRACKET
    ('\u{FF5E}', "~"),       // FULLWIDTH TILDE
    ('\u{FF61}', "."),       // HALFWIDTH IDEOGRAPHIC FULL STOP
    ('\u{FF64}', ","),       // HALFWIDTH IDEOGRAPHIC COMMA
];

/// True when the keys are strictly increasing (sorted, no duplicates).
const fn strictly_sorted<T: Copy>(table: &[(char, T)]) -> bool {
    let mut i = 1;
    while i < table.len() {
        if table[i - 1].0 as u32 >= table[i].0 as u32 {
            return false;
        }
        i += 1;
    }
    true
}

/// Bit `n` is set when U+00nn (n < 128) is a key of `table`.
const fn ascii_mask<T: Copy>(table: &[(char, T)]) -> u128 {
    let mut mask = 0u128;
    let mut i = 0;
    while i < table.len() {
        let cp = table[i].0 as u32;
        if cp < 128 {
            mask |= 1u128 << cp;
        }
        i += 1;
    }
    mask
}

const _: () = assert!(strictly_sorted(&BASIC_DATA));
const _: () = assert!(strictly_sorted(&EXTENSION_DATA));
const _: () = assert!(strictly_sorted(&SMART_DATA));

const BASIC_ASCII: u128 = ascii_mask(&BASIC_DATA);
const EXTENSION_ASCII: u128 = ascii_mask(&EXTENSION_DATA);
const SMART_ASCII: u128 = ascii_mask(&SMART_DATA);

/// Bitmask answer for ASCII, `None` when `c` is not ASCII.
#[inline]
fn ascii_hit(mask: u128, c: char) -> Option<bool> {
    let cp = c as u32;
    (cp < 128).then(|| (mask >> cp) & 1 == 1)
}

#[inline]
fn find<T: Copy>(table: &[(char, T)], c: char) -> Option<T> {
    table
        .binary_search_by_key(&c, |&(key, _)| key)
        .ok()
        .and_then(|i| table.get(i))
        .map(|&(_, value)| value)
}

/// GSM code of `c` in the default alphabet.
pub fn basic_code(c: char) -> Option<u8> {
    match ascii_hit(BASIC_ASCII, c) {
        Some(false) => None,
        _ => find(&BASIC, c),
    }
}

/// Code of `c` in the extension table (to be sent after [`ESCAPE`]).
pub fn extension_code(c: char) -> Option<u8> {
    match ascii_hit(EXTENSION_ASCII, c) {
        Some(false) => None,
        _ => find(&EXTENSION, c),
    }
}

/// Septets the ASCII character `b` costs in GSM-7, as [`septets`] answers (`None` for a byte
/// of 0x80 or more); usable in constants.
pub const fn ascii_septets(b: u8) -> Option<u8> {
    if b >= 0x80 {
        None
    } else if (BASIC_ASCII >> b) & 1 == 1 {
        Some(1)
    } else if (EXTENSION_ASCII >> b) & 1 == 1 {
        Some(2)
    } else {
        None
    }
}

/// Septets `c` costs in GSM-7: 1 (default alphabet), 2 (extension table), `None` if not GSM.
#[inline]
pub fn septets(c: char) -> Option<u8> {
    if let Some(hit) = ascii_hit(BASIC_ASCII, c) {
        if hit {
            return Some(1);
        }
        return ascii_hit(EXTENSION_ASCII, c).and_then(|ext| ext.then_some(2));
    }
    if find(&BASIC, c).is_some() {
        Some(1)
    } else if find(&EXTENSION, c).is_some() {
        Some(2)
    } else {
        None
    }
}

/// True when `c` alone is a GSM-7 character (either table).
#[inline]
pub fn is_gsm(c: char) -> bool {
    septets(c).is_some()
}

/// Smart-encoding replacement for `c`, `None` when `c` is kept as is.
#[inline]
pub fn smart_replacement(c: char) -> Option<&'static str> {
    match ascii_hit(SMART_ASCII, c) {
        Some(false) => None,
        _ => find(&SMART, c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sort_guard_refuses_unsorted_and_repeated_keys() {
        assert!(strictly_sorted(&[('a', 0), ('b', 0), ('c', 0)]));
        assert!(strictly_sorted::<u8>(&[]));
        assert!(!strictly_sorted(&[('b', 0), ('a', 0)]));
        assert!(!strictly_sorted(&[('a', 0), ('a', 1)]));
    }
}
