//! Quiet hours: whether a text may go now, in the recipient's local time.
//!
//! US rules (TCPA, 47 CFR 64.1200(c)(1)) ban telephone solicitations before 8:00 and after
//! 21:00 in the recipient's local time, and some states narrow that window; the store sets its
//! own window with the `quiet-hours` setting ([`QuietHours`]). The recipient's zone is guessed
//! from the number with libphonenumber's data: by area code within +1 (NANP), by country
//! calling code elsewhere. Ported numbers keep their area code, so the zone is an estimate, as
//! the rule accepts. Where a code spans zones (Idaho's 208, Florida's 850, Australia's +61) the
//! strictest applies: a text may go only when it is inside the window in every one of them.
//!
//! The zones and their current rules (POSIX TZ strings) come from the generated table in
//! `tz_table.rs`; [`jiff`] does the calendar arithmetic, with no time zone database and no
//! system look-up. Nothing here reads a clock: the caller passes the instant.
//!
//! The window is wall-clock time, [start, end): with 08:00–21:00, 08:00:00 is open and 21:00:00
//! is closed. On the day clocks go forward, a start inside the skipped hour opens at the jump
//! (02:30 opens at 03:00); on the day they go back, the repeated hour counts twice. The window
//! is the same every day: Texas's Sunday hours (12:00–21:00) are not modelled.

#[path = "tz_table.rs"]
mod table;

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};

/// How far ahead [`check`] looks for a moment open in every zone of a number before it gives up
/// with [`Verdict::NoCommonWindow`]: a little over a year, so every season's offsets are seen.
const SEARCH_DAYS: i64 = 400;

/// The first instant [`check`] evaluates: 1970-01-01T00:00:00Z. Earlier instants come from a
/// broken clock.
const FIRST_INSTANT: i64 = 0;

/// The last instant [`check`] evaluates: the search horizon must stay inside jiff's range (up
/// to 9999-12-31) and the RFC 3339 year at four digits.
const LAST_INSTANT: i64 = 253_402_300_799 - (SEARCH_DAYS + 2) * 86_400;

/// A daily window in which texts may be sent, local time of the recipient, e.g. 08:00–21:00.
///
/// The window is [start, end): a text at the start minute may go, one at the end minute may
/// not. It lies within one day (start before end); a window across midnight isn't a quiet-hours
/// rule anyone asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QuietHours {
    /// Minutes after midnight when the window opens.
    start: u16,
    /// Minutes after midnight when the window closes; `start < end < 1440`.
    end: u16,
}

impl QuietHours {
    /// 08:00–21:00, the federal TCPA window.
    pub const DEFAULT: QuietHours = QuietHours {
        start: 8 * 60,
        end: 21 * 60,
    };

    /// Parses the host setting `quiet-hours`: `"HH:MM-HH:MM"` on the 24-hour clock, e.g.
    /// `"09:00-20:00"`. The hour may have one digit (`"9:00-20:00"`), the dash may be an en dash
    /// (`"09:00–20:00"`), and spaces around the times are ignored. Errors name what is wrong and
    /// show the expected form.
    pub fn parse(text: &str) -> Result<QuietHours, QuietHoursError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(QuietHoursError::Empty);
        }
        let mut parts = text.split(['-', '\u{2013}']);
        let (Some(start), Some(end), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(QuietHoursError::NotARange(text.to_string()));
        };
        let (start_text, end_text) = (start.trim(), end.trim());
        let start = parse_time(start_text, Bound::Start)?;
        let end = parse_time(end_text, Bound::End)?;
        if start >= end {
            return Err(QuietHoursError::StartNotBeforeEnd {
                start: start_text.to_string(),
                end: end_text.to_string(),
            });
        }
        Ok(QuietHours { start, end })
    }

    /// Minutes after midnight when the window opens (480 for 08:00).
    pub const fn start_minutes(self) -> u16 {
        self.start
    }

    /// Minutes after midnight when the window closes (1260 for 21:00); that minute is closed.
    pub const fn end_minutes(self) -> u16 {
        self.end
    }

    /// Whether `local`, a wall-clock time, is inside the window.
    fn contains(self, local: DateTime) -> bool {
        let minute = minute_of_day(local);
        self.start <= minute && minute < self.end
    }

    /// The start as a civil time of day.
    fn start_time(self) -> Option<Time> {
        let (hour, minute) = (self.start / 60, self.start % 60);
        Time::new(i8::try_from(hour).ok()?, i8::try_from(minute).ok()?, 0, 0).ok()
    }
}

impl Default for QuietHours {
    /// [`QuietHours::DEFAULT`], 08:00–21:00.
    fn default() -> Self {
        QuietHours::DEFAULT
    }
}

impl FromStr for QuietHours {
    type Err = QuietHoursError;

    /// Same as [`QuietHours::parse`].
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        QuietHours::parse(text)
    }
}

impl fmt::Display for QuietHours {
    /// `"08:00-21:00"`, the form [`QuietHours::parse`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

/// Which end of the window a [`QuietHoursError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The time the window opens (before the dash).
    Start,
    /// The time the window closes (after the dash).
    End,
}

impl fmt::Display for Bound {
    /// `"start"` or `"end"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Bound::Start => "start",
            Bound::End => "end",
        })
    }
}

