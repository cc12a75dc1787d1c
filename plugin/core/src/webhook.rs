//! Twilio's webhooks, sans-IO: checking `X-Twilio-Signature`, reading delivery status
//! callbacks and incoming messages, and plain words for delivery error codes.
//!
//! The host hands over the request exactly as it arrived ([`WebhookRequest`]: the full URL
//! Twilio requested, the headers, the raw body). [`verify`] checks Twilio's signature with the
//! account's Auth Token; only then should the host act on [`parse_event`]'s result.
//!
//! Signatures follow Twilio's classic scheme (Twilio's "Webhooks security" documentation): HMAC-SHA1, keyed
//! with the Auth Token, over the full URL followed by every POST parameter (sorted by name in
//! byte order; for a repeated name each distinct value, values sorted), each name immediately
//! followed by its decoded value; Base64. When the URL's query has `bodySHA256`, the body is
//! JSON: only the URL is signed, and the body must hash to that value. Like Twilio's helper
//! libraries, the URL is also tried with the scheme's default port added or removed (`:443`,
//! `:80`), because Twilio is not consistent about it. The newer Webhooks-rule signatures
//! (`X-Twilio-Webhooks-Signature-Settings`, shared key, HMAC-SHA256) are not supported.
//!
//! Nothing here panics; every problem is a [`WebhookError`] whose sentence says what to check.

pub mod classify;
use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

type HmacSha1 = Hmac<Sha1>;

/// The header Twilio puts its signature in (matched case-insensitively).
pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";

/// The query parameter that marks a JSON-bodied webhook and carries the body's SHA-256 (hex).
pub const BODY_HASH_PARAM: &str = "bodySHA256";

/// The only body type Twilio's SMS webhooks use.
const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// Characters in a signature: Base64 of the 20-byte HMAC-SHA1 (27 characters and one `=`).
const SIGNATURE_CHARS: usize = 28;

/// A webhook request as the host received it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookRequest {
    /// The full URL Twilio requested, as configured in Twilio: scheme, host, port if any, path
    /// and query string (percent-encoding kept as is).
    pub url: String,
    /// The request headers; names are matched case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The raw body (form-encoded for SMS webhooks; JSON with the `bodySHA256` variant).
    pub body: Vec<u8>,
}

impl WebhookRequest {
    /// The first header called `name` (case-insensitively), its value trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }
}

/// Why a webhook request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// No Auth Token to check against (an empty key would let anyone sign).
    #[error(
        "There is no Auth Token to check this webhook against, so it was refused. Connect \
         Twilio in the Twilio settings first."
    )]
    NoAuthToken,
    /// The request has no `X-Twilio-Signature` header (or an empty one).
    #[error(
        "The request has no X-Twilio-Signature header, so there is no proof it came from \
         Twilio, and it was refused. Check that the webhook URL points at this system and that \
         any proxy in front of it passes all headers through."
    )]
    MissingSignature,
    /// The header is not Base64 of a 20-byte HMAC-SHA1.
    #[error(
        "The X-Twilio-Signature header is not a Twilio signature, so the request was refused. \
         Check that any proxy in front of this system passes the header through unchanged."
    )]
    MalformedSignature,
    /// The signature does not match the URL, parameters and Auth Token.
    #[error(
        "The X-Twilio-Signature doesn't match this request, so it was refused. Check that the \
         webhook URL configured in Twilio is exactly the URL this system receives (same \
         scheme, host, port, path and query string), and that the Auth Token in the Twilio \
         settings is current: it changes when it is rotated in the Twilio Console."
    )]
    BadSignature,
    /// The signature matches, but the body does not hash to the signed `bodySHA256`.
    #[error(
        "The request body doesn't match the bodySHA256 hash Twilio signed, so it was refused. \
         Check that any proxy in front of this system passes the body through byte for byte, \
         without reformatting it."
    )]
    BodyHashMismatch,
    /// The URL is not a full `http://` or `https://` address.
    #[error(
        "The webhook URL is not a full http:// or https:// address, so the signature can't be \
         checked. Check that the host passes on the complete URL Twilio requested: scheme, \
         host, port, path and query string."
    )]
    InvalidUrl,
    /// The body is not form-encoded; the payload is the content type seen.
    #[error(
        "The webhook body is {0}, but Twilio's SMS webhooks are form-encoded \
         ({FORM_CONTENT_TYPE}). Check that the URL is set as the phone number's or Messaging \
         Service's messaging webhook or status callback in Twilio, and that the body is passed \
         through unchanged."
    )]
    UnsupportedContentType(String),
    /// A parameter the event needs is missing or empty; the payload is Twilio's name for it.
    #[error(
        "The webhook has no {0} parameter, which Twilio always sends with this kind of \
         request. Check that the whole request body is passed through unchanged."
    )]
    MissingField(&'static str),
    /// Neither a status callback (`MessageStatus`/`SmsStatus`) nor a message (`Body`).
    #[error(
        "This webhook is neither a delivery status update nor an incoming message (it has no \
         MessageStatus or Body). Check that only the SMS status callback and incoming-message \
         webhook in Twilio point at this URL."
    )]
    UnrecognizedEvent,
}

impl WebhookError {
    /// The case's stable name, for logs (`bad-signature`).
    pub fn kind(&self) -> &'static str {
        match self {
            WebhookError::NoAuthToken => "no-auth-token",
            WebhookError::MissingSignature => "missing-signature",
            WebhookError::MalformedSignature => "malformed-signature",
            WebhookError::BadSignature => "bad-signature",
            WebhookError::BodyHashMismatch => "body-hash-mismatch",
            WebhookError::InvalidUrl => "invalid-url",
            WebhookError::UnsupportedContentType(_) => "unsupported-content-type",
            WebhookError::MissingField(_) => "missing-field",
            WebhookError::UnrecognizedEvent => "unrecognized-event",
        }
    }
}

/// Twilio's signature for a request to `url` with the POST parameters `params` (none for GET
/// requests and for the `bodySHA256` variant): Base64 of the HMAC-SHA1, keyed with the Auth
/// Token, over the URL followed by each parameter's name and value (sorted by name in byte
/// order; for a repeated name each distinct value, values sorted).
pub fn compute_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    signature(auth_token, url, &sorted_params(params))
}

