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

wit_bindgen::generate!({ world: "plugin", path: "../../wit/since_v0.2.0" });

mod convert;
mod host;
mod http;

use exports::pos::sms::sms::Guest;
use pos::sms::types as wit;
use sms_core::{notify, phone, segments, service, sync};

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
        let options = service::SendOptions {
            purpose: o.purpose.into(),
            quiet_hours: if o.override_quiet_hours {
                service::QuietHoursRule::Override
            } else {
                service::QuietHoursRule::Enforce
            },
            notice: None,
        };
        service::send_with(
            &WitHost,
            service::AuditAction::Send,
            &o.to,
            &o.body,
            &o.user,
            options,
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

    fn smart_substitutions(body: String) -> Vec<wit::Substitution> {
        segments::smart_substitutions(&body)
            .into_iter()
            .map(Into::into)
            .collect()
    }

    fn normalize_phone(text: String) -> Result<String, wit::Error> {
        phone::normalize(&text).map_err(wit::Error::InvalidPhone)
    }

    fn describe_error(e: wit::Error) -> String {
        sms_core::error::Error::from(e).to_string()
    }

    fn notify(e: wit::NoticeEvent) -> Result<wit::NoticeOutcome, wit::Error> {
        let notice = notify::Notice::from(e.notice.clone());
        let outcome = service::notify(
            &WitHost,
            &e.event_id,
            &e.to,
            &e.customer_first_name,
            &notice,
            &e.user,
        )?;
        Ok(match outcome {
            service::NoticeOutcome::Sent(receipt) => wit::NoticeOutcome::Sent(receipt.into()),
            service::NoticeOutcome::Held(hold) => {
                // The host keeps the event and calls `notify` with it again when it is due.
                let held = wit::HeldNotice {
                    key: hold.key,
                    event: e,
                    release_at: hold.release_at,
                    release_at_unix: u64::try_from(hold.release_at_unix).unwrap_or(0),
                    release_local: hold.release_local,
                };
                pos::sms::host::hold_notice(&held).map_err(|e| {
                    wit::Error::Other(format!(
                        "the notice is outside quiet hours and the host could not hold it \
                         ({e:?}), so it was not sent"
                    ))
                })?;
                wit::NoticeOutcome::Held(held)
            }
        })
    }

    fn classify_reply(body: String) -> Option<wit::ReplyClassification> {
        sms_core::webhook::classify::classify(&body).map(Into::into)
    }

    fn poll_delivery(message_sid: String) -> Result<wit::DeliveryUpdate, wit::Error> {
        sync::poll_delivery(&WitHost, &message_sid)
            .map(Into::into)
            .map_err(Into::into)
    }

    fn resolve_unknown(send: wit::UnknownSend) -> Result<wit::UnknownResolution, wit::Error> {
        let send = sync::UnknownSend {
            to: send.to,
            body: send.body,
            sent_at: i64::try_from(send.sent_at).unwrap_or(i64::MAX),
            known_sids: send.known_sids,
        };
        Ok(match sync::resolve_unknown(&WitHost, &send)? {
            sync::Resolution::Sent(receipt) => wit::UnknownResolution::Sent(receipt.into()),
            sync::Resolution::NotSent => wit::UnknownResolution::NotSent,
            sync::Resolution::StillUnknown(why) => wit::UnknownResolution::StillUnknown(why),
        })
    }

    fn handle_webhook(r: wit::WebhookRequest) -> Result<wit::WebhookEvent, wit::Error> {
        service::handle_webhook(&WitHost, &r.into())
            .map(Into::into)
            .map_err(Into::into)
    }
}

export!(Plugin);