/// Why a `quiet-hours` setting can't be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuietHoursError {
    /// Nothing was given.
    #[error("quiet hours are empty; write them as HH:MM-HH:MM, for example 08:00-21:00")]
    Empty,
    /// Not two times joined by one dash (the text, trimmed).
    #[error(
        "quiet hours \"{0}\" are not a start and an end joined by a dash; write them as \
         HH:MM-HH:MM, for example 08:00-21:00"
    )]
    NotARange(String),
    /// A side isn't `H:MM` or `HH:MM` (which side, and its text).
    #[error(
        "the {bound} time \"{text}\" is not a time; write it as HH:MM on the 24-hour clock, as \
         in 08:00-21:00"
    )]
    NotATime {
        /// Which side.
        bound: Bound,
        /// What it says.
        text: String,
    },
    /// The hour is over 23.
    #[error(
        "the {bound} time \"{text}\" has hour {hour}; hours go from 00 to 23, as in 08:00-21:00"
    )]
    Hour {
        /// Which side.
        bound: Bound,
        /// What it says.
        text: String,
        /// The hour given.
        hour: u16,
    },
    /// The minute is over 59.
    #[error(
        "the {bound} time \"{text}\" has minute {minute}; minutes go from 00 to 59, as in \
         08:00-21:00"
    )]
    Minute {
        /// Which side.
        bound: Bound,
        /// What it says.
        text: String,
        /// The minute given.
        minute: u16,
    },
    /// The window doesn't open before it closes, within one day.
    #[error(
        "quiet hours {start}-{end} don't start before they end; the window must lie within \
         one day, as in 08:00-21:00"
    )]
    StartNotBeforeEnd {
        /// The start as written.
        start: String,
        /// The end as written.
        end: String,
    },
}

/// `H:MM` or `HH:MM` as minutes after midnight.
fn parse_time(text: &str, bound: Bound) -> Result<u16, QuietHoursError> {
    let not_a_time = || QuietHoursError::NotATime {
        bound,
        text: text.to_string(),
    };
    let (hour, minute) = text.split_once(':').ok_or_else(not_a_time)?;
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(1..=2).contains(&hour.len()) || minute.len() != 2 || !all_digits(hour) {
        return Err(not_a_time());
    }
    if !all_digits(minute) {
        return Err(not_a_time());
    }
    let hour: u16 = hour.parse().map_err(|_| not_a_time())?;
    let minute: u16 = minute.parse().map_err(|_| not_a_time())?;
    if hour > 23 {
        return Err(QuietHoursError::Hour {
            bound,
            text: text.to_string(),
            hour,
        });
    }
    if minute > 59 {
        return Err(QuietHoursError::Minute {
            bound,
            text: text.to_string(),
            minute,
        });
    }
    Ok(hour * 60 + minute)
}

/// Whether a text may go now; what [`check`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Inside the window in every zone of the number.
    Open,
    /// Outside the window in at least one zone.
    Closed(Closed),
    /// Outside the window now, and in the next 400 days there is no moment inside it in every
    /// zone of the number at once: a short window over zones hours apart ("12:00-13:00" for
    /// +7, whose zones run from UTC+2 to UTC+12). The window never opens for this number; the
    /// caller should hold the text and say the window is too narrow for it.
    NoCommonWindow {
        /// A zone that is closed now, e.g. "Asia/Kamchatka".
        zone: &'static str,
        /// The recipient's local time now in that zone, as staff read it: "10:14 pm".
        local_time: String,
    },
    /// No zone is known for the number: the caller decides (the plugin will allow and log it).
    /// Also the answer for an instant before 1970 or after 9998-11-24 (the search needs 400
    /// days inside jiff's range), which only a broken clock gives.
    UnknownZone,
}

/// When a closed window opens; the detail of [`Verdict::Closed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// The zone that is closed (the strictest one), e.g. "America/New_York": of the number's
    /// zones closed now, the one whose own window opens last.
    pub zone: &'static str,
    /// The recipient's local time now in that zone, as staff read it: "10:14 pm".
    pub local_time: String,
    /// When the window next opens in EVERY zone of the number, Unix seconds UTC: the first
    /// instant after now at which [`check`] says [`Verdict::Open`].
    pub opens_at_unix: i64,
    /// That moment in RFC 3339 UTC ("2026-12-02T13:00:00Z").
    pub opens_at_rfc3339: String,
    /// That moment in the closed zone's local time, as staff read it: "8:00 am".
    pub opens_local: String,
}

/// The zone set for an E.164 number (`+` and 7 to 15 digits): NANP by area code (exactly 10
/// digits after `+1`), others by country calling code.
fn zone_set(e164: &str) -> Option<&'static [u16]> {
    let digits = e164.strip_prefix('+')?;
    if !(7..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let lookup = |rows: &[(u16, u8)], key: &str| {
        let key: u16 = key.parse().ok()?;
        let row = rows.binary_search_by_key(&key, |&(k, _)| k).ok()?;
        table::ZONE_SETS.get(usize::from(rows[row].1)).copied()
    };
    if let Some(national) = digits.strip_prefix('1') {
        return match national.len() {
            10 => lookup(&table::NANP, national.get(..3)?),
            _ => None,
        };
    }
    // Country calling codes are prefix-free: at most one of these is a code.
    (1..=3).find_map(|n| lookup(&table::COUNTRIES, digits.get(..n)?))
}

/// The recipient's zones (IANA names) for an E.164 number: NANP by area code, others by country
/// calling code; empty when unknown (a non-geographic code such as +800, an unassigned or
/// fictional area code such as 555, or text that isn't E.164). The zone most of the code's
/// prefixes name in libphonenumber's data comes first (Europe/London for +44), then the rest by
/// name.
pub fn zones_for(e164: &str) -> Vec<&'static str> {
    zone_set(e164)
        .unwrap_or_default()
        .iter()
        .filter_map(|&i| table::ZONES.get(usize::from(i)).map(|&(name, _)| name))
        .collect()
}