/// Checks that `request` came from Twilio: its `X-Twilio-Signature` must be the signature of
/// the URL (as given, or with the scheme's default port added or removed) and the form
/// parameters, made with `auth_token`. With `bodySHA256` in the query, the URL alone is
/// signed and the raw body must hash to that value. Comparisons take constant time.
pub fn verify(auth_token: &str, request: &WebhookRequest) -> Result<(), WebhookError> {
    if auth_token.trim().is_empty() {
        return Err(WebhookError::NoAuthToken);
    }
    let header = match request.header(SIGNATURE_HEADER) {
        Some(value) if !value.is_empty() => value,
        _ => return Err(WebhookError::MissingSignature),
    };
    if !looks_like_signature(header) {
        return Err(WebhookError::MalformedSignature);
    }
    let url = ParsedUrl::parse(&request.url).ok_or(WebhookError::InvalidUrl)?;
    let body_hash = url.body_hash();
    let params = match body_hash {
        Some(_) => Vec::new(),
        None => form_params(request)?,
    };
    let sorted = sorted_params(&params);
    // Base64 is canonical here (fixed length, padding, no line breaks), so comparing the
    // encoded signatures is comparing the MACs.
    let matches = |candidate: &str| {
        let computed = signature(auth_token, candidate, &sorted);
        bool::from(computed.as_bytes().ct_eq(header.as_bytes()))
    };
    let signed = matches(url.url) || url.port_variant().is_some_and(|other| matches(&other));
    if !signed {
        return Err(WebhookError::BadSignature);
    }
    if let Some(claimed) = body_hash {
        let actual = body_sha256_hex(&request.body);
        let claimed = claimed.to_ascii_lowercase();
        if !bool::from(actual.as_bytes().ct_eq(claimed.as_bytes())) {
            return Err(WebhookError::BodyHashMismatch);
        }
    }
    Ok(())
}

/// Lowercase hex SHA-256 of a body.
fn body_sha256_hex(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Whether `header` has the shape of a signature: 27 Base64 characters, then `=`.
fn looks_like_signature(header: &str) -> bool {
    match header.as_bytes().split_last() {
        Some((b'=', rest)) if rest.len() + 1 == SIGNATURE_CHARS => rest
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'),
        _ => false,
    }
}

/// The parameters sorted by name, then value, each distinct pair once.
fn sorted_params(params: &[(String, String)]) -> Vec<(&str, &str)> {
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    sorted.sort_unstable();
    sorted.dedup();
    sorted
}

/// Base64 of the HMAC-SHA1 of the URL and the sorted parameters, keyed with the Auth Token.
fn signature(auth_token: &str, url: &str, sorted: &[(&str, &str)]) -> String {
    // An HMAC takes keys of any length, so `new_from_slice` does not fail.
    let Ok(mut mac) = HmacSha1::new_from_slice(auth_token.as_bytes()) else {
        return String::new();
    };
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The decoded form parameters of the body, in order. An empty body has none (GET requests);
/// a body whose `Content-Type` says it is something other than a form is refused.
fn form_params(request: &WebhookRequest) -> Result<Vec<(String, String)>, WebhookError> {
    if request.body.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(content_type) = request.header("Content-Type") {
        let media_type = content_type.split(';').next().unwrap_or("").trim();
        if !media_type.eq_ignore_ascii_case(FORM_CONTENT_TYPE) {
            return Err(WebhookError::UnsupportedContentType(
                content_type.to_owned(),
            ));
        }
    }
    Ok(decode_form(&request.body))
}

/// A body or query's pairs, in order (`+` is a space; invalid UTF-8 is replaced).
fn decode_form(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

/// The parts of an absolute `http(s)` URL the signature check needs.
struct ParsedUrl<'a> {
    url: &'a str,
    /// Where the authority (`user@host:port`) ends.
    authority_end: usize,
    /// Where `:port` starts, when there is one.
    port_start: Option<usize>,
    /// The port, when there is one (digits only).
    port: Option<&'a str>,
    /// The scheme's default port.
    default_port: &'static str,
    /// The query string without `?`, when there is one.
    query: Option<&'a str>,
}

impl<'a> ParsedUrl<'a> {
    fn parse(url: &'a str) -> Option<Self> {
        if url.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return None;
        }
        let (scheme, rest) = url.split_once("://")?;
        let default_port = if scheme.eq_ignore_ascii_case("https") {
            "443"
        } else if scheme.eq_ignore_ascii_case("http") {
            "80"
        } else {
            return None;
        };
        let authority_start = scheme.len() + 3;
        let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = rest.get(..authority_len)?;
        let after_authority = rest.get(authority_len..)?;
        let host_offset = authority.rfind('@').map_or(0, |at| at + 1);
        let host_and_port = authority.get(host_offset..)?;
        // A colon after any `]` (IPv6 literals are bracketed) starts the port.
        let (host, port) = match host_and_port.rfind(':') {
            Some(colon) if !host_and_port.get(colon..)?.contains(']') => (
                host_and_port.get(..colon)?,
                Some(host_and_port.get(colon + 1..)?),
            ),
            _ => (host_and_port, None),
        };
        if host.is_empty() {
            return None;
        }
        if let Some(port) = port
            && (port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()))
        {
            return None;
        }
        let before_fragment = after_authority
            .split_once('#')
            .map_or(after_authority, |(before, _)| before);
        Some(ParsedUrl {
            url,
            authority_end: authority_start + authority_len,
            port_start: port.map(|_| authority_start + host_offset + host.len()),
            port,
            default_port,
            query: before_fragment.split_once('?').map(|(_, query)| query),
        })
    }

    /// The `bodySHA256` query value, when the query has one.
    fn body_hash(&self) -> Option<String> {
        let query = self.query?;
        decode_form(query.as_bytes())
            .into_iter()
            .find(|(name, _)| name == BODY_HASH_PARAM)
            .map(|(_, value)| value)
    }

    /// The URL with the scheme's default port added (when it has no port) or removed (when
    /// it has the default port); none when it has another port.
    fn port_variant(&self) -> Option<String> {
        let tail = self.url.get(self.authority_end..)?;
        match (self.port, self.port_start) {
            (None, _) => {
                let head = self.url.get(..self.authority_end)?;
                Some(format!("{head}:{}{tail}", self.default_port))
            }
            (Some(port), Some(start)) if port == self.default_port => {
                Some(format!("{}{tail}", self.url.get(..start)?))
            }
            _ => None,
        }
    }
}

