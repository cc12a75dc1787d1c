//! `pos:sms/host@0.1.0` for plugins built against the first release: each import forwards to
//! the current one, its error text being the `host-error`'s sentence.
//!
//! What 0.1.0 could not say is filled in as it behaved: its opt-outs were bare keywords
//! (or Twilio's 21610, which it could not tell apart), and everything it sent was
//! transactional.

use crate::bindings::v0_1::pos::sms::{host as old_host, types as old};
use crate::bindings::v0_2::pos::sms::{host as new_host, types as new};

use super::HostState;

impl old::Host for HostState {}

/// The 0.1.0 shape of a host failure: a sentence.
fn text(e: new::HostError) -> String {
    crate::bindings::compat::host_error_text(&e)
}

impl old_host::Host for HostState {
    fn get_secret(&mut self, name: String) -> Option<String> {
        new_host::Host::get_secret(self, name).ok().flatten()
    }

    fn set_secret(&mut self, name: String, value: String) -> Result<(), String> {
        new_host::Host::set_secret(self, name, value).map_err(text)
    }

    fn delete_secret(&mut self, name: String) -> Result<(), String> {
        new_host::Host::delete_secret(self, name).map_err(text)
    }

    fn get_config(&mut self, key: String) -> Option<String> {
        new_host::Host::get_config(self, key).ok().flatten()
    }

    async fn record_audit(&mut self, entry: old::AuditEntry) -> Result<u64, String> {
        new_host::Host::record_audit(self, entry.into())
            .await
            .map_err(text)
    }

    async fn update_audit(&mut self, id: u64, entry: old::AuditEntry) -> Result<(), String> {
        new_host::Host::update_audit(self, id, entry.into())
            .await
            .map_err(text)
    }

    async fn record_delivery(&mut self, update: old::DeliveryUpdate) -> Result<(), String> {
        new_host::Host::record_delivery(self, update.into())
            .await
            .map_err(text)
    }

    async fn record_reply(&mut self, message: old::InboundMessage) -> Result<(), String> {
        new_host::Host::record_reply(self, message.into())
            .await
            .map(|_| ())
            .map_err(text)
    }

    fn set_opted_out(&mut self, number: String, opted_out: bool) -> Result<(), String> {
        if opted_out {
            let entry = new::OptOut {
                number,
                method: new::OptOutMethod::Keyword,
                reply: None,
                via: None,
            };
            new_host::Host::record_opt_out(self, entry).map(|_| ())
        } else {
            new_host::Host::record_opt_in(self, number, None)
        }
        .map_err(text)
    }

    fn is_opted_out(&mut self, number: String) -> Result<bool, String> {
        new_host::Host::is_opted_out(self, number).map_err(text)
    }

    fn claim_notice(&mut self, key: String) -> Result<old::NoticeClaim, String> {
        new_host::Host::claim_notice(self, key)
            .map(Into::into)
            .map_err(text)
    }

    fn finish_notice(&mut self, key: String, sent: Option<old::Receipt>) -> Result<(), String> {
        new_host::Host::finish_notice(self, key, sent.map(Into::into)).map_err(text)
    }

    fn throttle(&mut self, segments: u32) -> u64 {
        new_host::Host::throttle(self, segments)
    }
}
