//! Twilio's 2010-04-01 REST API without I/O: requests as plain values, responses parsed into
//! receipts, accounts or [`Error`]s.
//!
//! The plugin always addresses `https://api.twilio.com`. Tests and demos point the host at a
//! fake, and the host rewrites the destination, so these bytes are the production bytes.

use serde::Deserialize;

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
/// `MessagingServiceSid`) and `Body`, form-encoded. `to` must already be E.164.
pub fn send_message_request(credentials: &Credentials, to: &str, body: &str) -> HttpRequest {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("To", to);
    match &credentials.sender {
        Sender::Number(from) => form.append_pair("From", from),
        Sender::MessagingService(sid) => form.append_pair("MessagingServiceSid", sid),
    };
    form.append_pair("Body", body);
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

/// The parts of Twilio's Account resource the plugin uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    /// `AC…`
    pub sid: String,
    /// The account's name in Twilio.
    #[serde(default)]
    pub friendly_name: String,
    /// `active`, `suspended` or `closed`.
    #[serde(default)]
    pub status: String,
    /// `Trial` or `Full`.
    #[serde(default, rename = "type")]
    pub account_type: String,
}

/// Twilio's first answer to a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// `SM…`
    pub sid: String,
    /// The recipient.
    pub to: String,
    /// `queued`, `accepted`, …
    pub status: String,
    /// Twilio's `num_segments`.
    pub segments: u32,
}

#[derive(Deserialize)]
struct MessageJson {
    sid: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    num_segments: Option<StringOrNumber>,
}

/// Twilio sends several numbers as strings (`"num_segments": "1"`); accept either.
#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrNumber {
    String(String),
    Number(u64),
}

impl StringOrNumber {
    fn as_u32(&self) -> Option<u32> {
        match self {
            StringOrNumber::String(s) => s.trim().parse().ok(),
            StringOrNumber::Number(n) => u32::try_from(*n).ok(),
        }
    }
}

#[derive(Deserialize)]
struct ErrorJson {
    code: Option<u32>,
    message: Option<String>,
    more_info: Option<String>,
}

/// Parses the answer to [`fetch_account_request`].
pub fn parse_account_response(response: &HttpResponse) -> Result<Account, Error> {
    if response.status != 200 {
        return Err(parse_error(response));
    }
    serde_json::from_slice(&response.body).map_err(|e| {
        Error::Other(format!(
            "Twilio answered the account check with something that is not an Account ({e})"
        ))
    })
}

/// Parses the answer to [`send_message_request`]. A success status whose body is not a
/// Message means the message was probably created: that is reported as outcome-unknown, so
/// nobody sends it twice.
pub fn parse_send_response(response: &HttpResponse) -> Result<Receipt, Error> {
    if !(200..300).contains(&response.status) {
        return Err(parse_error(response));
    }
    let message: MessageJson = serde_json::from_slice(&response.body).map_err(|e| {
        Error::OutcomeUnknown(format!(
            "Twilio answered HTTP {} with a body that is not a Message: {e}",
            response.status
        ))
    })?;
    Ok(Receipt {
        segments: message
            .num_segments
            .as_ref()
            .and_then(StringOrNumber::as_u32)
            .unwrap_or(0),
        sid: message.sid,
        to: message.to,
        status: message.status,
    })
}

/// Turns a non-success response into the most specific [`Error`] its status and code allow.
pub fn parse_error(response: &HttpResponse) -> Error {
    let parsed: Option<ErrorJson> = serde_json::from_slice(&response.body).ok();
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
        (_, Some(21211)) => Error::InvalidPhone(format!("Twilio says: {}", detail.message)),
        _ => Error::Twilio(detail),
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by Twilio).
fn retry_after(response: &HttpResponse) -> Option<u32> {
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
    use crate::core::credentials::Auth;

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
        assert_eq!(
            err(400, 21211),
            Error::InvalidPhone("Twilio says: m".into())
        );
        let detail = |code| TwilioError {
            code: Some(code),
            message: "m".into(),
            more_info: Some(format!("https://www.twilio.com/docs/errors/{code}")),
            http_status: 400,
        };
        assert_eq!(err(400, 21612), Error::RecipientUnreachable(detail(21612)));
        assert_eq!(err(400, 21614), Error::RecipientUnreachable(detail(21614)));
        assert_eq!(err(400, 21606), Error::Twilio(detail(21606)));
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
}
