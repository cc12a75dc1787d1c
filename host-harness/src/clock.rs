//! UTC timestamps without a date crate: Unix seconds to calendar fields (Howard Hinnant's
//! civil-from-days), formatted the way the audit log (RFC 3339) and Twilio (RFC 2822) write
//! them.

use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC instant broken into calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub unix: u64,
    /// The year.
    pub year: u64,
    /// 1–12.
    pub month: u64,
    /// 1–31.
    pub day: u64,
    /// 0–23.
    pub hour: u64,
    /// 0–59.
    pub minute: u64,
    /// 0–59.
    pub second: u64,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
/// 1970-01-01 was a Thursday.
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

impl UtcTime {
    /// Now (the epoch if the clock is before it).
    pub fn now() -> UtcTime {
        UtcTime::from_unix(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        )
    }

    /// The calendar fields of `unix` seconds.
    pub fn from_unix(unix: u64) -> UtcTime {
        let days = unix / 86_400;
        let in_day = unix % 86_400;
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z % 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        UtcTime {
            unix,
            year: yoe + era * 400 + u64::from(month <= 2),
            month,
            day,
            hour: in_day / 3_600,
            minute: in_day % 3_600 / 60,
            second: in_day % 60,
        }
    }

    /// `2026-11-27T08:30:00Z`
    pub fn rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `Fri, 27 Nov 2026 08:30:00 +0000`, as Twilio writes dates.
    pub fn rfc2822(&self) -> String {
        let weekday = WEEKDAYS[(self.unix / 86_400 % 7) as usize];
        let month = MONTHS[(self.month as usize).clamp(1, 12) - 1];
        format!(
            "{weekday}, {:02} {month} {} {:02}:{:02}:{:02} +0000",
            self.day, self.year, self.hour, self.minute, self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::UtcTime;

    #[test]
    fn formats() {
        assert_eq!(UtcTime::from_unix(0).rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(
            UtcTime::from_unix(0).rfc2822(),
            "Thu, 01 Jan 1970 00:00:00 +0000"
        );
        assert_eq!(
            UtcTime::from_unix(951_782_400).rfc3339(),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            UtcTime::from_unix(951_782_400).rfc2822(),
            "Tue, 29 Feb 2000 00:00:00 +0000"
        );
        assert_eq!(
            UtcTime::from_unix(1_692_853_305).rfc2822(),
            "Thu, 24 Aug 2023 05:01:45 +0000"
        );
        assert_eq!(
            UtcTime::from_unix(1_795_854_896).rfc3339(),
            "2026-11-28T08:34:56Z"
        );
    }
}