/// One of a number's zones, ready for arithmetic.
struct Zone {
    /// The IANA name, from the table.
    name: &'static str,
    /// Its current rules.
    tz: TimeZone,
}

/// The zones of a zone set, with their rules parsed (a rule that fails to parse, which a test
/// rules out, leaves its zone out).
fn zones_of(set: &[u16]) -> Vec<Zone> {
    set.iter()
        .filter_map(|&i| {
            let &(name, rule) = table::ZONES.get(usize::from(i))?;
            let posix = table::RULES.get(usize::from(rule))?;
            let tz = TimeZone::posix(posix).ok()?;
            Some(Zone { name, tz })
        })
        .collect()
}

/// Whether a text to `e164` may go at `now` (Unix seconds, UTC) under `window`.
///
/// `e164` is a number as [`crate::phone::normalize`] gives it (`+12125550123`); anything else
/// has no zone. Where the number has several zones, it is open only when open in all of them,
/// and [`Closed::opens_at_unix`] is the first instant after `now` at which all of them are
/// inside the window.
pub fn check(e164: &str, now_unix: i64, window: QuietHours) -> Verdict {
    let Some(set) = zone_set(e164) else {
        return Verdict::UnknownZone;
    };
    let zones = zones_of(set);
    if zones.is_empty() || !(FIRST_INSTANT..=LAST_INSTANT).contains(&now_unix) {
        return Verdict::UnknownZone;
    }
    let Ok(now) = Timestamp::from_second(now_unix) else {
        return Verdict::UnknownZone;
    };
    let is_open = |t: Timestamp| zones.iter().all(|z| window.contains(z.tz.to_datetime(t)));
    if is_open(now) {
        return Verdict::Open;
    }
    // The zone to name: of those closed now, the one whose own window opens last.
    let mut closed: Option<(&Zone, Timestamp)> = None;
    for zone in &zones {
        if window.contains(zone.tz.to_datetime(now)) {
            continue;
        }
        let Some(opens) = first_open(&zone.tz, now, window) else {
            return Verdict::UnknownZone;
        };
        if closed.is_none_or(|(_, latest)| opens > latest) {
            closed = Some((zone, opens));
        }
    }
    let Some((zone, _)) = closed else {
        return Verdict::UnknownZone;
    };
    let horizon = now_unix + SEARCH_DAYS * 86_400;
    match opens_in_all(&zones, now, window, horizon) {
        Search::Found(opens) => Verdict::Closed(Closed {
            zone: zone.name,
            local_time: clock_time(zone.tz.to_datetime(now)),
            opens_at_unix: opens.as_second(),
            opens_at_rfc3339: rfc3339(opens),
            opens_local: clock_time(zone.tz.to_datetime(opens)),
        }),
        Search::Never => Verdict::NoCommonWindow {
            zone: zone.name,
            local_time: clock_time(zone.tz.to_datetime(now)),
        },
        Search::OutOfRange => Verdict::UnknownZone,
    }
}

/// What the search for a moment open in every zone found.
enum Search {
    /// The first such instant.
    Found(Timestamp),
    /// None by the horizon.
    Never,
    /// The arithmetic left jiff's range (not for instants [`check`] accepts).
    OutOfRange,
}

/// The first instant at or after `now` inside `window` in every zone, if it is no later than
/// `horizon` (Unix seconds).
///
/// Each zone's open times are a union of intervals closed on the left, so the first instant
/// open in all of them is at least each zone's own first open instant. Moving to the latest of
/// those, again and again, reaches it (or passes the horizon): every step is a zone's window
/// start or a clock change, so the answer is exact to the second.
fn opens_in_all(zones: &[Zone], now: Timestamp, window: QuietHours, horizon: i64) -> Search {
    let mut t = now;
    loop {
        let mut latest = t;
        for zone in zones {
            match first_open(&zone.tz, t, window) {
                Some(opens) => latest = latest.max(opens),
                None => return Search::OutOfRange,
            }
        }
        if latest.as_second() > horizon {
            return Search::Never;
        }
        if latest == t {
            // Every zone is open at t.
            return Search::Found(t);
        }
        t = latest;
    }
}

/// The first instant at or after `t` inside `window` in `tz`.
///
/// A zone's window opens where its wall clock reaches the start (once a day, twice on a day the
/// clocks go back over it, never on a day they jump over it) or where a clock change jumps into
/// the window. Within about a day of `t` one of those comes; both kinds are collected and the
/// earliest open one wins. `None` only outside jiff's range.
fn first_open(tz: &TimeZone, t: Timestamp, window: QuietHours) -> Option<Timestamp> {
    let local = tz.to_datetime(t);
    if window.contains(local) {
        return Some(t);
    }
    let start = window.start_time()?;
    let today = local.date();
    let days = [today.yesterday().ok()?, today, today.tomorrow().ok()?];
    let days = days.into_iter().chain(days[2].tomorrow().ok());
    // Of four days' starts, one is after t: the clocks never skip two days' starts running.
    let best = days
        .flat_map(|day| start_instants(tz, day, start))
        .filter(|&candidate| candidate > t)
        .min()?;
    // A clock change before that start may jump into the window sooner.
    let jump = tz
        .following(t)
        .map(|transition| transition.timestamp())
        .take_while(|&at| at < best)
        .find(|&at| window.contains(tz.to_datetime(at)));
    Some(jump.unwrap_or(best))
}

