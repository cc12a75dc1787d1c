//! Values of `pos:sms@0.1.0` to those of `0.2.0` and back, so that a plugin built for 0.1.0
//! runs behind the host's current API. Records and enums that did not change are copied field
//! by field; what 0.2.0 added is filled in the way a 0.1.0 plugin behaved.

use super::v0_1::pos::sms::types as old;
use super::v0_2::pos::sms::types as new;

/// `From` both ways for a record whose fields did not change between the versions.
macro_rules! same_record {
    ($name:ident { $($field:ident),* $(,)? }) => {
        impl From<old::$name> for new::$name {
            fn from(v: old::$name) -> new::$name {
                new::$name { $($field: v.$field.into()),* }
            }
        }
        impl From<new::$name> for old::$name {
            fn from(v: new::$name) -> old::$name {
                old::$name { $($field: v.$field.into()),* }
            }
        }
    };
}

/// `From` both ways for an enum whose cases did not change.
macro_rules! same_enum {
    ($name:ident { $($case:ident),* $(,)? }) => {
        impl From<old::$name> for new::$name {
            fn from(v: old::$name) -> new::$name {
                match v { $(old::$name::$case => new::$name::$case),* }
            }
        }
        impl From<new::$name> for old::$name {
            fn from(v: new::$name) -> old::$name {
                match v { $(new::$name::$case => old::$name::$case),* }
            }
        }
    };
}

same_record!(ApiKey { sid, secret });
same_record!(Credentials {
    account_sid,
    auth,
    sender
});
same_record!(Account {
    masked_sid,
    friendly_name,
    status,
    account_type,
    sender
});
same_record!(ConnectionStatus {
    connected,
    masked_sid,
    sender,
    friendly_name
});
same_record!(Receipt {
    sid,
    to,
    status,
    segments
});
same_record!(SegmentInfo {
    encoding,
    segments,
    characters,
    unicode_scalars,
    non_gsm,
    remaining_in_segment,
    cost_micros,
    text,
});
same_record!(CredentialProblem { field, reason });
same_record!(TwilioError {
    code,
    message,
    more_info,
    http_status
});
same_record!(WebhookRequest { url, headers, body });
same_record!(DeliveryUpdate {
    message_sid,
    status,
    rank,
    error_code,
    reason
});
same_record!(PaymentLink { url, amount });
same_record!(NoticeEvent {
    event_id,
    to,
    customer_first_name,
    notice,
    user
});
same_record!(NoticeReceipt {
    receipt,
    text,
    segments,
    duplicate
});
same_enum!(Encoding { Gsm7, Ucs2 });
same_enum!(CredentialField {
    AccountSid,
    AuthToken,
    ApiKeySid,
    ApiKeySecret,
    Sender
});

impl From<old::Auth> for new::Auth {
    fn from(v: old::Auth) -> new::Auth {
        match v {
            old::Auth::AuthToken(t) => new::Auth::AuthToken(t),
            old::Auth::ApiKey(k) => new::Auth::ApiKey(k.into()),
        }
    }
}

impl From<new::Auth> for old::Auth {
    fn from(v: new::Auth) -> old::Auth {
        match v {
            new::Auth::AuthToken(t) => old::Auth::AuthToken(t),
            new::Auth::ApiKey(k) => old::Auth::ApiKey(k.into()),
        }
    }
}

impl From<new::NoticeKind> for old::NoticeKind {
    fn from(v: new::NoticeKind) -> old::NoticeKind {
        match v {
            new::NoticeKind::RepairReady(item) => old::NoticeKind::RepairReady(item),
            new::NoticeKind::CustomOrderArrived(item) => old::NoticeKind::CustomOrderArrived(item),
            new::NoticeKind::PaymentLink(link) => old::NoticeKind::PaymentLink(link.into()),
            new::NoticeKind::AppointmentReminder(when) => {
                old::NoticeKind::AppointmentReminder(when)
            }
        }
    }
}

impl From<old::NoticeKind> for new::NoticeKind {
    fn from(v: old::NoticeKind) -> new::NoticeKind {
        match v {
            old::NoticeKind::RepairReady(item) => new::NoticeKind::RepairReady(item),
            old::NoticeKind::CustomOrderArrived(item) => new::NoticeKind::CustomOrderArrived(item),
            old::NoticeKind::PaymentLink(link) => new::NoticeKind::PaymentLink(link.into()),
            old::NoticeKind::AppointmentReminder(when) => {
                new::NoticeKind::AppointmentReminder(when)
            }
        }
    }
}

