//! The only file that performs I/O: one [`HttpRequest`] through wasi:http (via `waki`), with
//! the failure sorted by what it means for a retry.

use std::time::Duration;

use waki::header::HeaderName;
use waki::{Client, ErrorCode};

use crate::core::service::TransportError;
use crate::core::twilio::{HttpRequest, HttpResponse, Method};

/// Twilio's answers are a few KB; anything past this is not Twilio.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// How long to wait for a connection to Twilio.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Performs `request` through the host's `wasi:http/outgoing-handler`.
pub fn perform(request: &HttpRequest) -> Result<HttpResponse, TransportError> {
    let client = Client::new();
    let builder = match request.method {
        Method::Get => client.get(&request.url),
        Method::Post => client.post(&request.url),
    }
    .connect_timeout(CONNECT_TIMEOUT);
    let mut builder = builder;
    for (name, value) in &request.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| TransportError::NotSent(format!("header {name:?}: {e}")))?;
        builder = builder.header(name, value.as_str());
    }
    let builder = if request.body.is_empty() {
        builder
    } else {
        builder.body(request.body.clone())
    };
    let response = builder
        .send()
        .map_err(|e| match e.downcast_ref::<ErrorCode>() {
            Some(code) => classify(code, &request.url),
            // waki fails this way only before the request is complete (building it, or writing
            // its body), so the server cannot have acted on it.
            None => TransportError::NotSent(e.to_string()),
        })?;
    let status = response.status_code();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    loop {
        match response.chunk(64 * 1024) {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_RESPONSE_BYTES {
                    return Err(TransportError::NoAnswer(format!(
                        "the answer was larger than {MAX_RESPONSE_BYTES} bytes"
                    )));
                }
            }
            Ok(None) => break,
            Err(e) => {
                return Err(TransportError::NoAnswer(format!(
                    "the answer was cut off: {e}"
                )));
            }
        }
    }
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// Sorts a wasi:http error by whether the request can have reached the server, in words a
/// store can pass on to whoever looks after its network.
fn classify(code: &ErrorCode, url: &str) -> TransportError {
    let origin = url.split('/').take(3).collect::<Vec<_>>().join("/");
    let not_sent = |what: &str| TransportError::NotSent(format!("{origin}: {what}"));
    match code {
        ErrorCode::HttpRequestDenied => TransportError::Denied(origin),
        ErrorCode::DnsTimeout | ErrorCode::DnsError(_) | ErrorCode::DestinationNotFound => {
            not_sent("the address could not be looked up")
        }
        ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpProhibited
        | ErrorCode::DestinationIpUnroutable => not_sent("the server is unreachable"),
        ErrorCode::ConnectionRefused => not_sent("the connection was refused"),
        ErrorCode::ConnectionTimeout => not_sent("the connection timed out"),
        ErrorCode::ConnectionLimitReached => not_sent("too many open connections"),
        ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError
        | ErrorCode::TlsAlertReceived(_) => not_sent("a secure connection could not be made"),
        ErrorCode::HttpRequestUriInvalid | ErrorCode::ConfigurationError => {
            not_sent("the request could not be made")
        }
        ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
            TransportError::NoAnswer("Twilio did not answer in time".into())
        }
        ErrorCode::ConnectionTerminated | ErrorCode::HttpResponseIncomplete => {
            TransportError::NoAnswer("the connection closed before Twilio answered".into())
        }
        other => TransportError::NoAnswer(format!("the answer could not be read: {other:?}")),
    }
}
