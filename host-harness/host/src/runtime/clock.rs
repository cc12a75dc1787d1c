//! The time the plugin sees. The plugin reads `wasi:clocks/wall-clock` for quiet hours and
//! the host uses the same clock to release held notices, so a test (or a host with its own
//! notion of time) can set both at once through [`crate::HarnessConfig::clock`].

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Seconds since the Unix epoch, UTC.
    fn now_unix(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        match SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
        }
    }
}

/// A clock that says what it is told: for tests, and for replaying a day.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock stopped at `unix` seconds.
    pub fn at(unix: i64) -> ManualClock {
        ManualClock(Arc::new(AtomicI64::new(unix)))
    }

    /// Moves the clock (and every clone of it) to `unix` seconds.
    pub fn set(&self, unix: i64) {
        self.0.store(unix, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_unix(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The system clock moved by a fixed number of seconds: time passes, but the day is another
/// (a demo that runs in the store's daytime whenever it is started).
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    offset: i64,
}

impl ShiftedClock {
    /// A clock that reads `unix` now, and moves on from there with the system clock.
    pub fn starting_at(unix: i64) -> ShiftedClock {
        ShiftedClock {
            offset: unix.saturating_sub(SystemClock.now_unix()),
        }
    }
}

impl Clock for ShiftedClock {
    fn now_unix(&self) -> i64 {
        SystemClock.now_unix().saturating_add(self.offset)
    }
}

/// A [`Clock`] as WASI's wall clock, for one call's context.
pub(crate) struct WasiWallClock(pub(crate) Arc<dyn Clock>);

impl wasmtime_wasi::HostWallClock for WasiWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::from_secs(u64::try_from(self.0.now_unix()).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_starts_where_asked_and_moves_with_the_system_clock() {
        let start = 1_796_144_400; // 2026-12-01T17:00:00Z
        let clock = ShiftedClock::starting_at(start);
        let first = clock.now_unix();
        assert!((start..start + 2).contains(&first), "{first}");
        std::thread::sleep(Duration::from_millis(1100));
        let later = clock.now_unix();
        assert!(
            (first + 1..first + 3).contains(&later),
            "{first} then {later}"
        );
    }
}
