//! The `pos:sms/host` interface the plugin imports, implemented over [`HostStore`].
//!
//! Failures of the host's own storage are not the plugin's fault: they are reported to the
//! plugin as values (`set-secret` returns an error text; a failed read is `none`) and logged
//! on the host's stderr, never trapped.

use std::sync::MutexGuard;

use crate::bindings::pos::sms::{host, types};
use crate::engine::HostState;
use crate::store::{AuditEntry, HostStore};

impl HostState {
    fn db(&self) -> MutexGuard<'_, HostStore> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn logged<T>(what: &str, result: anyhow::Result<T>) -> Option<T> {
    result
        .map_err(|e| eprintln!("host-harness: {what} failed: {e:#}"))
        .ok()
}

impl types::Host for HostState {}

impl host::Host for HostState {
    fn get_secret(&mut self, name: String) -> Option<String> {
        logged("reading a secret", self.db().get_secret(&name)).flatten()
    }

    fn set_secret(&mut self, name: String, value: String) -> Result<(), String> {
        self.db()
            .set_secret(&name, &value)
            .map_err(|e| format!("the host could not save it ({e})"))
    }

    fn delete_secret(&mut self, name: String) -> Result<(), String> {
        self.db()
            .delete_secret(&name)
            .map_err(|e| format!("the host could not delete it ({e})"))
    }

    fn get_config(&mut self, key: String) -> Option<String> {
        logged("reading a setting", self.db().get_config(&key)).flatten()
    }

    fn record_audit(&mut self, entry: types::AuditEntry) {
        let row = AuditEntry {
            action: match entry.action {
                types::AuditAction::Send => "send",
                types::AuditAction::Test => "test",
            }
            .to_string(),
            to: entry.to,
            body_length: entry.body_length,
            segments: entry.segments,
            user: entry.user,
            message_sid: entry.message_sid,
            status: entry.status,
            error_kind: entry.error_kind,
            twilio_code: entry.twilio_code,
        };
        logged("writing the audit log", self.db().append_audit(&row));
    }
}
