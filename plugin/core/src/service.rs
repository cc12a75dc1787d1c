//! The plugin's operations (connect, send, test, …) over an abstract [`Host`].
//!
//! Everything here is decisions: which checks run, in what order, what is stored and what is
//! audited. The effects (secrets, audit rows, HTTP) go through [`Host`], which the component
//! implements with its WIT imports and wasi:http, and tests implement with a fake.

use std::time::Duration;

use super::compliance::{self, QuietHours, Verdict};
use super::credentials::{Auth, Credentials, SECRET_NAME, StoredConnection, mask_sid};
use super::error::{Error, MAX_BODY_CHARS, QuietHoursDetail};
use super::notify::{self, Notice, NoticeContext};
use super::phone;
use super::segments;
use super::twilio::{self, HttpRequest, HttpResponse, Receipt};
use super::webhook::classify::{Intent, Match};
use super::webhook::{self, InboundMessage, WebhookEvent, WebhookRequest};

/// Why a request produced no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The host's policy refused the destination (wasi:http `HTTP-request-denied`).
    Denied(String),
    /// The request never reached the server (DNS failure, connection refused, …): safe to retry.
    NotSent(String),
    /// The request may have reached the server but no complete answer came back.
    NoAnswer(String),
}

/// Why one of the host's imports failed; nothing was changed by the failed call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// The host's storage failed (trying again later may work).
    #[error("the host's storage failed: {0}")]
    Storage(String),
    /// The host refused a value it was given.
    #[error("the host refused the value: {0}")]
    Invalid(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

/// What the plugin attempted, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    /// A staff member's one-off text.
    Send,
    /// The "Send Test SMS" button.
    Test,
    /// An automated notice.
    Notify,
    /// The one text confirming an opt-out Twilio did not handle itself.
    OptOutConfirmation,
}

/// Why a text is sent, which decides the consent it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Purpose {
    /// About something the customer asked for: rests on their having given the number.
    #[default]
    Transactional,
    /// Promotion: needs a marketing consent on record.
    Marketing,
}

/// How a send treats quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QuietHoursRule {
    /// Refused outside the window in the customer's time zone.
    #[default]
    Enforce,
    /// Sent anyway: a staff member overrode them (the audit row says so).
    Override,
    /// Not a text quiet hours govern (the store's own test, an opt-out confirmation).
    Exempt,
}

/// What a send must respect besides its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SendOptions<'a> {
    /// Why it is sent.
    pub purpose: Purpose,
    /// How quiet hours apply.
    pub quiet_hours: QuietHoursRule,
    /// The notice's event id and idempotency key, for an automated notice (kept with the
    /// text, so a reply can be linked to it and the claim settled later).
    pub notice: Option<(&'a str, &'a str)>,
}

/// A text being sent, for the customer's thread in the host's conversation store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingRecord {
    /// The attempt's audit row.
    pub audit_id: u64,
    /// The customer's number in E.164.
    pub to: String,
    /// The store's number or Messaging Service SID.
    pub sender: String,
    /// The text as sent.
    pub body: String,
    /// The notice's event id, for an automated notice.
    pub event_id: Option<String>,
    /// The notice's idempotency key.
    pub notice_key: Option<String>,
}

/// How a number came to be on the stop list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptOutMethod {
    /// A keyword reply.
    Keyword,
    /// A reply in other words.
    Phrase,
    /// Twilio refused a send with 21610.
    TwilioRefusal,
}

/// An opt-out for the store's stop list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptOut {
    /// The customer's number.
    pub number: String,
    /// How it came.
    pub method: OptOutMethod,
    /// The reply that did it.
    pub reply: Option<String>,
    /// The store's number it came through, or the sender Twilio refused for.
    pub via: Option<String>,
}

/// One audit row: never the body text, never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// What was attempted.
    pub action: AuditAction,
    /// The recipient in E.164, or as typed when it could not be normalized.
    pub to: String,
    /// The body's length in characters.
    pub body_length: u32,
    /// Billable segments as counted before sending.
    pub segments: u32,
    /// The acting staff user.
    pub user: String,
    /// Twilio's message SID on success.
    pub message_sid: Option<String>,
    /// Twilio's status on success, `failed` otherwise.
    pub status: String,
    /// The error's kind on failure.
    pub error_kind: Option<String>,
    /// Twilio's error code, when there was one.
    pub twilio_code: Option<u32>,
    /// Why the text was sent.
    pub purpose: Purpose,
    /// What the columns do not say (quiet hours overridden).
    pub note: Option<String>,
}

/// The effects the plugin needs from its host.
pub trait Host {
    /// Reads a secret.
    fn get_secret(&self, name: &str) -> Option<String>;
    /// Stores a secret; an error means nothing changed.
    fn set_secret(&self, name: &str, value: &str) -> Result<(), HostError>;
    /// Removes a secret.
    fn delete_secret(&self, name: &str) -> Result<(), HostError>;
    /// Reads a host setting.
    fn get_config(&self, key: &str) -> Option<String>;
    /// Appends an audit row durably and returns its id; an error means nothing was written.
    fn record_audit(&self, entry: AuditEntry) -> Result<u64, HostError>;
    /// Replaces audit row `id`.
    fn update_audit(&self, id: u64, entry: AuditEntry) -> Result<(), HostError>;
    /// Performs one HTTP request.
    fn http(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError>;
    /// Waits before a request is made again (not charged to the plugin's CPU time).
    fn sleep(&self, duration: Duration);
    /// Records a delivery status (the host keeps the highest-ranked one per message).
    fn record_delivery(&self, update: DeliveryRecord) -> Result<(), HostError>;
    /// Stores a customer's text; returns the event id of the notice it answers (one sent to
    /// the number in the 48 hours before).
    fn record_reply(&self, message: &InboundMessage) -> Result<Option<String>, HostError>;
    /// Keeps a text being sent in the customer's thread.
    fn record_outgoing(&self, message: &OutgoingRecord) -> Result<(), HostError>;
    /// Puts a number on the store's stop list; true when it was not on it before.
    fn record_opt_out(&self, opt_out: &OptOut) -> Result<bool, HostError>;
    /// Takes a number off the stop list.
    fn record_opt_in(&self, number: &str, reply: Option<&str>) -> Result<(), HostError>;
    /// Whether `number` is on the stop list; an error means the host could not tell.
    fn is_opted_out(&self, number: &str) -> Result<bool, HostError>;
    /// Whether a consent for `purpose` is on record for `number`.
    fn has_consent(&self, number: &str, purpose: Purpose) -> Result<bool, HostError>;
    /// The current time, seconds since the Unix epoch (UTC).
    fn now_unix(&self) -> i64;
    /// Claims a notice's idempotency key, atomically.
    fn claim_notice(&self, key: &str) -> Result<NoticeClaim, HostError>;
    /// Settles a claimed key: the receipt when sent, `None` to release it.
    fn finish_notice(&self, key: &str, sent: Option<&Receipt>) -> Result<(), HostError>;
    /// Reserves throughput for `segments` and says how long to wait first.
    fn throttle(&self, segments: u32) -> Duration;
}

/// Where a notice's idempotency key stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeClaim {
    /// This call holds the key now.
    Claimed,
    /// Sent before, with this receipt.
    AlreadySent(Receipt),
    /// Another call holds it, or one stopped while sending.
    InProgress,
}

/// What `notify` did: sent, or held for the host to send when quiet hours end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeOutcome {
    /// Sent now (or before: see `duplicate`).
    Sent(NoticeReceipt),
    /// Outside quiet hours: to be sent when the window opens.
    Held(Hold),
}

/// When a held notice is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// The notice's idempotency key.
    pub key: String,
    /// When the window opens for the customer, Unix seconds.
    pub release_at_unix: i64,
    /// The same, RFC 3339 UTC.
    pub release_at: String,
    /// The local opening and zone, for people (`8:00 am America/New_York`).
    pub release_local: String,
}

/// What `notify` sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeReceipt {
    /// Twilio's receipt (the first one for a duplicate).
    pub receipt: Receipt,
    /// The text.
    pub text: String,
    /// Billable segments.
    pub segments: u32,
    /// Whether the event had already been sent.
    pub duplicate: bool,
}

/// A delivery status as the host records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// The message.
    pub message_sid: String,
    /// Twilio's status name.
    pub status: String,
    /// The status's place in a message's life; a lower one never replaces a higher one.
    pub rank: u8,
    /// Twilio's delivery error code.
    pub error_code: Option<u32>,
    /// The code in plain words.
    pub reason: Option<String>,
}

impl From<&webhook::StatusUpdate> for DeliveryRecord {
    fn from(update: &webhook::StatusUpdate) -> DeliveryRecord {
        DeliveryRecord {
            message_sid: update.message_sid.clone(),
            status: update.status.as_str().to_string(),
            rank: update.status.rank(),
            error_code: update.error_code,
            reason: update
                .error_code
                .and_then(webhook::delivery_error_reason)
                .map(str::to_string),
        }
    }
}

/// A request Twilio did not process (429 / 20429, or 503) is made at most this many times in
/// all.
pub const MAX_ATTEMPTS: usize = 3;
/// The waits before the second and third attempts when Twilio sends no `Retry-After`.
pub const DEFAULT_BACKOFF: [Duration; MAX_ATTEMPTS - 1] =
    [Duration::from_secs(1), Duration::from_secs(2)];
/// The most one operation waits in all. A wait that would pass it is not started: Twilio's
/// error is returned at once instead.
pub const MAX_TOTAL_WAIT: Duration = Duration::from_secs(10);

/// Whether Twilio said it did not process the request (429 / 20429, or 503), so making it
/// again cannot send anything twice.
fn not_processed(error: &Error) -> bool {
    match error {
        Error::RateLimited(_) => true,
        Error::Twilio(detail) => detail.http_status == 503,
        _ => false,
    }
}

