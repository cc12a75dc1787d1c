//! Twilio's 2010-04-01 REST API without I/O: requests as plain values, responses parsed into
//! receipts, accounts or [`Error`]s.
//!
//! The plugin always addresses `https://api.twilio.com`. Tests and demos point the host at a
//! fake, and the host rewrites the destination, so these bytes are the production bytes.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::credentials::{Credentials, Sender};
use super::error::{Error, TwilioError};

/// Where Twilio's REST API lives. The host decides whether the plugin may reach it.
pub const API_BASE: &str = "https://api.twilio.com";

/// The `User-Agent` the plugin sends.
pub const USER_AGENT: &str = concat!("pos-sms-plugin/", env!("CARGO_PKG_VERSION"));

/// HTTP methods the plugin uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
}

/// A request to perform, exactly as it goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body (empty for `GET`).
    pub body: Vec<u8>,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header with this (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn common_headers(credentials: &Credentials) -> Vec<(String, String)> {
    vec![
        ("authorization".into(), credentials.authorization()),
        ("accept".into(), "application/json".into()),
        ("user-agent".into(), USER_AGENT.into()),
    ]
}

/// `GET /2010-04-01/Accounts/{AccountSid}.json`: proves the credentials.
pub fn fetch_account_request(credentials: &Credentials) -> HttpRequest {
    HttpRequest {
        method: Method::Get,
        url: format!(
            "{API_BASE}/2010-04-01/Accounts/{}.json",
            credentials.account_sid
        ),
        headers: common_headers(credentials),
        body: Vec::new(),
    }
}

/// `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with `To`, `From` (or
/// `MessagingServiceSid`) and `Body`, form-encoded, and `StatusCallback` when the host has a
/// public webhook URL for delivery updates. `to` must already be E.164.
pub fn send_message_request(
    credentials: &Credentials,
    to: &str,
    body: &str,
    status_callback: Option<&str>,
) -> HttpRequest {
    let sender = match &credentials.sender {
        Sender::Number(from) => ("From", from.as_str()),
        Sender::MessagingService(sid) => ("MessagingServiceSid", sid.as_str()),
    };
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.extend_pairs([("To", to), sender, ("Body", body)]);
    if let Some(url) = status_callback {
        form.append_pair("StatusCallback", url);
    }
    let mut headers = common_headers(credentials);
    headers.push((
        "content-type".into(),
        "application/x-www-form-urlencoded".into(),
    ));
    HttpRequest {
        method: Method::Post,
        url: format!(
            "{API_BASE}/2010-04-01/Accounts/{}/Messages.json",
            credentials.account_sid
        ),
        headers,
        body: form.finish().into_bytes(),
    }
}

/// Whether `sid` is a message SID (`SM` or `MM` and 32 hex digits), safe to put in a path.
pub fn is_message_sid(sid: &str) -> bool {
    sid.len() == 34
        && (sid.starts_with("SM") || sid.starts_with("MM"))
        && sid[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// `GET /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}.json`: one message as it
/// stands now. `message_sid` must pass [`is_message_sid`].
pub fn fetch_message_request(credentials: &Credentials, message_sid: &str) -> HttpRequest {
    HttpRequest {
        method: Method::Get,
        url: format!(
            "{API_BASE}/2010-04-01/Accounts/{}/Messages/{message_sid}.json",
            credentials.account_sid
        ),
        headers: common_headers(credentials),
        body: Vec::new(),
    }
}

/// `GET /2010-04-01/Accounts/{AccountSid}/Messages.json` filtered to the messages to `to`
/// from the store's number (a Messaging Service picks its number, so none is named then),
/// sent on or after `first_day` and on or before `last_day` (UTC days, `YYYY-MM-DD`), fifty
/// a page.
pub fn list_messages_request(
    credentials: &Credentials,
    to: &str,
    first_day: &str,
    last_day: &str,
) -> HttpRequest {
    list_request(
        credentials,
        to,
        &[("DateSent>", first_day), ("DateSent<", last_day)],
    )
}

/// The same list with no date: the newest fifty messages to `to`, including those not sent
/// yet (which have no date sent, so a `DateSent` filter leaves them out).
pub fn list_recent_messages_request(credentials: &Credentials, to: &str) -> HttpRequest {
    list_request(credentials, to, &[])
}

/// The message list to `to` from the store's number, with `filters`, fifty a page.
fn list_request(credentials: &Credentials, to: &str, filters: &[(&str, &str)]) -> HttpRequest {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("To", to);
    if let Sender::Number(from) = &credentials.sender {
        query.append_pair("From", from);
    }
    query.extend_pairs(filters);
    query.append_pair("PageSize", "50");
    HttpRequest {
        method: Method::Get,
        url: format!(
            "{API_BASE}/2010-04-01/Accounts/{}/Messages.json?{}",
            credentials.account_sid,
            query.finish()
        ),
        headers: common_headers(credentials),
        body: Vec::new(),
    }
}

/// The next page of a list, from the page's `next_page_uri` (a path on Twilio's API), or
/// `None` when that is not a path of this account's message list.
pub fn next_page_request(credentials: &Credentials, next_page_uri: &str) -> Option<HttpRequest> {
    let own = format!(
        "/2010-04-01/Accounts/{}/Messages.json?",
        credentials.account_sid
    );
    next_page_uri.starts_with(&own).then(|| HttpRequest {
        method: Method::Get,
        url: format!("{API_BASE}{next_page_uri}"),
        headers: common_headers(credentials),
        body: Vec::new(),
    })
}

/// The parts of a Message resource that reading messages back uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Message {
    /// `SM…`
    pub sid: String,
    /// The recipient.
    #[serde(default)]
    pub to: String,
    /// The sender number Twilio used.
    #[serde(default, deserialize_with = "text_or_null")]
    pub from: String,
    /// The text (Twilio may have redacted it).
    #[serde(default, deserialize_with = "text_or_null")]
    pub body: String,
    /// `queued`, `sent`, `delivered`, `undelivered`, `failed`, …
    #[serde(default)]
    pub status: String,
    /// The delivery error, for `undelivered` and `failed`.
    #[serde(default, deserialize_with = "optional_code")]
    pub error_code: Option<u32>,
    /// Twilio's `num_segments`.
    #[serde(default, rename = "num_segments", deserialize_with = "segment_count")]
    pub segments: u32,
}

/// One page of a message list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MessagePage {
    /// The messages, newest first.
    #[serde(default)]
    pub messages: Vec<Message>,
    /// Where the next page is, when there is one.
    #[serde(default)]
    pub next_page_uri: Option<String>,
}

/// `null` reads as empty text.
fn text_or_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

/// An error code as a number, a string of digits, or `null`.
fn optional_code<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text)) => text
            .parse()
            .map(Some)
            .map_err(|_| D::Error::custom("field `error_code` is not a code")),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| D::Error::custom("field `error_code` is not a code")),
        Some(_) => Err(D::Error::custom("field `error_code` is not a code")),
    }
}

