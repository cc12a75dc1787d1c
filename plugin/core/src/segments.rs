//! SMS segment counting, sans-IO.
//!
//! Reproduces the segment count Twilio bills, as computed by its reference calculator
//! (`sms-segments-calculator` 1.3.0 on npm, and Twilio's "What the Heck is a Segment?"):
//!
//! * The text is cut into **units**: extended grapheme clusters, with a `"\r\n"` cluster
//!   counted as two units. A unit is never split across segments.
//! * A unit is GSM when it is a single UTF-16 code unit found in the GSM 03.38 default
//!   alphabet (1 septet) or the extension table (2 septets); see [`super::gsm`]. One non-GSM
//!   unit switches the whole message to UCS-2, where a unit costs its UTF-16 length.
//! * A single segment carries 1120 bits (160 septets / 70 code units). Once a message needs
//!   more, every segment carries a 48-bit header (153 septets / 67 code units). Packing follows
//!   the reference procedure exactly, including its quirk for clusters too big for a segment
//!   (Zalgo text): they land in an over-full segment, which still counts as one, and can leave
//!   the first segment empty.
//! * [`smart_encode`] is the optional look-alike substitution, applied before counting;
//!   [`smart_substitutions`] says what it would change.
//!
//! **Deliberate difference:** the reference splits graphemes by Unicode 10 (2017) rules; this
//! module uses the current rules of `unicode-segmentation`. Newer emoji ZWJ sequences
//! (`🧑‍🤝‍🧑` is 1 unit, not 3), skin tones on newer emoji (`🫶🏽` is 1 unit, not 2) and Indic
//! conjuncts (`क्ष` is 1 unit, not 2) are therefore single units. This can only change the
//! UCS-2 `characters` figure and, at a segment edge, where a cluster breaks; the encoding
//! decision is never affected.

use std::borrow::Cow;

use unicode_segmentation::UnicodeSegmentation;

use super::gsm;

/// Bits in one SMS payload (140 octets).
const SEGMENT_BITS: u64 = 1120;
/// Bits of the concatenation header every part of a multi-part message carries.
const UDH_BITS: u64 = 48;
/// Bits per GSM-7 septet.
const SEPTET_BITS: u64 = 7;
/// Bits per UTF-16 code unit.
const CODE_UNIT_BITS: u64 = 16;

/// The encoding a message will be sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// GSM 03.38 7-bit.
    Gsm7,
    /// UCS-2 / UTF-16.
    Ucs2,
}

/// What the live counter shows for a body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SegmentInfo {
    /// Encoding the message goes out in.
    pub encoding: Encoding,
    /// Billed segments; 1 for the empty message.
    pub segments: u32,
    /// GSM-7: septets (extension characters count 2). UCS-2: units (grapheme clusters,
    /// `"\r\n"` counted as 2).
    pub characters: u32,
    /// Code points in the counted text.
    pub unicode_scalars: u32,
    /// The units that are not GSM, in order, repeats kept; empty in GSM-7.
    pub non_gsm: Vec<String>,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2) that still fit before another segment is
    /// needed; 0 when the last segment is over-full.
    pub remaining_in_segment: u32,
}

/// True when `c` on its own is a GSM-7 character (default alphabet or extension table).
pub fn is_gsm_char(c: char) -> bool {
    gsm::is_gsm(c)
}

/// Replaces look-alike code points (curly quotes, dashes, odd spaces, full-width forms, ...)
/// by GSM characters, one code point at a time, without normalisation.
///
/// Returns [`Cow::Borrowed`] when nothing is replaced.
pub fn smart_encode(text: &str) -> Cow<'_, str> {
    let Some((start, _)) = text
        .char_indices()
        .find(|&(_, c)| gsm::smart_replacement(c).is_some())
    else {
        return Cow::Borrowed(text);
    };
    let Some((head, tail)) = text.split_at_checked(start) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(head);
    for c in tail.chars() {
        match gsm::smart_replacement(c) {
            Some(replacement) => out.push_str(replacement),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// One character [`smart_encode`] replaces, with what it becomes and how often it occurs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Substitution {
    /// The character as typed.
    pub original: char,
    /// What is sent instead (empty when it is dropped).
    pub replacement: &'static str,
    /// How many times it occurs.
    pub count: u32,
}

/// What [`smart_encode`] would replace in `text`: each character once, in the order it first
/// appears.
pub fn smart_substitutions(text: &str) -> Vec<Substitution> {
    let mut found: Vec<Substitution> = Vec::new();
    for c in text.chars() {
        let Some(replacement) = gsm::smart_replacement(c) else {
            continue;
        };
        match found.iter_mut().find(|s| s.original == c) {
            Some(s) => s.count = s.count.saturating_add(1),
            None => found.push(Substitution {
                original: c,
                replacement,
                count: 1,
            }),
        }
    }
    found
}

/// Twilio's US list price for one SMS segment, $0.008, in millionths of a dollar.
pub const DEFAULT_PRICE_PER_SEGMENT_MICROS: u64 = 8_000;

/// What `segments` cost at `price_per_segment_micros` (default
/// [`DEFAULT_PRICE_PER_SEGMENT_MICROS`]), in millionths of the currency unit.
pub fn cost_micros(segments: u32, price_per_segment_micros: Option<u64>) -> u64 {
    u64::from(segments)
        .saturating_mul(price_per_segment_micros.unwrap_or(DEFAULT_PRICE_PER_SEGMENT_MICROS))
}

/// Counts `text` as given (apply [`smart_encode`] first for smart encoding).
pub fn count(text: &str) -> SegmentInfo {
    tally(text).info
}

/// Segments of 153 septets (a multi-part message) and of 160 (a single one).
const MULTI_SEPTETS: u64 = (SEGMENT_BITS - UDH_BITS) / SEPTET_BITS;
const SINGLE_SEPTETS: u64 = SEGMENT_BITS / SEPTET_BITS;

/// Septets of each ASCII character in GSM-7: 1, 2 (extension table) or 0 (not GSM).
static ASCII_SEPTETS: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = match gsm::ascii_septets(b as u8) {
            Some(n) => n,
            None => 0,
        };
        b += 1;
    }
    table
};