/// What Twilio reported to a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookEvent {
    /// A message's delivery status changed (status callback).
    Status(StatusUpdate),
    /// A customer texted the store's number (incoming-message webhook).
    Inbound(InboundMessage),
}

/// A status callback: a message moved to a new status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    /// The message's SID (`SM…`/`MM…`).
    pub message_sid: String,
    /// The new status.
    pub status: DeliveryStatus,
    /// Twilio's error code on `undelivered`/`failed`; see [`delivery_error_reason`]. A code
    /// that isn't a number is dropped rather than refusing the update.
    pub error_code: Option<u32>,
    /// The recipient, as Twilio sent it (E.164).
    pub to: Option<String>,
    /// The sender, as Twilio sent it.
    pub from: Option<String>,
}

/// A text a customer sent to the store's number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    /// The message's SID.
    pub message_sid: String,
    /// The customer's number, as Twilio sent it (E.164).
    pub from: String,
    /// The store's number the text was sent to.
    pub to: String,
    /// The text (may be empty, e.g. a picture alone).
    pub body: String,
    /// What the reply asks for, by the rule table of [`classify`], when it is more than an
    /// ordinary reply.
    pub classification: Option<classify::Classification>,
}

/// A message's status, as Twilio names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// `queued`
    Queued,
    /// `sending`
    Sending,
    /// `sent`: handed to the carrier.
    Sent,
    /// `delivered`: the carrier confirmed delivery.
    Delivered,
    /// `undelivered`: the carrier could not deliver it.
    Undelivered,
    /// `failed`: it never left Twilio.
    Failed,
    /// `accepted`: a Messaging Service took the request.
    Accepted,
    /// `scheduled`
    Scheduled,
    /// `read` (channels with read receipts).
    Read,
    /// `canceled` (a scheduled message).
    Canceled,
    /// `received` (an incoming message).
    Received,
    /// `receiving` (an incoming message still arriving).
    Receiving,
    /// `partially_delivered`
    PartiallyDelivered,
    /// Any other status, as Twilio sent it.
    Other(String),
}

impl DeliveryStatus {
    /// The status for Twilio's name for it (case-insensitive); unknown names are kept.
    pub fn parse(name: &str) -> DeliveryStatus {
        const KNOWN: [(&str, DeliveryStatus); 13] = [
            ("queued", DeliveryStatus::Queued),
            ("sending", DeliveryStatus::Sending),
            ("sent", DeliveryStatus::Sent),
            ("delivered", DeliveryStatus::Delivered),
            ("undelivered", DeliveryStatus::Undelivered),
            ("failed", DeliveryStatus::Failed),
            ("accepted", DeliveryStatus::Accepted),
            ("scheduled", DeliveryStatus::Scheduled),
            ("read", DeliveryStatus::Read),
            ("canceled", DeliveryStatus::Canceled),
            ("received", DeliveryStatus::Received),
            ("receiving", DeliveryStatus::Receiving),
            ("partially_delivered", DeliveryStatus::PartiallyDelivered),
        ];
        let name = name.trim();
        KNOWN
            .into_iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map_or_else(|| DeliveryStatus::Other(name.to_owned()), |(_, s)| s)
    }

    /// Twilio's name for the status.
    pub fn as_str(&self) -> &str {
        match self {
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Undelivered => "undelivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Accepted => "accepted",
            DeliveryStatus::Scheduled => "scheduled",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Canceled => "canceled",
            DeliveryStatus::Received => "received",
            DeliveryStatus::Receiving => "receiving",
            DeliveryStatus::PartiallyDelivered => "partially_delivered",
            DeliveryStatus::Other(name) => name,
        }
    }

    /// How far along the message is. Callbacks can arrive out of order, so a host keeps the
    /// status with the highest rank and ignores one ranked lower than what it has:
    /// scheduled (1) < accepted (2) < queued (3) < sending, receiving (4) < sent (5) <
    /// delivered, undelivered, failed, partially delivered, canceled, received (6) < read (7).
    /// Unknown statuses rank 0, so they never replace a known one.
    pub fn rank(&self) -> u8 {
        match self {
            DeliveryStatus::Other(_) => 0,
            DeliveryStatus::Scheduled => 1,
            DeliveryStatus::Accepted => 2,
            DeliveryStatus::Queued => 3,
            DeliveryStatus::Sending | DeliveryStatus::Receiving => 4,
            DeliveryStatus::Sent => 5,
            DeliveryStatus::Delivered
            | DeliveryStatus::Undelivered
            | DeliveryStatus::Failed
            | DeliveryStatus::PartiallyDelivered
            | DeliveryStatus::Canceled
            | DeliveryStatus::Received => 6,
            DeliveryStatus::Read => 7,
        }
    }

