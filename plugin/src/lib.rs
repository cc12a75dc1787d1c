//! The SMS plugin: a WASI 0.2 component that sends texts through the store's own Twilio
//! account.
//!
//! This file is glue only: the `pos:sms/sms` exports convert WIT values into calls on the
//! sans-IO [`core`], and the core's effects go back out through the `pos:sms/host` imports and
//! wasi:http ([`http`]). On a native target only the core is compiled, so it is unit-tested
//! with plain `cargo test`.

pub mod core;

#[cfg(target_arch = "wasm32")]
mod http;

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({ world: "plugin", path: "../wit/since_v0.1.0" });

    use crate::core::{credentials, error, notify, segments, service, twilio, webhook};
    use exports::pos::sms::sms::Guest;
    use pos::sms::host;
    use pos::sms::types as wit;

    /// The component's one type: every export is a function of the host's state.
    struct Plugin;

    /// The host's imports plus wasi:http, as the core sees them.
    struct WitHost;

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
        fn record_audit(&self, e: service::AuditEntry) -> Result<u64, String> {
            host::record_audit(&audit_to_wit(e))
        }
        fn update_audit(&self, id: u64, e: service::AuditEntry) -> Result<(), String> {
            host::update_audit(id, &audit_to_wit(e))
        }
        fn http(
            &self,
            request: &twilio::HttpRequest,
        ) -> Result<twilio::HttpResponse, service::TransportError> {
            crate::http::perform(request)
        }
        fn sleep(&self, duration: std::time::Duration) {
            // Blocking on a host pollable: the host waits, and does not count the wait as the
            // plugin's CPU time.
            let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
            wasip2::clocks::monotonic_clock::subscribe_duration(nanos).block();
        }
        fn record_delivery(&self, d: service::DeliveryRecord) -> Result<(), String> {
            host::record_delivery(&delivery_to_wit(d))
        }
        fn record_reply(&self, m: &webhook::InboundMessage) -> Result<(), String> {
            host::record_reply(&inbound_to_wit(m.clone()))
        }
        fn set_opted_out(&self, number: &str, opted_out: bool) -> Result<(), String> {
            host::set_opted_out(number, opted_out)
        }
        fn is_opted_out(&self, number: &str) -> Result<bool, String> {
            host::is_opted_out(number)
        }
        fn claim_notice(&self, key: &str) -> Result<service::NoticeClaim, String> {
            Ok(match host::claim_notice(key)? {
                wit::NoticeClaim::Claimed => service::NoticeClaim::Claimed,
                wit::NoticeClaim::AlreadySent(r) => {
                    service::NoticeClaim::AlreadySent(twilio::Receipt {
                        sid: r.sid,
                        to: r.to,
                        status: r.status,
                        segments: r.segments,
                    })
                }
                wit::NoticeClaim::InProgress => service::NoticeClaim::InProgress,
            })
        }
        fn finish_notice(&self, key: &str, sent: Option<&twilio::Receipt>) -> Result<(), String> {
            host::finish_notice(key, sent.cloned().map(receipt_to_wit).as_ref())
        }
        fn throttle(&self, segments: u32) -> std::time::Duration {
            std::time::Duration::from_millis(host::throttle(segments))
        }
    }

    fn delivery_to_wit(d: service::DeliveryRecord) -> wit::DeliveryUpdate {
        wit::DeliveryUpdate {
            message_sid: d.message_sid,
            status: d.status,
            rank: d.rank,
            error_code: d.error_code,
            reason: d.reason,
        }
    }

    fn inbound_to_wit(m: webhook::InboundMessage) -> wit::InboundMessage {
        wit::InboundMessage {
            message_sid: m.message_sid,
            from: m.from,
            to: m.to,
            body: m.body,
            keyword: m.keyword.map(|k| match k {
                webhook::OptKeyword::OptOut => wit::OptKeyword::OptOut,
                webhook::OptKeyword::OptIn => wit::OptKeyword::OptIn,
                webhook::OptKeyword::Help => wit::OptKeyword::Help,
            }),
        }
    }

    fn audit_to_wit(e: service::AuditEntry) -> wit::AuditEntry {
        wit::AuditEntry {
            action: match e.action {
                service::AuditAction::Send => wit::AuditAction::Send,
                service::AuditAction::Test => wit::AuditAction::Test,
                service::AuditAction::Notify => wit::AuditAction::Notify,
            },
            to: e.to,
            body_length: e.body_length,
            segments: e.segments,
            user: e.user,
            message_sid: e.message_sid,
            status: e.status,
            error_kind: e.error_kind,
            twilio_code: e.twilio_code,
        }
    }

    fn field_to_wit(f: error::CredentialField) -> wit::CredentialField {
        use error::CredentialField as F;
        match f {
            F::AccountSid => wit::CredentialField::AccountSid,
            F::AuthToken => wit::CredentialField::AuthToken,
            F::ApiKeySid => wit::CredentialField::ApiKeySid,
            F::ApiKeySecret => wit::CredentialField::ApiKeySecret,
            F::Sender => wit::CredentialField::Sender,
        }
    }

    fn field_from_wit(f: wit::CredentialField) -> error::CredentialField {
        use error::CredentialField as F;
        match f {
            wit::CredentialField::AccountSid => F::AccountSid,
            wit::CredentialField::AuthToken => F::AuthToken,
            wit::CredentialField::ApiKeySid => F::ApiKeySid,
            wit::CredentialField::ApiKeySecret => F::ApiKeySecret,
            wit::CredentialField::Sender => F::Sender,
        }
    }

    fn twilio_to_wit(e: error::TwilioError) -> wit::TwilioError {
        wit::TwilioError {
            code: e.code,
            message: e.message,
            more_info: e.more_info,
            http_status: e.http_status,
        }
    }

    fn twilio_from_wit(e: wit::TwilioError) -> error::TwilioError {
        error::TwilioError {
            code: e.code,
            message: e.message,
            more_info: e.more_info,
            http_status: e.http_status,
        }
    }

    fn error_to_wit(e: error::Error) -> wit::Error {
        use error::Error as E;
        match e {
            E::NotConnected => wit::Error::NotConnected,
            E::InvalidCredential { field, reason } => {
                wit::Error::InvalidCredential(wit::CredentialProblem {
                    field: field_to_wit(field),
                    reason,
                })
            }
            E::CredentialsRejected => wit::Error::CredentialsRejected,
            E::InvalidPhone(s) => wit::Error::InvalidPhone(s),
            E::EmptyBody => wit::Error::EmptyBody,
            E::BodyTooLong(n) => wit::Error::BodyTooLong(n),
            E::RecipientUnreachable(t) => wit::Error::RecipientUnreachable(twilio_to_wit(t)),
            E::RecipientOptedOut => wit::Error::RecipientOptedOut,
            E::RegionNotPermitted => wit::Error::RegionNotPermitted,
            E::RateLimited(s) => wit::Error::RateLimited(s),
            E::OutcomeUnknown(s) => wit::Error::OutcomeUnknown(s),
            E::DeniedByHost(s) => wit::Error::DeniedByHost(s),
            E::Twilio(t) => wit::Error::Twilio(twilio_to_wit(t)),
            E::Network(s) => wit::Error::Network(s),
            E::WebhookRejected(s) => wit::Error::WebhookRejected(s),
            E::InvalidNotice(s) => wit::Error::InvalidNotice(s),
            E::Other(s) => wit::Error::Other(s),
        }
    }

    fn error_from_wit(e: wit::Error) -> error::Error {
        use error::Error as E;
        match e {
            wit::Error::NotConnected => E::NotConnected,
            wit::Error::InvalidCredential(p) => E::InvalidCredential {
                field: field_from_wit(p.field),
                reason: p.reason,
            },
            wit::Error::CredentialsRejected => E::CredentialsRejected,
            wit::Error::InvalidPhone(s) => E::InvalidPhone(s),
            wit::Error::EmptyBody => E::EmptyBody,
            wit::Error::BodyTooLong(n) => E::BodyTooLong(n),
            wit::Error::RecipientUnreachable(t) => E::RecipientUnreachable(twilio_from_wit(t)),
            wit::Error::RecipientOptedOut => E::RecipientOptedOut,
            wit::Error::RegionNotPermitted => E::RegionNotPermitted,
            wit::Error::RateLimited(s) => E::RateLimited(s),
            wit::Error::OutcomeUnknown(s) => E::OutcomeUnknown(s),
            wit::Error::DeniedByHost(s) => E::DeniedByHost(s),
            wit::Error::Twilio(t) => E::Twilio(twilio_from_wit(t)),
            wit::Error::Network(s) => E::Network(s),
            wit::Error::WebhookRejected(s) => E::WebhookRejected(s),
            wit::Error::InvalidNotice(s) => E::InvalidNotice(s),
            wit::Error::Other(s) => E::Other(s),
        }
    }

    fn receipt_to_wit(r: twilio::Receipt) -> wit::Receipt {
        wit::Receipt {
            sid: r.sid,
            to: r.to,
            status: r.status,
            segments: r.segments,
        }
    }

    impl Guest for Plugin {
        fn connect(c: wit::Credentials) -> Result<wit::Account, wit::Error> {
            let auth = match c.auth {
                wit::Auth::AuthToken(token) => credentials::Auth::AuthToken(token),
                wit::Auth::ApiKey(key) => credentials::Auth::ApiKey {
                    sid: key.sid,
                    secret: key.secret,
                },
            };
            service::connect(&WitHost, &c.account_sid, auth, &c.sender)
                .map(|a| wit::Account {
                    masked_sid: a.masked_sid,
                    friendly_name: a.friendly_name,
                    status: a.status,
                    account_type: a.account_type,
                    sender: a.sender,
                })
                .map_err(error_to_wit)
        }

        fn disconnect() -> Result<(), wit::Error> {
            service::disconnect(&WitHost).map_err(error_to_wit)
        }

        fn status() -> wit::ConnectionStatus {
            let s = service::status(&WitHost);
            wit::ConnectionStatus {
                connected: s.connected,
                masked_sid: s.masked_sid,
                sender: s.sender,
                friendly_name: s.friendly_name,
            }
        }

        fn send(o: wit::Outgoing) -> Result<wit::Receipt, wit::Error> {
            service::send(
                &WitHost,
                service::AuditAction::Send,
                &o.to,
                &o.body,
                &o.user,
            )
            .map(receipt_to_wit)
            .map_err(error_to_wit)
        }

        fn test(to: String, user: String) -> Result<wit::Receipt, wit::Error> {
            service::test(&WitHost, &to, &user)
                .map(receipt_to_wit)
                .map_err(error_to_wit)
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
                encoding: match info.encoding {
                    segments::Encoding::Gsm7 => wit::Encoding::Gsm7,
                    segments::Encoding::Ucs2 => wit::Encoding::Ucs2,
                },
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
            crate::core::phone::normalize(&text).map_err(wit::Error::InvalidPhone)
        }

        fn describe_error(e: wit::Error) -> String {
            error_from_wit(e).to_string()
        }

        fn notify(e: wit::NoticeEvent) -> Result<wit::NoticeReceipt, wit::Error> {
            let notice = match e.notice {
                wit::NoticeKind::RepairReady(item) => notify::Notice::RepairReady { item },
                wit::NoticeKind::CustomOrderArrived(item) => {
                    notify::Notice::CustomOrderArrived { item }
                }
                wit::NoticeKind::PaymentLink(link) => notify::Notice::PaymentLink {
                    url: link.url,
                    amount: link.amount,
                },
                wit::NoticeKind::AppointmentReminder(time) => {
                    notify::Notice::AppointmentReminder { time }
                }
            };
            let r = service::notify(
                &WitHost,
                &e.event_id,
                &e.to,
                &e.customer_first_name,
                &notice,
                &e.user,
            )
            .map_err(error_to_wit)?;
            Ok(wit::NoticeReceipt {
                receipt: receipt_to_wit(r.receipt),
                text: r.text,
                segments: r.segments,
                duplicate: r.duplicate,
            })
        }

        fn handle_webhook(r: wit::WebhookRequest) -> Result<wit::WebhookEvent, wit::Error> {
            let request = webhook::WebhookRequest {
                url: r.url,
                headers: r.headers,
                body: r.body,
            };
            match service::handle_webhook(&WitHost, &request).map_err(error_to_wit)? {
                webhook::WebhookEvent::Status(u) => Ok(wit::WebhookEvent::Status(delivery_to_wit(
                    service::DeliveryRecord::from(&u),
                ))),
                webhook::WebhookEvent::Inbound(m) => {
                    Ok(wit::WebhookEvent::Inbound(inbound_to_wit(m)))
                }
            }
        }
    }

    export!(Plugin);
}
