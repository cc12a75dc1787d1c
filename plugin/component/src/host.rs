//! [`sms_core::service::Host`] over the `pos:sms/host` imports and wasi:http.

use std::time::Duration;

use sms_core::service::{self, AuditEntry, DeliveryRecord, NoticeClaim, TransportError};
use sms_core::twilio::{HttpRequest, HttpResponse, Receipt};
use sms_core::webhook::InboundMessage;

use crate::pos::sms::{host, types as wit};

/// The host's imports plus wasi:http, as the core sees them.
pub struct WitHost;

impl service::Host for WitHost {
    fn get_secret(&self, name: &str) -> Option<String> {
        host::get_secret(name)
    }
    fn set_secret(&self, name: &str, value: &str) -> Result<(), String> {
        host::set_secret(name, value)
    }
    fn delete_secret(&self, name: &str) -> Result<(), String> {
        host::delete_secret(name)
    }
    fn get_config(&self, key: &str) -> Option<String> {
        host::get_config(key)
    }
    fn record_audit(&self, e: AuditEntry) -> Result<u64, String> {
        host::record_audit(&e.into())
    }
    fn update_audit(&self, id: u64, e: AuditEntry) -> Result<(), String> {
        host::update_audit(id, &e.into())
    }
    fn http(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        crate::http::perform(request)
    }
    fn sleep(&self, duration: Duration) {
        // Blocking on a host pollable: the host waits, and does not count the wait as the
        // plugin's CPU time.
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        wasip2::clocks::monotonic_clock::subscribe_duration(nanos).block();
    }
    fn record_delivery(&self, d: DeliveryRecord) -> Result<(), String> {
        host::record_delivery(&d.into())
    }
    fn record_reply(&self, m: &InboundMessage) -> Result<(), String> {
        host::record_reply(&m.clone().into())
    }
    fn set_opted_out(&self, number: &str, opted_out: bool) -> Result<(), String> {
        host::set_opted_out(number, opted_out)
    }
    fn is_opted_out(&self, number: &str) -> Result<bool, String> {
        host::is_opted_out(number)
    }
    fn claim_notice(&self, key: &str) -> Result<NoticeClaim, String> {
        host::claim_notice(key).map(Into::into)
    }
    fn finish_notice(&self, key: &str, sent: Option<&Receipt>) -> Result<(), String> {
        let sent: Option<wit::Receipt> = sent.cloned().map(Into::into);
        host::finish_notice(key, sent.as_ref())
    }
    fn throttle(&self, segments: u32) -> Duration {
        Duration::from_millis(host::throttle(segments))
    }
}
