//! WIT values to `sms_core` values and back: one `From` impl per type, no logic.

use sms_core::error::{CredentialField, Error, QuietHoursDetail, TwilioError};
use sms_core::webhook::classify;
use sms_core::{credentials, notify, segments, service, twilio, webhook};

use crate::pos::sms::types as wit;

impl From<wit::Auth> for credentials::Auth {
    fn from(a: wit::Auth) -> Self {
        match a {
            wit::Auth::AuthToken(token) => credentials::Auth::AuthToken(token),
            wit::Auth::ApiKey(key) => credentials::Auth::ApiKey {
                sid: key.sid,
                secret: key.secret,
            },
        }
    }
}

impl From<service::ConnectedAccount> for wit::Account {
    fn from(a: service::ConnectedAccount) -> Self {
        wit::Account {
            masked_sid: a.masked_sid,
            friendly_name: a.friendly_name,
            status: a.status,
            account_type: a.account_type,
            sender: a.sender,
        }
    }
}

impl From<service::ConnectionStatus> for wit::ConnectionStatus {
    fn from(s: service::ConnectionStatus) -> Self {
        wit::ConnectionStatus {
            connected: s.connected,
            masked_sid: s.masked_sid,
            sender: s.sender,
            friendly_name: s.friendly_name,
        }
    }
}

impl From<twilio::Receipt> for wit::Receipt {
    fn from(r: twilio::Receipt) -> Self {
        wit::Receipt {
            sid: r.sid,
            to: r.to,
            status: r.status,
            segments: r.segments,
        }
    }
}

impl From<wit::Receipt> for twilio::Receipt {
    fn from(r: wit::Receipt) -> Self {
        twilio::Receipt {
            sid: r.sid,
            to: r.to,
            status: r.status,
            segments: r.segments,
        }
    }
}

impl From<segments::Substitution> for wit::Substitution {
    fn from(s: segments::Substitution) -> Self {
        wit::Substitution {
            original: s.original.to_string(),
            replacement: s.replacement.to_string(),
            count: s.count,
        }
    }
}

impl From<segments::Encoding> for wit::Encoding {
    fn from(e: segments::Encoding) -> Self {
        match e {
            segments::Encoding::Gsm7 => wit::Encoding::Gsm7,
            segments::Encoding::Ucs2 => wit::Encoding::Ucs2,
        }
    }
}

impl From<CredentialField> for wit::CredentialField {
    fn from(f: CredentialField) -> Self {
        match f {
            CredentialField::AccountSid => wit::CredentialField::AccountSid,
            CredentialField::AuthToken => wit::CredentialField::AuthToken,
            CredentialField::ApiKeySid => wit::CredentialField::ApiKeySid,
            CredentialField::ApiKeySecret => wit::CredentialField::ApiKeySecret,
            CredentialField::Sender => wit::CredentialField::Sender,
        }
    }
}

impl From<wit::CredentialField> for CredentialField {
    fn from(f: wit::CredentialField) -> Self {
        match f {
            wit::CredentialField::AccountSid => CredentialField::AccountSid,
            wit::CredentialField::AuthToken => CredentialField::AuthToken,
            wit::CredentialField::ApiKeySid => CredentialField::ApiKeySid,
            wit::CredentialField::ApiKeySecret => CredentialField::ApiKeySecret,
            wit::CredentialField::Sender => CredentialField::Sender,
        }
    }
}

impl From<TwilioError> for wit::TwilioError {
    fn from(e: TwilioError) -> Self {
        wit::TwilioError {
            code: e.code,
            message: e.message,
            more_info: e.more_info,
            http_status: e.http_status,
        }
    }
}

impl From<wit::TwilioError> for TwilioError {
    fn from(e: wit::TwilioError) -> Self {
        TwilioError {
            code: e.code,
            message: e.message,
            more_info: e.more_info,
            http_status: e.http_status,
        }
    }
}