/// Performs `request` and parses its answer with `parse`, making it again (at most
/// [`MAX_ATTEMPTS`] times in all) while Twilio answers that it did not process it. Each wait
/// is Twilio's `Retry-After`, or [`DEFAULT_BACKOFF`] without one; when the waits would add up
/// to more than [`MAX_TOTAL_WAIT`], the last error is returned without waiting. A request
/// that got no answer is never repeated here: `transport` says what that means.
pub(crate) fn with_retries<T>(
    host: &impl Host,
    request: &HttpRequest,
    transport: impl Fn(TransportError) -> Error,
    parse: impl Fn(&HttpResponse) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut waited = Duration::ZERO;
    let mut attempt = 1;
    loop {
        let response = host.http(request).map_err(&transport)?;
        let result = parse(&response);
        match &result {
            Err(e) if not_processed(e) && attempt < MAX_ATTEMPTS => {}
            _ => return result,
        }
        let wait = match twilio::retry_after(&response) {
            Some(secs) => Duration::from_secs(u64::from(secs)),
            None => DEFAULT_BACKOFF
                .get(attempt - 1)
                .copied()
                .unwrap_or(MAX_TOTAL_WAIT),
        };
        waited = waited.saturating_add(wait);
        if waited > MAX_TOTAL_WAIT {
            return result;
        }
        host.sleep(wait);
        attempt += 1;
    }
}

/// A GET's transport failure. A GET changes nothing at Twilio: whether or not it arrived,
/// trying again is safe, so no answer is a network error, never an unknown outcome.
pub(crate) fn read_failed(e: TransportError) -> Error {
    match e {
        TransportError::Denied(d) => Error::DeniedByHost(d),
        TransportError::NotSent(d) | TransportError::NoAnswer(d) => Error::Network(d),
    }
}

/// The account `connect` proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectedAccount {
    /// `AC…9f3a`
    pub masked_sid: String,
    /// The account's name in Twilio.
    pub friendly_name: String,
    /// `active`, `suspended` or `closed`.
    pub status: String,
    /// `Trial` or `Full`.
    pub account_type: String,
    /// The stored sender.
    pub sender: String,
}

/// What the settings card shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectionStatus {
    /// Whether credentials are stored.
    pub connected: bool,
    /// `AC…9f3a`, when connected.
    pub masked_sid: Option<String>,
    /// The sender, when connected.
    pub sender: Option<String>,
    /// The account's name, when connected.
    pub friendly_name: Option<String>,
}

/// Host setting: the store's name, used in the test message.
pub const CONFIG_STORE_NAME: &str = "store-name";
/// Host setting: `true` to replace look-alike characters before sending.
pub const CONFIG_SMART_ENCODING: &str = "smart-encoding";
/// Host setting: the public URL where Twilio should post delivery updates (sent as each
/// message's `StatusCallback`). Unset: no delivery updates are asked for.
pub const CONFIG_WEBHOOK_URL: &str = "webhook-url";
/// Host setting: the daily window texts may go in, the customer's local time
/// (`09:00-20:00`). Unset: 08:00-21:00.
pub const CONFIG_QUIET_HOURS: &str = "quiet-hours";

/// The store's window, or why its setting cannot be used (then nothing is sent).
fn quiet_hours(host: &impl Host) -> Result<QuietHours, Error> {
    match host.get_config(CONFIG_QUIET_HOURS) {
        Some(text) if !text.trim().is_empty() => QuietHours::parse(&text).map_err(|e| {
            Error::Other(format!(
                "the store's quiet-hours setting cannot be used ({e}), so nothing was sent; \
                 fix it, for example `config set quiet-hours 08:00-21:00`"
            ))
        }),
        _ => Ok(QuietHours::DEFAULT),
    }
}

/// Whether `to` may be texted now: `Ok(None)` when it may, the detail when it is quiet
/// hours there. A number with no known time zone may be texted.
fn quiet_hours_now(host: &impl Host, to: &str) -> Result<Option<QuietHoursDetail>, Error> {
    let window = quiet_hours(host)?;
    Ok(match compliance::check(to, host.now_unix(), window) {
        Verdict::Open | Verdict::UnknownZone => None,
        Verdict::NoCommonWindow { zone, local_time } => {
            return Err(Error::Other(format!(
                "the store's texting hours ({window}) never fall at the same time across \
                 every time zone of this number (it is {local_time} in {zone}), so nothing \
                 was sent; widen the quiet-hours setting, or override quiet hours"
            )));
        }
        Verdict::Closed(closed) => Some(QuietHoursDetail {
            zone: closed.zone.to_string(),
            local_time: closed.local_time,
            window: window.to_string(),
            opens_at_unix: closed.opens_at_unix,
            opens_at: closed.opens_at_rfc3339,
            opens_local: closed.opens_local,
        }),
    })
}

pub(crate) fn stored(host: &impl Host) -> Option<StoredConnection> {
    host.get_secret(SECRET_NAME)
        .as_deref()
        .and_then(StoredConnection::from_secret)
}

/// Checks formats, proves the credentials against Twilio, then stores them. On any failure
/// the credentials stored before (if any) are left as they were.
pub fn connect(
    host: &impl Host,
    account_sid: &str,
    auth: Auth,
    sender: &str,
) -> Result<ConnectedAccount, Error> {
    let credentials = Credentials::parse(account_sid, auth, sender)?;
    let account = with_retries(
        host,
        &twilio::fetch_account_request(&credentials),
        read_failed,
        twilio::parse_account_response,
    )?;
    let connection = StoredConnection {
        credentials,
        friendly_name: account.friendly_name.clone(),
    };
    host.set_secret(SECRET_NAME, &connection.to_secret())
        .map_err(|e| Error::Other(format!("the credentials could not be saved: {e}")))?;
    Ok(ConnectedAccount {
        masked_sid: connection.credentials.masked_sid(),
        friendly_name: account.friendly_name,
        status: account.status,
        account_type: account.account_type,
        sender: connection.credentials.sender.as_str().to_string(),
    })
}

/// Forgets the stored credentials.
pub fn disconnect(host: &impl Host) -> Result<(), Error> {
    host.delete_secret(SECRET_NAME)
        .map_err(|e| Error::Other(format!("the credentials could not be removed: {e}")))
}

/// Whether credentials are stored.
pub fn status(host: &impl Host) -> ConnectionStatus {
    match stored(host) {
        Some(c) => ConnectionStatus {
            connected: true,
            masked_sid: Some(mask_sid(&c.credentials.account_sid)),
            sender: Some(c.credentials.sender.as_str().to_string()),
            friendly_name: Some(c.friendly_name),
        },
        None => ConnectionStatus::default(),
    }
}

/// The audit status of a send whose request is in flight.
pub const PENDING: &str = "pending";

/// Sends `body` to `to` and records the attempt, whatever its outcome, in the audit log. The
/// row is written as [`PENDING`] before the request leaves and completed after, so a crash in
/// between leaves evidence that the message may have gone out.
pub fn send(
    host: &impl Host,
    action: AuditAction,
    to: &str,
    body: &str,
    user: &str,
) -> Result<Receipt, Error> {
    let options = SendOptions {
        purpose: Purpose::Transactional,
        quiet_hours: match action {
            // The store texting itself is not a text to a customer.
            AuditAction::Test | AuditAction::OptOutConfirmation => QuietHoursRule::Exempt,
            AuditAction::Send | AuditAction::Notify => QuietHoursRule::Enforce,
        },
        notice: None,
    };
    send_with(host, action, to, body, user, options)
}

/// [`send`] with the purpose and quiet-hours rule given. The checks, all before any
/// request: the number is on no stop list (except for the opt-out confirmation itself), a
/// marketing text has a consent on record, and it is not quiet hours for the customer
/// unless overridden (the override is written in the audit row).
pub fn send_with(
    host: &impl Host,
    action: AuditAction,
    to: &str,
    body: &str,
    user: &str,
    options: SendOptions<'_>,
) -> Result<Receipt, Error> {
    let smart = host
        .get_config(CONFIG_SMART_ENCODING)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let text = if smart {
        segments::smart_encode(body)
    } else {
        std::borrow::Cow::Borrowed(body)
    };
    let body_length = u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
    let mut entry = AuditEntry {
        action,
        to: to.trim().to_string(),
        body_length,
        segments: 0,
        user: user.to_string(),
        message_sid: None,
        status: "failed".into(),
        error_kind: None,
        twilio_code: None,
        purpose: options.purpose,
        note: None,
    };
    let mut pending = None;
    let result = attempt(host, &mut entry, &mut pending, to, &text, options);
    match &result {
        Ok(receipt) => {
            entry.message_sid = Some(receipt.sid.clone());
            entry.status = receipt.status.clone();
        }
        Err(e) => {
            entry.status = "failed".into();
            entry.error_kind = Some(e.kind().to_string());
            entry.twilio_code = e.twilio_code();
        }
    }
    // The host reports its own storage failures; the send's outcome is what the caller needs.
    let _ = match pending {
        Some(id) => host.update_audit(id, entry),
        None => host.record_audit(entry).map(|_| ()),
    };
    result
}

