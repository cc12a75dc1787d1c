//! [`sms_core::service::Host`] over the `pos:sms/host` imports and wasi:http.

use std::time::Duration;

use sms_core::service::{
    self, AuditEntry, DeliveryRecord, HostError, NoticeClaim, OptOut, OutgoingRecord, Purpose,
    TransportError,
};
use sms_core::twilio::{HttpRequest, HttpResponse, Receipt};
use sms_core::webhook::InboundMessage;

use crate::pos::sms::{host, types as wit};

/// The host's imports plus wasi:http, as the core sees them.
pub struct WitHost;

/// The WIT host error as the core's (the same three cases).
fn host_error(e: wit::HostError) -> HostError {
    match e {
        wit::HostError::Storage(why) => HostError::Storage(why),
        wit::HostError::Invalid(why) => HostError::Invalid(why),
        wit::HostError::Other(why) => HostError::Other(why),
    }
}

impl service::Host for WitHost {
    fn get_secret(&self, name: &str) -> Option<String> {
        // A secret the host cannot read is one the plugin does not have: it says "connect
        // first" rather than guess (the host logs its own failure).
        host::get_secret(name).ok().flatten()
    }
    fn set_secret(&self, name: &str, value: &str) -> Result<(), HostError> {
        host::set_secret(name, value).map_err(host_error)
    }
    fn delete_secret(&self, name: &str) -> Result<(), HostError> {
        host::delete_secret(name).map_err(host_error)
    }
    fn get_config(&self, key: &str) -> Option<String> {
        host::get_config(key).ok().flatten()
    }
    fn record_audit(&self, e: AuditEntry) -> Result<u64, HostError> {
        host::record_audit(&e.into()).map_err(host_error)
    }
    fn update_audit(&self, id: u64, e: AuditEntry) -> Result<(), HostError> {
        host::update_audit(id, &e.into()).map_err(host_error)
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
    fn record_delivery(&self, d: DeliveryRecord) -> Result<(), HostError> {
        host::record_delivery(&d.into()).map_err(host_error)
    }
    fn record_reply(&self, m: &InboundMessage) -> Result<Option<String>, HostError> {
        host::record_reply(&m.clone().into()).map_err(host_error)
    }
    fn record_outgoing(&self, m: &OutgoingRecord) -> Result<(), HostError> {
        host::record_outgoing(&m.clone().into()).map_err(host_error)
    }
    fn record_opt_out(&self, o: &OptOut) -> Result<bool, HostError> {
        host::record_opt_out(&o.clone().into()).map_err(host_error)
    }
    fn record_opt_in(&self, number: &str, reply: Option<&str>) -> Result<(), HostError> {
        host::record_opt_in(number, reply).map_err(host_error)
    }
    fn is_opted_out(&self, number: &str) -> Result<bool, HostError> {
        host::is_opted_out(number).map_err(host_error)
    }
    fn has_consent(&self, number: &str, purpose: Purpose) -> Result<bool, HostError> {
        host::find_consent(number, purpose.into())
            .map(|c| c.is_some())
            .map_err(host_error)
    }
    fn now_unix(&self) -> i64 {
        i64::try_from(wasip2::clocks::wall_clock::now().seconds).unwrap_or(i64::MAX)
    }
    fn claim_notice(&self, key: &str) -> Result<NoticeClaim, HostError> {
        host::claim_notice(key).map(Into::into).map_err(host_error)
    }
    fn finish_notice(&self, key: &str, sent: Option<&Receipt>) -> Result<(), HostError> {
        let sent: Option<wit::Receipt> = sent.cloned().map(Into::into);
        host::finish_notice(key, sent.as_ref()).map_err(host_error)
    }
    fn throttle(&self, segments: u32) -> Duration {
        Duration::from_millis(host::throttle(segments))
    }
}