impl From<Error> for wit::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::NotConnected => wit::Error::NotConnected,
            Error::InvalidCredential { field, reason } => {
                wit::Error::InvalidCredential(wit::CredentialProblem {
                    field: field.into(),
                    reason,
                })
            }
            Error::CredentialsRejected => wit::Error::CredentialsRejected,
            Error::InvalidPhone(s) => wit::Error::InvalidPhone(s),
            Error::EmptyBody => wit::Error::EmptyBody,
            Error::BodyTooLong(n) => wit::Error::BodyTooLong(n),
            Error::RecipientUnreachable(t) => wit::Error::RecipientUnreachable(t.into()),
            Error::RecipientOptedOut => wit::Error::RecipientOptedOut,
            Error::RegionNotPermitted => wit::Error::RegionNotPermitted,
            Error::RateLimited(s) => wit::Error::RateLimited(s),
            Error::OutcomeUnknown(s) => wit::Error::OutcomeUnknown(s),
            Error::DeniedByHost(s) => wit::Error::DeniedByHost(s),
            Error::Twilio(t) => wit::Error::Twilio(t.into()),
            Error::Network(s) => wit::Error::Network(s),
            Error::WebhookRejected(s) => wit::Error::WebhookRejected(s),
            Error::InvalidNotice(s) => wit::Error::InvalidNotice(s),
            Error::QuietHours(d) => wit::Error::QuietHours((*d).into()),
            Error::NoConsent => wit::Error::NoConsent,
            Error::Other(s) => wit::Error::Other(s),
        }
    }
}

impl From<wit::Error> for Error {
    fn from(e: wit::Error) -> Self {
        match e {
            wit::Error::NotConnected => Error::NotConnected,
            wit::Error::InvalidCredential(p) => Error::InvalidCredential {
                field: p.field.into(),
                reason: p.reason,
            },
            wit::Error::CredentialsRejected => Error::CredentialsRejected,
            wit::Error::InvalidPhone(s) => Error::InvalidPhone(s),
            wit::Error::EmptyBody => Error::EmptyBody,
            wit::Error::BodyTooLong(n) => Error::BodyTooLong(n),
            wit::Error::RecipientUnreachable(t) => Error::RecipientUnreachable(t.into()),
            wit::Error::RecipientOptedOut => Error::RecipientOptedOut,
            wit::Error::RegionNotPermitted => Error::RegionNotPermitted,
            wit::Error::RateLimited(s) => Error::RateLimited(s),
            wit::Error::OutcomeUnknown(s) => Error::OutcomeUnknown(s),
            wit::Error::DeniedByHost(s) => Error::DeniedByHost(s),
            wit::Error::Twilio(t) => Error::Twilio(t.into()),
            wit::Error::Network(s) => Error::Network(s),
            wit::Error::WebhookRejected(s) => Error::WebhookRejected(s),
            wit::Error::InvalidNotice(s) => Error::InvalidNotice(s),
            wit::Error::QuietHours(d) => Error::QuietHours(Box::new(d.into())),
            wit::Error::NoConsent => Error::NoConsent,
            wit::Error::Other(s) => Error::Other(s),
        }
    }
}

impl From<QuietHoursDetail> for wit::QuietHoursDetail {
    fn from(d: QuietHoursDetail) -> Self {
        wit::QuietHoursDetail {
            zone: d.zone,
            local_time: d.local_time,
            window: d.window,
            opens_at: d.opens_at,
            opens_local: d.opens_local,
        }
    }
}

impl From<wit::QuietHoursDetail> for QuietHoursDetail {
    fn from(d: wit::QuietHoursDetail) -> Self {
        QuietHoursDetail {
            zone: d.zone,
            local_time: d.local_time,
            window: d.window,
            // The WIT value carries the RFC 3339 form only; the sentence does not use this.
            opens_at_unix: 0,
            opens_at: d.opens_at,
            opens_local: d.opens_local,
        }
    }
}

impl From<wit::Purpose> for service::Purpose {
    fn from(p: wit::Purpose) -> Self {
        match p {
            wit::Purpose::Transactional => service::Purpose::Transactional,
            wit::Purpose::Marketing => service::Purpose::Marketing,
        }
    }
}

impl From<service::Purpose> for wit::Purpose {
    fn from(p: service::Purpose) -> Self {
        match p {
            service::Purpose::Transactional => wit::Purpose::Transactional,
            service::Purpose::Marketing => wit::Purpose::Marketing,
        }
    }
}

impl From<service::OutgoingRecord> for wit::OutgoingMessage {
    fn from(m: service::OutgoingRecord) -> Self {
        wit::OutgoingMessage {
            audit_id: m.audit_id,
            to: m.to,
            sender: m.sender,
            body: m.body,
            event_id: m.event_id,
            notice_key: m.notice_key,
        }
    }
}