fn tally(text: &str) -> Tally {
    gsm7_tally(text).unwrap_or_else(|| exact_tally(text))
}

/// The fast path for text that is all GSM-7, the common case: `None` at the first character
/// that is not, and the exact path counts instead.
///
/// Grapheme segmentation is not needed here. Every GSM-7 character is a cluster of its own
/// (none is a combining mark, a joiner, a prepended or a regional-indicator character), and
/// the one multi-character cluster, CR LF, counts as two units anyway. So each character is a
/// unit of 1 or 2 septets, and the reference packing reduces to this: 160 septets in one
/// segment, else segments of 153 filled in order, an extension character that does not fit
/// moving whole to the next.
fn gsm7_tally(text: &str) -> Option<Tally> {
    let bytes = text.as_bytes();
    let mut septets: u64 = 0;
    let mut scalars: u64 = 0;
    let mut extension = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let cost = if b < 0x80 {
            i += 1;
            ASCII_SEPTETS[usize::from(b)]
        } else {
            let c = text.get(i..).and_then(|rest| rest.chars().next())?;
            i += c.len_utf8();
            gsm::septets(c)?
        };
        if cost == 0 {
            return None;
        }
        extension |= cost == 2;
        septets += u64::from(cost);
        scalars += 1;
    }

    let (segments, last) = if septets <= SINGLE_SEPTETS {
        (1, septets)
    } else if !extension {
        let segments = septets.div_ceil(MULTI_SEPTETS);
        (segments, septets - (segments - 1) * MULTI_SEPTETS)
    } else {
        let (mut segments, mut fill) = (1u64, 0u64);
        for c in text.chars() {
            let cost = u64::from(gsm::septets(c).unwrap_or(1));
            if fill + cost > MULTI_SEPTETS {
                segments += 1;
                fill = 0;
            }
            fill += cost;
        }
        (segments, fill)
    };
    let capacity = if segments == 1 {
        SINGLE_SEPTETS
    } else {
        MULTI_SEPTETS
    };
    Some(Tally {
        info: SegmentInfo {
            encoding: Encoding::Gsm7,
            segments: saturate(segments),
            characters: saturate(septets),
            unicode_scalars: saturate(scalars),
            non_gsm: Vec::new(),
            remaining_in_segment: saturate(capacity - last),
        },
        message_bits: septets * SEPTET_BITS,
    })
}

/// Replays the reference packing procedure for one encoding, one unit at a time.
#[derive(Debug, Clone, Copy)]
struct Packer {
    /// Segments so far (at least 1).
    segments: u64,
    /// Bits used in the last segment, header included once it has one.
    used: u64,
    /// While there is one segment: bits of its longest unit prefix that still fits beside a
    /// header. When segment 1 overflows it receives a header and sheds its trailing units
    /// until it fits; those are exactly the units past this prefix.
    first_keep: u64,
    /// Payload bits of all units, headers excluded.
    payload: u64,
}

impl Packer {
    const fn new() -> Self {
        Packer {
            segments: 1,
            used: 0,
            first_keep: 0,
            payload: 0,
        }
    }

    #[inline]
    fn push(&mut self, cost: u64) {
        self.payload = self.payload.saturating_add(cost);
        if self.used.saturating_add(cost) > SEGMENT_BITS {
            // The unit does not fit: open a segment with a header. Leaving the single-segment
            // state moves segment 1's trailing units along (no capacity check, as in the
            // reference), then the unit goes in regardless of space.
            let carried = if self.segments == 1 {
                self.used.saturating_sub(self.first_keep)
            } else {
                0
            };
            self.segments = self.segments.saturating_add(1);
            self.used = UDH_BITS.saturating_add(carried);
        }
        self.used = self.used.saturating_add(cost);
        if self.segments == 1 && self.used <= SEGMENT_BITS - UDH_BITS {
            self.first_keep = self.used;
        }
    }