/// Parses the answer to [`fetch_message_request`].
pub fn parse_message_response(response: &HttpResponse) -> Result<Message, Error> {
    read_back(response, "a Message")
}

/// Parses a page of [`list_messages_request`].
pub fn parse_message_page(response: &HttpResponse) -> Result<MessagePage, Error> {
    read_back(response, "a list of messages")
}

/// A read's answer: `T` on 200, Twilio's error otherwise (503: not processed).
fn read_back<T: DeserializeOwned>(response: &HttpResponse, what: &str) -> Result<T, Error> {
    if response.status == 503 {
        return Err(unavailable(response));
    }
    if response.status != 200 {
        return Err(parse_error(response));
    }
    object::<T>(&response.body).map_err(|e| {
        Error::Other(format!(
            "Twilio answered with something that is not {what} ({e})"
        ))
    })
}

/// The parts of Twilio's Account resource the plugin uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    /// `AC…`
    pub sid: String,
    /// The account's name in Twilio (empty when absent).
    #[serde(default)]
    pub friendly_name: String,
    /// `active`, `suspended` or `closed` (empty when absent).
    #[serde(default)]
    pub status: String,
    /// `Trial` or `Full`, from the `type` field (empty when absent).
    #[serde(default, rename = "type")]
    pub account_type: String,
}

