//! Where the library's log lines go: warnings and errors to stderr as `host-harness: …`, and
//! for `serve` each handled webhook to stdout.

use std::io::Write as _;

struct Logger {
    /// Whether info lines (one per webhook handled by `serve`) are printed.
    info: bool,
}

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn || (self.info && metadata.level() == log::Level::Info)
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // A closed stream (a pipe into `head`) is not worth a panic.
        if record.level() == log::Level::Info {
            let _ = writeln!(std::io::stdout().lock(), "{}", record.args());
        } else {
            let _ = writeln!(std::io::stderr().lock(), "host-harness: {}", record.args());
        }
    }

    fn flush(&self) {}
}

/// Installs the logger for this process; `info` also prints info lines.
pub fn install(info: bool) {
    let logger: &'static Logger = Box::leak(Box::new(Logger { info }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(if info {
            log::LevelFilter::Info
        } else {
            log::LevelFilter::Warn
        });
    }
}