    /// Whole `unit_bits` units still free in the last segment.
    fn remaining(&self, unit_bits: u64) -> u64 {
        SEGMENT_BITS.saturating_sub(self.used) / unit_bits
    }
}

/// Everything one pass over the text produces.
#[derive(Debug)]
struct Tally {
    info: SegmentInfo,
    /// Payload bits in the chosen encoding, headers excluded (the reference's `messageSize`;
    /// only the tests read it).
    #[cfg_attr(not(test), allow(dead_code))]
    message_bits: u64,
}

fn saturate(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The exact path: grapheme clusters, both encodings packed side by side in one pass (the
/// GSM-7 packer stops at the first non-GSM unit).
///
/// An ASCII character followed by another (or by the end) is a cluster of its own (no ASCII
/// character extends a cluster or is extended by one, and CR LF counts as two units), so runs
/// of ASCII skip the segmenter; it starts again, from a boundary, wherever an ASCII character
/// meets a non-ASCII one.
fn exact_tally(text: &str) -> Tally {
    let mut exact = Exact::default();
    let bytes = text.as_bytes();
    let ascii_alone = |at: usize| {
        bytes.get(at).is_some_and(|&b| b < 0x80)
            && bytes.get(at + 1).is_none_or(|&next| next < 0x80)
    };
    let mut at = 0;
    while at < bytes.len() {
        if ascii_alone(at) {
            exact.ascii(bytes[at]);
            at += 1;
            continue;
        }
        let Some(rest) = text.get(at..) else { break };
        for grapheme in rest.graphemes(true) {
            at += grapheme.len();
            exact.cluster(grapheme);
            if ascii_alone(at) {
                break;
            }
        }
    }
    exact.finish()
}

/// What [`exact_tally`] has counted so far.
#[derive(Debug)]
struct Exact {
    gsm7: Packer,
    ucs2: Packer,
    all_gsm: bool,
    units: u64,
    scalars: u64,
    non_gsm: Vec<String>,
}

impl Default for Exact {
    fn default() -> Self {
        Exact {
            gsm7: Packer::new(),
            ucs2: Packer::new(),
            all_gsm: true,
            units: 0,
            scalars: 0,
            non_gsm: Vec::new(),
        }
    }
}

impl Exact {
    /// One unit of one code point and one code unit whose GSM-7 cost is `septets` (`None`
    /// when it is not GSM).
    #[inline]
    fn single(&mut self, septets: Option<u8>, text: impl FnOnce() -> String) {
        self.units += 1;
        self.scalars += 1;
        self.ucs2.push(CODE_UNIT_BITS);
        match septets {
            Some(septets) => {
                if self.all_gsm {
                    self.gsm7.push(u64::from(septets) * SEPTET_BITS);
                }
            }
            None => {
                self.all_gsm = false;
                self.non_gsm.push(text());
            }
        }
    }

    /// An ASCII character that is a cluster of its own.
    #[inline]
    fn ascii(&mut self, b: u8) {
        self.single(gsm::ascii_septets(b), || char::from(b).to_string());
    }

    /// One grapheme cluster from the segmenter.
    fn cluster(&mut self, grapheme: &str) {
        if grapheme == "\r\n" {
            // Two units, both in the default alphabet.
            self.ascii(b'\r');
            self.ascii(b'\n');
            return;
        }
        let mut chars = grapheme.chars();
        if let (Some(c), None) = (chars.next(), chars.next())
            && c.len_utf16() == 1
        {
            self.single(gsm::septets(c), || grapheme.to_owned());
            return;
        }
        let code_points = grapheme.chars().count() as u64;
        let code_units = grapheme.encode_utf16().count() as u64;
        self.units += 1;
        self.scalars += code_points;
        self.ucs2.push(code_units.saturating_mul(CODE_UNIT_BITS));
        self.all_gsm = false;
        self.non_gsm.push(grapheme.to_owned());
    }

    fn finish(self) -> Tally {
        let (encoding, packer, characters, unit_bits) = if self.all_gsm {
            (
                Encoding::Gsm7,
                self.gsm7,
                self.gsm7.payload / SEPTET_BITS,
                SEPTET_BITS,
            )
        } else {
            (Encoding::Ucs2, self.ucs2, self.units, CODE_UNIT_BITS)
        };
        Tally {
            info: SegmentInfo {
                encoding,
                segments: saturate(packer.segments),
                characters: saturate(characters),
                unicode_scalars: saturate(self.scalars),
                non_gsm: self.non_gsm,
                remaining_in_segment: saturate(packer.remaining(unit_bits)),
            },
            message_bits: packer.payload,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Encoding::{Gsm7, Ucs2};

    fn rep(s: &str, n: usize) -> String {
        s.repeat(n)
    }

    fn zalgo(marks: usize, tail: &str) -> String {
        format!("Z{}{tail}", "\u{0301}".repeat(marks))
    }

    const FAMILY: &str = "👨\u{200D}👩\u{200D}👧\u{200D}👦";

    struct Row {
        input: String,
        smart: bool,
        encoding: Encoding,
        segments: u32,
        characters: u32,
        scalars: u32,
        message_bits: u64,
        total_bits: u64,
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        input: impl Into<String>,
        smart: bool,
        encoding: Encoding,
        segments: u32,
        characters: u32,
        scalars: u32,
        message_bits: u64,
        total_bits: u64,
    ) -> Row {
        Row {
            input: input.into(),
            smart,
            encoding,
            segments,
            characters,
            scalars,
            message_bits,
            total_bits,
        }
    }

    fn check(r: &Row) {
        let text = if r.smart {
            smart_encode(&r.input)
        } else {
            Cow::Borrowed(r.input.as_str())
        };
        let t = tally(&text);
        let i = &t.info;
        let what = format!("{:?} (smart {})", r.input, r.smart);
        assert_eq!(i.encoding, r.encoding, "encoding of {what}");
        assert_eq!(i.segments, r.segments, "segments of {what}");
        assert_eq!(i.characters, r.characters, "characters of {what}");
        assert_eq!(i.unicode_scalars, r.scalars, "scalars of {what}");
        assert_eq!(t.message_bits, r.message_bits, "messageSize of {what}");
        let headers = if i.segments > 1 {
            UDH_BITS * u64::from(i.segments)
        } else {
            0
        };
        assert_eq!(
            t.message_bits + headers,
            r.total_bits,
            "totalSize of {what}"
        );
        assert_eq!(
            i.non_gsm.is_empty(),
            i.encoding == Gsm7,
            "non_gsm of {what}"
        );
    }

    /// Section 3 of the spec, row by row.
    #[test]
    fn worked_examples() {
        let rows = [
            row(rep("a", 160), false, Gsm7, 1, 160, 160, 1120, 1120),
            row(rep("a", 161), false, Gsm7, 2, 161, 161, 1127, 1223),
            row(rep("a", 306), false, Gsm7, 2, 306, 306, 2142, 2238),
            row(rep("a", 307), false, Gsm7, 3, 307, 307, 2149, 2293),
            row(rep("a", 159) + "€", false, Gsm7, 2, 161, 160, 1127, 1223),
            row(rep("a", 158) + "€", false, Gsm7, 1, 160, 159, 1120, 1120),
            row(rep("€", 80), false, Gsm7, 1, 160, 80, 1120, 1120),
            row(rep("€", 152), false, Gsm7, 2, 304, 152, 2128, 2224),
            row(rep("€", 153), false, Gsm7, 3, 306, 153, 2142, 2286),
            row(
                rep("a", 152) + "{" + &rep("b", 152),
                false,
                Gsm7,
                3,
                306,
                305,
                2142,
                2286,
            ),
            row(
                rep("a", 151) + "{" + &rep("b", 153),
                false,
                Gsm7,
                2,
                306,
                305,
                2142,
                2238,
            ),
            row(rep("中", 70), false, Ucs2, 1, 70, 70, 1120, 1120),
            row(rep("中", 71), false, Ucs2, 2, 71, 71, 1136, 1232),
            row(rep("中", 134), false, Ucs2, 2, 134, 134, 2144, 2240),
            row(rep("中", 135), false, Ucs2, 3, 135, 135, 2160, 2304),
            row(rep("a", 69) + "😀", false, Ucs2, 2, 70, 70, 1136, 1232),
            row(rep("a", 68) + "😀", false, Ucs2, 1, 69, 69, 1120, 1120),
            row(
                rep("a", 66) + "😀" + &rep("b", 66),
                false,
                Ucs2,
                3,
                133,
                133,
                2144,
                2288,
            ),
            row(rep("😀", 35), false, Ucs2, 1, 35, 35, 1120, 1120),
            row(rep("😀", 36), false, Ucs2, 2, 36, 36, 1152, 1248),
            row(
                rep("a", 60) + FAMILY + &rep("b", 63),
                false,
                Ucs2,
                3,
                124,
                130,
                2144,
                2288,
            ),
            row("a\r\nb", false, Gsm7, 1, 4, 4, 28, 28),
            row("a\tb", false, Ucs2, 1, 3, 3, 48, 48),
            row("e\u{0301}", false, Ucs2, 1, 1, 2, 32, 32),
            row("é", false, Gsm7, 1, 1, 1, 7, 7),
            row("1\u{FE0F}\u{20E3}", false, Ucs2, 1, 1, 3, 48, 48),
            // Modern Unicode: one ZWJ sequence, 1 character (the Unicode 10 reference says 3).
            row("🧑\u{200D}🤝\u{200D}🧑", false, Ucs2, 1, 1, 5, 128, 128),
            // Modern Unicode: skin tone attaches to any emoji, 1 character (reference says 2).
            row("🫶🏽", false, Ucs2, 1, 1, 2, 64, 64),
            row("", false, Gsm7, 1, 0, 0, 0, 0),
            row(zalgo(80, "abc"), false, Ucs2, 3, 4, 84, 1344, 1488),
            row("“Hi”…", false, Ucs2, 1, 5, 5, 80, 80),
            row("“Hi”…", true, Gsm7, 1, 7, 7, 49, 49),
            row("a\u{00A0}b", false, Ucs2, 1, 3, 3, 48, 48),
            row("a\u{00A0}b", true, Gsm7, 1, 4, 4, 28, 28),
            row("a\tb", false, Ucs2, 1, 3, 3, 48, 48),
            row("a\tb", true, Gsm7, 1, 9, 9, 63, 63),
            row("n\u{0303}", false, Ucs2, 1, 1, 2, 32, 32),
            row("n\u{0303}", true, Gsm7, 1, 3, 2, 21, 21),
            row("We’re 😀", false, Ucs2, 1, 7, 7, 128, 128),
            row("We’re 😀", true, Ucs2, 1, 7, 7, 128, 128),
            row(rep("a", 158) + "…", false, Ucs2, 3, 159, 159, 2544, 2688),
            row(rep("a", 158) + "…", true, Gsm7, 2, 161, 161, 1127, 1223),
        ];
        assert_eq!(rows.len(), 42);
        for r in &rows {
            check(r);
        }
    }

    fn segs(text: &str) -> u32 {
        count(text).segments
    }

    #[test]
    fn units_never_straddle() {
        assert_eq!(segs(&rep("€", 153)), 3);
        assert_eq!(segs(&(rep("a", 152) + "{" + &rep("b", 152))), 3);
        assert_eq!(segs(&(rep("a", 151) + "{" + &rep("b", 153))), 2);
        assert_eq!(segs(&(rep("a", 66) + "😀" + &rep("b", 66))), 3);
        assert_eq!(segs(&(rep("a", 60) + FAMILY + &rep("b", 63))), 3);
        // No straddle at the single-segment limit: the whole message is measured.
        assert_eq!(segs(&(rep("a", 158) + "€")), 1);
        assert_eq!(segs(&(rep("a", 159) + "€")), 2);
    }

    #[test]
    fn crlf_is_two_units() {
        let i = count("\r\n");
        assert_eq!((i.encoding, i.characters, i.segments), (Gsm7, 2, 1));
        // CR and LF may land in different segments: 159 'a' + CRLF is 161 septets.
        let i = count(&(rep("a", 159) + "\r\n"));
        assert_eq!((i.segments, i.characters), (2, 161));
        let i = count(&(rep("中", 69) + "\r\n"));
        assert_eq!((i.encoding, i.segments, i.characters), (Ucs2, 2, 71));
    }

    #[test]
    fn zalgo_clusters() {
        // Cluster too big for segment 1: segment 1 stays empty but counts.
        let i = count(&zalgo(80, "abc"));
        assert_eq!((i.encoding, i.segments, i.characters), (Ucs2, 3, 4));
        assert_eq!(i.remaining_in_segment, 67 - 3);

        // 68-unit cluster fits segment 1, then is carried with "ab" into an over-full
        // segment 2 of 1184 bits.
        let t = tally(&zalgo(67, "abc"));
        assert_eq!(t.info.segments, 2);
        assert_eq!(t.info.remaining_in_segment, 0);
        assert_eq!(t.message_bits, (68 + 3) * 16);

        // Exactly one full segment, then one more unit: over-full segment 2.
        assert_eq!(segs(&zalgo(69, "")), 1);
        let i = count(&zalgo(69, "a"));
        assert_eq!((i.segments, i.remaining_in_segment), (2, 0));

        // Oversized cluster in the middle: its own over-full segment, "b" goes to a third.
        let i = count(&(rep("a", 10) + &zalgo(100, "b")));
        assert_eq!(
            (i.segments, i.characters, i.remaining_in_segment),
            (3, 12, 66)
        );

        // Two oversized clusters back to back: one over-full segment each.
        assert_eq!(segs(&(zalgo(80, "") + &zalgo(80, ""))), 3);
    }

    /// The reference procedure, written literally with unit lists and eviction.
    fn literal_packing(costs: &[u64]) -> (u64, u64) {
        struct Seg {
            udh: bool,
            used: u64,
            units: Vec<u64>,
        }
        let mut segs = vec![Seg {
            udh: false,
            used: 0,
            units: Vec::new(),
        }];
        for &c in costs {
            let last = segs.len() - 1;
            if (SEGMENT_BITS as i64) - (segs[last].used as i64) < c as i64 {
                let mut new = Seg {
                    udh: true,
                    used: UDH_BITS,
                    units: Vec::new(),
                };
                let cur = &mut segs[last];
                if !cur.udh {
                    cur.udh = true;
                    cur.used += UDH_BITS;
                    let mut moved = Vec::new();
                    while cur.used > SEGMENT_BITS {
                        let u = cur.units.pop().unwrap();
                        cur.used -= u;
                        moved.insert(0, u);
                    }
                    for u in moved {
                        new.used += u;
                        new.units.push(u);
                    }
                }
                segs.push(new);
            }
            let cur = segs.last_mut().unwrap();
            cur.used += c;
            cur.units.push(c);
        }
        (segs.len() as u64, segs.last().unwrap().used)
    }

    #[test]
    fn packer_matches_literal_procedure() {
        // Deterministic xorshift; unit costs from GSM septets up to oversized clusters.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let palettes: [&[u64]; 4] = [
            &[7, 14],
            &[16, 32, 48],
            &[16, 32, 176, 1088, 1296],
            &[16, 1120, 1184],
        ];
        for round in 0..4000 {
            let palette = palettes[round % palettes.len()];
            let len = (next() % 400) as usize;
            let costs: Vec<u64> = (0..len)
                .map(|_| palette[(next() % palette.len() as u64) as usize])
                .collect();
            let mut p = Packer::new();
            for &c in &costs {
                p.push(c);
            }
            assert_eq!((p.segments, p.used), literal_packing(&costs), "{costs:?}");
        }
    }

    #[test]
    fn non_gsm_units() {
        let i = count("e\u{0301} 1\u{FE0F}\u{20E3} ab 😀 😀");
        assert_eq!(i.encoding, Ucs2);
        assert_eq!(i.non_gsm, ["e\u{0301}", "1\u{FE0F}\u{20E3}", "😀", "😀"]);
        assert!(count("Hello {world} €5").non_gsm.is_empty());
        assert_eq!(count("ça").non_gsm, ["ç"]);
        assert_eq!(count("a`b").non_gsm, ["`"]);
    }

    #[test]
    fn remaining_in_segment() {
        let rem = |s: &str| count(s).remaining_in_segment;
        assert_eq!(rem(""), 160);
        assert_eq!(rem(&rep("a", 150)), 10);
        assert_eq!(rem(&rep("a", 160)), 0);
        assert_eq!(rem(&rep("a", 161)), 145);
        assert_eq!(rem(&rep("a", 306)), 0);
        assert_eq!(rem(&rep("€", 79)), 2);
        assert_eq!(rem(&rep("€", 153)), 151);
        assert_eq!(rem(&(rep("a", 152) + "{" + &rep("b", 152))), 152);
        assert_eq!(rem("中"), 69);
        assert_eq!(rem(&rep("中", 71)), 63);
        // Emoji at the edges.
        assert_eq!(rem(&(rep("a", 68) + "😀")), 0);
        assert_eq!(rem(&(rep("a", 69) + "😀")), 63);
        assert_eq!(rem(&rep("😀", 36)), 61);
        assert_eq!(rem(&(rep("a", 66) + "😀" + &rep("b", 66))), 66);
        assert_eq!(rem(&(rep("中", 66) + "😀")), 2);
    }

    #[test]
    fn modern_grapheme_rules() {
        // Differences from the Unicode 10 reference, documented in the module docs.
        for (text, code_units) in [
            ("🧑\u{200D}🤝\u{200D}🧑", 8),
            ("🫶🏽", 4),
            ("❤\u{FE0F}\u{200D}🔥", 5),
            ("🏴\u{200D}☠\u{FE0F}", 5),
            ("क्ष", 3),
        ] {
            let i = count(text);
            assert_eq!(
                (i.encoding, i.characters, i.segments),
                (Ucs2, 1, 1),
                "{text}"
            );
            assert_eq!(i.remaining_in_segment, 70 - code_units, "{text}");
            assert_eq!(i.non_gsm, [text]);
        }
    }

    #[test]
    fn gsm_membership() {
        for c in [
            '`', '\t', '\u{0B}', '\u{1B}', '\u{85}', '\u{A0}', 'ç', 'á', 'í', 'ó', 'ú', 'â', 'ê',
            'À', '\u{2126}', '\u{2206}', 'µ', '\u{1E9E}', 'Α', '\u{2028}', '\u{2029}',
        ] {
            assert!(!is_gsm_char(c), "{c:?} is not GSM");
        }
        for c in "éèùìòÇØøÅåÄÖÑÜßäöñüàÉÆæΔΦΓΛΩΠΨΣΘΞ\n\r @£$¥".chars()
        {
            assert_eq!(gsm::septets(c), Some(1), "{c:?}");
        }
        for c in "\u{0C}^{}\\[~]|€".chars() {
            assert_eq!(gsm::septets(c), Some(2), "{c:?}");
        }
        assert_eq!(count("\u{0C}").characters, 2);
        assert_eq!(gsm::basic_code('@'), Some(0x00));
        assert_eq!(gsm::basic_code('à'), Some(0x7F));
        assert_eq!(gsm::extension_code('€'), Some(0x65));
        assert_eq!(gsm::extension_code('a'), None);
    }

    #[test]
    fn smart_encoding() {
        assert_eq!(smart_encode("“Hi” ‘x’"), "\"Hi\" 'x'");
        assert_eq!(smart_encode("a\u{00A0}b"), "a  b");
        assert_eq!(smart_encode("a\tb"), "a       b");
        assert_eq!(smart_encode("a\u{200B}b\u{FEFF}"), "ab");
        assert_eq!(smart_encode("wait…"), "wait...");
        assert_eq!(smart_encode("½ ‼ – —"), "1/2 !! - -");
        assert_eq!(smart_encode("n\u{0303}"), "n~");
        assert_eq!(smart_encode("We’re 😀"), "We're 😀");
        // ZWJ is kept, so emoji sequences survive; accented letters are not transliterated.
        assert_eq!(smart_encode(FAMILY), FAMILY);
        assert_eq!(smart_encode("áç"), "áç");
        for unchanged in ["", "plain text", "Grüße {€}", "😀 中文", FAMILY] {
            assert!(
                matches!(smart_encode(unchanged), Cow::Borrowed(s) if s == unchanged),
                "{unchanged:?}"
            );
        }
        assert!(matches!(smart_encode("x\u{2019}"), Cow::Owned(_)));
    }

    #[test]
    fn substitutions_name_each_character_once_in_order() {
        let sub = |original, replacement, count| Substitution {
            original,
            replacement,
            count,
        };
        assert_eq!(
            smart_substitutions("“Hi” — it’s “done”\u{200B}"),
            vec![
                sub('“', "\"", 2),
                sub('”', "\"", 2),
                sub('—', "-", 1),
                sub('’', "'", 1),
                sub('\u{200B}', "", 1),
            ]
        );
        assert_eq!(smart_substitutions("plain text, Grüße {€} 😀"), vec![]);
        assert_eq!(smart_substitutions(""), vec![]);
    }

    const SPEC_BASIC: &str = "\n\r !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz¡£¤¥§¿ÄÅÆÇÉÑÖØÜßàäåæèéìñòöøùüΓΔΘΛΞΠΣΦΨΩ";
    const SPEC_EXTENSION: &str = "\u{0C}[\\]^{|}~€";

    #[test]
    fn tables() {
        assert_eq!(gsm::BASIC.len(), 127);
        assert_eq!(gsm::EXTENSION.len(), 10);
        assert_eq!(gsm::SMART.len(), 271);

        assert!(gsm::BASIC.iter().map(|&(c, _)| c).eq(SPEC_BASIC.chars()));
        assert!(
            gsm::EXTENSION
                .iter()
                .map(|&(c, _)| c)
                .eq(SPEC_EXTENSION.chars())
        );

        let mut codes: Vec<u8> = gsm::BASIC.iter().map(|&(_, g)| g).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 127);
        assert!(codes.iter().all(|&g| g < 0x80 && g != gsm::ESCAPE));

        for &(c, replacement) in &gsm::SMART {
            assert!(!is_gsm_char(c), "{c:?} is GSM");
            assert!(replacement.chars().all(is_gsm_char), "{c:?}");
            assert_eq!(gsm::smart_replacement(c), Some(replacement));
        }
        let deleted = gsm::SMART.iter().filter(|(_, r)| r.is_empty()).count();
        assert_eq!(deleted, 14);
        assert_eq!(gsm::smart_replacement('\u{200D}'), None);
        assert_eq!(gsm::smart_replacement('a'), None);
    }

    #[test]
    fn cost_at_the_default_and_a_given_price() {
        assert_eq!(cost_micros(1, None), 8_000);
        assert_eq!(cost_micros(count(&"a".repeat(161)).segments, None), 16_000);
        assert_eq!(cost_micros(3, Some(7_900)), 23_700);
        assert_eq!(cost_micros(u32::MAX, Some(u64::MAX)), u64::MAX);
    }

    /// Characters that exercise every rule: GSM basic and extension, CR LF, precomposed and
    /// combining accents, CJK, emoji with ZWJ and skin tones, flags, smart-encoding keys.
    const ALPHABET: [char; 20] = [
        'a', ' ', '€', '{', '\r', '\n', 'é', '中', '😀', '\u{301}', '\u{200d}', '👨', '🏽', '’',
        '\u{a0}', '\t', '🇺', '🇸', '…', 'Ç',
    ];

    /// An independent count: cluster costs from the tables, packed by the literal procedure.
    fn reference(text: &str) -> (Encoding, u32, u32) {
        let units: Vec<&str> = text
            .graphemes(true)
            .flat_map(|g| {
                if g == "\r\n" {
                    vec!["\r", "\n"]
                } else {
                    vec![g]
                }
            })
            .collect();
        let gsm7 = units
            .iter()
            .all(|u| u.encode_utf16().count() == 1 && u.chars().all(gsm::is_gsm));
        let costs: Vec<u64> = units
            .iter()
            .map(|u| {
                if gsm7 {
                    u.chars()
                        .map(|c| u64::from(gsm::septets(c).unwrap_or(0)) * 7)
                        .sum()
                } else {
                    16 * u.encode_utf16().count() as u64
                }
            })
            .collect();
        let characters = if gsm7 {
            costs.iter().sum::<u64>() / 7
        } else {
            units.len() as u64
        };
        let encoding = if gsm7 { Encoding::Gsm7 } else { Encoding::Ucs2 };
        (
            encoding,
            literal_packing(&costs).0 as u32,
            characters as u32,
        )
    }

    /// GSM-7 only: ASCII from both tables, the non-ASCII basic alphabet, `€`, CR LF, FF.
    const GSM_ALPHABET: [char; 14] = [
        'a', ' ', '.', '{', '~', '\\', '\r', '\n', '\u{c}', '€', 'é', 'Ω', '£', '@',
    ];

    #[test]
    fn the_ascii_table_agrees_with_the_character_tables() {
        for b in 0u8..128 {
            assert_eq!(
                gsm::ascii_septets(b),
                gsm::septets(char::from(b)),
                "byte {b:#04x}"
            );
            assert_eq!(
                ASCII_SEPTETS[usize::from(b)],
                gsm::septets(char::from(b)).unwrap_or(0)
            );
        }
        assert_eq!(gsm::ascii_septets(0x80), None);
        assert_eq!(gsm::ascii_septets(0xFF), None);
    }

    #[test]
    fn the_fast_path_takes_only_gsm_text() {
        for text in ["", "Hi Sam", "€{}\r\n\u{c}", "Ωé£¥ ok"] {
            assert!(gsm7_tally(text).is_some(), "{text:?} is GSM-7");
        }
        // A non-GSM character anywhere, ASCII or not, first or last, leaves it to the exact
        // path; so does a combining mark on a GSM letter.
        for text in [
            "`", "a`", "\t", "\u{7f}", "hi 😀", "中", "e\u{301}", "Ready’",
        ] {
            assert!(gsm7_tally(text).is_none(), "{text:?} is not GSM-7");
        }
    }

    #[test]
    fn the_fast_path_fills_segments_like_the_packer() {
        // 153 per part; an extension character that would straddle moves whole.
        let cases = [
            (rep("a", 160), 1, 0),
            (rep("a", 159) + "€", 2, 153 - 8),
            (rep("a", 306), 2, 0),
            (rep("a", 307), 3, 152),
            (rep("a", 152) + "{" + &rep("b", 152), 3, 152),
            (rep("a", 151) + "{" + &rep("b", 153), 2, 0),
            (rep("€", 153), 3, 153 - 2),
        ];
        for (text, segments, remaining) in cases {
            let fast = gsm7_tally(&text).expect("GSM-7");
            let exact = exact_tally(&text);
            assert_eq!(fast.info, exact.info, "{text:?}");
            assert_eq!(fast.message_bits, exact.message_bits, "{text:?}");
            assert_eq!(
                (fast.info.segments, fast.info.remaining_in_segment),
                (segments, remaining),
                "{text:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn gsm_text_counts_alike_on_both_paths_and_like_the_reference(
            chars in proptest::collection::vec(proptest::sample::select(&GSM_ALPHABET[..]), 0..700)
        ) {
            let text: String = chars.into_iter().collect();
            let fast = gsm7_tally(&text);
            proptest::prop_assert!(fast.is_some());
            let fast = fast.unwrap();
            let exact = exact_tally(&text);
            proptest::prop_assert_eq!(&fast.info, &exact.info);
            proptest::prop_assert_eq!(fast.message_bits, exact.message_bits);
            let (encoding, segments, characters) = reference(&text);
            proptest::prop_assert_eq!((fast.info.encoding, fast.info.segments, fast.info.characters),
                (encoding, segments, characters));
        }

        #[test]
        fn any_text_counts_like_the_reference(
            chars in proptest::collection::vec(proptest::sample::select(&ALPHABET[..]), 0..420)
        ) {
            let text: String = chars.into_iter().collect();
            let info = count(&text);
            let (encoding, segments, characters) = reference(&text);
            proptest::prop_assert_eq!((info.encoding, info.segments, info.characters),
                (encoding, segments, characters));
            proptest::prop_assert!(info.segments >= 1);
            proptest::prop_assert_eq!(info.unicode_scalars as usize, text.chars().count());
            proptest::prop_assert_eq!(info.encoding == Encoding::Gsm7, info.non_gsm.is_empty());
        }

        #[test]
        fn any_string_is_counted_without_panic(text in proptest::prelude::any::<String>()) {
            let info = count(&text);
            proptest::prop_assert!(info.segments >= 1);
            if info.encoding == Encoding::Gsm7 {
                proptest::prop_assert!(info.non_gsm.is_empty());
                proptest::prop_assert!(text.chars().all(gsm::is_gsm));
            }
            let smart = smart_encode(&text);
            proptest::prop_assert_eq!(smart_encode(&smart), smart.clone());
        }
    }
}