/// Twilio's first answer to a send: the parts of the Message resource the plugin uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Receipt {
    /// `SM…`
    pub sid: String,
    /// The recipient (empty when absent).
    #[serde(default)]
    pub to: String,
    /// `queued`, `accepted`, … (empty when absent).
    #[serde(default)]
    pub status: String,
    /// Twilio's `num_segments`.
    #[serde(default, rename = "num_segments", deserialize_with = "segment_count")]
    pub segments: u32,
}

/// Twilio sends several numbers as strings (`"num_segments": "1"`); either form is accepted.
/// Absent, `null` or unreadable counts (not digits only, or more than `u32` holds) read as 0;
/// a value of another type (a fraction, a negative number, a boolean, …) means the body is not
/// a Message.
fn segment_count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let digits = |text: &str| {
        text.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| text.parse().ok())
            .flatten()
            .unwrap_or(0)
    };
    match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => Ok(0),
        Some(Value::String(text)) => Ok(digits(&text)),
        Some(Value::Number(n)) if n.is_u64() => {
            Ok(n.as_u64().map_or(0, |n| u32::try_from(n).unwrap_or(0)))
        }
        Some(_) => Err(D::Error::custom("field `num_segments` is not a count")),
    }
}

/// Twilio's error JSON: `code`, `message` and `more_info`, each optional or `null`.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: Option<u32>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    more_info: Option<String>,
}

/// A body that must be one JSON object of `T`'s shape (serde would also read a struct from
/// an array: Twilio never sends one, so it is refused).
fn object<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err("it is not a JSON object".into());
    }
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

/// `None` unless the body is an object whose `code` (when present) is a number that fits
/// `u32` and whose `message` and `more_info` (when present) are strings.
fn error_from_json(body: &[u8]) -> Option<ErrorBody> {
    object(body).ok()
}

/// Parses the answer to [`fetch_account_request`]. A 503 means Twilio did not process the
/// request (see [`unavailable`]); any other error status is Twilio's error as it stands.
pub fn parse_account_response(response: &HttpResponse) -> Result<Account, Error> {
    if response.status == 503 {
        return Err(unavailable(response));
    }
    if response.status != 200 {
        return Err(parse_error(response));
    }
    object::<Account>(&response.body).map_err(|e| {
        Error::Other(format!(
            "Twilio answered the account check with something that is not an Account ({e})"
        ))
    })
}

/// Parses the answer to [`send_message_request`]. A success status whose body is not a
/// Message means the message was probably created: that is reported as outcome-unknown, so
/// nobody sends it twice. So is a server error other than 503, whatever its body says:
/// Twilio may have created the message before failing. A 503 means nothing was processed
/// (see [`unavailable`]).
pub fn parse_send_response(response: &HttpResponse) -> Result<Receipt, Error> {
    if response.status == 503 {
        return Err(unavailable(response));
    }
    if (500..600).contains(&response.status) {
        return Err(Error::OutcomeUnknown(format!(
            "Twilio answered HTTP {}, a server error that does not say whether the message \
             was created",
            response.status
        )));
    }
    if !(200..300).contains(&response.status) {
        return Err(parse_error(response));
    }
    object::<Receipt>(&response.body).map_err(|e| {
        Error::OutcomeUnknown(format!(
            "Twilio answered HTTP {} with a body that is not a Message: {e}",
            response.status
        ))
    })
}

/// Turns a non-success response into the most specific [`Error`] its status and code allow.
pub fn parse_error(response: &HttpResponse) -> Error {
    let parsed = error_from_json(&response.body);
    let (code, message, more_info) = match parsed {
        Some(json) => (json.code, json.message, json.more_info),
        None => (None, None, None),
    };
    let detail = TwilioError {
        code,
        message: message.unwrap_or_else(|| describe_body(response)),
        more_info,
        http_status: response.status,
    };
    match (response.status, code) {
        (_, Some(20003)) | (401, None) => Error::CredentialsRejected,
        (_, Some(20429)) | (429, _) => Error::RateLimited(retry_after(response)),
        (_, Some(21610)) => Error::RecipientOptedOut,
        (_, Some(21612)) | (_, Some(21614)) => Error::RecipientUnreachable(detail),
        (_, Some(21408)) => Error::RegionNotPermitted,
        // 21211 (Twilio says the 'To' number is invalid) stays a Twilio error so that its code
        // reaches the host and the audit log: the WIT's invalid-phone case carries no code.
        _ => Error::Twilio(detail),
    }
}