    /// Whether the message's fate is settled (only a `read` receipt may still follow a
    /// `delivered`).
    pub fn is_final(&self) -> bool {
        self.rank() >= 6
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The event a request reports. Call [`verify`] first: this only reads the parameters.
///
/// The parameters are the form body's, or the URL's query for a GET webhook (empty body). A
/// request with `MessageStatus` (or the legacy `SmsStatus` and no `Body`) is a status callback
/// and needs `MessageSid` (or `SmsSid`); one with `Body` is an incoming message and needs
/// `MessageSid` (or `SmsMessageSid`/`SmsSid`), `From` and `To`. Other parameters are ignored.
pub fn parse_event(request: &WebhookRequest) -> Result<WebhookEvent, WebhookError> {
    let url = ParsedUrl::parse(&request.url).ok_or(WebhookError::InvalidUrl)?;
    if url.body_hash().is_some() {
        let content_type = request.header("Content-Type").unwrap_or("application/json");
        return Err(WebhookError::UnsupportedContentType(
            content_type.to_owned(),
        ));
    }
    let params = if request.body.is_empty() {
        url.query
            .map(|query| decode_form(query.as_bytes()))
            .unwrap_or_default()
    } else {
        form_params(request)?
    };
    let params = Params(params);
    let body = params.get("Body");
    let status = match body {
        None => params.filled(&["MessageStatus", "SmsStatus"]),
        Some(_) => params.filled(&["MessageStatus"]),
    };
    if let Some(status) = status {
        let message_sid = params
            .filled(&["MessageSid", "SmsSid"])
            .ok_or(WebhookError::MissingField("MessageSid"))?;
        return Ok(WebhookEvent::Status(StatusUpdate {
            message_sid: message_sid.to_owned(),
            status: DeliveryStatus::parse(status),
            error_code: params.filled(&["ErrorCode"]).and_then(parse_code),
            to: params.filled(&["To"]).map(str::to_owned),
            from: params.filled(&["From"]).map(str::to_owned),
        }));
    }
    let Some(body) = body else {
        return Err(WebhookError::UnrecognizedEvent);
    };
    let message_sid = params
        .filled(&["MessageSid", "SmsMessageSid", "SmsSid"])
        .ok_or(WebhookError::MissingField("MessageSid"))?;
    let from = params
        .filled(&["From"])
        .ok_or(WebhookError::MissingField("From"))?;
    let to = params
        .filled(&["To"])
        .ok_or(WebhookError::MissingField("To"))?;
    Ok(WebhookEvent::Inbound(InboundMessage {
        message_sid: message_sid.to_owned(),
        from: from.to_owned(),
        to: to.to_owned(),
        body: body.to_owned(),
        classification: classify_reply(body, params.filled(&["OptOutType"])),
    }))
}

/// The reply's classification. Twilio's `OptOutType` (sent when its Advanced Opt-Out acted
/// on the reply) says Twilio handled it, whatever the rule table thinks of the wording.
fn classify_reply(body: &str, opt_out_type: Option<&str>) -> Option<classify::Classification> {
    let mut class = classify::classify(body)?;
    if opt_out_type.is_some() {
        class.handled_by_twilio = true;
    }
    Some(class)
}

/// Decoded form parameters, looked up by name (the first of a repeated name counts).
struct Params(Vec<(String, String)>);

impl Params {
    /// The value of `name`, if present (possibly empty).
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of the first of `names` that is present and not blank.
    fn filled(&self, names: &[&str]) -> Option<&str> {
        names
            .iter()
            .filter_map(|name| self.get(name))
            .find(|value| !value.trim().is_empty())
    }
}

/// A Twilio error code: digits only (a code that isn't one is dropped, not fatal).
fn parse_code(code: &str) -> Option<u32> {
    let code = code.trim();
    if code.bytes().all(|b| b.is_ascii_digit()) {
        code.parse().ok()
    } else {
        None
    }
}

/// Plain words for the delivery errors a store meets most (the `ErrorCode` of an
/// `undelivered` or `failed` status callback), saying what happened and what to do.
pub fn delivery_error_reason(code: u32) -> Option<&'static str> {
    Some(match code {
        30003 => {
            "The customer's phone couldn't be reached: it may be switched off, out of coverage, \
             or unable to take texts right now. This is often temporary; try again later."
        }
        30004 => {
            "The message was blocked: the customer may have blocked your number, or their \
             carrier blocks texts to this number. Reach the customer another way."
        }
        30005 => {
            "This number doesn't exist or is no longer in service. Check the phone number on \
             the customer's record; sending to it again won't help."
        }
        30006 => {
            "This number is a landline, or its carrier can't receive texts. Ask the customer \
             for a mobile number, or call them instead."
        }
        30007 => {
            "The carrier filtered this message as spam or against its policy. Keep texts \
             clearly from your store, avoid link shorteners, and check in the Twilio Console \
             that your A2P 10DLC registration is approved."
        }
        30008 => {
            "The carrier couldn't deliver this message and didn't say why. Try again later; if \
             it keeps happening, check Twilio's Messaging Logs for details."
        }
        30034 => {
            "US carriers dropped this message because your number isn't registered for A2P \
             10DLC. Carriers silently drop messages from unregistered brands: finish A2P 10DLC \
             registration (brand and campaign) in the Twilio Console."
        }
        21610 => {
            "This customer has opted out of your texts (they replied STOP). No text will go \
             to them from any of your numbers until they text START."
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TOKEN: &str = "12345";
    const VECTOR_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn vector_params() -> Vec<(String, String)> {
        pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ])
    }

    fn form(params: &[(String, String)]) -> Vec<u8> {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish()
            .into_bytes()
    }

    /// A form POST to `url` carrying `params`, signed with `signature`.
    fn post(url: &str, params: &[(String, String)], signature: &str) -> WebhookRequest {
        WebhookRequest {
            url: url.to_owned(),
            headers: vec![
                ("Content-Type".into(), FORM_CONTENT_TYPE.into()),
                ("X-Twilio-Signature".into(), signature.to_owned()),
            ],
            body: form(params),
        }
    }

    /// A form POST to `received_url`, signed by Twilio for `signed_url`.
    fn signed_post(
        token: &str,
        signed_url: &str,
        received_url: &str,
        params: &[(String, String)],
    ) -> WebhookRequest {
        post(
            received_url,
            params,
            &compute_signature(token, signed_url, params),
        )
    }

    // ---- signatures ----

    #[test]
    fn published_vector_with_form_params() {
        let params = vector_params();
        assert_eq!(
            compute_signature(TOKEN, VECTOR_URL, &params),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
        let request = post(VECTOR_URL, &params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert_eq!(verify(TOKEN, &request), Ok(()));
        // Parameter order in the body doesn't matter.
        let mut reversed = params.clone();
        reversed.reverse();
        let request = post(VECTOR_URL, &reversed, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert_eq!(verify(TOKEN, &request), Ok(()));
    }

    #[test]
    fn published_vector_with_body_sha256() {
        let body = r#"{"property": "value", "boolean": true}"#;
        let hash = body_sha256_hex(body.as_bytes());
        assert_eq!(hash.len(), 64);
        assert!(
            hash.starts_with("0a1ff763") && hash.ends_with("6620"),
            "{hash}"
        );
        let url = format!("{VECTOR_URL}&bodySHA256={hash}");
        assert_eq!(
            compute_signature(TOKEN, &url, &[]),
            "a9nBmqA0ju/hNViExpshrM61xv4="
        );
        let mut request = WebhookRequest {
            url,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                (
                    "x-twilio-signature".into(),
                    "a9nBmqA0ju/hNViExpshrM61xv4=".into(),
                ),
            ],
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(verify(TOKEN, &request), Ok(()));
        // The hash may come in upper case.
        let upper = request.url.replace(&hash, &hash.to_ascii_uppercase());
        let upper_request = WebhookRequest {
            headers: vec![(
                "X-Twilio-Signature".into(),
                compute_signature(TOKEN, &upper, &[]),
            )],
            url: upper,
            ..request.clone()
        };
        assert_eq!(verify(TOKEN, &upper_request), Ok(()));
        // A changed body: the signed URL still matches, the hash doesn't.
        request.body = br#"{"property": "value", "boolean": false}"#.to_vec();
        assert_eq!(verify(TOKEN, &request), Err(WebhookError::BodyHashMismatch));
        // JSON bodies aren't events this module reads.
        assert_eq!(
            parse_event(&request),
            Err(WebhookError::UnsupportedContentType(
                "application/json".into()
            ))
        );
    }

    #[test]
    fn unicode_values_are_signed_decoded() {
        // Cross-checked with Python's hmac/hashlib/base64.
        let params = pairs(&[
            ("Body", "Café ☕ 日本 🎉"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("MessageSid", "SM123"),
        ]);
        let url = "https://example.com/sms";
        assert_eq!(
            compute_signature(TOKEN, url, &params),
            "TEyEFRYWFaM9iGFPX9pbQRvwEl0="
        );
        let request = post(url, &params, "TEyEFRYWFaM9iGFPX9pbQRvwEl0=");
        assert_eq!(verify(TOKEN, &request), Ok(()));
        // The body is percent-encoded on the wire.
        assert!(!request.body.iter().any(|b| !b.is_ascii()));
    }

    #[test]
    fn repeated_keys_sign_each_distinct_value_sorted() {
        let params = pairs(&[
            ("MediaUrl", "b"),
            ("MediaUrl", "a"),
            ("MediaUrl", "c"),
            ("Body", "x"),
        ]);
        let url = "https://example.com/sms";
        // Cross-checked with Python, as twilio-python computes it.
        assert_eq!(
            compute_signature(TOKEN, url, &params),
            "NWQahv23zdRH1kIDyxixYfzvwnA="
        );
        let shuffled = pairs(&[
            ("MediaUrl", "c"),
            ("Body", "x"),
            ("MediaUrl", "a"),
            ("MediaUrl", "b"),
            ("MediaUrl", "a"),
        ]);
        assert_eq!(
            compute_signature(TOKEN, url, &shuffled),
            "NWQahv23zdRH1kIDyxixYfzvwnA="
        );
        let request = post(url, &shuffled, "NWQahv23zdRH1kIDyxixYfzvwnA=");
        assert_eq!(verify(TOKEN, &request), Ok(()));
    }

    #[test]
    fn names_sort_in_byte_order_and_the_query_is_kept_as_is() {
        // B < Z < _x < a; the query's percent-encoding is signed as received.
        let params = pairs(&[("Z", "1"), ("_x", "2"), ("a", "3"), ("B", "4")]);
        let url = "https://example.com/sms?x=a%20b&y=%2B1";
        assert_eq!(
            compute_signature(TOKEN, url, &params),
            "Mhlb5nJ/R/WF/+DpO+4oBli/zOE="
        );
        let request = post(url, &params, "Mhlb5nJ/R/WF/+DpO+4oBli/zOE=");
        assert_eq!(verify(TOKEN, &request), Ok(()));
        // Decoding the query changes the signed string.
        let decoded = post(
            "https://example.com/sms?x=a b&y=+1",
            &params,
            "Mhlb5nJ/R/WF/+DpO+4oBli/zOE=",
        );
        assert_eq!(verify(TOKEN, &decoded), Err(WebhookError::InvalidUrl));
        let reencoded = post(
            "https://example.com/sms?x=a+b&y=%2B1",
            &params,
            "Mhlb5nJ/R/WF/+DpO+4oBli/zOE=",
        );
        assert_eq!(verify(TOKEN, &reencoded), Err(WebhookError::BadSignature));
    }

    #[test]
    fn query_string_on_the_url() {
        let params = vector_params();
        let request = signed_post(TOKEN, VECTOR_URL, VECTOR_URL, &params);
        assert_eq!(verify(TOKEN, &request), Ok(()));
        let no_query = post(
            "https://mycompany.com/myapp.php",
            &params,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
        );
        assert_eq!(verify(TOKEN, &no_query), Err(WebhookError::BadSignature));
    }

    #[test]
    fn signed_with_port_443_received_without() {
        let params = vector_params();
        let signed = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        // Cross-checked with Python.
        assert_eq!(
            compute_signature(TOKEN, signed, &params),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        );
        let request = post(VECTOR_URL, &params, "kvajT1Ptam85bY51eRf/AJRuM3w=");
        assert_eq!(verify(TOKEN, &request), Ok(()));
    }

    #[test]
    fn signed_without_port_received_with_443() {
        let params = vector_params();
        let received = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        let request = post(received, &params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert_eq!(verify(TOKEN, &request), Ok(()));
    }

    #[test]
    fn default_ports_follow_the_scheme() {
        let params = vector_params();
        for (signed, received) in [
            ("http://example.com:80/sms", "http://example.com/sms"),
            ("http://example.com/sms", "http://example.com:80/sms"),
            (
                "https://user:pw@example.com:443",
                "https://user:pw@example.com",
            ),
            ("https://[::1]/sms?a=1", "https://[::1]:443/sms?a=1"),
            (
                "HTTPS://Example.com:443/sms#rc=3",
                "HTTPS://Example.com/sms#rc=3",
            ),
        ] {
            let request = signed_post(TOKEN, signed, received, &params);
            assert_eq!(verify(TOKEN, &request), Ok(()), "{signed} / {received}");
        }
        for (signed, received) in [
            ("https://example.com:80/sms", "https://example.com/sms"),
            ("http://example.com:443/sms", "http://example.com/sms"),
            ("https://example.com:8443/sms", "https://example.com/sms"),
            ("https://example.com/sms", "https://example.com:8443/sms"),
            ("https://example.com/sms", "http://example.com/sms"),
        ] {
            let request = signed_post(TOKEN, signed, received, &params);
            assert_eq!(
                verify(TOKEN, &request),
                Err(WebhookError::BadSignature),
                "{signed} / {received}"
            );
        }
    }

    #[test]
    fn a_tampered_param_is_refused() {
        let mut params = vector_params();
        let request = signed_post(TOKEN, VECTOR_URL, VECTOR_URL, &params);
        params[4].1 = "+18005551213".into();
        let tampered = WebhookRequest {
            body: form(&params),
            ..request.clone()
        };
        assert_eq!(verify(TOKEN, &tampered), Err(WebhookError::BadSignature));
        // An added parameter, too.
        params[4].1 = "+18005551212".into();
        params.push(("Extra".into(), String::new()));
        let added = WebhookRequest {
            body: form(&params),
            ..request
        };
        assert_eq!(verify(TOKEN, &added), Err(WebhookError::BadSignature));
    }

    #[test]
    fn a_missing_or_empty_header_is_refused() {
        let mut request = post(VECTOR_URL, &vector_params(), "");
        assert_eq!(verify(TOKEN, &request), Err(WebhookError::MissingSignature));
        request
            .headers
            .retain(|(name, _)| name != "X-Twilio-Signature");
        assert_eq!(verify(TOKEN, &request), Err(WebhookError::MissingSignature));
    }

    #[test]
    fn a_malformed_header_is_refused() {
        for header in [
            "not base64!",
            "RSOYDt4T1cUTdK1PDd93",
            "AAAA",
            "RSOYDt4T1cUTdK1PDd93/VVr8B8",
            // One character short of a signature, and one too many, each ending in `=`.
            "RSOYDt4T1cUTdK1PDd93/VVr8B=",
            "RSOYDt4T1cUTdK1PDd93/VVr8B8A=",
        ] {
            let request = post(VECTOR_URL, &vector_params(), header);
            assert_eq!(
                verify(TOKEN, &request),
                Err(WebhookError::MalformedSignature),
                "{header}"
            );
        }
    }

    #[test]
    fn header_names_are_case_insensitive() {
        let mut request = post(VECTOR_URL, &vector_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        request.headers = vec![
            (
                "CONTENT-TYPE".into(),
                "Application/X-WWW-Form-Urlencoded; charset=utf-8".into(),
            ),
            (
                "x-TWILIO-signature".into(),
                " RSOYDt4T1cUTdK1PDd93/VVr8B8= ".into(),
            ),
        ];
        assert_eq!(verify(TOKEN, &request), Ok(()));
        request.headers.remove(0);
        assert_eq!(verify(TOKEN, &request), Ok(()));
    }

    #[test]
    fn a_wrong_or_missing_token_is_refused() {
        let request = post(VECTOR_URL, &vector_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert_eq!(verify("12346", &request), Err(WebhookError::BadSignature));
        assert_eq!(verify("", &request), Err(WebhookError::NoAuthToken));
        assert_eq!(verify("  ", &request), Err(WebhookError::NoAuthToken));
        // Even when the signature was made with the empty key.
        let forged = signed_post("", VECTOR_URL, VECTOR_URL, &vector_params());
        assert_eq!(verify("", &forged), Err(WebhookError::NoAuthToken));
    }

    #[test]
    fn urls_must_be_absolute_http() {
        for url in [
            "/sms/status",
            "mycompany.com/myapp.php",
            "ftp://mycompany.com/x",
            "https:///path",
            "https://host:/x",
            "https://host:44x/x",
            "https://host/a b",
            "",
        ] {
            let request = post(url, &vector_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
            assert_eq!(
                verify(TOKEN, &request),
                Err(WebhookError::InvalidUrl),
                "{url}"
            );
            assert_eq!(
                parse_event(&request),
                Err(WebhookError::InvalidUrl),
                "{url}"
            );
        }
    }

    #[test]
    fn a_non_form_body_without_body_sha256_is_refused() {
        let mut request = signed_post(TOKEN, VECTOR_URL, VECTOR_URL, &vector_params());
        request.headers[0].1 = "application/json".into();
        let expected = WebhookError::UnsupportedContentType("application/json".into());
        assert_eq!(verify(TOKEN, &request), Err(expected.clone()));
        assert_eq!(parse_event(&request), Err(expected));
    }

    #[test]
    fn ipv6_hosts_and_user_info_are_read_as_urls() {
        // A bracketed IPv6 host: its colons are not a port, and the default port is still
        // tried added and removed.
        for (signed, received) in [
            (
                "https://[2001:db8::1]/twilio",
                "https://[2001:db8::1]/twilio",
            ),
            (
                "https://[2001:db8::1]:443/twilio",
                "https://[2001:db8::1]/twilio",
            ),
            (
                "https://[2001:db8::1]/twilio",
                "https://[2001:db8::1]:443/twilio",
            ),
            (
                "https://u:p@pos.example.com:443/twilio",
                "https://u:p@pos.example.com/twilio",
            ),
        ] {
            let params = vector_params();
            let mut request = post(
                received,
                &params,
                &compute_signature(TOKEN, signed, &params),
            );
            assert_eq!(verify(TOKEN, &request), Ok(()), "{signed} as {received}");
            request.url = format!("{received}x");
            assert_eq!(verify(TOKEN, &request), Err(WebhookError::BadSignature));
        }
        // User info with no host after it is not a URL.
        let request = post(
            "https://twilio@:443/x",
            &vector_params(),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
        );
        assert_eq!(verify(TOKEN, &request), Err(WebhookError::InvalidUrl));
    }

    #[test]
    fn a_get_webhook_signs_the_url_alone() {
        let url = concat!(
            "https://example.com/sms?MessageSid=SM1&From=%2B14155550100",
            "&To=%2B14155550199&Body=STOP"
        );
        let request = WebhookRequest {
            url: url.into(),
            headers: vec![(SIGNATURE_HEADER.into(), compute_signature(TOKEN, url, &[]))],
            body: Vec::new(),
        };
        assert_eq!(verify(TOKEN, &request), Ok(()));
        let Ok(WebhookEvent::Inbound(message)) = parse_event(&request) else {
            panic!("not an inbound message");
        };
        assert_eq!(message.from, "+14155550100");
        let class = message.classification.expect("classified");
        assert_eq!(
            (class.intent, class.by, class.handled_by_twilio),
            (classify::Intent::OptOut, classify::Match::Keyword, true)
        );
    }

    #[test]
    fn errors_say_what_to_check() {
        let bad = WebhookError::BadSignature.to_string();
        for part in ["URL configured in Twilio", "scheme", "port", "Auth Token"] {
            assert!(bad.contains(part), "{bad}");
        }
        assert!(
            WebhookError::MissingSignature
                .to_string()
                .contains("X-Twilio-Signature")
        );
        assert!(
            WebhookError::MissingField("From")
                .to_string()
                .contains("no From parameter")
        );
        assert_eq!(WebhookError::BodyHashMismatch.kind(), "body-hash-mismatch");
        for error in [
            WebhookError::NoAuthToken,
            WebhookError::MissingSignature,
            WebhookError::MalformedSignature,
            WebhookError::BadSignature,
            WebhookError::BodyHashMismatch,
            WebhookError::InvalidUrl,
            WebhookError::UnsupportedContentType("text/plain".into()),
            WebhookError::MissingField("To"),
            WebhookError::UnrecognizedEvent,
        ] {
            let text = error.to_string();
            assert!(text.contains("Check") || text.contains("Connect"), "{text}");
            assert!(text.ends_with('.'), "{text}");
        }
    }

    // ---- events ----

    fn event(params: &[(&str, &str)]) -> Result<WebhookEvent, WebhookError> {
        parse_event(&post("https://example.com/sms", &pairs(params), "x"))
    }

    fn status_of(params: &[(&str, &str)]) -> StatusUpdate {
        match event(params) {
            Ok(WebhookEvent::Status(update)) => update,
            other => panic!("not a status update: {other:?}"),
        }
    }

    fn inbound_of(body: &str) -> InboundMessage {
        let params = [
            ("ToCountry", "US"),
            ("SmsMessageSid", "SM0123"),
            ("NumMedia", "0"),
            ("SmsSid", "SM0123"),
            ("SmsStatus", "received"),
            ("Body", body),
            ("To", "+15005550006"),
            ("NumSegments", "1"),
            ("MessageSid", "SM0123"),
            ("AccountSid", "AC0123"),
            ("From", "+14155550100"),
            ("ApiVersion", "2010-04-01"),
        ];
        match event(&params) {
            Ok(WebhookEvent::Inbound(message)) => message,
            other => panic!("not an inbound message: {other:?}"),
        }
    }

    #[test]
    fn status_callback_delivered() {
        let update = status_of(&[
            ("SmsSid", "SM0001"),
            ("SmsStatus", "delivered"),
            ("MessageStatus", "delivered"),
            ("To", "+15558675310"),
            ("MessageSid", "SM0001"),
            ("AccountSid", "AC0001"),
            ("From", "+15017122661"),
            ("ApiVersion", "2010-04-01"),
            ("RawDlrDoneDate", "2405141530"),
        ]);
        assert_eq!(
            update,
            StatusUpdate {
                message_sid: "SM0001".into(),
                status: DeliveryStatus::Delivered,
                error_code: None,
                to: Some("+15558675310".into()),
                from: Some("+15017122661".into()),
            }
        );
    }

    #[test]
    fn status_callback_undelivered_with_30034() {
        let update = status_of(&[
            ("MessageSid", "SM0002"),
            ("MessageStatus", "undelivered"),
            ("ErrorCode", "30034"),
            ("To", "+15558675310"),
        ]);
        assert_eq!(update.status, DeliveryStatus::Undelivered);
        assert_eq!(update.error_code, Some(30034));
        assert_eq!(update.from, None);
        let reason = update.error_code.and_then(delivery_error_reason);
        assert!(reason.is_some_and(|r| r.contains("A2P 10DLC")));
        // A code that isn't a number is dropped, not fatal.
        let odd = status_of(&[
            ("MessageSid", "SM0002"),
            ("MessageStatus", "failed"),
            ("ErrorCode", "30x"),
        ]);
        assert_eq!(odd.error_code, None);
    }

    #[test]
    fn status_callback_legacy_names() {
        let update = status_of(&[("SmsSid", "SM0003"), ("SmsStatus", "sent")]);
        assert_eq!(update.message_sid, "SM0003");
        assert_eq!(update.status, DeliveryStatus::Sent);
    }

    #[test]
    fn unknown_statuses_are_kept() {
        let update = status_of(&[("MessageSid", "SM4"), ("MessageStatus", "teleported")]);
        assert_eq!(update.status, DeliveryStatus::Other("teleported".into()));
        assert_eq!(update.status.as_str(), "teleported");
        assert_eq!(
            DeliveryStatus::parse("partially_delivered"),
            DeliveryStatus::PartiallyDelivered
        );
        assert_eq!(
            DeliveryStatus::parse("Delivered"),
            DeliveryStatus::Delivered
        );
        assert_eq!(DeliveryStatus::Canceled.to_string(), "canceled");
    }

    #[test]
    fn inbound_message_fields_are_kept_as_given() {
        let message = inbound_of("Is my ring ready?");
        assert_eq!(
            message,
            InboundMessage {
                message_sid: "SM0123".into(),
                from: "+14155550100".into(),
                to: "+15005550006".into(),
                body: "Is my ring ready?".into(),
                classification: None,
            }
        );
        // An empty body (a picture alone) is still a message.
        assert_eq!(inbound_of("").body, "");
    }

    #[test]
    fn inbound_replies_carry_their_classification() {
        use classify::{Intent, Match};
        for (body, intent, by, twilio) in [
            (" stop ", Intent::OptOut, Match::Keyword, true),
            ("STOP!", Intent::OptOut, Match::Keyword, false),
            (
                "please stop texting me",
                Intent::OptOut,
                Match::Phrase,
                false,
            ),
            ("start", Intent::OptIn, Match::Keyword, true),
            ("INFO", Intent::Help, Match::Keyword, true),
        ] {
            let class = inbound_of(body).classification.expect("classified");
            assert_eq!(
                (class.intent, class.by, class.handled_by_twilio),
                (intent, by, twilio),
                "{body:?}"
            );
        }
        for body in ["can I stop by at 5?", "yes please", "", "!"] {
            assert_eq!(inbound_of(body).classification, None, "{body:?}");
        }
    }

    #[test]
    fn twilios_opt_out_type_says_twilio_handled_the_reply() {
        let params = [
            ("MessageSid", "SM1"),
            ("From", "+14155550100"),
            ("To", "+15005550006"),
            ("Body", "Stop!"),
            ("OptOutType", "STOP"),
        ];
        let Ok(WebhookEvent::Inbound(message)) = event(&params) else {
            panic!("not an inbound message");
        };
        assert!(
            message
                .classification
                .expect("classified")
                .handled_by_twilio
        );
    }

    #[test]
    fn missing_required_fields() {
        assert_eq!(
            event(&[("MessageStatus", "sent"), ("To", "+15558675310")]),
            Err(WebhookError::MissingField("MessageSid"))
        );
        assert_eq!(
            event(&[("MessageSid", ""), ("MessageStatus", "sent")]),
            Err(WebhookError::MissingField("MessageSid"))
        );
        assert_eq!(
            event(&[
                ("MessageSid", "SM1"),
                ("Body", "hi"),
                ("To", "+15005550006")
            ]),
            Err(WebhookError::MissingField("From"))
        );
        assert_eq!(
            event(&[
                ("MessageSid", "SM1"),
                ("Body", "hi"),
                ("From", "+14155550100")
            ]),
            Err(WebhookError::MissingField("To"))
        );
        assert_eq!(
            event(&[("Body", "hi"), ("From", "+1"), ("To", "+2")]),
            Err(WebhookError::MissingField("MessageSid"))
        );
        assert_eq!(
            event(&[("MessageSid", "SM1"), ("AccountSid", "AC1")]),
            Err(WebhookError::UnrecognizedEvent)
        );
        assert_eq!(
            parse_event(&WebhookRequest {
                url: "https://example.com/sms".into(),
                ..WebhookRequest::default()
            }),
            Err(WebhookError::UnrecognizedEvent)
        );
    }

    #[test]
    fn rank_orders_statuses_and_final_ones_are_final() {
        use DeliveryStatus::*;
        let order = [Scheduled, Accepted, Queued, Sending, Sent, Delivered, Read];
        for pair in order.windows(2) {
            assert!(pair[0].rank() < pair[1].rank(), "{} < {}", pair[0], pair[1]);
        }
        assert!(Queued.rank() < Sending.rank() && Sending.rank() < Sent.rank());
        for last in [Delivered, Undelivered, Failed] {
            assert!(Sent.rank() < last.rank());
            assert!(last.is_final());
        }
        assert_eq!(Delivered.rank(), Undelivered.rank());
        assert_eq!(Delivered.rank(), Failed.rank());
        assert!(Receiving.rank() < Received.rank());
        for settled in [Canceled, Received, Read, PartiallyDelivered] {
            assert!(settled.is_final(), "{settled}");
        }
        for open in [Queued, Sending, Sent, Accepted, Scheduled, Receiving] {
            assert!(!open.is_final(), "{open}");
        }
        let unknown = Other("teleported".into());
        assert_eq!(unknown.rank(), 0);
        assert!(!unknown.is_final());
    }

    #[test]
    fn delivery_error_reasons() {
        for code in [30003, 30004, 30005, 30006, 30007, 30008, 30034, 21610] {
            let reason = delivery_error_reason(code);
            assert!(reason.is_some_and(|r| r.ends_with('.')), "{code}");
        }
        assert!(delivery_error_reason(30003).is_some_and(|r| r.contains("temporary")));
        assert!(delivery_error_reason(30007).is_some_and(|r| r.contains("spam")));
        assert!(delivery_error_reason(30034).is_some_and(|r| r.contains("Twilio Console")));
        assert!(delivery_error_reason(21610).is_some_and(|r| r.contains("START")));
        assert_eq!(delivery_error_reason(0), None);
        assert_eq!(delivery_error_reason(21211), None);
    }

    // ---- properties ----

    fn url_strategy() -> impl Strategy<Value = String> {
        concat!(
            "(https?|HTTP|ftp)://([a-z]{1,5}(:[a-z]{0,3})?@)?",
            "([a-z0-9.-]{1,12}|\\[[0-9a-f:]{2,10}\\])(:[0-9]{0,6})?",
            "(/[a-zA-Z0-9/._~%-]{0,12})?(\\?[a-zA-Z0-9=&%+]{0,16})?(#[a-z=&0-9]{0,8})?"
        )
    }

    fn header_strategy() -> impl Strategy<Value = (String, String)> {
        (
            prop_oneof![
                Just("X-Twilio-Signature".to_owned()),
                Just("x-twilio-signature".to_owned()),
                Just("Content-Type".to_owned()),
                "[A-Za-z-]{0,12}",
            ],
            prop_oneof![
                "[A-Za-z0-9+/=]{0,40}",
                Just(FORM_CONTENT_TYPE.to_owned()),
                any::<String>(),
            ],
        )
    }

    proptest! {
        #[test]
        fn verify_and_parse_never_panic(
            url in prop_oneof![url_strategy(), any::<String>()],
            headers in proptest::collection::vec(header_strategy(), 0..4),
            body in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..64),
                "[A-Za-z]{1,8}=[A-Za-z0-9%+]{0,8}(&[A-Za-z]{1,8}=[A-Za-z0-9%+]{0,8}){0,4}"
                    .prop_map(String::into_bytes),
            ],
            token in "[0-9a-f]{0,32}",
        ) {
            let request = WebhookRequest { url, headers, body };
            let _ = verify(&token, &request);
            let _ = parse_event(&request);
        }

        #[test]
        fn signatures_round_trip(
            url in concat!(
                "https?://[a-z]{1,10}\\.com(:[0-9]{1,5})?",
                "(/[a-z0-9/]{0,10})?(\\?[a-z0-9=&]{0,10})?"
            ),
            params in proptest::collection::vec((any::<String>(), any::<String>()), 0..6),
            token in "[0-9a-f]{32}",
        ) {
            let request = signed_post(&token, &url, &url, &params);
            prop_assert_eq!(verify(&token, &request), Ok(()));
            let other = format!("{token}0");
            prop_assert_eq!(verify(&other, &request), Err(WebhookError::BadSignature));
        }
    }
}