/// The instants at which the wall clock in `tz` reads `time` on `day`: one, two (in a fold,
/// earlier first) or none (in a gap).
fn start_instants(tz: &TimeZone, day: Date, time: Time) -> impl Iterator<Item = Timestamp> {
    let civil = day.to_datetime(time);
    let (first, second) = match tz.to_ambiguous_timestamp(civil).offset() {
        AmbiguousOffset::Unambiguous { offset } => (Some(offset), None),
        AmbiguousOffset::Fold { before, after } => (Some(before), Some(after)),
        AmbiguousOffset::Gap { .. } => (None, None),
    };
    [first, second]
        .into_iter()
        .flatten()
        .filter_map(move |offset| offset.to_timestamp(civil).ok())
}

/// Minutes after midnight of a wall-clock time (seconds dropped).
fn minute_of_day(local: DateTime) -> u16 {
    let hour = u16::try_from(local.hour()).unwrap_or(0);
    let minute = u16::try_from(local.minute()).unwrap_or(0);
    hour * 60 + minute
}

/// A wall-clock time as staff read it: "9:14 pm", "12:00 am" (midnight), "12:30 pm".
fn clock_time(local: DateTime) -> String {
    let minute = minute_of_day(local);
    let (hour, minute) = (minute / 60, minute % 60);
    let half = if hour < 12 { "am" } else { "pm" };
    let hour = match hour % 12 {
        0 => 12,
        h => h,
    };
    format!("{hour}:{minute:02} {half}")
}