/// Twilio's 503 (Service Unavailable): it is not taking requests, so this one was not
/// processed and nothing was sent. Twilio's own code and message are kept when it gave them.
pub fn unavailable(response: &HttpResponse) -> Error {
    let parsed = error_from_json(&response.body);
    let (code, message, more_info) = match parsed {
        Some(json) => (json.code, json.message, json.more_info),
        None => (None, None, None),
    };
    Error::Twilio(TwilioError {
        code,
        message: format!(
            "Twilio is temporarily unavailable and nothing was sent ({})",
            message.unwrap_or_else(|| describe_body(response))
        ),
        more_info,
        http_status: response.status,
    })
}

/// `Retry-After` in seconds (the HTTP-date form is not used by Twilio).
pub fn retry_after(response: &HttpResponse) -> Option<u32> {
    response.header("retry-after")?.trim().parse().ok()
}

/// A short description of a body that is not Twilio's error JSON.
fn describe_body(response: &HttpResponse) -> String {
    let text = String::from_utf8_lossy(&response.body);
    let text = text.trim();
    if text.is_empty() {
        format!("HTTP {} with an empty body", response.status)
    } else {
        let snippet: String = text.chars().take(120).collect();
        format!(
            "HTTP {} with a body that is not Twilio's error JSON: {snippet}",
            response.status
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_message_sids_go_into_a_path() {
        let hex = "0123456789abcdef0123456789ABCDEF";
        assert!(is_message_sid(&format!("SM{hex}")));
        assert!(is_message_sid(&format!("MM{hex}")));
        for bad in [
            format!("AC{hex}"),
            format!("SM{}", &hex[1..]),
            format!("SM{hex}0"),
            format!("SM{}g", &hex[1..]),
            format!("SM{}/", &hex[1..]),
            String::new(),
        ] {
            assert!(!is_message_sid(&bad), "{bad}");
        }
    }

    #[test]
    fn a_messages_error_code_is_a_number_a_string_or_nothing() {
        let read = |code: &str| {
            parse_message_response(&HttpResponse {
                status: 200,
                headers: vec![],
                body: format!(r#"{{"sid":"SM1","status":"failed","error_code":{code}}}"#)
                    .into_bytes(),
            })
            .map(|m| m.error_code)
        };
        assert_eq!(read("30006"), Ok(Some(30006)));
        assert_eq!(read(r#""30007""#), Ok(Some(30007)));
        assert_eq!(read(r#""""#), Ok(None));
        assert_eq!(read("null"), Ok(None));
        for bad in [r#""abc""#, "-1", "true", "4294967296"] {
            assert_eq!(read(bad).unwrap_err().kind(), "other", "{bad}");
        }
    }
    use crate::credentials::Auth;

    fn creds(sender: &str) -> Credentials {
        Credentials::parse(
            "AC00000000000000000000000000000001",
            Auth::AuthToken("0123456789abcdef0123456789abcdef".into()),
            sender,
        )
        .unwrap()
    }

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn send_request_exact_bytes() {
        let req = send_message_request(
            &creds("+15005550006"),
            "+15551234567",
            "Your ring is ready & shiny: 100%!",
            None,
        );
        assert_eq!(req.method, Method::Post);
        assert_eq!(
            req.url,
            "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json"
        );
        assert_eq!(
            String::from_utf8(req.body).unwrap(),
            "To=%2B15551234567&From=%2B15005550006&Body=Your+ring+is+ready+%26+shiny%3A+100%25%21"
        );
        assert_eq!(
            req.headers,
            vec![
                (
                    "authorization".to_string(),
                    "Basic QUMwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMTowMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg==".to_string()
                ),
                ("accept".to_string(), "application/json".to_string()),
                ("user-agent".to_string(), USER_AGENT.to_string()),
                (
                    "content-type".to_string(),
                    "application/x-www-form-urlencoded".to_string()
                ),
            ]
        );
    }

    #[test]
    fn messaging_service_sender_and_unicode_body() {
        let req = send_message_request(
            &creds("MG00000000000000000000000000000002"),
            "+442079460958",
            "Hé 😀",
            Some("https://pos.example.com/twilio/status?store=7"),
        );
        assert_eq!(
            String::from_utf8(req.body).unwrap(),
            "To=%2B442079460958&MessagingServiceSid=MG00000000000000000000000000000002&Body=H%C3%A9+%F0%9F%98%80\
             &StatusCallback=https%3A%2F%2Fpos.example.com%2Ftwilio%2Fstatus%3Fstore%3D7"
        );
        let req = send_message_request(
            &creds("MG00000000000000000000000000000002"),
            "+442079460958",
            "Hé 😀",
            None,
        );
        assert_eq!(
            String::from_utf8(req.body).unwrap(),
            "To=%2B442079460958&MessagingServiceSid=MG00000000000000000000000000000002&Body=H%C3%A9+%F0%9F%98%80"
        );
    }

    #[test]
    fn account_request() {
        let req = fetch_account_request(&creds("+15005550006"));
        assert_eq!(req.method, Method::Get);
        assert_eq!(
            req.url,
            "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000001.json"
        );
        assert!(req.body.is_empty());
        assert_eq!(req.headers.len(), 3);
    }

    #[test]
    fn parses_message_and_account() {
        let r = parse_send_response(&response(
            201,
            r#"{"sid":"SM0123456789abcdef0123456789abcdef","to":"+15551234567","status":"queued","num_segments":"2","extra":null}"#,
        ))
        .unwrap();
        assert_eq!(
            r,
            Receipt {
                sid: "SM0123456789abcdef0123456789abcdef".into(),
                to: "+15551234567".into(),
                status: "queued".into(),
                segments: 2
            }
        );
        let a = parse_account_response(&response(
            200,
            r#"{"sid":"AC1","friendly_name":"Gems","status":"active","type":"Full","auth_token":"x"}"#,
        ))
        .unwrap();
        assert_eq!(a.friendly_name, "Gems");
        assert_eq!(a.account_type, "Full");
    }

    #[test]
    fn maps_error_codes_to_cases() {
        let err = |status, code: u32| {
            parse_error(&response(
                status,
                &format!(
                    r#"{{"code":{code},"message":"m","more_info":"https://www.twilio.com/docs/errors/{code}","status":{status}}}"#
                ),
            ))
        };
        assert_eq!(err(401, 20003), Error::CredentialsRejected);
        assert_eq!(err(400, 21610), Error::RecipientOptedOut);
        assert_eq!(err(400, 21408), Error::RegionNotPermitted);
        let detail = |code| TwilioError {
            code: Some(code),
            message: "m".into(),
            more_info: Some(format!("https://www.twilio.com/docs/errors/{code}")),
            http_status: 400,
        };
        assert_eq!(err(400, 21612), Error::RecipientUnreachable(detail(21612)));
        assert_eq!(err(400, 21614), Error::RecipientUnreachable(detail(21614)));
        assert_eq!(err(400, 21606), Error::Twilio(detail(21606)));
        assert_eq!(err(400, 21211), Error::Twilio(detail(21211)));
        assert_eq!(err(400, 21211).twilio_code(), Some(21211));
        assert_eq!(err(429, 20429), Error::RateLimited(None));
    }

    #[test]
    fn odd_bodies() {
        let mut r = response(429, "");
        r.headers.push(("Retry-After".into(), " 7".into()));
        assert_eq!(parse_error(&r), Error::RateLimited(Some(7)));
        assert_eq!(
            parse_error(&response(401, "nope")),
            Error::CredentialsRejected
        );
        assert_eq!(
            parse_error(&response(503, "<html>down</html>")),
            Error::Twilio(TwilioError {
                code: None,
                message: "HTTP 503 with a body that is not Twilio's error JSON: <html>down</html>"
                    .into(),
                more_info: None,
                http_status: 503
            })
        );
        assert!(matches!(
            parse_send_response(&response(201, "not json")),
            Err(Error::OutcomeUnknown(_))
        ));
        assert!(matches!(
            parse_account_response(&response(200, "[]")),
            Err(Error::Other(_))
        ));
    }

    #[test]
    fn server_errors_on_a_send_and_unavailable() {
        // Any 5xx but 503 on a send is ambiguous, whatever its body claims.
        for (status, body) in [
            (500, r#"{"code":21610,"message":"m","status":500}"#),
            (502, "<html>bad gateway</html>"),
            (504, ""),
        ] {
            assert_eq!(
                parse_send_response(&response(status, body)),
                Err(Error::OutcomeUnknown(format!(
                    "Twilio answered HTTP {status}, a server error that does not say whether \
                     the message was created"
                )))
            );
        }
        // On the account check a 5xx is Twilio's error as it stands.
        assert_eq!(
            parse_account_response(&response(500, "")),
            Err(Error::Twilio(TwilioError {
                code: None,
                message: "HTTP 500 with an empty body".into(),
                more_info: None,
                http_status: 500
            }))
        );
        // A 503 keeps Twilio's code, message and link, and says nothing was sent.
        let unavailable = Error::Twilio(TwilioError {
            code: Some(20503),
            message: "Twilio is temporarily unavailable and nothing was sent (Down)".into(),
            more_info: Some("https://www.twilio.com/docs/errors/20503".into()),
            http_status: 503,
        });
        let body = r#"{"code":20503,"message":"Down","more_info":"https://www.twilio.com/docs/errors/20503"}"#;
        assert_eq!(
            parse_send_response(&response(503, body)),
            Err(unavailable.clone())
        );
        assert_eq!(
            parse_account_response(&response(503, body)),
            Err(unavailable)
        );
    }

    #[test]
    fn message_fields_default_and_segments_in_either_form() {
        let receipt = |body: &str| parse_send_response(&response(201, body));
        let segments = |body: &str| receipt(body).map(|r| r.segments);
        assert_eq!(
            receipt(r#"{"sid":"SM1"}"#),
            Ok(Receipt {
                sid: "SM1".into(),
                to: String::new(),
                status: String::new(),
                segments: 0
            })
        );
        assert_eq!(segments(r#"{"sid":"SM1","num_segments":3}"#), Ok(3));
        assert_eq!(segments(r#"{"sid":"SM1","num_segments":"3"}"#), Ok(3));
        assert_eq!(segments(r#"{"sid":"SM1","num_segments":null}"#), Ok(0));
        assert_eq!(segments(r#"{"sid":"SM1","num_segments":"many"}"#), Ok(0));
        assert_eq!(
            segments(r#"{"sid":"SM1","num_segments":4294967296}"#),
            Ok(0)
        );
        // A member twice is not a Message (Twilio never repeats one).
        assert_eq!(
            segments(r#"{"sid":"SM1","num_segments":"2","num_segments":"5"}"#),
            Err(Error::OutcomeUnknown(
                "Twilio answered HTTP 201 with a body that is not a Message: duplicate field \
                 `num_segments` at line 1 column 46"
                    .into()
            ))
        );
        // Counts as strings must be digits only.
        assert_eq!(segments(r#"{"sid":"SM1","num_segments":"+3"}"#), Ok(0));
        assert_eq!(segments(r#"{"sid":"SM1","num_segments":" 3"}"#), Ok(0));
        for not_a_message in [
            "",
            "null",
            r#""SM1""#,
            r#"{"to":"+15551234567"}"#,
            r#"{"sid":null}"#,
            r#"{"sid":7}"#,
            r#"{"sid":"SM1","to":null}"#,
            r#"{"sid":"SM1","status":["queued"]}"#,
            r#"{"sid":"SM1","num_segments":1.5}"#,
            r#"{"sid":"SM1","num_segments":-1}"#,
            r#"{"sid":"SM1","num_segments":true}"#,
            r#"{"sid":"SM1"} trailing"#,
            r#"{"sid":"SM1""#,
        ] {
            let r = receipt(not_a_message);
            assert!(
                matches!(r, Err(Error::OutcomeUnknown(_))),
                "{not_a_message}: {r:?}"
            );
        }
        assert_eq!(
            receipt("[]"),
            Err(Error::OutcomeUnknown(
                "Twilio answered HTTP 201 with a body that is not a Message: it is not a JSON object"
                    .into()
            ))
        );
    }

    #[test]
    fn account_fields_default() {
        assert_eq!(
            parse_account_response(&response(200, r#"{"sid":"AC1"}"#)),
            Ok(Account {
                sid: "AC1".into(),
                friendly_name: String::new(),
                status: String::new(),
                account_type: String::new(),
            })
        );
        assert_eq!(
            parse_account_response(&response(200, r#"{"friendly_name":"Gems"}"#)),
            Err(Error::Other(
                "Twilio answered the account check with something that is not an Account \
                 (missing field `sid` at line 1 column 24)"
                    .into()
            ))
        );
        assert!(matches!(
            parse_account_response(&response(200, r#"{"sid":"AC1","type":null}"#)),
            Err(Error::Other(_))
        ));
        assert!(matches!(
            parse_account_response(&response(200, "{\"sid\":\"AC1\"")),
            Err(Error::Other(_))
        ));
    }

    #[test]
    fn error_json_that_does_not_fit_falls_back_to_the_status() {
        let fallback = |status, body: &str| {
            Error::Twilio(TwilioError {
                code: None,
                message: format!(
                    "HTTP {status} with a body that is not Twilio's error JSON: {body}"
                ),
                more_info: None,
                http_status: status,
            })
        };
        for body in [
            r#"{"code":"21610","message":"m"}"#,
            r#"{"code":21610.0,"message":"m"}"#,
            r#"{"code":-1,"message":"m"}"#,
            r#"{"code":21610,"message":5}"#,
            r#"{"code":21610,"more_info":{}}"#,
            r#"[21610]"#,
        ] {
            assert_eq!(
                parse_error(&response(400, body)),
                fallback(400, body),
                "{body}"
            );
        }
        assert_eq!(
            parse_error(&response(
                400,
                r#"{"code":null,"message":null,"more_info":null,"status":400}"#
            )),
            fallback(
                400,
                r#"{"code":null,"message":null,"more_info":null,"status":400}"#
            )
        );
        assert_eq!(
            parse_error(&response(400, r#"{"message":"just a message"}"#)),
            Error::Twilio(TwilioError {
                code: None,
                message: "just a message".into(),
                more_info: None,
                http_status: 400
            })
        );
        assert_eq!(
            parse_error(&response(401, r#"{"code":21610,"message":"m"}"#)),
            Error::RecipientOptedOut
        );
    }

    #[test]
    fn a_redirect_is_an_error_not_followed() {
        let mut r = response(302, "");
        r.headers
            .push(("location".into(), "https://evil.example/".into()));
        assert!(matches!(parse_send_response(&r), Err(Error::Twilio(t)) if t.http_status == 302));
        assert!(matches!(parse_account_response(&r), Err(Error::Twilio(_))));
    }

    proptest::proptest! {
        /// Whatever comes back, parsing answers with a value: no panic reaches the host.
        #[test]
        fn any_answer_parses_without_panic(
            status in 100u16..1000,
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
            retry in proptest::option::of(".{0,12}"),
        ) {
            let mut r = response(status, "");
            r.body = body;
            if let Some(v) = retry {
                r.headers.push(("retry-after".into(), v));
            }
            let _ = parse_send_response(&r);
            let _ = parse_account_response(&r);
            let e = parse_error(&r);
            proptest::prop_assert!(!e.to_string().is_empty());
        }

        /// Twilio-shaped error bodies with any code and message map to an error case.
        #[test]
        fn any_error_json_maps(code in proptest::prelude::any::<u32>(), message in ".{0,40}", status in 400u16..600) {
            let body = serde_json::json!({"code": code, "message": message}).to_string();
            let e = parse_error(&response(status, &body));
            proptest::prop_assert!(!e.kind().is_empty());
        }
    }
}