fn attempt(
    host: &impl Host,
    entry: &mut AuditEntry,
    pending: &mut Option<u64>,
    to: &str,
    text: &str,
    options: SendOptions<'_>,
) -> Result<Receipt, Error> {
    let connection = stored(host).ok_or(Error::NotConnected)?;
    let to = phone::normalize(to).map_err(Error::InvalidPhone)?;
    entry.to.clone_from(&to);
    if text.trim().is_empty() {
        return Err(Error::EmptyBody);
    }
    if entry.body_length as usize > MAX_BODY_CHARS {
        return Err(Error::BodyTooLong(entry.body_length));
    }
    entry.segments = segments::count(text).segments;
    // A customer on the store's stop list is not texted again, from any of its numbers,
    // before Twilio has to refuse (21610). The confirmation of that opt-out is the exception.
    if entry.action != AuditAction::OptOutConfirmation {
        let opted_out = host.is_opted_out(&to).map_err(|e| {
            Error::Other(format!(
                "the host could not check whether this number opted out ({e}), so nothing \
                 was sent"
            ))
        })?;
        if opted_out {
            return Err(Error::RecipientOptedOut);
        }
    }
    if options.purpose == Purpose::Marketing {
        let consent = host.has_consent(&to, Purpose::Marketing).map_err(|e| {
            Error::Other(format!(
                "the host could not check the customer's consent ({e}), so nothing was sent"
            ))
        })?;
        if !consent {
            return Err(Error::NoConsent);
        }
    }
    let closed = match options.quiet_hours {
        QuietHoursRule::Exempt => Ok(None),
        QuietHoursRule::Enforce | QuietHoursRule::Override => quiet_hours_now(host, &to),
    };
    match (options.quiet_hours, closed) {
        (_, Ok(None)) => {}
        (QuietHoursRule::Override, Ok(Some(detail))) => {
            entry.note = Some(format!(
                "sent at {} {}, inside quiet hours ({}), overridden by {}",
                detail.local_time, detail.zone, detail.window, entry.user
            ));
        }
        (QuietHoursRule::Override, Err(e)) => {
            entry.note = Some(format!("quiet hours overridden by {}: {e}", entry.user));
        }
        (_, Ok(Some(detail))) => return Err(Error::QuietHours(Box::new(detail))),
        (_, Err(e)) => return Err(e),
    }
    let callback = host
        .get_config(CONFIG_WEBHOOK_URL)
        .filter(|url| !url.trim().is_empty());
    let request = twilio::send_message_request(
        &connection.credentials,
        &to,
        text,
        callback.as_deref().map(str::trim),
    );
    let in_flight = AuditEntry {
        status: PENDING.into(),
        ..entry.clone()
    };
    let audit_id = host.record_audit(in_flight).map_err(|e| {
        Error::Other(format!(
            "the audit log could not be written ({e}), so nothing was sent"
        ))
    })?;
    *pending = Some(audit_id);
    // The text goes into the customer's thread before the request leaves, so that a send
    // whose answer never came can be matched against Twilio's list later.
    host.record_outgoing(&OutgoingRecord {
        audit_id,
        to: to.clone(),
        sender: connection.credentials.sender.as_str().to_string(),
        body: text.to_string(),
        event_id: options.notice.map(|(event, _)| event.to_string()),
        notice_key: options.notice.map(|(_, key)| key.to_string()),
    })
    .map_err(|e| {
        Error::Other(format!(
            "the conversation could not be written ({e}), so nothing was sent"
        ))
    })?;
    let result = with_retries(
        host,
        &request,
        |e| match e {
            TransportError::Denied(d) => Error::DeniedByHost(d),
            TransportError::NotSent(d) => Error::Network(d),
            TransportError::NoAnswer(d) => Error::OutcomeUnknown(d),
        },
        twilio::parse_send_response,
    );
    if let Err(Error::RecipientOptedOut) = &result {
        // Twilio refused with 21610: the customer replied STOP to this sender, perhaps before
        // the store had webhooks. Put them on the store's list, so no sender texts them and
        // the next send is refused before any request. The host reports its own storage
        // failures; the send's outcome stands either way.
        let _ = host.record_opt_out(&OptOut {
            number: to.clone(),
            method: OptOutMethod::TwilioRefusal,
            reply: None,
            via: Some(connection.credentials.sender.as_str().to_string()),
        });
    }
    result
}

/// A customer's reply and what was done about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyOutcome {
    /// The reply, classified.
    pub message: InboundMessage,
    /// True when it put the number on the stop list.
    pub opted_out: bool,
    /// The confirmation sent after an opt-out Twilio did not handle itself.
    pub confirmation: Option<Receipt>,
    /// The event id of the notice the reply answers.
    pub linked_event: Option<String>,
}

/// What a verified webhook did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// A delivery status, recorded.
    Status(webhook::StatusUpdate),
    /// A customer's reply, recorded and acted on.
    Reply(ReplyOutcome),
}

/// The text confirming an opt-out (no marketing in it, as the FCC's rule asks).
pub fn opt_out_confirmation(host: &impl Host) -> String {
    format!(
        "You're unsubscribed from {} texts. Reply START to resubscribe.",
        store_name(host)
    )
}

/// Verifies a webhook with the stored Auth Token and records what it says: a delivery
/// status, or a customer's reply. A reply that opts out in any wording puts the number on
/// the store's stop list and, when Twilio did not handle it itself (a phrase, not a bare
/// keyword) and the number was not on the list already, gets one confirmation text. An
/// opt-in takes the number off the list. Nothing is recorded for a request that fails
/// verification.
pub fn handle_webhook(host: &impl Host, request: &WebhookRequest) -> Result<WebhookOutcome, Error> {
    let connection = stored(host).ok_or(Error::NotConnected)?;
    let token = match &connection.credentials.auth {
        Auth::AuthToken(token) => token,
        Auth::ApiKey { .. } => {
            return Err(Error::WebhookRejected(
                "Twilio signs webhooks with the account's Auth Token, and this store connected \
                 with an API key, so they cannot be checked. Connect with the Auth Token to \
                 receive delivery updates and replies."
                    .into(),
            ));
        }
    };
    let rejected = |e: webhook::WebhookError| Error::WebhookRejected(e.to_string());
    webhook::verify(token, request).map_err(rejected)?;
    let event = webhook::parse_event(request).map_err(rejected)?;
    let stored = |e: HostError| Error::Other(format!("the host could not record the webhook: {e}"));
    let message = match event {
        WebhookEvent::Status(update) => {
            host.record_delivery(DeliveryRecord::from(&update))
                .map_err(stored)?;
            return Ok(WebhookOutcome::Status(update));
        }
        WebhookEvent::Inbound(message) => message,
    };
    let linked_event = host.record_reply(&message).map_err(stored)?;
    let mut outcome = ReplyOutcome {
        message,
        opted_out: false,
        confirmation: None,
        linked_event,
    };
    let Some(class) = outcome.message.classification else {
        return Ok(WebhookOutcome::Reply(outcome));
    };
    match class.intent {
        Intent::OptOut => {
            let entry = OptOut {
                number: outcome.message.from.clone(),
                method: match class.by {
                    Match::Keyword => OptOutMethod::Keyword,
                    Match::Phrase => OptOutMethod::Phrase,
                },
                reply: Some(outcome.message.body.clone()),
                via: Some(outcome.message.to.clone()),
            };
            outcome.opted_out = host.record_opt_out(&entry).map_err(stored)?;
            if outcome.opted_out && !class.handled_by_twilio {
                // At most one confirmation per opt-out: only the reply that put the number on
                // the list sends one. Its failure is audited; the opt-out stands regardless.
                let body = opt_out_confirmation(host);
                outcome.confirmation = send(
                    host,
                    AuditAction::OptOutConfirmation,
                    &outcome.message.from,
                    &body,
                    "opt-out",
                )
                .ok();
            }
        }
        Intent::OptIn => host
            .record_opt_in(&outcome.message.from, Some(&outcome.message.body))
            .map_err(stored)?,
        Intent::Help | Intent::PossibleOptOut => {}
    }
    Ok(WebhookOutcome::Reply(outcome))
}

/// The store's name for texts: the host's `store-name`, else the Twilio account's name.
fn store_name(host: &impl Host) -> String {
    host.get_config(CONFIG_STORE_NAME)
        .filter(|s| !s.trim().is_empty())
        .or_else(|| stored(host).map(|c| c.friendly_name))
        .filter(|s| !s.trim().is_empty())
        .map_or_else(|| "your store".into(), |s| s.trim().to_string())
}

/// The fixed text of the "Send Test SMS" button.
pub fn test_message(host: &impl Host) -> String {
    format!(
        "Test message from {}: texting through Twilio works.",
        store_name(host)
    )
}

/// Sends an automated notice: renders its template, claims the event's idempotency key (a
/// second call for the same event returns the first receipt and sends nothing), waits for
/// throughput, and sends. A failed send releases the key unless its outcome is unknown, in
/// which case the key stays taken: the notice is never sent twice.
pub fn notify(
    host: &impl Host,
    event_id: &str,
    to: &str,
    customer_first_name: &str,
    notice: &Notice,
    user: &str,
) -> Result<NoticeOutcome, Error> {
    let invalid = |e: notify::TemplateError| Error::InvalidNotice(e.to_string());
    let kind = notice.kind();
    let key = notify::idempotency_key(kind, event_id).map_err(invalid)?;
    let context = NoticeContext {
        customer_first_name: customer_first_name.to_string(),
        store_name: store_name(host),
    };
    let template = host.get_config(&notify::template_config_key(kind));
    let rendered = notify::render(notice, &context, template.as_deref()).map_err(invalid)?;
    let done = |receipt: Receipt, duplicate| NoticeReceipt {
        receipt,
        text: rendered.text.clone(),
        segments: rendered.segments,
        duplicate,
    };
    let host_failed =
        |e: HostError| Error::Other(format!("the host could not track the notice: {e}"));
    match host.claim_notice(&key).map_err(host_failed)? {
        NoticeClaim::AlreadySent(receipt) => return Ok(NoticeOutcome::Sent(done(receipt, true))),
        NoticeClaim::InProgress => {
            return Err(Error::OutcomeUnknown(format!(
                "notice {key} is being sent by another call or was interrupted while sending"
            )));
        }
        NoticeClaim::Claimed => {}
    }
    // Outside quiet hours the notice waits for the window: the claim is released, so the
    // host's later call (or a repeated event) claims it afresh and checks everything again.
    let closed = phone::normalize(to)
        .ok()
        .map(|e164| quiet_hours_now(host, &e164))
        .transpose();
    let closed = match closed {
        Ok(closed) => closed.flatten(),
        Err(e) => {
            host.finish_notice(&key, None).map_err(host_failed)?;
            return Err(e);
        }
    };
    if let Some(detail) = closed {
        host.finish_notice(&key, None).map_err(host_failed)?;
        return Ok(NoticeOutcome::Held(Hold {
            key,
            release_at_unix: detail.opens_at_unix,
            release_at: detail.opens_at,
            release_local: format!("{} {}", detail.opens_local, detail.zone),
        }));
    }
    let wait = host.throttle(rendered.segments);
    if !wait.is_zero() {
        host.sleep(wait);
    }
    let options = SendOptions {
        purpose: Purpose::Transactional,
        quiet_hours: QuietHoursRule::Enforce,
        notice: Some((event_id, &key)),
    };
    let result = send_with(host, AuditAction::Notify, to, &rendered.text, user, options);
    let settled = match &result {
        Ok(receipt) => host.finish_notice(&key, Some(receipt)),
        Err(Error::OutcomeUnknown(_)) => Ok(()),
        Err(_) => host.finish_notice(&key, None),
    };
    let receipt = result?;
    settled.map_err(host_failed)?;
    Ok(NoticeOutcome::Sent(done(receipt, false)))
}

