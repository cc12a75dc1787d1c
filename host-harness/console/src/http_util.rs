//! Answers, each with the console's security headers.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http_body_util::Full;
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

/// The page's scripts and styles come from the console's own files only: no inline script,
/// no inline style, no framing, no form posts elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// How an answer may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// Never stored (the API, the page).
    NoStore,
    /// Stored, but checked again before each use (the page's scripts and styles).
    Revalidate,
}

/// An answer with `body`, of `content_type`, and the security headers.
pub fn respond(
    status: StatusCode,
    content_type: &'static str,
    cache: Cache,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let fixed = |v: &'static str| HeaderValue::from_static(v);
    headers.insert(header::CONTENT_TYPE, fixed(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        fixed(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, fixed("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, fixed("DENY"));
    headers.insert(header::REFERRER_POLICY, fixed("no-referrer"));
    headers.insert(
        header::CACHE_CONTROL,
        fixed(match cache {
            Cache::NoStore => "no-store",
            Cache::Revalidate => "no-cache",
        }),
    );
    response
}

/// A JSON answer (never stored).
pub fn json_answer(status: StatusCode, value: &Value) -> Response<Full<Bytes>> {
    respond(
        status,
        "application/json",
        Cache::NoStore,
        value.to_string(),
    )
}

/// An API error: `{"error": {"kind", "message", "field", "twilio_code"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The plugin's WIT case name (`recipient-unreachable`), or the console's own
    /// (`bad-request`, `unauthorized`, `forbidden`, `not-found`, `host`, …).
    pub kind: String,
    /// The sentence for staff.
    pub message: String,
    /// The request's field the sentence belongs beside.
    pub field: Option<&'static str>,
    /// Twilio's error code, when there is one.
    pub twilio_code: Option<u32>,
}

impl ApiError {
    /// An error of the console's own.
    pub fn new(status: StatusCode, kind: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind: kind.into(),
            message: message.into(),
            field: None,
            twilio_code: None,
        }
    }

    /// A request the console cannot read (400).
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-request", message)
    }

    /// Says which field the sentence belongs beside.
    pub fn at(mut self, field: &'static str) -> ApiError {
        self.field = Some(field);
        self
    }

    /// The JSON answer.
    pub fn answer(&self) -> Response<Full<Bytes>> {
        json_answer(
            self.status,
            &json!({"error": {
                "kind": self.kind,
                "message": self.message,
                "field": self.field,
                "twilio_code": self.twilio_code,
            }}),
        )
    }
}