impl From<service::OptOut> for wit::OptOut {
    fn from(o: service::OptOut) -> Self {
        wit::OptOut {
            number: o.number,
            method: match o.method {
                service::OptOutMethod::Keyword => wit::OptOutMethod::Keyword,
                service::OptOutMethod::Phrase => wit::OptOutMethod::Phrase,
                service::OptOutMethod::TwilioRefusal => wit::OptOutMethod::TwilioRefusal,
            },
            reply: o.reply,
            via: o.via,
        }
    }
}

impl From<classify::Classification> for wit::ReplyClassification {
    fn from(c: classify::Classification) -> Self {
        wit::ReplyClassification {
            intent: match c.intent {
                classify::Intent::OptOut => wit::ReplyIntent::OptOut,
                classify::Intent::OptIn => wit::ReplyIntent::OptIn,
                classify::Intent::Help => wit::ReplyIntent::Help,
                classify::Intent::PossibleOptOut => wit::ReplyIntent::PossibleOptOut,
            },
            matched: match c.by {
                classify::Match::Keyword => wit::ReplyMatch::Keyword,
                classify::Match::Phrase => wit::ReplyMatch::Phrase,
            },
            rule: c.rule.to_string(),
            handled_by_twilio: c.handled_by_twilio,
        }
    }
}

impl From<wit::NoticeKind> for notify::Notice {
    fn from(n: wit::NoticeKind) -> Self {
        match n {
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
        }
    }
}

impl From<service::NoticeReceipt> for wit::NoticeReceipt {
    fn from(r: service::NoticeReceipt) -> Self {
        wit::NoticeReceipt {
            receipt: r.receipt.into(),
            text: r.text,
            segments: r.segments,
            duplicate: r.duplicate,
        }
    }
}

impl From<wit::NoticeClaim> for service::NoticeClaim {
    fn from(c: wit::NoticeClaim) -> Self {
        match c {
            wit::NoticeClaim::Claimed => service::NoticeClaim::Claimed,
            wit::NoticeClaim::AlreadySent(r) => service::NoticeClaim::AlreadySent(r.into()),
            wit::NoticeClaim::InProgress => service::NoticeClaim::InProgress,
        }
    }
}

impl From<wit::WebhookRequest> for webhook::WebhookRequest {
    fn from(r: wit::WebhookRequest) -> Self {
        webhook::WebhookRequest {
            url: r.url,
            headers: r.headers,
            body: r.body,
        }
    }
}

impl From<service::DeliveryRecord> for wit::DeliveryUpdate {
    fn from(d: service::DeliveryRecord) -> Self {
        wit::DeliveryUpdate {
            message_sid: d.message_sid,
            status: d.status,
            rank: d.rank,
            error_code: d.error_code,
            reason: d.reason,
        }
    }
}

impl From<webhook::InboundMessage> for wit::InboundMessage {
    fn from(m: webhook::InboundMessage) -> Self {
        wit::InboundMessage {
            message_sid: m.message_sid,
            from: m.from,
            to: m.to,
            body: m.body,
            classification: m.classification.map(Into::into),
        }
    }
}

impl From<service::WebhookOutcome> for wit::WebhookEvent {
    fn from(e: service::WebhookOutcome) -> Self {
        match e {
            service::WebhookOutcome::Status(u) => {
                wit::WebhookEvent::Status(service::DeliveryRecord::from(&u).into())
            }
            service::WebhookOutcome::Reply(r) => wit::WebhookEvent::Inbound(wit::ReplyEvent {
                message: r.message.into(),
                opted_out: r.opted_out,
                confirmation: r.confirmation.map(Into::into),
                linked_event: r.linked_event,
            }),
        }
    }
}

impl From<service::AuditAction> for wit::AuditAction {
    fn from(a: service::AuditAction) -> Self {
        match a {
            service::AuditAction::Send => wit::AuditAction::Send,
            service::AuditAction::Test => wit::AuditAction::Test,
            service::AuditAction::Notify => wit::AuditAction::Notify,
            service::AuditAction::OptOutConfirmation => wit::AuditAction::OptOutConfirmation,
        }
    }
}

impl From<service::AuditEntry> for wit::AuditEntry {
    fn from(e: service::AuditEntry) -> Self {
        wit::AuditEntry {
            action: e.action.into(),
            to: e.to,
            body_length: e.body_length,
            segments: e.segments,
            user: e.user,
            message_sid: e.message_sid,
            status: e.status,
            error_kind: e.error_kind,
            twilio_code: e.twilio_code,
            purpose: e.purpose.into(),
            note: e.note,
        }
    }
}
