//! What one plugin call may consume: linear memory, table elements, and CPU time.
//!
//! - Memory and tables: a [`ResourceLimiter`] refuses growth past the limit with a
//!   [`LimitExceeded`] trap, so the call fails with a clear error and the host is unharmed.
//! - CPU: the engine's epoch is ticked by a background thread every [`TICK`]; at each tick the
//!   store's deadline callback charges the call's wall time *minus the time spent inside host
//!   functions* (measured by a call hook), so waiting for Twilio is not counted against the
//!   plugin, and a plugin that spins is stopped once its own time passes the limit.

use std::time::{Duration, Instant};

use wasmtime::{CallHook, ResourceLimiter, StoreContextMut, UpdateDeadline};

pub use crate::error::LimitExceeded;

/// How often the epoch ticks.
pub const TICK: Duration = Duration::from_millis(10);

/// The limits applied to every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of linear memory the plugin may grow to. The plugin needs about 2 MiB.
    pub memory_bytes: usize,
    /// Elements one table may grow to.
    pub table_elements: usize,
    /// Time the plugin's own code may run per call (host I/O excluded).
    pub cpu_per_call: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 8 * 1024 * 1024,
            table_elements: 10_000,
            cpu_per_call: Duration::from_secs(1),
        }
    }
}

/// Per-store enforcement state.
pub(crate) struct Enforcer {
    limits: Limits,
    call_started: Instant,
    in_host: Duration,
    host_entered: Option<Instant>,
}

impl Enforcer {
    pub(crate) fn new(limits: Limits) -> Enforcer {
        Enforcer {
            limits,
            call_started: Instant::now(),
            in_host: Duration::ZERO,
            host_entered: None,
        }
    }

    /// Starts charging a new call.
    pub(crate) fn start_call(&mut self) {
        self.call_started = Instant::now();
        self.in_host = Duration::ZERO;
        self.host_entered = None;
    }

    /// The plugin's own time in the current call.
    fn guest_time(&self) -> Duration {
        let host = self.in_host + self.host_entered.map_or(Duration::ZERO, |t| t.elapsed());
        self.call_started.elapsed().saturating_sub(host)
    }

    /// The store's call hook: brackets time spent in host functions.
    pub(crate) fn on_call(&mut self, hook: CallHook) {
        match hook {
            CallHook::CallingHost => self.host_entered = Some(Instant::now()),
            CallHook::ReturningFromHost => {
                if let Some(entered) = self.host_entered.take() {
                    self.in_host += entered.elapsed();
                }
            }
            CallHook::CallingWasm | CallHook::ReturningFromWasm => {}
        }
    }

    /// The store's epoch-deadline callback: trap once the plugin's own time is over the
    /// limit, otherwise yield to the executor and check again at the next tick.
    pub(crate) fn on_epoch(&self) -> wasmtime::Result<UpdateDeadline> {
        if self.guest_time() > self.limits.cpu_per_call {
            return Err(wasmtime::Error::new(LimitExceeded::Cpu {
                limit: self.limits.cpu_per_call,
            }));
        }
        Ok(UpdateDeadline::Yield(1))
    }
}

impl ResourceLimiter for Enforcer {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limits.memory_bytes {
            return Err(wasmtime::Error::new(LimitExceeded::Memory {
                limit: self.limits.memory_bytes,
                asked: desired,
            }));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limits.table_elements {
            return Err(wasmtime::Error::new(LimitExceeded::Table {
                limit: self.limits.table_elements,
            }));
        }
        Ok(true)
    }
}

/// Installs the limiter, the call hook and the epoch callback on a new store.
pub(crate) fn install<T: Send + 'static>(
    store: &mut wasmtime::Store<T>,
    enforcer: fn(&mut T) -> &mut Enforcer,
) {
    store.limiter(move |s| enforcer(s) as &mut dyn ResourceLimiter);
    store.call_hook(move |mut ctx: StoreContextMut<'_, T>, hook| {
        enforcer(ctx.data_mut()).on_call(hook);
        Ok(())
    });
    store.epoch_deadline_callback(move |mut ctx| enforcer(ctx.data_mut()).on_epoch());
    store.set_epoch_deadline(1);
}

/// Ticks `engine`'s epoch every [`TICK`] until the engine is dropped.
pub(crate) fn start_ticker(engine: &wasmtime::Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("plugin-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(TICK);
            }
        });
    if let Err(e) = spawned {
        eprintln!(
            "pos-sms-host: could not start the CPU-limit ticker ({e}); calls are not time-limited"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_time_is_not_charged() {
        // Sleeps stand in for host I/O and guest work; the margins are wide so a busy
        // machine cannot flip the outcome.
        let limit = Duration::from_millis(200);
        let mut e = Enforcer::new(Limits {
            cpu_per_call: limit,
            ..Limits::default()
        });
        e.start_call();
        e.on_call(CallHook::CallingHost);
        std::thread::sleep(Duration::from_millis(400));
        e.on_call(CallHook::ReturningFromHost);
        assert!(matches!(e.on_epoch(), Ok(UpdateDeadline::Yield(1))));
        std::thread::sleep(Duration::from_millis(250));
        let Err(err) = e.on_epoch() else {
            panic!("250 ms of guest time must pass a 200 ms limit")
        };
        assert_eq!(
            err.downcast_ref::<LimitExceeded>(),
            Some(&LimitExceeded::Cpu { limit })
        );
    }

    #[test]
    fn memory_past_the_limit_is_refused() {
        let mut e = Enforcer::new(Limits::default());
        assert!(e.memory_growing(0, 1 << 20, None).unwrap());
        let err = e.memory_growing(1 << 20, 9 << 20, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the plugin asked for 9437184 bytes of memory; its limit is 8388608"
        );
    }
}
