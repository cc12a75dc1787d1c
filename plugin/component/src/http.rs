//! The only file that performs I/O: one [`HttpRequest`] through the host's
//! `wasi:http/outgoing-handler`, with a failure sorted by what it means for a retry.
//!
//! It uses the `wasip2` bindings directly rather than waki, because the plugin must tell "the
//! request never left" (safe to send again) from "it left and no answer came" (check before
//! sending again), and wasi:http says which in its `error-code`. waki 0.5.1 hides that:
//! `Request::send` writes the body before it looks at the response, and returns the first
//! write failure as an untyped `anyhow` error ("outgoing request write failed"). A host that
//! stops reading a refused or failed request's body (as wasi:http allows) then yields no
//! error code at all; here a failed write is ignored and the reason is taken from the
//! response future. waki also sets only the connect timeout, not the first-byte and
//! between-bytes ones. See the README ("Deviations from the design card").

use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, IncomingBody, Method as WasiMethod, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme,
};
use wasip2::io::streams::StreamError;

use sms_core::service::TransportError;
use sms_core::twilio::{HttpRequest, HttpResponse, Method};

/// Twilio's answers are a few KB; anything past this is not Twilio.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// Timeouts asked of the host, in nanoseconds: connecting, the first byte of the answer, and
/// between bytes. The host may shorten them.
const CONNECT_TIMEOUT_NS: u64 = 10_000_000_000;
const FIRST_BYTE_TIMEOUT_NS: u64 = 30_000_000_000;
const BETWEEN_BYTES_TIMEOUT_NS: u64 = 30_000_000_000;
/// The most a blocking write may pass at once.
const WRITE_CHUNK: usize = 4096;

/// Performs `request` through the host's `wasi:http/outgoing-handler`.
pub fn perform(request: &HttpRequest) -> Result<HttpResponse, TransportError> {
    let (scheme, rest) = match request.url.split_once("://") {
        Some(("https", rest)) => (Scheme::Https, rest),
        Some(("http", rest)) => (Scheme::Http, rest),
        _ => return Err(not_built(request, "the URL has no http(s) scheme")),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let origin = &request.url[..request.url.len() - path.len()];

    let entries: Vec<(String, Vec<u8>)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), value.as_bytes().to_vec()))
        .collect();
    let headers = Fields::from_list(&entries).map_err(|e| not_built(request, &format!("{e:?}")))?;
    let outgoing = OutgoingRequest::new(headers);
    let method = match request.method {
        Method::Get => WasiMethod::Get,
        Method::Post => WasiMethod::Post,
    };
    outgoing
        .set_method(&method)
        .and_then(|()| outgoing.set_scheme(Some(&scheme)))
        .and_then(|()| outgoing.set_authority(Some(authority)))
        .and_then(|()| outgoing.set_path_with_query(Some(path)))
        .map_err(|()| not_built(request, "the host refused the request's parts"))?;
    let options = RequestOptions::new();
    // A host that does not support a timeout keeps its own; that is not an error.
    let _ = options.set_connect_timeout(Some(CONNECT_TIMEOUT_NS));
    let _ = options.set_first_byte_timeout(Some(FIRST_BYTE_TIMEOUT_NS));
    let _ = options.set_between_bytes_timeout(Some(BETWEEN_BYTES_TIMEOUT_NS));
    let body = outgoing
        .body()
        .map_err(|()| not_built(request, "the request body could not be opened"))?;

    let future = outgoing_handler::handle(outgoing, Some(options))
        .map_err(|code| classify(&code, origin))?;

    // Write the body. If the host stops reading (it refused the request, or the connection
    // failed), the write fails; the reason comes from the response future below.
    if let Ok(stream) = body.write() {
        for chunk in request.body.chunks(WRITE_CHUNK) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                break;
            }
        }
    }
    let _ = OutgoingBody::finish(body, None);

    let response = loop {
        match future.get() {
            Some(Ok(Ok(response))) => break response,
            Some(Ok(Err(code))) => return Err(classify(&code, origin)),
            Some(Err(())) => {
                return Err(TransportError::NoAnswer(
                    "the answer was already taken".into(),
                ));
            }
            None => future.subscribe().block(),
        }
    };

    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| {
            (
                name.to_ascii_lowercase(),
                String::from_utf8_lossy(&value).into_owned(),
            )
        })
        .collect();
    let incoming = response
        .consume()
        .map_err(|()| TransportError::NoAnswer("the answer's body could not be read".into()))?;
    let body = read_body(&incoming)?;
    let _ = IncomingBody::finish(incoming);
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// Reads a response body whole, refusing one larger than [`MAX_RESPONSE_BYTES`].
fn read_body(incoming: &IncomingBody) -> Result<Vec<u8>, TransportError> {
    let stream = incoming
        .stream()
        .map_err(|()| TransportError::NoAnswer("the answer's body could not be read".into()))?;
    let mut body = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_RESPONSE_BYTES {
                    return Err(TransportError::NoAnswer(format!(
                        "the answer was larger than {MAX_RESPONSE_BYTES} bytes"
                    )));
                }
            }
            Err(StreamError::Closed) => return Ok(body),
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(TransportError::NoAnswer(format!(
                    "the answer was cut off: {}",
                    e.to_debug_string()
                )));
            }
        }
    }
}

/// The request could not even be put together: nothing left the plugin.
fn not_built(request: &HttpRequest, why: &str) -> TransportError {
    TransportError::NotSent(format!("{}: {why}", request.url))
}

/// Sorts a wasi:http error by whether the request can have reached the server, in words a
/// store can pass on to whoever looks after its network.
fn classify(code: &ErrorCode, origin: &str) -> TransportError {
    let not_sent = |what: &str| TransportError::NotSent(format!("{origin}: {what}"));
    match code {
        ErrorCode::HttpRequestDenied => TransportError::Denied(origin.to_string()),
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
        ErrorCode::HttpRequestUriInvalid
        | ErrorCode::HttpRequestMethodInvalid
        | ErrorCode::ConfigurationError => not_sent("the request could not be made"),
        ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
            TransportError::NoAnswer("Twilio did not answer in time".into())
        }
        ErrorCode::ConnectionTerminated | ErrorCode::HttpResponseIncomplete => {
            TransportError::NoAnswer("the connection closed before Twilio answered".into())
        }
        _ => TransportError::NoAnswer("the answer could not be read".into()),
    }
}