/// Sends the test message.
pub fn test(host: &impl Host, to: &str, user: &str) -> Result<Receipt, Error> {
    let body = test_message(host);
    send(host, AuditAction::Test, to, &body, user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TwilioError;
    use std::cell::RefCell;
    use std::collections::{HashMap, VecDeque};

    const SID: &str = "AC00000000000000000000000000000001";
    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    /// A scripted answer: status, headers, body.
    type Scripted<'a> = (u16, &'a [(&'a str, &'a str)], &'a str);

    /// A host with an in-memory secret store and a scripted HTTP answer.
    #[derive(Default)]
    struct FakeHost {
        secrets: RefCell<HashMap<String, String>>,
        config: HashMap<String, String>,
        audit: RefCell<Vec<AuditEntry>>,
        requests: RefCell<Vec<HttpRequest>>,
        answer: RefCell<Option<Result<HttpResponse, TransportError>>>,
        /// Answers given before `answer`, one per request.
        script: RefCell<VecDeque<Result<HttpResponse, TransportError>>>,
        /// The waits asked for, in order (nothing really waits).
        sleeps: RefCell<Vec<Duration>>,
        /// The audit log as it stood when each request was made.
        audit_at_request: RefCell<Vec<Vec<AuditEntry>>>,
        deliveries: RefCell<Vec<DeliveryRecord>>,
        notices: RefCell<HashMap<String, Option<Receipt>>>,
        replies: RefCell<Vec<InboundMessage>>,
        opted_out: RefCell<Vec<String>>,
        /// Every opt-out recorded, in order (repeats too).
        opt_outs: RefCell<Vec<OptOut>>,
        consents: RefCell<Vec<(String, Purpose)>>,
        now: std::cell::Cell<i64>,
        outgoing: RefCell<Vec<OutgoingRecord>>,
        linked_event: RefCell<Option<String>>,
        refuse_outgoing: bool,
        refuse_writes: bool,
        refuse_audit: bool,
    }

    impl FakeHost {
        fn answering(status: u16, body: &str) -> FakeHost {
            let host = FakeHost::default();
            host.answer_with(status, body);
            host
        }
        fn answer_with(&self, status: u16, body: &str) {
            *self.answer.borrow_mut() = Some(Ok(HttpResponse {
                status,
                headers: vec![],
                body: body.as_bytes().to_vec(),
            }));
        }
        /// Queues answers for the next requests, each with its headers.
        fn script(&self, answers: &[Scripted<'_>]) {
            self.script
                .borrow_mut()
                .extend(answers.iter().map(|(status, headers, body)| {
                    Ok(HttpResponse {
                        status: *status,
                        headers: headers
                            .iter()
                            .map(|(n, v)| (n.to_string(), v.to_string()))
                            .collect(),
                        body: body.as_bytes().to_vec(),
                    })
                }));
        }
        fn connected() -> FakeHost {
            let host = FakeHost::answering(
                200,
                r#"{"sid":"AC1","friendly_name":"Gems & Co","status":"active","type":"Full"}"#,
            );
            connect(&host, SID, Auth::AuthToken(TOKEN.into()), "+15005550006").unwrap();
            host.requests.borrow_mut().clear();
            host.audit_at_request.borrow_mut().clear();
            host
        }
    }

    impl Host for FakeHost {
        fn get_secret(&self, name: &str) -> Option<String> {
            self.secrets.borrow().get(name).cloned()
        }
        fn set_secret(&self, name: &str, value: &str) -> Result<(), HostError> {
            if self.refuse_writes {
                return Err(HostError::Storage("disk full".into()));
            }
            self.secrets.borrow_mut().insert(name.into(), value.into());
            Ok(())
        }
        fn delete_secret(&self, name: &str) -> Result<(), HostError> {
            self.secrets.borrow_mut().remove(name);
            Ok(())
        }
        fn get_config(&self, key: &str) -> Option<String> {
            self.config.get(key).cloned()
        }
        fn record_audit(&self, entry: AuditEntry) -> Result<u64, HostError> {
            if self.refuse_audit {
                return Err(HostError::Storage("disk full".into()));
            }
            let mut audit = self.audit.borrow_mut();
            audit.push(entry);
            Ok(audit.len() as u64 - 1)
        }
        fn update_audit(&self, id: u64, entry: AuditEntry) -> Result<(), HostError> {
            let mut audit = self.audit.borrow_mut();
            let row = audit
                .get_mut(id as usize)
                .ok_or_else(|| HostError::Invalid("no such row".into()))?;
            *row = entry;
            Ok(())
        }
        fn http(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
            self.requests.borrow_mut().push(request.clone());
            self.audit_at_request
                .borrow_mut()
                .push(self.audit.borrow().clone());
            if let Some(answer) = self.script.borrow_mut().pop_front() {
                return answer;
            }
            self.answer
                .borrow()
                .clone()
                .unwrap_or(Err(TransportError::NotSent("no answer scripted".into())))
        }
        fn sleep(&self, duration: Duration) {
            self.sleeps.borrow_mut().push(duration);
        }
        fn record_delivery(&self, update: DeliveryRecord) -> Result<(), HostError> {
            self.deliveries.borrow_mut().push(update);
            Ok(())
        }
        fn record_reply(&self, message: &InboundMessage) -> Result<Option<String>, HostError> {
            self.replies.borrow_mut().push(message.clone());
            Ok(self.linked_event.borrow().clone())
        }
        fn record_outgoing(&self, message: &OutgoingRecord) -> Result<(), HostError> {
            if self.refuse_outgoing {
                return Err(HostError::Storage("disk full".into()));
            }
            self.outgoing.borrow_mut().push(message.clone());
            Ok(())
        }
        fn record_opt_out(&self, o: &OptOut) -> Result<bool, HostError> {
            self.opt_outs.borrow_mut().push(o.clone());
            let mut set = self.opted_out.borrow_mut();
            if set.contains(&o.number) {
                return Ok(false);
            }
            set.push(o.number.clone());
            Ok(true)
        }
        fn record_opt_in(&self, number: &str, _reply: Option<&str>) -> Result<(), HostError> {
            self.opted_out.borrow_mut().retain(|n| n != number);
            Ok(())
        }
        fn has_consent(&self, number: &str, purpose: Purpose) -> Result<bool, HostError> {
            Ok(self
                .consents
                .borrow()
                .iter()
                .any(|(n, p)| n == number && *p == purpose))
        }
        fn now_unix(&self) -> i64 {
            self.now.get()
        }
        fn is_opted_out(&self, number: &str) -> Result<bool, HostError> {
            Ok(self.opted_out.borrow().iter().any(|n| n == number))
        }
        fn claim_notice(&self, key: &str) -> Result<NoticeClaim, HostError> {
            let mut notices = self.notices.borrow_mut();
            match notices.get(key) {
                Some(Some(receipt)) => Ok(NoticeClaim::AlreadySent(receipt.clone())),
                Some(None) => Ok(NoticeClaim::InProgress),
                None => {
                    notices.insert(key.to_string(), None);
                    Ok(NoticeClaim::Claimed)
                }
            }
        }
        fn finish_notice(&self, key: &str, sent: Option<&Receipt>) -> Result<(), HostError> {
            let mut notices = self.notices.borrow_mut();
            match sent {
                Some(receipt) => notices.insert(key.to_string(), Some(receipt.clone())),
                None => notices.remove(key),
            };
            Ok(())
        }
        fn throttle(&self, segments: u32) -> Duration {
            Duration::from_millis(u64::from(segments) * 1000)
        }
    }

    #[test]
    fn connect_stores_only_after_twilio_accepts() {
        let host = FakeHost::answering(
            401,
            r#"{"code":20003,"message":"Authenticate","status":401}"#,
        );
        let e = connect(&host, SID, Auth::AuthToken(TOKEN.into()), "+15005550006").unwrap_err();
        assert_eq!(e, Error::CredentialsRejected);
        assert!(host.secrets.borrow().is_empty());

        let host = FakeHost::connected();
        let before = host.secrets.borrow().clone();
        host.answer_with(
            401,
            r#"{"code":20003,"message":"Authenticate","status":401}"#,
        );
        let other = "AC00000000000000000000000000000002";
        assert_eq!(
            connect(&host, other, Auth::AuthToken(TOKEN.into()), "+15005550006").unwrap_err(),
            Error::CredentialsRejected
        );
        assert_eq!(*host.secrets.borrow(), before, "old credentials kept");
        assert_eq!(
            status(&host),
            ConnectionStatus {
                connected: true,
                masked_sid: Some("AC…0001".into()),
                sender: Some("+15005550006".into()),
                friendly_name: Some("Gems & Co".into()),
            }
        );
    }

    #[test]
    fn connect_reports_the_account_and_the_stored_sender() {
        let host = FakeHost::answering(200, ACCOUNT);
        let account = connect(
            &host,
            SID,
            Auth::AuthToken(TOKEN.into()),
            "MG00000000000000000000000000000002",
        )
        .unwrap();
        assert_eq!(
            account,
            ConnectedAccount {
                masked_sid: "AC…0001".into(),
                friendly_name: "Gems & Co".into(),
                status: "active".into(),
                account_type: "Full".into(),
                sender: "MG00000000000000000000000000000002".into(),
            }
        );
    }

    #[test]
    fn bad_format_makes_no_request() {
        let host = FakeHost::answering(200, "{}");
        let e = connect(&host, "AC12", Auth::AuthToken(TOKEN.into()), "+15005550006").unwrap_err();
        assert_eq!(e.kind(), "invalid-credential");
        assert!(host.requests.borrow().is_empty());
    }

    #[test]
    fn failed_save_is_an_error() {
        let host = FakeHost {
            refuse_writes: true,
            ..FakeHost::answering(200, r#"{"sid":"AC1"}"#)
        };
        let e = connect(&host, SID, Auth::AuthToken(TOKEN.into()), "+15005550006").unwrap_err();
        assert_eq!(
            e,
            Error::Other(
                "the credentials could not be saved: the host's storage failed: disk full".into()
            )
        );
    }

    #[test]
    fn send_audits_success() {
        let host = FakeHost::connected();
        host.answer_with(
            201,
            r#"{"sid":"SMabc","to":"+15551234567","status":"queued","num_segments":"1"}"#,
        );
        let r = send(
            &host,
            AuditAction::Send,
            "(555) 123-4567",
            "Ring ready",
            "alice",
        )
        .unwrap();
        assert_eq!(r.sid, "SMabc");
        assert_eq!(
            host.audit.borrow().as_slice(),
            &[AuditEntry {
                action: AuditAction::Send,
                to: "+15551234567".into(),
                body_length: 10,
                segments: 1,
                user: "alice".into(),
                message_sid: Some("SMabc".into()),
                status: "queued".into(),
                error_kind: None,
                twilio_code: None,
                purpose: Purpose::Transactional,
                note: None,
            }]
        );
    }

    #[test]
    fn the_longest_body_twilio_accepts_is_sent() {
        let host = FakeHost::connected();
        host.answer_with(201, QUEUED);
        let longest = "a".repeat(MAX_BODY_CHARS);
        send(&host, AuditAction::Send, "+15551234567", &longest, "bob").unwrap();
        assert_eq!(host.requests.borrow().len(), 1);
        assert_eq!(host.audit.borrow()[0].body_length, 1600);
    }

    #[test]
    fn refusals_before_any_request_are_audited() {
        let host = FakeHost::connected();
        let long = "a".repeat(1601);
        let cases: [(&str, &str, Error); 3] = [
            (
                "555",
                "hi",
                Error::InvalidPhone(phone::normalize("555").unwrap_err()),
            ),
            ("+15551234567", "  ", Error::EmptyBody),
            ("+15551234567", &long, Error::BodyTooLong(1601)),
        ];
        for (to, body, expected) in cases {
            assert_eq!(
                send(&host, AuditAction::Send, to, body, "bob").unwrap_err(),
                expected
            );
        }
        assert!(host.requests.borrow().is_empty());
        let kinds: Vec<_> = host
            .audit
            .borrow()
            .iter()
            .map(|e| e.error_kind.clone().unwrap())
            .collect();
        assert_eq!(kinds, ["invalid-phone", "empty-body", "body-too-long"]);
        assert_eq!(host.audit.borrow()[0].to, "555");
        assert_eq!(host.audit.borrow()[2].body_length, 1601);
    }

    #[test]
    fn not_connected_and_transport_errors() {
        let host = FakeHost::default();
        assert_eq!(
            send(&host, AuditAction::Send, "+15551234567", "hi", "u").unwrap_err(),
            Error::NotConnected
        );
        let host = FakeHost::connected();
        for (transport, expected) in [
            (
                TransportError::Denied("evil.example:443".into()),
                Error::DeniedByHost("evil.example:443".into()),
            ),
            (
                TransportError::NotSent("refused".into()),
                Error::Network("refused".into()),
            ),
            (
                TransportError::NoAnswer("timeout".into()),
                Error::OutcomeUnknown("timeout".into()),
            ),
        ] {
            *host.answer.borrow_mut() = Some(Err(transport));
            assert_eq!(
                send(&host, AuditAction::Send, "+15551234567", "hi", "u").unwrap_err(),
                expected
            );
        }
        assert_eq!(
            host.audit.borrow().last().unwrap().error_kind.as_deref(),
            Some("outcome-unknown")
        );
    }

    #[test]
    fn twilio_error_code_lands_in_audit() {
        let host = FakeHost::connected();
        host.answer_with(
            400,
            r#"{"code":21610,"message":"Attempt to send to unsubscribed recipient","status":400}"#,
        );
        let e = test(&host, "+15005550004", "carol").unwrap_err();
        assert_eq!(e, Error::RecipientOptedOut);
        let row = host.audit.borrow()[0].clone();
        assert_eq!(row.action, AuditAction::Test);
        assert_eq!(row.twilio_code, Some(21610));
        assert_eq!(row.error_kind.as_deref(), Some("recipient-opted-out"));
    }

    #[test]
    fn twilio_saying_opted_out_records_the_opt_out() {
        let host = FakeHost::connected();
        host.answer_with(
            400,
            r#"{"code":21610,"message":"Attempt to send to unsubscribed recipient","status":400}"#,
        );
        let e = send(&host, AuditAction::Send, "(555) 123-4567", "hi", "u").unwrap_err();
        assert_eq!(e, Error::RecipientOptedOut);
        assert_eq!(*host.opted_out.borrow(), ["+15551234567"]);
        // The next send is refused by the plugin itself: no second request.
        host.answer_with(201, QUEUED);
        assert_eq!(
            send(&host, AuditAction::Send, "+15551234567", "hi", "u").unwrap_err(),
            Error::RecipientOptedOut
        );
        assert_eq!(host.requests.borrow().len(), 1);
        let codes: Vec<_> = host.audit.borrow().iter().map(|r| r.twilio_code).collect();
        assert_eq!(codes, [Some(21610), Some(21610)]);
        // Another refusal records nothing.
        let host = FakeHost::connected();
        host.answer_with(
            400,
            r#"{"code":21612,"message":"unreachable","status":400}"#,
        );
        send(&host, AuditAction::Send, "+15551234567", "hi", "u").unwrap_err();
        assert!(host.opted_out.borrow().is_empty());
    }

    #[test]
    fn twilio_saying_the_number_is_invalid_keeps_its_code() {
        let host = FakeHost::connected();
        host.answer_with(
            400,
            r#"{"code":21211,"message":"The 'To' number +15005550001 is not a valid phone number.","status":400}"#,
        );
        let e = send(&host, AuditAction::Send, "+15005550001", "hi", "u").unwrap_err();
        assert_eq!(e.twilio_code(), Some(21211));
        assert_eq!(
            e.to_string(),
            "Twilio says this isn't a valid phone number. Check the number on the customer's \
             record and try again. (Twilio error 21211, HTTP 400)"
        );
        let row = host.audit.borrow()[0].clone();
        assert_eq!(
            (row.error_kind.as_deref(), row.twilio_code),
            (Some("twilio"), Some(21211))
        );
    }

    #[test]
    fn test_message_names_the_store() {
        let host = FakeHost::connected();
        assert_eq!(
            test_message(&host),
            "Test message from Gems & Co: texting through Twilio works."
        );
        let mut host = FakeHost::connected();
        host.config
            .insert(CONFIG_STORE_NAME.into(), "Rings R Us".into());
        assert_eq!(
            test_message(&host),
            "Test message from Rings R Us: texting through Twilio works."
        );
        assert_eq!(
            test_message(&FakeHost::default()),
            "Test message from your store: texting through Twilio works."
        );
    }

    #[test]
    fn disconnect_forgets() {
        let host = FakeHost::connected();
        disconnect(&host).unwrap();
        assert_eq!(status(&host), ConnectionStatus::default());
    }

    const QUEUED: &str =
        r#"{"sid":"SMabc","to":"+15551234567","status":"queued","num_segments":"1"}"#;
    const RATE_LIMITED: &str = r#"{"code":20429,"message":"Too Many Requests","status":429}"#;
    const ACCOUNT: &str =
        r#"{"sid":"AC1","friendly_name":"Gems & Co","status":"active","type":"Full"}"#;

    fn secs(list: &[u64]) -> Vec<Duration> {
        list.iter().map(|s| Duration::from_secs(*s)).collect()
    }

    fn send_hi(host: &FakeHost) -> Result<Receipt, Error> {
        send(host, AuditAction::Send, "+15551234567", "hi", "u")
    }

    #[test]
    fn rate_limited_send_is_retried_with_the_default_backoff() {
        let host = FakeHost::connected();
        host.script(&[(429, &[], RATE_LIMITED), (429, &[], RATE_LIMITED)]);
        host.answer_with(201, QUEUED);
        assert_eq!(send_hi(&host).unwrap().sid, "SMabc");
        assert_eq!(host.requests.borrow().len(), 3);
        assert_eq!(*host.sleeps.borrow(), secs(&[1, 2]));
        let row = host.audit.borrow()[0].clone();
        assert_eq!(
            (row.message_sid.as_deref(), row.error_kind),
            (Some("SMabc"), None)
        );
        assert_eq!(host.audit.borrow().len(), 1);
    }

    #[test]
    fn retry_after_is_honoured_and_attempts_are_bounded() {
        let host = FakeHost::connected();
        let wait = [("Retry-After", "1")];
        host.script(&[
            (429, &wait, RATE_LIMITED),
            // Twilio's code alone says the same, whatever the status.
            (400, &wait, RATE_LIMITED),
            (429, &wait, RATE_LIMITED),
            (201, &[], QUEUED),
        ]);
        assert_eq!(send_hi(&host).unwrap_err(), Error::RateLimited(Some(1)));
        assert_eq!(host.requests.borrow().len(), MAX_ATTEMPTS);
        assert_eq!(*host.sleeps.borrow(), secs(&[1, 1]));
        let row = host.audit.borrow()[0].clone();
        assert_eq!(
            (
                row.error_kind.as_deref(),
                row.twilio_code,
                row.status.as_str()
            ),
            (Some("rate-limited"), None, "failed")
        );

        // Retry-After wins over the default backoff, and 0 means at once.
        let host = FakeHost::connected();
        host.script(&[
            (429, &[("retry-after", "3")], ""),
            (429, &[("retry-after", "0")], ""),
        ]);
        host.answer_with(201, QUEUED);
        assert!(send_hi(&host).is_ok());
        assert_eq!(*host.sleeps.borrow(), secs(&[3, 0]));

        // A Retry-After that is not a number of seconds falls back to the default.
        let host = FakeHost::connected();
        host.script(&[(429, &[("retry-after", "Fri, 31 Dec 1999 23:59:59 GMT")], "")]);
        host.answer_with(201, QUEUED);
        assert!(send_hi(&host).is_ok());
        assert_eq!(*host.sleeps.borrow(), secs(&[1]));
    }

    #[test]
    fn a_wait_past_the_cap_returns_the_error_at_once() {
        let host = FakeHost::connected();
        host.answer_with(429, RATE_LIMITED);
        host.script(&[(429, &[("retry-after", "60")], RATE_LIMITED)]);
        assert_eq!(send_hi(&host).unwrap_err(), Error::RateLimited(Some(60)));
        assert_eq!(host.requests.borrow().len(), 1);
        assert!(host.sleeps.borrow().is_empty());

        // The cap is on the sum: 6 s is waited, 6 + 5 s is not.
        let host = FakeHost::connected();
        host.script(&[
            (429, &[("retry-after", "6")], RATE_LIMITED),
            (429, &[("retry-after", "5")], RATE_LIMITED),
            (201, &[], QUEUED),
        ]);
        assert_eq!(send_hi(&host).unwrap_err(), Error::RateLimited(Some(5)));
        assert_eq!(host.requests.borrow().len(), 2);
        assert_eq!(*host.sleeps.borrow(), secs(&[6]));

        // Exactly the cap is still waited.
        let host = FakeHost::connected();
        host.script(&[(429, &[("retry-after", "10")], RATE_LIMITED)]);
        host.answer_with(201, QUEUED);
        assert!(send_hi(&host).is_ok());
        assert_eq!(*host.sleeps.borrow(), secs(&[10]));

        let host = FakeHost::connected();
        host.script(&[(503, &[("retry-after", "4294967295")], "")]);
        host.answer_with(201, QUEUED);
        assert_eq!(send_hi(&host).unwrap_err().kind(), "twilio");
        assert!(host.sleeps.borrow().is_empty());
    }

    #[test]
    fn unavailable_is_retried_and_then_says_nothing_was_sent() {
        let host = FakeHost::connected();
        host.answer_with(503, "<html>Service Unavailable</html>");
        let e = send_hi(&host).unwrap_err();
        assert_eq!(
            e,
            Error::Twilio(TwilioError {
                code: None,
                message: "Twilio is temporarily unavailable and nothing was sent (HTTP 503 \
                          with a body that is not Twilio's error JSON: <html>Service \
                          Unavailable</html>)"
                    .into(),
                more_info: None,
                http_status: 503,
            })
        );
        assert!(e.to_string().contains("nothing was sent"), "{e}");
        assert_eq!(host.requests.borrow().len(), 3);
        assert_eq!(*host.sleeps.borrow(), secs(&[1, 2]));
        let row = host.audit.borrow()[0].clone();
        assert_eq!(
            (row.error_kind.as_deref(), row.twilio_code),
            (Some("twilio"), None)
        );

        let host = FakeHost::connected();
        host.script(&[(503, &[("retry-after", "1")], "")]);
        host.answer_with(201, QUEUED);
        assert_eq!(send_hi(&host).unwrap().status, "queued");
        assert_eq!(host.requests.borrow().len(), 2);
        assert_eq!(*host.sleeps.borrow(), secs(&[1]));
    }

    #[test]
    fn other_server_errors_on_a_send_are_outcome_unknown_and_not_retried() {
        for status in [500, 502, 504, 599] {
            let host = FakeHost::connected();
            host.answer_with(
                status,
                r#"{"code":null,"message":"Internal Server Error","status":500}"#,
            );
            assert_eq!(
                send_hi(&host).unwrap_err(),
                Error::OutcomeUnknown(format!(
                    "Twilio answered HTTP {status}, a server error that does not say whether \
                     the message was created"
                ))
            );
            assert_eq!(host.requests.borrow().len(), 1, "{status}");
            assert!(host.sleeps.borrow().is_empty());
            assert_eq!(
                host.audit.borrow()[0].error_kind.as_deref(),
                Some("outcome-unknown")
            );
        }
    }

    #[test]
    fn transport_failures_are_never_retried() {
        for transport in [
            TransportError::NoAnswer("timeout".into()),
            TransportError::NotSent("refused".into()),
            TransportError::Denied("evil.example".into()),
        ] {
            let host = FakeHost::connected();
            host.script(&[(429, &[("retry-after", "1")], RATE_LIMITED)]);
            *host.answer.borrow_mut() = Some(Err(transport.clone()));
            // The retry after the 429 gets no answer: that one is not repeated.
            send_hi(&host).unwrap_err();
            assert_eq!(host.requests.borrow().len(), 2, "{transport:?}");
            assert_eq!(*host.sleeps.borrow(), secs(&[1]));
        }
        let host = FakeHost::connected();
        *host.answer.borrow_mut() = Some(Err(TransportError::NoAnswer("stalled".into())));
        assert_eq!(
            send_hi(&host).unwrap_err(),
            Error::OutcomeUnknown("stalled".into())
        );
        assert_eq!(host.requests.borrow().len(), 1);
        assert!(host.sleeps.borrow().is_empty());
    }

    #[test]
    fn connect_retries_the_account_check() {
        let host = FakeHost::default();
        host.script(&[(429, &[], RATE_LIMITED), (503, &[], "")]);
        host.answer_with(200, ACCOUNT);
        let account = connect(&host, SID, Auth::AuthToken(TOKEN.into()), "+15005550006").unwrap();
        assert_eq!(account.friendly_name, "Gems & Co");
        assert_eq!(host.requests.borrow().len(), 3);
        assert!(
            host.requests
                .borrow()
                .iter()
                .all(|r| r.method == twilio::Method::Get)
        );
        assert_eq!(*host.sleeps.borrow(), secs(&[1, 2]));

        let host = FakeHost::answering(503, r#"{"code":null,"message":"Down","status":503}"#);
        let e = connect(&host, SID, Auth::AuthToken(TOKEN.into()), "+15005550006").unwrap_err();
        assert_eq!(
            e,
            Error::Twilio(TwilioError {
                code: None,
                message: "Twilio is temporarily unavailable and nothing was sent (Down)".into(),
                more_info: None,
                http_status: 503,
            })
        );
        assert_eq!(host.requests.borrow().len(), 3);
        assert!(host.secrets.borrow().is_empty());

        let host = FakeHost::default();
        host.script(&[(429, &[("retry-after", "30")], RATE_LIMITED)]);
        let e = connect(&host, SID, Auth::AuthToken(TOKEN.into()), "+15005550006").unwrap_err();
        assert_eq!(e, Error::RateLimited(Some(30)));
        assert_eq!(host.requests.borrow().len(), 1);
        assert!(host.sleeps.borrow().is_empty());
    }

    #[test]
    fn a_server_error_on_connect_is_a_plain_twilio_error() {
        let host = FakeHost::answering(
            500,
            r#"{"code":null,"message":"Internal Server Error","status":500}"#,
        );
        let e = connect(&host, SID, Auth::AuthToken(TOKEN.into()), "+15005550006").unwrap_err();
        assert_eq!(
            e,
            Error::Twilio(TwilioError {
                code: None,
                message: "Internal Server Error".into(),
                more_info: None,
                http_status: 500,
            })
        );
        assert_eq!(host.requests.borrow().len(), 1);
        assert!(host.sleeps.borrow().is_empty());
    }

    #[test]
    fn the_audit_row_is_pending_while_the_request_is_in_flight() {
        let host = FakeHost::connected();
        host.answer_with(201, QUEUED);
        send(&host, AuditAction::Send, "+15551234567", "hi", "alice").unwrap();
        let at_request = host.audit_at_request.borrow();
        let row = &at_request[0][0];
        assert_eq!(
            (
                row.status.as_str(),
                row.message_sid.as_deref(),
                row.segments
            ),
            ("pending", None, 1)
        );
        // Then completed in place: still one row.
        let audit = host.audit.borrow();
        assert_eq!(audit.len(), 1);
        assert_eq!(
            (audit[0].status.as_str(), audit[0].message_sid.as_deref()),
            ("queued", Some("SMabc"))
        );
    }

    #[test]
    fn no_audit_row_means_no_send() {
        let host = FakeHost {
            refuse_audit: true,
            ..FakeHost::connected()
        };
        host.answer_with(201, QUEUED);
        let e = send(&host, AuditAction::Send, "+15551234567", "hi", "alice").unwrap_err();
        assert_eq!(
            e,
            Error::Other(
                "the audit log could not be written (the host's storage failed: disk full), so nothing was sent".into()
            )
        );
        assert!(host.requests.borrow().is_empty());
    }

    /// A form webhook signed with the connected account's token.
    fn signed(params: &[(&str, &str)]) -> WebhookRequest {
        let url = "https://pos.example.com/twilio";
        let owned: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let signature = webhook::compute_signature(TOKEN, url, &owned);
        let mut body = form_urlencoded::Serializer::new(String::new());
        body.extend_pairs(params);
        WebhookRequest {
            url: url.into(),
            headers: vec![
                ("X-Twilio-Signature".into(), signature),
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
            ],
            body: body.finish().into_bytes(),
        }
    }

    #[test]
    fn a_status_callback_is_recorded_with_its_reason() {
        let host = FakeHost::connected();
        handle_webhook(
            &host,
            &signed(&[
                ("MessageSid", "SMabc"),
                ("MessageStatus", "undelivered"),
                ("ErrorCode", "30006"),
            ]),
        )
        .unwrap();
        let d = host.deliveries.borrow()[0].clone();
        assert_eq!(
            (
                d.message_sid.as_str(),
                d.status.as_str(),
                d.rank,
                d.error_code
            ),
            ("SMabc", "undelivered", 6, Some(30006))
        );
        assert_eq!(d.reason.as_deref(), webhook::delivery_error_reason(30006));
        assert!(d.reason.is_some());
    }

    fn reply(sid: &str, from: &str, to: &str, body: &str) -> WebhookRequest {
        signed(&[
            ("MessageSid", sid),
            ("From", from),
            ("To", to),
            ("Body", body),
        ])
    }

    #[test]
    fn a_phrase_opt_out_gets_one_confirmation_and_blocks_every_sender() {
        let host = FakeHost::connected();
        host.answer_with(201, QUEUED);
        let first = handle_webhook(
            &host,
            &reply(
                "SM1",
                "+15551234567",
                "+15005550006",
                "please stop texting me",
            ),
        )
        .unwrap();
        let WebhookOutcome::Reply(first) = first else {
            panic!("a reply")
        };
        assert!(first.opted_out);
        assert_eq!(first.confirmation.map(|r| r.sid), Some("SMabc".into()));
        let requests = host.requests.borrow().clone();
        assert_eq!(requests.len(), 1, "one confirmation");
        let form = String::from_utf8(requests[0].body.clone()).unwrap();
        assert!(
            form.contains(
                "Body=You%27re+unsubscribed+from+Gems+%26+Co+texts.+Reply+START+to+resubscribe."
            ),
            "{form}"
        );
        assert_eq!(
            host.audit.borrow()[0].action,
            AuditAction::OptOutConfirmation
        );
        assert_eq!(
            host.opt_outs.borrow()[0],
            OptOut {
                number: "+15551234567".into(),
                method: OptOutMethod::Phrase,
                reply: Some("please stop texting me".into()),
                via: Some("+15005550006".into()),
            }
        );
        // Again, through the store's other number: already on the one list, no second text.
        let WebhookOutcome::Reply(again) = handle_webhook(
            &host,
            &reply("SM2", "+15551234567", "+15005550007", "STOP texting me!!"),
        )
        .unwrap() else {
            panic!("a reply")
        };
        assert_eq!((again.opted_out, again.confirmation), (false, None));
        assert_eq!(
            host.requests.borrow().len(),
            1,
            "never a second confirmation"
        );
        let e = send(&host, AuditAction::Send, "+15551234567", "hi", "alice").unwrap_err();
        assert_eq!(e, Error::RecipientOptedOut);
        assert_eq!(host.requests.borrow().len(), 1);
    }

    #[test]
    fn a_bare_keyword_is_twilios_to_confirm() {
        let host = FakeHost::connected();
        host.answer_with(201, QUEUED);
        let WebhookOutcome::Reply(r) =
            handle_webhook(&host, &reply("SM1", "+15551234567", "+15005550006", "STOP")).unwrap()
        else {
            panic!("a reply")
        };
        assert_eq!((r.opted_out, r.confirmation), (true, None));
        assert!(host.requests.borrow().is_empty());
        assert_eq!(host.opt_outs.borrow()[0].method, OptOutMethod::Keyword);
        // "possible" opt-outs block nothing: staff review them.
        handle_webhook(
            &host,
            &reply("SM2", "+15550001111", "+15005550006", "wrong number"),
        )
        .unwrap();
        assert!(
            !host
                .opted_out
                .borrow()
                .contains(&"+15550001111".to_string())
        );
    }

    #[test]
    fn twilios_21610_puts_the_number_on_the_stores_list() {
        let host = FakeHost::connected();
        host.answer_with(
            400,
            r#"{"code":21610,"message":"unsubscribed","status":400}"#,
        );
        send(&host, AuditAction::Send, "+15551234567", "hi", "alice").unwrap_err();
        assert_eq!(
            host.opt_outs.borrow()[0],
            OptOut {
                number: "+15551234567".into(),
                method: OptOutMethod::TwilioRefusal,
                reply: None,
                via: Some("+15005550006".into()),
            }
        );
    }

    const MARKETING: SendOptions = SendOptions {
        purpose: Purpose::Marketing,
        quiet_hours: QuietHoursRule::Enforce,
        notice: None,
    };

    #[test]
    fn marketing_needs_a_consent_on_record() {
        let host = FakeHost::connected();
        host.answer_with(201, QUEUED);
        let send_it = || {
            send_with(
                &host,
                AuditAction::Send,
                "+15551234567",
                "Sale!",
                "bob",
                MARKETING,
            )
        };
        assert_eq!(send_it().unwrap_err(), Error::NoConsent);
        assert!(host.requests.borrow().is_empty());
        assert_eq!(host.audit.borrow()[0].purpose, Purpose::Marketing);
        assert_eq!(
            host.audit.borrow()[0].error_kind.as_deref(),
            Some("no-consent")
        );
        host.consents
            .borrow_mut()
            .push(("+15551234567".into(), Purpose::Marketing));
        send_it().unwrap();
        assert_eq!(host.requests.borrow().len(), 1);
    }

    /// 2026-12-02T02:14:00Z: 9:14 pm in New York.
    const NEW_YORK_NIGHT: i64 = 1_796_177_640;

    #[test]
    fn quiet_hours_refuse_a_text_unless_staff_override_them() {
        let host = FakeHost::connected();
        host.answer_with(201, QUEUED);
        host.now.set(NEW_YORK_NIGHT);
        let e = send(&host, AuditAction::Send, "(212) 555-0100", "hi", "alice").unwrap_err();
        let Error::QuietHours(detail) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(
            (
                detail.zone.as_str(),
                detail.local_time.as_str(),
                detail.window.as_str(),
                detail.opens_at.as_str(),
                detail.opens_local.as_str()
            ),
            (
                "America/New_York",
                "9:14 pm",
                "08:00-21:00",
                "2026-12-02T13:00:00Z",
                "8:00 am"
            )
        );
        assert!(host.requests.borrow().is_empty());
        // The store's test message is not a text to a customer.
        test(&host, "(212) 555-0100", "alice").unwrap();
        let overridden = SendOptions {
            purpose: Purpose::Transactional,
            quiet_hours: QuietHoursRule::Override,
            notice: None,
        };
        send_with(
            &host,
            AuditAction::Send,
            "(212) 555-0100",
            "hi",
            "alice",
            overridden,
        )
        .unwrap();
        assert_eq!(host.requests.borrow().len(), 2);
        assert_eq!(
            host.audit.borrow()[2].note.as_deref(),
            Some(
                "sent at 9:14 pm America/New_York, inside quiet hours (08:00-21:00), overridden by alice"
            )
        );
    }

    #[test]
    fn a_notice_at_night_is_held_until_the_window_opens_and_its_key_released() {
        let host = FakeHost::connected();
        host.answer_with(201, QUEUED);
        host.now.set(NEW_YORK_NIGHT);
        let held = notify(&host, "r-1", "(212) 555-0100", "Sam", &repair(), "auto").unwrap();
        assert_eq!(
            held,
            NoticeOutcome::Held(Hold {
                key: "repair-ready:r-1".into(),
                release_at_unix: 1_796_216_400,
                release_at: "2026-12-02T13:00:00Z".into(),
                release_local: "8:00 am America/New_York".into(),
            })
        );
        assert!(host.requests.borrow().is_empty());
        assert!(host.notices.borrow().is_empty(), "the claim is released");
        host.now.set(1_796_216_400);
        let sent = sent(notify(&host, "r-1", "(212) 555-0100", "Sam", &repair(), "auto").unwrap());
        assert!(!sent.duplicate);
        assert_eq!(host.requests.borrow().len(), 1);
    }

    #[test]
    fn a_blank_quiet_hours_setting_is_the_default_window() {
        let mut host = FakeHost::connected();
        host.answer_with(201, QUEUED);
        host.config.insert(CONFIG_QUIET_HOURS.into(), "  ".into());
        host.now.set(NEW_YORK_NIGHT);
        let e = send(&host, AuditAction::Send, "(212) 555-0100", "hi", "alice").unwrap_err();
        let Error::QuietHours(detail) = e else {
            panic!("{e:?}")
        };
        assert_eq!(detail.window, "08:00-21:00");
    }

    #[test]
    fn the_text_joins_the_thread_before_the_request_leaves() {
        let host = FakeHost::connected();
        host.answer_with(201, QUEUED);
        notify(&host, "r-9", "(555) 123-4567", "Sam", &repair(), "auto").unwrap();
        assert_eq!(
            host.outgoing.borrow().as_slice(),
            [OutgoingRecord {
                audit_id: 0,
                to: "+15551234567".into(),
                sender: "+15005550006".into(),
                body: "Hi Sam, your ring is ready for pickup at Gems & Co. See you soon!".into(),
                event_id: Some("r-9".into()),
                notice_key: Some("repair-ready:r-9".into()),
            }]
        );
        // The audit row was pending, and the thread had the text, when the request left.
        assert_eq!(host.audit_at_request.borrow()[0][0].status, PENDING);
        let mut refusing = FakeHost::connected();
        refusing.refuse_outgoing = true;
        refusing.answer_with(201, QUEUED);
        let e = send(&refusing, AuditAction::Send, "+15551234567", "hi", "alice").unwrap_err();
        assert!(
            e.to_string()
                .contains("the conversation could not be written"),
            "{e}"
        );
        assert!(refusing.requests.borrow().is_empty());
        assert_eq!(refusing.audit.borrow()[0].status, "failed");
    }

    #[test]
    fn a_reply_carries_the_notice_it_answers() {
        let host = FakeHost::connected();
        *host.linked_event.borrow_mut() = Some("appointment-77".into());
        let WebhookOutcome::Reply(r) =
            handle_webhook(&host, &reply("SM1", "+15551234567", "+15005550006", "C")).unwrap()
        else {
            panic!("a reply")
        };
        assert_eq!(r.linked_event.as_deref(), Some("appointment-77"));
    }

    const SM_A: &str = "SM00000000000000000000000000000a01";
    const SM_B: &str = "SM00000000000000000000000000000b02";

    fn message_json(sid: &str, body: &str, status: &str, error: &str) -> String {
        format!(
            r#"{{"sid":"{sid}","to":"+15551234567","from":"+15005550006","body":"{body}","status":"{status}","error_code":{error},"num_segments":"1"}}"#
        )
    }

    #[test]
    fn a_poll_records_the_status_as_a_callback_would() {
        let host = FakeHost::connected();
        host.answer_with(200, &message_json(SM_A, "hi", "undelivered", "30006"));
        let record = crate::sync::poll_delivery(&host, SM_A).unwrap();
        assert_eq!(
            record,
            DeliveryRecord {
                message_sid: SM_A.into(),
                status: "undelivered".into(),
                rank: 6,
                error_code: Some(30006),
                reason: webhook::delivery_error_reason(30006).map(str::to_string),
            }
        );
        assert_eq!(*host.deliveries.borrow(), [record]);
        let request = host.requests.borrow()[0].clone();
        assert_eq!(
            (request.method, request.url.as_str()),
            (
                twilio::Method::Get,
                "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages/SM00000000000000000000000000000a01.json"
            )
        );
        // A SID that is not one never reaches a URL.
        let e = crate::sync::poll_delivery(&host, "SM1/../../x").unwrap_err();
        assert_eq!(e.kind(), "other");
        assert_eq!(host.requests.borrow().len(), 1);
        // 429 is honoured like any request; a poll with no answer is a network error.
        host.script(&[(429, &[("Retry-After", "2")], "{}")]);
        crate::sync::poll_delivery(&host, SM_A).unwrap();
        assert_eq!(*host.sleeps.borrow(), [Duration::from_secs(2)]);
        *host.answer.borrow_mut() = Some(Err(TransportError::NoAnswer("timed out".into())));
        assert_eq!(
            crate::sync::poll_delivery(&host, SM_A).unwrap_err(),
            Error::Network("timed out".into())
        );
    }

    fn unknown(body: &str) -> crate::sync::UnknownSend {
        crate::sync::UnknownSend {
            to: "+15551234567".into(),
            body: body.into(),
            sent_at: 1_796_144_400, // 2026-12-01T17:00:00Z
            known_sids: vec![SM_B.into()],
        }
    }

    fn page(messages: &[String], next: Option<&str>) -> String {
        let next = next.map_or("null".to_string(), |n| format!("\"{n}\""));
        format!(
            r#"{{"messages":[{}],"next_page_uri":{next}}}"#,
            messages.join(",")
        )
    }

    #[test]
    fn a_send_of_unknown_outcome_is_found_in_the_list_or_not() {
        use crate::sync::{Resolution, resolve_unknown};
        let host = FakeHost::connected();
        let next = "/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json?To=%2B15551234567&PageToken=1";
        host.script(&[
            (
                200,
                &[],
                &page(
                    &[message_json(
                        SM_B,
                        "Your ring is ready",
                        "delivered",
                        "null",
                    )],
                    Some(next),
                ),
            ),
            (
                200,
                &[],
                &page(
                    &[message_json(SM_A, "Your ring is ready", "sent", "null")],
                    None,
                ),
            ),
        ]);
        assert_eq!(
            resolve_unknown(&host, &unknown("Your ring is ready")).unwrap(),
            Resolution::Sent(Receipt {
                sid: SM_A.into(),
                to: "+15551234567".into(),
                status: "sent".into(),
                segments: 1,
            })
        );
        let urls: Vec<String> = host
            .requests
            .borrow()
            .iter()
            .map(|r| r.url.clone())
            .collect();
        assert_eq!(
            urls,
            [
                "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json?To=%2B15551234567&From=%2B15005550006&DateSent%3E=2026-11-30&DateSent%3C=2026-12-02&PageSize=50".to_string(),
                format!("https://api.twilio.com{next}"),
            ]
        );
        // Nothing with that text: it was not sent.
        host.answer_with(
            200,
            &page(
                &[message_json(SM_B, "Your ring is ready", "sent", "null")],
                None,
            ),
        );
        assert_eq!(
            resolve_unknown(&host, &unknown("Your ring is ready")).unwrap(),
            Resolution::NotSent
        );
        // Two unknown ones with the same text: no guessing.
        host.answer_with(
            200,
            &page(
                &[
                    message_json(SM_A, "Same", "sent", "null"),
                    message_json("SM00000000000000000000000000000c03", "Same", "sent", "null"),
                ],
                None,
            ),
        );
        let Resolution::StillUnknown(why) = resolve_unknown(&host, &unknown("Same")).unwrap()
        else {
            panic!("expected still unknown")
        };
        assert!(
            why.starts_with("2 messages with this text went to +15551234567"),
            "{why}"
        );
        // A next page somewhere else is not followed.
        host.answer_with(200, &page(&[], Some("https://evil.example/x")));
        assert_eq!(
            resolve_unknown(&host, &unknown("x")).unwrap(),
            Resolution::NotSent
        );
    }

    #[test]
    fn a_message_twilio_has_not_sent_yet_is_found_without_a_date() {
        use crate::sync::{Resolution, resolve_unknown};
        let host = FakeHost::connected();
        host.script(&[
            (200, &[], &page(&[], None)),
            (
                200,
                &[],
                &page(
                    &[
                        // Outside the days looked at, and delivered: another, older text.
                        message_json(
                            "SM00000000000000000000000000000d04",
                            "Your ring is ready",
                            "delivered",
                            "null",
                        ),
                        message_json(SM_A, "Your ring is ready", "queued", "null"),
                    ],
                    None,
                ),
            ),
        ]);
        assert_eq!(
            resolve_unknown(&host, &unknown("Your ring is ready")).unwrap(),
            Resolution::Sent(Receipt {
                sid: SM_A.into(),
                to: "+15551234567".into(),
                status: "queued".into(),
                segments: 1,
            })
        );
        assert_eq!(
            host.requests.borrow()[1].url,
            "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json?To=%2B15551234567&From=%2B15005550006&PageSize=50"
        );
        // Only messages not sent yet count there.
        host.script(&[
            (200, &[], &page(&[], None)),
            (
                200,
                &[],
                &page(
                    &[message_json(
                        SM_A,
                        "Your ring is ready",
                        "delivered",
                        "null",
                    )],
                    None,
                ),
            ),
        ]);
        assert_eq!(
            resolve_unknown(&host, &unknown("Your ring is ready")).unwrap(),
            Resolution::NotSent
        );
    }

    #[test]
    fn a_list_too_long_to_read_stays_unknown() {
        use crate::sync::{MAX_PAGES, Resolution, resolve_unknown};
        let host = FakeHost::connected();
        let next =
            "/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json?PageToken=n";
        host.answer_with(200, &page(&[], Some(next)));
        let Resolution::StillUnknown(why) = resolve_unknown(&host, &unknown("x")).unwrap() else {
            panic!("expected still unknown")
        };
        assert!(
            why.starts_with("more than 500 messages went to +15551234567"),
            "{why}"
        );
        assert_eq!(host.requests.borrow().len(), MAX_PAGES);
    }

    #[test]
    fn a_broken_quiet_hours_setting_sends_nothing() {
        let mut host = FakeHost::connected();
        host.answer_with(201, QUEUED);
        host.config
            .insert(CONFIG_QUIET_HOURS.into(), "9am-8pm".into());
        let e = send(&host, AuditAction::Send, "(212) 555-0100", "hi", "alice").unwrap_err();
        assert_eq!(e.kind(), "other");
        assert!(
            e.to_string().contains("config set quiet-hours 08:00-21:00"),
            "{e}"
        );
        assert!(host.requests.borrow().is_empty());
    }

    #[test]
    fn stop_opts_out_and_the_next_send_is_refused_before_any_request() {
        let host = FakeHost::connected();
        host.answer_with(201, QUEUED);
        let inbound = |body| {
            signed(&[
                ("MessageSid", "SMin1"),
                ("From", "+15551234567"),
                ("To", "+15005550006"),
                ("Body", body),
            ])
        };
        handle_webhook(&host, &inbound(" Stop ")).unwrap();
        assert_eq!(host.replies.borrow()[0].body, " Stop ");
        let e = send(&host, AuditAction::Send, "(555) 123-4567", "hi", "alice").unwrap_err();
        assert_eq!(e, Error::RecipientOptedOut);
        assert!(host.requests.borrow().is_empty());
        assert_eq!(
            host.audit.borrow()[0].error_kind.as_deref(),
            Some("recipient-opted-out")
        );
        handle_webhook(&host, &inbound("START")).unwrap();
        send(&host, AuditAction::Send, "(555) 123-4567", "hi", "alice").unwrap();
        assert_eq!(host.requests.borrow().len(), 1);
    }

    #[test]
    fn a_forged_webhook_records_nothing() {
        let host = FakeHost::connected();
        let mut request = signed(&[
            ("MessageSid", "SMin1"),
            ("From", "+15551234567"),
            ("To", "+15005550006"),
            ("Body", "STOP"),
        ]);
        request.body = b"MessageSid=SMin1&From=%2B15559999999&To=%2B15005550006&Body=STOP".to_vec();
        let e = handle_webhook(&host, &request).unwrap_err();
        assert_eq!(e.kind(), "webhook-rejected");
        assert!(host.replies.borrow().is_empty());
        assert!(host.opted_out.borrow().is_empty());
        assert_eq!(
            handle_webhook(&FakeHost::default(), &request).unwrap_err(),
            Error::NotConnected
        );
    }

    #[test]
    fn sends_ask_for_status_callbacks_when_the_host_has_a_webhook_url() {
        let mut host = FakeHost::connected();
        host.config.insert(
            CONFIG_WEBHOOK_URL.into(),
            " https://pos.example.com/twilio ".into(),
        );
        host.answer_with(201, QUEUED);
        send(&host, AuditAction::Send, "+15551234567", "hi", "alice").unwrap();
        let body = String::from_utf8(host.requests.borrow()[0].body.clone()).unwrap();
        assert!(
            body.ends_with("&StatusCallback=https%3A%2F%2Fpos.example.com%2Ftwilio"),
            "{body}"
        );
    }

    fn repair() -> Notice {
        Notice::RepairReady {
            item: "ring".into(),
        }
    }

    /// The receipt of a notice that was sent, not held.
    fn sent(outcome: NoticeOutcome) -> NoticeReceipt {
        match outcome {
            NoticeOutcome::Sent(receipt) => receipt,
            NoticeOutcome::Held(hold) => panic!("held: {hold:?}"),
        }
    }

    #[test]
    fn a_notice_is_sent_once_per_event() {
        let host = FakeHost::connected();
        host.answer_with(201, QUEUED);
        let first = notify(
            &host,
            "repair-1234",
            "(555) 123-4567",
            "Sam",
            &repair(),
            "auto",
        )
        .map(sent)
        .unwrap();
        assert_eq!(
            first.text,
            "Hi Sam, your ring is ready for pickup at Gems & Co. See you soon!"
        );
        assert!(!first.duplicate);
        assert_eq!(*host.sleeps.borrow(), [Duration::from_secs(1)], "paced");
        let again = notify(
            &host,
            "repair-1234",
            "(555) 123-4567",
            "Sam",
            &repair(),
            "auto",
        )
        .map(sent)
        .unwrap();
        assert!(again.duplicate);
        assert_eq!(again.receipt, first.receipt);
        assert_eq!(host.requests.borrow().len(), 1, "texted once");
        assert_eq!(host.audit.borrow()[0].action, AuditAction::Notify);
    }

    #[test]
    fn a_failed_notice_can_be_retried_but_an_ambiguous_one_cannot() {
        let host = FakeHost::connected();
        host.answer_with(
            400,
            r#"{"code":21612,"message":"unreachable","status":400}"#,
        );
        let e = notify(&host, "r-1", "+15551234567", "Sam", &repair(), "auto").unwrap_err();
        assert_eq!(e.kind(), "recipient-unreachable");
        host.answer_with(201, QUEUED);
        notify(&host, "r-1", "+15551234567", "Sam", &repair(), "auto").unwrap();

        *host.answer.borrow_mut() = Some(Err(TransportError::NoAnswer("timeout".into())));
        let e = notify(&host, "r-2", "+15551234567", "Sam", &repair(), "auto").unwrap_err();
        assert_eq!(e.kind(), "outcome-unknown");
        host.answer_with(201, QUEUED);
        let e = notify(&host, "r-2", "+15551234567", "Sam", &repair(), "auto").unwrap_err();
        assert_eq!(e.kind(), "outcome-unknown", "never sent twice");
    }

    #[test]
    fn a_bad_template_or_event_id_sends_nothing() {
        let mut host = FakeHost::connected();
        host.config
            .insert("template.repair-ready".into(), "Pay here: {link}".into());
        let e = notify(&host, "r-1", "+15551234567", "Sam", &repair(), "auto").unwrap_err();
        assert_eq!(e.kind(), "invalid-notice");
        assert!(e.to_string().contains("{link}"), "{e}");
        let e = notify(
            &FakeHost::connected(),
            "",
            "+15551234567",
            "Sam",
            &repair(),
            "auto",
        )
        .unwrap_err();
        assert_eq!(e.kind(), "invalid-notice");
        assert!(host.requests.borrow().is_empty());
    }
}
