//! The SMS plugin as a WASI 0.2 component: the `pos:sms/sms` exports over [`sms_core`].
//!
//! This crate is glue only. [`convert`] turns WIT values into `sms_core` values and back
//! (`From` impls, one per type); `host` gives the core its [`sms_core::service::Host`] over
//! the `pos:sms/host` imports; [`http`] is the one file that touches `wasi:http`. Every
//! decision lives in `sms_core`, which is unit-tested natively.
//!
//! The component is built for `wasm32-wasip2` only. On other targets this crate is empty: a
//! native cdylib cannot link the component's export names.

#![cfg(target_arch = "wasm32")]

wit_bindgen::generate!({ world: "plugin", path: "../../wit/since_v0.1.0" });

mod convert;
mod host;
mod http;

use exports::pos::sms::sms::Guest;
use pos::sms::types as wit;
use sms_core::{notify, phone, segments, service};

use crate::host::WitHost;

/// The component's one type: every export is a function of the host's state.
struct Plugin;

impl Guest for Plugin {
    fn connect(c: wit::Credentials) -> Result<wit::Account, wit::Error> {
        service::connect(&WitHost, &c.account_sid, c.auth.into(), &c.sender)
            .map(Into::into)
            .map_err(Into::into)
    }

    fn disconnect() -> Result<(), wit::Error> {
        service::disconnect(&WitHost).map_err(Into::into)
    }

    fn status() -> wit::ConnectionStatus {
        service::status(&WitHost).into()
    }

    fn send(o: wit::Outgoing) -> Result<wit::Receipt, wit::Error> {
        service::send(
            &WitHost,
            service::AuditAction::Send,
            &o.to,
            &o.body,
            &o.user,
        )
        .map(Into::into)
        .map_err(Into::into)
    }

    fn test(to: String, user: String) -> Result<wit::Receipt, wit::Error> {
        service::test(&WitHost, &to, &user)
            .map(Into::into)
            .map_err(Into::into)
    }

    fn segment_count(
        body: String,
        smart_encoding: bool,
        price_per_segment_micros: Option<u64>,
    ) -> wit::SegmentInfo {
        let text = if smart_encoding {
            segments::smart_encode(&body).into_owned()
        } else {
            body
        };
        let info = segments::count(&text);
        wit::SegmentInfo {
            encoding: info.encoding.into(),
            segments: info.segments,
            characters: info.characters,
            unicode_scalars: info.unicode_scalars,
            non_gsm: info.non_gsm,
            remaining_in_segment: info.remaining_in_segment,
            cost_micros: segments::cost_micros(info.segments, price_per_segment_micros),
            text,
        }
    }

    fn normalize_phone(text: String) -> Result<String, wit::Error> {
        phone::normalize(&text).map_err(wit::Error::InvalidPhone)
    }

    fn describe_error(e: wit::Error) -> String {
        sms_core::error::Error::from(e).to_string()
    }

    fn notify(e: wit::NoticeEvent) -> Result<wit::NoticeReceipt, wit::Error> {
        let notice = notify::Notice::from(e.notice);
        service::notify(
            &WitHost,
            &e.event_id,
            &e.to,
            &e.customer_first_name,
            &notice,
            &e.user,
        )
        .map(Into::into)
        .map_err(Into::into)
    }

    fn handle_webhook(r: wit::WebhookRequest) -> Result<wit::WebhookEvent, wit::Error> {
        service::handle_webhook(&WitHost, &r.into())
            .map(Into::into)
            .map_err(Into::into)
    }
}

export!(Plugin);