/// A 0.1.0 error is one of 0.2.0's (0.2.0 only added cases).
impl From<old::Error> for new::Error {
    fn from(v: old::Error) -> new::Error {
        use new::Error as N;
        use old::Error as O;
        match v {
            O::NotConnected => N::NotConnected,
            O::InvalidCredential(p) => N::InvalidCredential(p.into()),
            O::CredentialsRejected => N::CredentialsRejected,
            O::InvalidPhone(why) => N::InvalidPhone(why),
            O::EmptyBody => N::EmptyBody,
            O::BodyTooLong(n) => N::BodyTooLong(n),
            O::RecipientUnreachable(t) => N::RecipientUnreachable(t.into()),
            O::RecipientOptedOut => N::RecipientOptedOut,
            O::RegionNotPermitted => N::RegionNotPermitted,
            O::RateLimited(secs) => N::RateLimited(secs),
            O::OutcomeUnknown(why) => N::OutcomeUnknown(why),
            O::DeniedByHost(why) => N::DeniedByHost(why),
            O::Twilio(t) => N::Twilio(t.into()),
            O::Network(why) => N::Network(why),
            O::WebhookRejected(why) => N::WebhookRejected(why),
            O::InvalidNotice(why) => N::InvalidNotice(why),
            O::Other(why) => N::Other(why),
        }
    }
}

/// A 0.1.0 plugin read only the bare keywords, which are exactly the replies Twilio acts on.
fn classification(keyword: old::OptKeyword) -> new::ReplyClassification {
    let (intent, rule) = match keyword {
        old::OptKeyword::OptOut => (new::ReplyIntent::OptOut, "keyword:opt-out"),
        old::OptKeyword::OptIn => (new::ReplyIntent::OptIn, "keyword:opt-in"),
        old::OptKeyword::Help => (new::ReplyIntent::Help, "keyword:help"),
    };
    new::ReplyClassification {
        intent,
        matched: new::ReplyMatch::Keyword,
        rule: rule.into(),
        handled_by_twilio: true,
    }
}

impl From<old::InboundMessage> for new::InboundMessage {
    fn from(m: old::InboundMessage) -> new::InboundMessage {
        new::InboundMessage {
            message_sid: m.message_sid,
            from: m.from,
            to: m.to,
            body: m.body,
            classification: m.keyword.map(classification),
        }
    }
}

impl From<old::WebhookEvent> for new::WebhookEvent {
    fn from(v: old::WebhookEvent) -> new::WebhookEvent {
        match v {
            old::WebhookEvent::Status(update) => new::WebhookEvent::Status(update.into()),
            old::WebhookEvent::Inbound(message) => {
                let opted_out = message.keyword == Some(old::OptKeyword::OptOut);
                new::WebhookEvent::Inbound(new::ReplyEvent {
                    message: message.into(),
                    opted_out,
                    confirmation: None,
                    // 0.1.0 kept no texts, so there is no notice to link a reply to.
                    linked_event: None,
                })
            }
        }
    }
}

impl From<new::NoticeClaim> for old::NoticeClaim {
    fn from(v: new::NoticeClaim) -> old::NoticeClaim {
        match v {
            new::NoticeClaim::Claimed => old::NoticeClaim::Claimed,
            new::NoticeClaim::AlreadySent(r) => old::NoticeClaim::AlreadySent(r.into()),
            new::NoticeClaim::InProgress => old::NoticeClaim::InProgress,
        }
    }
}

impl From<old::AuditEntry> for new::AuditEntry {
    fn from(e: old::AuditEntry) -> new::AuditEntry {
        new::AuditEntry {
            action: match e.action {
                old::AuditAction::Send => new::AuditAction::Send,
                old::AuditAction::Test => new::AuditAction::Test,
                old::AuditAction::Notify => new::AuditAction::Notify,
            },
            to: e.to,
            body_length: e.body_length,
            segments: e.segments,
            user: e.user,
            message_sid: e.message_sid,
            status: e.status,
            error_kind: e.error_kind,
            twilio_code: e.twilio_code,
            // 0.1.0 had no marketing texts: everything it sent was transactional.
            purpose: new::Purpose::Transactional,
            note: None,
        }
    }
}

/// The sentence a 0.1.0 plugin gets for a host failure (its imports failed with a string).
pub fn host_error_text(e: &new::HostError) -> String {
    match e {
        new::HostError::Storage(why) => format!("the host's storage failed: {why}"),
        new::HostError::Invalid(why) => format!("the host refused the value: {why}"),
        new::HostError::Other(why) => why.clone(),
    }
}