/// An instant in RFC 3339 UTC, to the second: "2026-12-02T13:00:00Z".
fn rfc3339(t: Timestamp) -> String {
    let utc = TimeZone::UTC.to_datetime(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        utc.year(),
        utc.month(),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

#[cfg(test)]
mod tests {
    use super::{
        Bound, Closed, QuietHours, QuietHoursError, TimeZone, Timestamp, Verdict, check, table,
        zones_for,
    };
    use proptest::prelude::*;

    /// Unix seconds of an RFC 3339 UTC instant written in a test.
    fn at(rfc3339: &str) -> i64 {
        rfc3339
            .parse::<Timestamp>()
            .expect("a test's instant")
            .as_second()
    }

    fn window(text: &str) -> QuietHours {
        QuietHours::parse(text).expect("a test's window")
    }

    /// The Closed verdict `check` must give, in the terms staff read.
    fn closed(zone: &'static str, local: &str, opens: &str, opens_local: &str) -> Verdict {
        Verdict::Closed(Closed {
            zone,
            local_time: local.into(),
            opens_at_unix: at(opens),
            opens_at_rfc3339: opens.into(),
            opens_local: opens_local.into(),
        })
    }

    const NEW_YORK: &str = "+12125550123";

    #[test]
    fn new_york_in_winter() {
        let w = QuietHours::DEFAULT;
        assert_eq!(
            check(NEW_YORK, at("2026-12-02T02:14:00Z"), w),
            closed(
                "America/New_York",
                "9:14 pm",
                "2026-12-02T13:00:00Z",
                "8:00 am"
            )
        );
        assert_eq!(
            check(NEW_YORK, at("2026-12-02T13:00:00Z"), w),
            Verdict::Open
        );
        assert_eq!(
            check(NEW_YORK, at("2026-12-02T12:59:59Z"), w),
            closed(
                "America/New_York",
                "7:59 am",
                "2026-12-02T13:00:00Z",
                "8:00 am"
            )
        );
        // 20:59:59 is inside the window; 21:00:00 is not.
        assert_eq!(
            check(NEW_YORK, at("2026-12-03T01:59:59Z"), w),
            Verdict::Open
        );
        assert_eq!(
            check(NEW_YORK, at("2026-12-03T02:00:00Z"), w),
            closed(
                "America/New_York",
                "9:00 pm",
                "2026-12-03T13:00:00Z",
                "8:00 am"
            )
        );
        // Just after midnight, the window opens the same local day.
        assert_eq!(
            check(NEW_YORK, at("2026-12-02T05:30:00Z"), w),
            closed(
                "America/New_York",
                "12:30 am",
                "2026-12-02T13:00:00Z",
                "8:00 am"
            )
        );
    }

    #[test]
    fn new_york_in_summer_is_an_hour_earlier_in_utc() {
        let w = QuietHours::DEFAULT;
        assert_eq!(
            check(NEW_YORK, at("2026-07-15T01:30:00Z"), w),
            closed(
                "America/New_York",
                "9:30 pm",
                "2026-07-15T12:00:00Z",
                "8:00 am"
            )
        );
        assert_eq!(
            check(NEW_YORK, at("2026-07-15T12:00:00Z"), w),
            Verdict::Open
        );
        assert_eq!(
            check(NEW_YORK, at("2026-07-15T00:59:59Z"), w),
            Verdict::Open
        );
        assert!(matches!(
            check(NEW_YORK, at("2026-07-15T11:59:59Z"), w),
            Verdict::Closed(_)
        ));
        // Noon reads as pm.
        assert_eq!(
            check(NEW_YORK, at("2026-07-15T16:00:00Z"), w),
            Verdict::Open
        );
    }

    #[test]
    fn a_narrower_window_from_the_setting() {
        let w = window("09:00-20:00");
        assert_eq!(
            check(NEW_YORK, at("2026-12-02T13:30:00Z"), w),
            closed(
                "America/New_York",
                "8:30 am",
                "2026-12-02T14:00:00Z",
                "9:00 am"
            )
        );
        assert_eq!(
            check(NEW_YORK, at("2026-12-02T14:00:00Z"), w),
            Verdict::Open
        );
        assert_eq!(
            check(NEW_YORK, at("2026-12-03T00:59:00Z"), w),
            Verdict::Open
        );
        assert_eq!(
            check(NEW_YORK, at("2026-12-03T01:00:00Z"), w),
            closed(
                "America/New_York",
                "8:00 pm",
                "2026-12-03T14:00:00Z",
                "9:00 am"
            )
        );
    }

    #[test]
    fn an_area_code_across_two_zones_takes_the_stricter() {
        // 850, the Florida panhandle: Eastern and Central.
        let panhandle = "+18505550123";
        assert_eq!(
            zones_for(panhandle),
            ["America/Chicago", "America/New_York"]
        );
        let w = QuietHours::DEFAULT;
        // 8:30 am in New York, 7:30 am in Chicago.
        assert_eq!(
            check(panhandle, at("2026-12-02T13:30:00Z"), w),
            closed(
                "America/Chicago",
                "7:30 am",
                "2026-12-02T14:00:00Z",
                "8:00 am"
            )
        );
        assert_eq!(
            check(panhandle, at("2026-12-02T14:00:00Z"), w),
            Verdict::Open
        );
        assert_eq!(
            check(panhandle, at("2026-12-03T01:59:59Z"), w),
            Verdict::Open
        );
        // 9:30 pm in New York, 8:30 pm in Chicago: closed by New York, and it opens when
        // Chicago does, 9:00 am in New York.
        assert_eq!(
            check(panhandle, at("2026-12-03T02:30:00Z"), w),
            closed(
                "America/New_York",
                "9:30 pm",
                "2026-12-03T14:00:00Z",
                "9:00 am"
            )
        );
        // Both closed: the one that opens last is named.
        assert_eq!(
            check(panhandle, at("2026-12-03T05:00:00Z"), w),
            closed(
                "America/Chicago",
                "11:00 pm",
                "2026-12-03T14:00:00Z",
                "8:00 am"
            )
        );
    }

    #[test]
    fn idaho_spans_mountain_and_pacific() {
        let idaho = "+12085550123";
        let zones = zones_for(idaho);
        assert!(zones.contains(&"America/Boise"), "{zones:?}");
        assert!(zones.contains(&"America/Los_Angeles"), "{zones:?}");
        // 8:30 am Mountain, 7:30 am Pacific.
        assert_eq!(
            check(idaho, at("2026-12-02T15:30:00Z"), QuietHours::DEFAULT),
            closed(
                "America/Los_Angeles",
                "7:30 am",
                "2026-12-02T16:00:00Z",
                "8:00 am"
            )
        );
        assert_eq!(
            check(idaho, at("2026-12-02T16:00:00Z"), QuietHours::DEFAULT),
            Verdict::Open
        );
    }

    #[test]
    fn london() {
        let london = "+442079460958";
        assert_eq!(zones_for(london).first(), Some(&"Europe/London"));
        assert!(
            zones_for(london).iter().all(|z| z.starts_with("Europe/")),
            "{:?}",
            zones_for(london)
        );
        let w = QuietHours::DEFAULT;
        assert_eq!(
            check(london, at("2026-12-02T21:00:00Z"), w),
            closed(
                "Europe/London",
                "9:00 pm",
                "2026-12-03T08:00:00Z",
                "8:00 am"
            )
        );
        assert_eq!(
            check(london, at("2026-07-15T20:00:00Z"), w),
            closed(
                "Europe/London",
                "9:00 pm",
                "2026-07-16T07:00:00Z",
                "8:00 am"
            )
        );
        assert_eq!(check(london, at("2026-07-16T07:00:00Z"), w), Verdict::Open);
    }

    #[test]
    fn australia_is_open_only_when_every_zone_is() {
        let sydney = "+61293744000";
        let zones = zones_for(sydney);
        for zone in ["Australia/Sydney", "Australia/Perth", "Indian/Cocos"] {
            assert!(zones.contains(&zone), "{zones:?}");
        }
        let w = QuietHours::DEFAULT;
        // In December the window is open everywhere from 8:00 on the Cocos Islands (UTC+6:30)
        // to 21:00 in Sydney and on Lord Howe Island (UTC+11): 01:30Z to 10:00Z.
        assert_eq!(
            check(sydney, at("2026-12-02T01:00:00Z"), w),
            closed("Indian/Cocos", "7:30 am", "2026-12-02T01:30:00Z", "8:00 am")
        );
        assert_eq!(check(sydney, at("2026-12-02T01:30:00Z"), w), Verdict::Open);
        assert_eq!(check(sydney, at("2026-12-02T09:59:59Z"), w), Verdict::Open);
        let Verdict::Closed(late) = check(sydney, at("2026-12-02T10:00:00Z"), w) else {
            panic!("closed at 21:00 in Sydney");
        };
        assert_eq!(late.opens_at_rfc3339, "2026-12-03T01:30:00Z");
        assert!(
            ["Australia/Sydney", "Australia/Lord_Howe"].contains(&late.zone),
            "{late:?}"
        );
        assert_eq!(late.local_time, "9:00 pm");
        assert_eq!(late.opens_local, "12:30 pm");
    }

    #[test]
    fn the_day_clocks_go_forward() {
        // 2026-03-08 in New York: 2:00 EST jumps to 3:00 EDT, so 8:00 is 12:00Z, not 13:00Z.
        assert_eq!(
            check(NEW_YORK, at("2026-03-08T05:00:00Z"), QuietHours::DEFAULT),
            closed(
                "America/New_York",
                "12:00 am",
                "2026-03-08T12:00:00Z",
                "8:00 am"
            )
        );
        assert_eq!(
            check(NEW_YORK, at("2026-03-07T05:00:00Z"), QuietHours::DEFAULT),
            closed(
                "America/New_York",
                "12:00 am",
                "2026-03-07T13:00:00Z",
                "8:00 am"
            )
        );
        // A window starting inside the skipped hour opens at the jump, 3:00 EDT (07:00Z): the
        // first moment the clock reads 02:30 or later. ("Compatible" disambiguation would say
        // 07:30Z, half an hour after check() already says Open.)
        let early = window("02:30-21:00");
        assert_eq!(
            check(NEW_YORK, at("2026-03-08T05:00:00Z"), early),
            closed(
                "America/New_York",
                "12:00 am",
                "2026-03-08T07:00:00Z",
                "3:00 am"
            )
        );
        assert_eq!(
            check(NEW_YORK, at("2026-03-08T07:00:00Z"), early),
            Verdict::Open
        );
        assert!(matches!(
            check(NEW_YORK, at("2026-03-08T06:59:59Z"), early),
            Verdict::Closed(_)
        ));
    }

    #[test]
    fn the_day_clocks_go_back() {
        // 2026-11-01 in New York: 2:00 EDT goes back to 1:00 EST.
        assert_eq!(
            check(NEW_YORK, at("2026-11-01T04:00:00Z"), QuietHours::DEFAULT),
            closed(
                "America/New_York",
                "12:00 am",
                "2026-11-01T13:00:00Z",
                "8:00 am"
            )
        );
        // A window starting in the repeated hour opens at its first 1:30 (EDT), and, the wall
        // clock being what counts, closes when it reads 1:00 again and reopens at 1:30 EST.
        let w = window("01:30-21:00");
        assert_eq!(
            check(NEW_YORK, at("2026-11-01T04:00:00Z"), w),
            closed(
                "America/New_York",
                "12:00 am",
                "2026-11-01T05:30:00Z",
                "1:30 am"
            )
        );
        assert_eq!(
            check(NEW_YORK, at("2026-11-01T05:59:59Z"), w),
            Verdict::Open
        );
        assert_eq!(
            check(NEW_YORK, at("2026-11-01T06:00:00Z"), w),
            closed(
                "America/New_York",
                "1:00 am",
                "2026-11-01T06:30:00Z",
                "1:30 am"
            )
        );
    }

    #[test]
    fn a_window_the_zones_share_only_in_winter() {
        // 879 (Newfoundland and Labrador) is given Puerto Rico (UTC-4 all year) and St John's
        // (UTC-3:30, UTC-2:30 in summer). 12:00-12:45 overlaps for 15 minutes in winter and
        // not at all in summer, so in July the next opening is after the clocks go back.
        let number = "+18795550123";
        assert_eq!(zones_for(number).len(), 2);
        let w = window("12:00-12:45");
        assert_eq!(
            check(number, at("2026-07-01T00:00:00Z"), w),
            closed(
                "America/Puerto_Rico",
                "8:00 pm",
                "2026-11-01T16:00:00Z",
                "12:00 pm"
            )
        );
        assert_eq!(check(number, at("2026-11-01T16:14:59Z"), w), Verdict::Open);
    }

    #[test]
    fn a_window_the_zones_never_share() {
        // +7 runs from UTC+2 to UTC+12: no hour is 12:00-13:00 everywhere.
        let moscow = "+74951234567";
        let verdict = check(moscow, at("2026-12-02T09:30:00Z"), window("12:00-13:00"));
        let Verdict::NoCommonWindow { zone, local_time } = verdict else {
            panic!("{verdict:?}");
        };
        assert!(zones_for(moscow).contains(&zone), "{zone}");
        assert!(!local_time.is_empty());
        // The default window does have common hours.
        assert!(matches!(
            check(moscow, at("2026-12-02T00:00:00Z"), QuietHours::DEFAULT),
            Verdict::Open | Verdict::Closed(_)
        ));
    }

    #[test]
    fn unknown_or_malformed_numbers_have_no_zone() {
        for number in [
            "",
            "+",
            "12345",
            "+1",
            "+1212555012",   // 9 digits after +1
            "+121255501234", // 11 digits after +1
            "12125550123",   // no +
            "+15555550123",  // 555, fictional
            "+18005550123",  // toll-free
            "+80012345678",  // International Freephone
            "+4420 7946 0958",
            "+44２０７９４６０９５８",
            "+1234567890123456",
            "+٣٣١٢٣٤٥٦٧٨٩",
        ] {
            assert!(zones_for(number).is_empty(), "{number:?}");
            assert_eq!(
                check(number, at("2026-12-02T02:14:00Z"), QuietHours::DEFAULT),
                Verdict::UnknownZone,
                "{number:?}"
            );
        }
    }

    #[test]
    fn a_broken_clock_gives_no_answer() {
        for now in [i64::MIN, -1, super::LAST_INSTANT + 1, i64::MAX] {
            assert_eq!(
                check(NEW_YORK, now, QuietHours::DEFAULT),
                Verdict::UnknownZone
            );
        }
        assert_ne!(
            check(NEW_YORK, super::LAST_INSTANT, QuietHours::DEFAULT),
            Verdict::UnknownZone
        );
        assert_ne!(
            check(NEW_YORK, 0, QuietHours::DEFAULT),
            Verdict::UnknownZone
        );
        // The last instant leaves room for a full search inside jiff's range (to 9999).
        assert_eq!(super::LAST_INSTANT, at("9998-11-24T23:59:59Z"));
        let never = window("12:00-13:00");
        assert!(matches!(
            check("+74951234567", super::LAST_INSTANT, never),
            Verdict::NoCommonWindow { .. }
        ));
    }

    #[test]
    fn the_search_stops_at_its_horizon() {
        let zones = super::zones_of(super::zone_set(NEW_YORK).expect("New York"));
        let now = Timestamp::from_second(at("2026-12-02T02:14:00Z")).expect("in range");
        let opens = at("2026-12-02T13:00:00Z");
        let search = |horizon| super::opens_in_all(&zones, now, QuietHours::DEFAULT, horizon);
        assert!(matches!(search(opens), super::Search::Found(t) if t.as_second() == opens));
        assert!(matches!(search(opens - 1), super::Search::Never));
    }

    #[test]
    fn every_rule_parses_and_every_index_points_somewhere() {
        for rule in table::RULES {
            assert!(TimeZone::posix(rule).is_ok(), "{rule}");
        }
        for (name, rule) in table::ZONES {
            assert!(usize::from(rule) < table::RULES.len(), "{name}");
        }
        assert!(table::ZONES.is_sorted_by_key(|&(name, _)| name));
        for set in table::ZONE_SETS {
            assert!(!set.is_empty());
            assert!(set.iter().all(|&i| usize::from(i) < table::ZONES.len()));
        }
        for rows in [&table::NANP[..], &table::COUNTRIES[..]] {
            assert!(rows.is_sorted_by_key(|&(code, _)| code));
            assert!(rows.windows(2).all(|w| w[0].0 < w[1].0));
            assert!(
                rows.iter()
                    .all(|&(_, set)| usize::from(set) < table::ZONE_SETS.len())
            );
        }
        assert!(!table::COUNTRIES.iter().any(|&(code, _)| code == 1));
    }

    #[test]
    fn new_york_rules_are_the_2007_us_rules() {
        let i = table::ZONES
            .binary_search_by_key(&"America/New_York", |&(name, _)| name)
            .expect("New York");
        assert_eq!(
            table::RULES[usize::from(table::ZONES[i].1)],
            "EST5EDT,M3.2.0,M11.1.0"
        );
    }

    #[test]
    fn parse_good_forms() {
        for (text, start, end) in [
            ("08:00-21:00", 480, 1260),
            ("09:00-20:00", 540, 1200),
            ("9:00-20:00", 540, 1200),
            ("09:00\u{2013}20:00", 540, 1200),
            (" 09:00 - 20:00 ", 540, 1200),
            ("00:00-23:59", 0, 1439),
            ("12:00-12:01", 720, 721),
            ("8:05-9:30", 485, 570),
        ] {
            let w = QuietHours::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(
                (w.start_minutes(), w.end_minutes()),
                (start, end),
                "{text:?}"
            );
            assert_eq!(w.to_string().parse::<QuietHours>(), Ok(w), "{text:?}");
        }
        assert_eq!(QuietHours::DEFAULT.to_string(), "08:00-21:00");
        assert_eq!(window("9:00-20:00").to_string(), "09:00-20:00");
        assert_eq!(QuietHours::parse("08:00-21:00"), Ok(QuietHours::DEFAULT));
        assert_eq!(QuietHours::default(), QuietHours::DEFAULT);
    }

    #[test]
    fn parse_errors() {
        use Bound::{End, Start};
        let not_a_time = |bound, text: &str| QuietHoursError::NotATime {
            bound,
            text: text.into(),
        };
        for (text, expected) in [
            ("", QuietHoursError::Empty),
            ("   ", QuietHoursError::Empty),
            ("08:00", QuietHoursError::NotARange("08:00".into())),
            (
                "08:00 to 21:00",
                QuietHoursError::NotARange("08:00 to 21:00".into()),
            ),
            (
                "08:00-21:00-22:00",
                QuietHoursError::NotARange("08:00-21:00-22:00".into()),
            ),
            ("-21:00", not_a_time(Start, "")),
            ("08:00-", not_a_time(End, "")),
            ("8am-9pm", not_a_time(Start, "8am")),
            ("0800-2100", not_a_time(Start, "0800")),
            ("08:00-9:0", not_a_time(End, "9:0")),
            ("08:00-21:000", not_a_time(End, "21:000")),
            ("008:00-21:00", not_a_time(Start, "008:00")),
            ("08:00:00-21:00", not_a_time(Start, "08:00:00")),
            ("+8:00-21:00", not_a_time(Start, "+8:00")),
            (
                "08:-1-21:00",
                QuietHoursError::NotARange("08:-1-21:00".into()),
            ),
            ("٠٨:٠٠-21:00", not_a_time(Start, "٠٨:٠٠")),
            (
                "24:00-21:00",
                QuietHoursError::Hour {
                    bound: Start,
                    text: "24:00".into(),
                    hour: 24,
                },
            ),
            (
                "08:00-24:00",
                QuietHoursError::Hour {
                    bound: End,
                    text: "24:00".into(),
                    hour: 24,
                },
            ),
            (
                "08:60-21:00",
                QuietHoursError::Minute {
                    bound: Start,
                    text: "08:60".into(),
                    minute: 60,
                },
            ),
            (
                "08:00-21:99",
                QuietHoursError::Minute {
                    bound: End,
                    text: "21:99".into(),
                    minute: 99,
                },
            ),
            (
                "21:00-08:00",
                QuietHoursError::StartNotBeforeEnd {
                    start: "21:00".into(),
                    end: "08:00".into(),
                },
            ),
            (
                "9:00-09:00",
                QuietHoursError::StartNotBeforeEnd {
                    start: "9:00".into(),
                    end: "09:00".into(),
                },
            ),
        ] {
            assert_eq!(QuietHours::parse(text), Err(expected), "{text:?}");
        }
    }

    #[test]
    fn parse_errors_say_what_to_write() {
        for text in [
            "",
            "08:00",
            "8am-9pm",
            "25:00-26:00",
            "08:61-21:00",
            "21:00-08:00",
        ] {
            let message = QuietHours::parse(text).expect_err(text).to_string();
            assert!(message.contains("08:00-21:00"), "{text:?}: {message}");
        }
        assert_eq!(
            QuietHours::parse("8am-9pm").expect_err("8am").to_string(),
            "the start time \"8am\" is not a time; write it as HH:MM on the 24-hour clock, as \
             in 08:00-21:00"
        );
    }

    /// Whether every zone of `number` is inside `w` at `t`, straight from the table.
    fn open_everywhere(number: &str, t: i64, w: QuietHours) -> bool {
        let t = Timestamp::from_second(t).expect("in range");
        zones_for(number).iter().all(|name| {
            let i = table::ZONES
                .binary_search_by_key(name, |&(n, _)| n)
                .expect("a listed zone");
            let tz = TimeZone::posix(table::RULES[usize::from(table::ZONES[i].1)]).expect("a rule");
            w.contains(tz.to_datetime(t))
        })
    }

    /// Numbers with one zone, several, and clock changes north and south of the equator.
    const SAMPLE_NUMBERS: [&str; 10] = [
        NEW_YORK,
        "+18505550123",
        "+12085550123",
        "+19075550123",
        "+18795550123",
        "+442079460958",
        "+61293744000",
        "+5215512345678",
        "+5511912345678",
        "+74951234567",
    ];

    #[test]
    fn opens_at_is_the_first_open_minute() {
        // Minute by minute over two days from each start, the first minute open everywhere is
        // opens_at (every zone's offset is whole minutes, so openings fall on whole minutes).
        let windows = [
            "08:00-21:00",
            "09:00-20:00",
            "02:30-21:00",
            "01:15-01:45",
            "00:00-08:00",
        ];
        let starts = [
            "2026-03-08T04:00:00Z", // New York's spring day
            "2026-03-28T22:17:00Z", // Europe's
            "2026-04-04T12:00:00Z", // Australia goes back
            "2026-10-03T12:00:00Z", // Australia goes forward
            "2026-10-31T23:00:00Z", // New York's autumn day
            "2026-12-02T02:14:00Z",
        ];
        for number in SAMPLE_NUMBERS {
            for w in windows.map(window) {
                for start in starts {
                    let now = at(start);
                    let first = (0..2 * 24 * 60)
                        .map(|m| now + 60 * m)
                        .find(|&t| open_everywhere(number, t, w));
                    match (check(number, now, w), first) {
                        (Verdict::Open, Some(t)) => assert_eq!(t, now),
                        (Verdict::Closed(c), Some(t)) => {
                            assert_eq!(c.opens_at_unix, t, "{number} {w} {start}")
                        }
                        (Verdict::Closed(c), None) => {
                            assert!(c.opens_at_unix > now + 2 * 86_400, "{number} {w} {start}")
                        }
                        (Verdict::NoCommonWindow { .. }, None) => {}
                        (v, f) => panic!("{number} {w} {start}: {v:?}, first open {f:?}"),
                    }
                }
            }
        }
    }

    fn any_window() -> impl Strategy<Value = QuietHours> {
        (0u16..1439)
            .prop_flat_map(|start| (Just(start), start + 1..1440))
            .prop_map(|(start, end)| QuietHours { start, end })
    }

    fn any_number() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(SAMPLE_NUMBERS.to_vec()).prop_map(String::from),
            (
                proptest::sample::select(table::NANP.to_vec()),
                0u32..10_000_000
            )
                .prop_map(|((area, _), rest)| format!("+1{area}{rest:07}")),
            (
                proptest::sample::select(table::COUNTRIES.to_vec()),
                0u64..100_000_000
            )
                .prop_map(|((code, _), rest)| format!("+{code}{rest:08}")),
        ]
    }

    proptest! {
        #[test]
        fn any_text_at_any_instant_gives_a_verdict(
            number in any::<String>(),
            now in any::<i64>(),
            w in any_window(),
        ) {
            let _ = check(&number, now, w);
            let _ = zones_for(&number);
        }

        #[test]
        fn any_setting_text_parses_or_says_why(text in any::<String>()) {
            if let Ok(w) = QuietHours::parse(&text) {
                prop_assert!(w.start < w.end && w.end < 1440);
                prop_assert_eq!(QuietHours::parse(&w.to_string()), Ok(w));
            }
        }

        #[test]
        fn closed_opens_later_exactly_when_check_says_open(
            number in any_number(),
            now in 0i64..4_102_444_800, // 1970 to 2100
            w in any_window(),
        ) {
            match check(&number, now, w) {
                Verdict::Open => prop_assert!(open_everywhere(&number, now, w)),
                Verdict::Closed(c) => {
                    prop_assert!(c.opens_at_unix > now);
                    prop_assert_eq!(check(&number, c.opens_at_unix, w), Verdict::Open);
                    prop_assert!(!open_everywhere(&number, c.opens_at_unix - 1, w));
                    prop_assert!(!open_everywhere(&number, now, w));
                    prop_assert!(zones_for(&number).contains(&c.zone));
                    prop_assert_eq!(
                        c.opens_at_rfc3339.parse::<Timestamp>().ok().map(|t| t.as_second()),
                        Some(c.opens_at_unix)
                    );
                }
                Verdict::NoCommonWindow { zone, .. } => {
                    prop_assert!(zones_for(&number).len() > 1);
                    prop_assert!(zones_for(&number).contains(&zone));
                }
                Verdict::UnknownZone => prop_assert!(zones_for(&number).is_empty()),
            }
        }
    }
}
