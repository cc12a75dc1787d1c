//! A fake Twilio REST API (2010-04-01 Messages and Accounts) for tests and the CLI demo.
//!
//! [`FakeTwilio`] is a small HTTP/1.1 server (hyper on tokio) that answers the two calls the
//! SMS plugin makes, shaped like the real `api.twilio.com`:
//!
//! * `GET /2010-04-01/Accounts/{AccountSid}.json` — the Account resource (credential check).
//! * `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` — form-encoded send; answers
//!   `201` with a Message resource, or a Twilio error JSON
//!   (`{"code", "message", "more_info", "status"}`) with the matching HTTP status.
//!
//! It checks HTTP Basic auth (Account SID + Auth Token, or any configured API key pair),
//! validates `To`/`From`/`MessagingServiceSid`/`Body` like Twilio does, and honours the
//! magic numbers of Twilio's test credentials (`+15005550001` … `+15005550009`), so every
//! synchronous error path of a client can be exercised without a network. Request bodies
//! may be `Content-Length` or chunked framed (the wasm client uses chunked) and are capped
//! at 64 KiB (`413` above that).
//!
//! Nothing is ever delivered, but a send that names a `StatusCallback` URL gets Twilio's
//! callbacks there, signed with `X-Twilio-Signature`: `sent`, then `delivered` (or
//! `undelivered` with error 30006 for [`UNDELIVERABLE_TO`]). [`FakeTwilio::callbacks`] lists
//! what was posted and how the URL answered. The signature is computed here with hmac and
//! sha1 directly, independently of the plugin's verifier.
//!
//! # Use in tests
//!
//! ```ignore
//! let fake = FakeTwilio::start(FakeConfig::new(SID, TOKEN), "127.0.0.1:0".parse()?).await?;
//! // point the client at fake.base_url() instead of https://api.twilio.com
//! // ... exercise the client ...
//! assert_eq!(fake.messages()[0]["to"], "+15558675310");
//! assert_eq!(fake.requests()[0].method, "POST");
//! fake.shutdown().await;
//! ```
//!
//! [`FakeTwilio::requests`] returns every request received (raw de-chunked body included),
//! [`FakeTwilio::messages`] the Message resources created. Bind to port 0 for an ephemeral
//! port; the server runs on the caller's tokio runtime and stops on
//! [`FakeTwilio::shutdown`] or on drop.
//!
//! # Faults
//!
//! [`FakeTwilio::push_faults`] queues misbehaviours ([`Fault`]) for the next Accounts/Messages
//! requests that pass authentication: each fault answers one such request instead of the
//! normal handling (no Message is created), and once the queue is empty the fake answers
//! normally again. Requests with bad credentials or unknown paths are answered as usual and
//! leave the queue alone. Every request is recorded, faulted or not. An unreachable Twilio
//! (connection refused) is simulated by shutting the fake down.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::header::{
    ALLOW, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE,
};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// Largest request body accepted; larger bodies get `413`.
const MAX_BODY: usize = 64 * 1024;
/// How much of an oversized body is read (and discarded) before answering `413`, so the
/// connection can close cleanly instead of with a reset.
const MAX_DRAIN: usize = 4 * 1024 * 1024;
/// Longest message body Twilio accepts (error 21617 above it).
const MAX_BODY_CHARS: usize = 1600;
const API_PREFIX: &str = "/2010-04-01/Accounts/";
/// Fixed creation/update date of the fake Account resource.
const ACCOUNT_DATE: &str = "Fri, 01 Mar 2024 09:30:00 +0000";
/// Size of a [`Fault::HugeBody`] answer.
const HUGE_BODY: usize = 2 * 1024 * 1024;
/// How long a [`Fault::CloseMidResponse`] answer waits after its partial body (so that it is
/// flushed to the client) before the connection is closed.
const CUT_PAUSE: Duration = Duration::from_millis(50);

/// A misbehaviour for one request; see [`FakeTwilio::push_faults`]. "Success status" below
/// means `201` for a Messages request and `200` for an Account request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// This status with Twilio-style error JSON whose `code` and `more_info` are `null` and
    /// whose `message` is the status's reason phrase. A status below 200 or above 999 is
    /// answered as 500.
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// `429` with Twilio's error 20429, and `Retry-After: <seconds>` when `Some`.
    TooManyRequests {
        /// The `Retry-After` header, in seconds.
        retry_after: Option<u32>,
    },
    /// `503` with error JSON whose `code` is `null`, and `Retry-After: <seconds>` when `Some`.
    ServiceUnavailable {
        /// The `Retry-After` header, in seconds.
        retry_after: Option<u32>,
    },
    /// The success status with an HTML page as the body (`Content-Type: text/html`).
    NotJson,
    /// `400` with Twilio-style error JSON carrying code 29999, which no client knows.
    UnknownCode,
    /// The success status with a 2 MiB body that starts like a Message resource.
    HugeBody,
    /// The request is read and recorded but never answered; the connection stays open until
    /// the client gives up or the fake shuts down.
    Stall,
    /// The success status and headers with a `Content-Length`, half of a Message resource's
    /// JSON, then the connection closes.
    CloseMidResponse,
}

/// Configuration of a [`FakeTwilio`].
#[derive(Clone)]
pub struct FakeConfig {
    /// The only Account SID the fake knows (`AC` + 32 hex in real life; not checked).
    pub account_sid: String,
    /// Auth Token accepted as Basic-auth password together with `account_sid`.
    pub auth_token: String,
    /// `(API key SID, secret)` pairs also accepted for Basic auth.
    pub api_keys: Vec<(String, String)>,
    /// `friendly_name` of the Account resource.
    pub friendly_name: String,
    /// `type` of the Account resource (`"Full"` or `"Trial"`).
    pub account_type: String,
}

impl FakeConfig {
    /// A config for one account: friendly name "JewelTrak Demo Store", type "Full", no API
    /// keys.
    pub fn new(account_sid: impl Into<String>, auth_token: impl Into<String>) -> Self {
        FakeConfig {
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            api_keys: Vec::new(),
            friendly_name: "JewelTrak Demo Store".to_owned(),
            account_type: "Full".to_owned(),
        }
    }
}

impl fmt::Debug for FakeConfig {
    // Secrets are redacted so a config can be logged safely.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key_sids: Vec<&str> = self.api_keys.iter().map(|(sid, _)| sid.as_str()).collect();
        f.debug_struct("FakeConfig")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("api_keys", &key_sids)
            .field("friendly_name", &self.friendly_name)
            .field("account_type", &self.account_type)
            .finish_non_exhaustive()
    }
}

/// One HTTP request as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Request method, e.g. `"POST"`.
    pub method: String,
    /// Path plus query string, as received.
    pub path: String,
    /// Header names (lowercase) and values. Order is arrival order, except that repeated
    /// headers are grouped under the first occurrence of their name.
    pub headers: Vec<(String, String)>,
    /// Raw body after de-chunking (for a `413`, only the first 64 KiB).
    pub body: Vec<u8>,
}

/// A running fake Twilio server. See the module docs.
pub struct FakeTwilio {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for FakeTwilio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeTwilio")
            .field("addr", &self.addr)
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl FakeTwilio {
    /// Binds `addr` (port 0 picks an ephemeral port) and spawns the accept loop on the
    /// current tokio runtime.
    pub async fn start(config: FakeConfig, addr: SocketAddr) -> std::io::Result<FakeTwilio> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config,
            requests: Mutex::new(Vec::new()),
            messages: Mutex::new(Vec::new()),
            faults: Mutex::new(VecDeque::new()),
            callbacks: Arc::new(Mutex::new(Vec::new())),
        });
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared), stop_rx));
        Ok(FakeTwilio {
            addr,
            shared,
            stop: Some(stop_tx),
            task: Some(task),
        })
    }

    /// The bound address (with the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL to use instead of `https://api.twilio.com`, e.g. `http://127.0.0.1:40123`.
    /// A wildcard bind address is reported as the loopback address.
    pub fn base_url(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Every Message resource created (answered `201`) so far, in order.
    pub fn messages(&self) -> Vec<Value> {
        lock(&self.shared.messages).clone()
    }

    /// The status callbacks posted so far, in order.
    pub fn callbacks(&self) -> Vec<CallbackOutcome> {
        lock(&self.shared.callbacks).clone()
    }

    /// Queues `faults` (after any already queued) for the next authenticated Accounts or
    /// Messages requests, one request each; see the module docs.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        lock(&self.shared.faults).extend(faults);
    }

    /// How many queued faults have not answered a request yet.
    pub fn pending_faults(&self) -> usize {
        lock(&self.shared.faults).len()
    }

    /// Stops accepting, closes open connections and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeTwilio {
    fn drop(&mut self) {
        // Aborting the accept loop also drops its JoinSet, which aborts every connection.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

struct Shared {
    config: FakeConfig,
    requests: Mutex<Vec<RecordedRequest>>,
    messages: Mutex<Vec<Value>>,
    faults: Mutex<VecDeque<Fault>>,
    callbacks: Arc<Mutex<Vec<CallbackOutcome>>>,
}

/// A status callback the fake posted to a message's `StatusCallback`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackOutcome {
    /// The message.
    pub message_sid: String,
    /// The status it reported.
    pub status: String,
    /// The HTTP status the receiver answered, or why the post failed.
    pub answer: Result<u16, String>,
}

/// A recipient the fake reports as undelivered (30006, landline) in its status callbacks;
/// every other message is reported sent, then delivered.
pub const UNDELIVERABLE_TO: &str = "+15005550011";

impl Shared {
    fn clone_for_callbacks(&self) -> CallbackSink {
        CallbackSink {
            auth_token: self.config.auth_token.clone(),
            callbacks: self.callbacks.clone(),
        }
    }
}

/// Locks ignoring poisoning: the data are plain records, valid even after a panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            // Fires on an explicit stop and when the FakeTwilio is gone.
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&shared)));
                }
                // E.g. EMFILE: back off instead of spinning or giving up.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            // Reap finished connections (a panicking one only ends itself).
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let service = service_fn(move |request| handle(Arc::clone(&shared), request));
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

enum BodyStatus {
    Complete,
    TooLarge,
    Broken,
}

/// Reads the whole (de-chunked) body, keeping at most [`MAX_BODY`] bytes.
async fn read_body(mut body: Incoming) -> (Vec<u8>, BodyStatus) {
    let mut data = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return (data, BodyStatus::Broken);
        };
        if let Ok(chunk) = frame.into_data() {
            seen = seen.saturating_add(chunk.len());
            if seen <= MAX_BODY {
                data.extend_from_slice(&chunk);
            } else {
                let room = MAX_BODY.saturating_sub(data.len());
                data.extend_from_slice(&chunk[..room.min(chunk.len())]);
                if seen > MAX_DRAIN {
                    return (data, BodyStatus::TooLarge);
                }
            }
        }
    }
    let status = if seen > MAX_BODY {
        BodyStatus::TooLarge
    } else {
        BodyStatus::Complete
    };
    (data, status)
}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<AnswerBody>, Infallible> {
    let (parts, body) = request.into_parts();
    let (body, body_status) = read_body(body).await;
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let recorded = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: path_and_query,
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_ascii_lowercase(), value)
            })
            .collect(),
        body: body.clone(),
    };
    lock(&shared.requests).push(recorded);
    let fault = route(parts.uri.path())
        .filter(|_| authorized(&shared.config, &parts.headers))
        .and_then(|resource| Some((lock(&shared.faults).pop_front()?, resource)));
    if let Some((fault, resource)) = fault {
        return match fault_response(&fault, resource) {
            Some(response) => Ok(response),
            // Never answers: dropped when the client goes away or the fake shuts down.
            None => std::future::pending().await,
        };
    }
    Ok(respond(
        &shared,
        &parts.method,
        parts.uri.path(),
        &parts.headers,
        &body,
        &body_status,
    )
    .map(AnswerBody::Whole))
}

/// The answer a [`Fault`] gives; `None` for [`Fault::Stall`], which gives none.
fn fault_response(fault: &Fault, resource: Resource<'_>) -> Option<Response<AnswerBody>> {
    let success = match resource {
        Resource::Account(_) => StatusCode::OK,
        Resource::Messages(_) => StatusCode::CREATED,
    };
    let with_retry_after = |mut response: Response<Full<Bytes>>, retry_after: &Option<u32>| {
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(*seconds));
        }
        response
    };
    let whole = match fault {
        Fault::Status { status } => {
            let status = StatusCode::from_u16(*status)
                .ok()
                .filter(|s| !s.is_informational())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            null_code_error(status)
        }
        Fault::TooManyRequests { retry_after } => with_retry_after(
            twilio_error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests"),
            retry_after,
        ),
        Fault::ServiceUnavailable { retry_after } => with_retry_after(
            null_code_error(StatusCode::SERVICE_UNAVAILABLE),
            retry_after,
        ),
        Fault::NotJson => {
            let mut response = Response::new(Full::new(Bytes::from_static(
                b"<!DOCTYPE html>\n<html><head><title>Welcome</title></head>\
                  <body><h1>It works!</h1></body></html>\n",
            )));
            *response.status_mut() = success;
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            response
        }
        Fault::UnknownCode => twilio_error(
            StatusCode::BAD_REQUEST,
            29999,
            "Something went wrong that no client has seen before.",
        ),
        Fault::HugeBody => {
            let head =
                br#"{"sid":"SM00000000000000000000000000000000","status":"queued","padding":""#;
            let mut body = head.to_vec();
            body.resize(HUGE_BODY - 2, b'x');
            body.extend_from_slice(b"\"}");
            let mut response = Response::new(Full::new(Bytes::from(body)));
            *response.status_mut() = success;
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Fault::CloseMidResponse => {
            let message = json!({
                "sid": "SM00000000000000000000000000000000",
                "status": "queued",
                "num_segments": "1",
            })
            .to_string();
            let half = Bytes::from(message.as_bytes()[..message.len() / 2].to_vec());
            let mut response = Response::new(AnswerBody::Cut {
                part: Some(half),
                pause: Box::pin(tokio::time::sleep(CUT_PAUSE)),
            });
            *response.status_mut() = success;
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            headers.insert(CONTENT_LENGTH, HeaderValue::from(message.len()));
            return Some(response);
        }
        Fault::Stall => return None,
    };
    Some(whole.map(AnswerBody::Whole))
}

/// Twilio-style error JSON with `code` and `more_info` `null`.
fn null_code_error(status: StatusCode) -> Response<Full<Bytes>> {
    let body = json!({
        "code": null,
        "message": status.canonical_reason().unwrap_or("Error"),
        "more_info": null,
        "status": status.as_u16(),
    });
    json_response(status, &body)
}

/// An answer's body: whole, or a part followed by a broken connection
/// ([`Fault::CloseMidResponse`]).
enum AnswerBody {
    Whole(Full<Bytes>),
    Cut {
        /// Sent first.
        part: Option<Bytes>,
        /// Waited for after the part; then the body fails and hyper closes the connection.
        pause: Pin<Box<tokio::time::Sleep>>,
    },
}

impl Body for AnswerBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            AnswerBody::Whole(full) => Pin::new(full)
                .poll_frame(cx)
                .map_err(|never| match never {}),
            AnswerBody::Cut { part, pause } => {
                if let Some(part) = part.take() {
                    return Poll::Ready(Some(Ok(Frame::data(part))));
                }
                ready!(pause.as_mut().poll(cx));
                Poll::Ready(Some(Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "fault: the connection closes mid-response",
                ))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            AnswerBody::Whole(full) => full.is_end_stream(),
            AnswerBody::Cut { .. } => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            AnswerBody::Whole(full) => full.size_hint(),
            // Unknown, so hyper frames the body by the Content-Length header.
            AnswerBody::Cut { .. } => SizeHint::default(),
        }
    }
}

#[derive(Clone, Copy)]
enum Resource<'a> {
    Account(&'a str),
    Messages(&'a str),
}

fn route(path: &str) -> Option<Resource<'_>> {
    let rest = path.strip_prefix(API_PREFIX)?;
    let (resource, sid) = if let Some(sid) = rest.strip_suffix("/Messages.json") {
        (Resource::Messages(sid), sid)
    } else {
        let sid = rest.strip_suffix(".json")?;
        (Resource::Account(sid), sid)
    };
    (!sid.is_empty() && !sid.contains('/')).then_some(resource)
}

fn respond(
    shared: &Shared,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
    body_status: &BodyStatus,
) -> Response<Full<Bytes>> {
    let config = &shared.config;
    let Some(resource) = route(path) else {
        return not_found(path);
    };
    if !authorized(config, headers) {
        let mut response = twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Twilio API\""),
        );
        return response;
    }
    let (allowed, sid) = match resource {
        Resource::Account(sid) => (Method::GET, sid),
        Resource::Messages(sid) => (Method::POST, sid),
    };
    if method != allowed {
        let mut response =
            twilio_error(StatusCode::METHOD_NOT_ALLOWED, 20004, "Method not allowed");
        let allow = if allowed == Method::GET {
            "GET"
        } else {
            "POST"
        };
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static(allow));
        return response;
    }
    match body_status {
        BodyStatus::Complete => {}
        BodyStatus::TooLarge => {
            return twilio_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                413,
                "Request body exceeds the 65536 byte limit.",
            );
        }
        BodyStatus::Broken => {
            return twilio_error(
                StatusCode::BAD_REQUEST,
                400,
                "The request body could not be read.",
            );
        }
    }
    if sid != config.account_sid {
        return not_found(path);
    }
    match resource {
        Resource::Account(_) => json_response(StatusCode::OK, &account_json(config)),
        Resource::Messages(_) => create_message(shared, headers, body),
    }
}

fn authorized(config: &FakeConfig, headers: &HeaderMap) -> bool {
    let Some(credentials) = basic_credentials(headers) else {
        return false;
    };
    let Some((user, password)) = credentials.split_once(':') else {
        return false;
    };
    (user == config.account_sid && password == config.auth_token)
        || config
            .api_keys
            .iter()
            .any(|(sid, secret)| user == sid && password == secret)
}

/// The decoded `user:password` of a Basic `Authorization` header.
fn basic_credentials(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    String::from_utf8(decoded).ok()
}

fn account_json(config: &FakeConfig) -> Value {
    let sid = &config.account_sid;
    let base = format!("{API_PREFIX}{sid}");
    json!({
        "sid": sid,
        "friendly_name": config.friendly_name,
        "status": "active",
        "type": config.account_type,
        "owner_account_sid": sid,
        "date_created": ACCOUNT_DATE,
        "date_updated": ACCOUNT_DATE,
        "uri": format!("{base}.json"),
        "subresource_uris": {
            "messages": format!("{base}/Messages.json"),
            "incoming_phone_numbers": format!("{base}/IncomingPhoneNumbers.json"),
            "balance": format!("{base}/Balance.json"),
        },
    })
}

fn create_message(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Response<Full<Bytes>> {
    let config = &shared.config;
    if !is_form_content_type(headers) {
        return twilio_error(
            StatusCode::BAD_REQUEST,
            20001,
            "Content-Type must be application/x-www-form-urlencoded.",
        );
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    // The first occurrence of a field wins; an empty value counts as absent.
    let field = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    };
    let from = field("From");
    let service = field("MessagingServiceSid");
    let to = field("To");
    let text = field("Body");

    let bad = |code, message: &str| twilio_error(StatusCode::BAD_REQUEST, code, message);

    // Sender first, as Twilio's test credentials do.
    if from.is_none() && service.is_none() {
        return bad(21603, "A 'From' phone number is required.");
    }
    if let Some(service) = service
        && !is_sid(service, "MG")
    {
        return bad(21705, "The Messaging Service is invalid.");
    }
    match from {
        Some("+15005550001") => {
            return bad(
                21212,
                "The 'From' number is not a valid phone number, shortcode, or alphanumeric sender ID.",
            );
        }
        Some("+15005550007") => {
            return bad(
                21606,
                "The 'From' phone number provided is not a valid, message-capable Twilio phone number for this destination/account.",
            );
        }
        _ => {}
    }

    let Some(to) = to else {
        return bad(21604, "A 'To' phone number is required.");
    };
    let invalid_to = || {
        bad(
            21211,
            &format!("The 'To' number {to} is not a valid phone number."),
        )
    };
    match to {
        "+15005550001" => return invalid_to(),
        "+15005550002" => {
            return bad(
                21612,
                "The 'To' phone number is not currently reachable via SMS.",
            );
        }
        "+15005550003" => {
            return bad(
                21408,
                "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
            );
        }
        "+15005550004" => return bad(21610, "Attempt to send to unsubscribed recipient"),
        "+15005550009" => return bad(21614, "'To' number is not a valid mobile number"),
        _ if !is_e164(to) => return invalid_to(),
        _ => {}
    }

    let Some(text) = text else {
        return bad(21602, "Message body is required.");
    };
    if text.chars().count() > MAX_BODY_CHARS {
        return bad(
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        );
    }

    let message_sid = format!("SM{:032x}", rand::random::<u128>());
    let account_sid = &config.account_sid;
    let uri_base = format!("{API_PREFIX}{account_sid}/Messages/{message_sid}");
    let now = rfc2822(time::OffsetDateTime::now_utc());
    let message = json!({
        "sid": message_sid,
        "account_sid": account_sid,
        "messaging_service_sid": service,
        "to": to,
        "from": from,
        "body": text,
        "status": if service.is_some() { "accepted" } else { "queued" },
        "direction": "outbound-api",
        "num_segments": sms_core::segments::count(text).segments.to_string(),
        "num_media": "0",
        "price": null,
        "price_unit": "USD",
        "error_code": null,
        "error_message": null,
        "api_version": "2010-04-01",
        "date_created": now,
        "date_updated": now,
        "date_sent": null,
        "uri": format!("{uri_base}.json"),
        "subresource_uris": { "media": format!("{uri_base}/Media.json") },
    });
    lock(&shared.messages).push(message.clone());
    if let Some(callback) = field("StatusCallback") {
        let mut params = vec![
            ("MessageSid".to_string(), message_sid.clone()),
            ("SmsSid".to_string(), message_sid.clone()),
            ("AccountSid".to_string(), account_sid.clone()),
            ("To".to_string(), to.to_string()),
            ("ApiVersion".to_string(), "2010-04-01".to_string()),
        ];
        if let Some(from) = from {
            params.push(("From".to_string(), from.to_string()));
        }
        let outcome: &[(&str, Option<&str>)] = if to == UNDELIVERABLE_TO {
            &[("sent", None), ("undelivered", Some("30006"))]
        } else {
            &[("sent", None), ("delivered", None)]
        };
        let outcome = outcome
            .iter()
            .map(|(s, c)| (s.to_string(), c.map(str::to_string)))
            .collect();
        tokio::spawn(post_status_callbacks(
            shared.clone_for_callbacks(),
            callback.to_string(),
            params,
            outcome,
        ));
    }
    json_response(StatusCode::CREATED, &message)
}

/// Posts one signed status callback per status, in order, as Twilio does after a send.
async fn post_status_callbacks(
    shared: CallbackSink,
    url: String,
    params: Vec<(String, String)>,
    statuses: Vec<(String, Option<String>)>,
) {
    let message_sid = params.first().map(|(_, v)| v.clone()).unwrap_or_default();
    for (status, error_code) in statuses {
        let mut params = params.clone();
        params.push(("MessageStatus".into(), status.clone()));
        params.push(("SmsStatus".into(), status.clone()));
        if let Some(code) = error_code {
            params.push(("ErrorCode".into(), code));
        }
        let answer = post_signed(&shared.auth_token, &url, &params).await;
        lock(&shared.callbacks).push(CallbackOutcome {
            message_sid: message_sid.clone(),
            status,
            answer,
        });
    }
}

/// What the callback task needs from the fake.
struct CallbackSink {
    auth_token: String,
    callbacks: Arc<Mutex<Vec<CallbackOutcome>>>,
}

/// One form POST to an `http://` URL, signed with X-Twilio-Signature.
async fn post_signed(token: &str, url: &str, params: &[(String, String)]) -> Result<u16, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("bad callback URL: {e}"))?;
    if parsed.scheme() != "http" {
        return Err("the fake posts callbacks over plain http only".into());
    }
    let host = parsed.host_str().ok_or("the callback URL has no host")?;
    let port = parsed.port_or_known_default().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(conn);
    let signature = twilio_signature(token, url, params);
    let form = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.extend_pairs(params);
        form.finish()
    };
    let path = &parsed[url::Position::BeforePath..url::Position::AfterQuery];
    let request = hyper::Request::post(path)
        .header(
            "host",
            parsed[url::Position::BeforeHost..url::Position::AfterPort].to_string(),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .header("user-agent", "TwilioProxy/1.1")
        .body(Full::new(Bytes::from(form)))
        .map_err(|e| format!("request: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("send: {e}"))?;
    Ok(response.status().as_u16())
}

/// Twilio's `X-Twilio-Signature` for a form POST, computed here with hmac and sha1 directly
/// rather than with the plugin's verifier, so a bug in one is not hidden by the same bug in
/// the other: Base64 of HMAC-SHA1 (keyed with the Auth Token) over the URL followed by each
/// parameter's name and value, sorted by name, then value.
fn twilio_signature(token: &str, url: &str, params: &[(String, String)]) -> String {
    use hmac::Mac as _;
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// `Fri, 01 Mar 2024 09:30:00 +0000`, as Twilio writes dates.
fn rfc2822(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc2822)
        .unwrap_or_else(|_| ACCOUNT_DATE.to_string())
}

fn is_form_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// `^\+[1-9]\d{6,14}$`
fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// `^{prefix}[0-9a-fA-F]{32}$`
fn is_sid(sid: &str, prefix: &str) -> bool {
    sid.strip_prefix(prefix)
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn not_found(path: &str) -> Response<Full<Bytes>> {
    twilio_error(
        StatusCode::NOT_FOUND,
        20404,
        &format!("The requested resource {path} was not found"),
    )
}

fn twilio_error(status: StatusCode, code: u32, message: &str) -> Response<Full<Bytes>> {
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    json_response(status, &body)
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    const SID: &str = "AC0123456789abcdef0123456789abcdef";
    const TOKEN: &str = "f00dfeedc0ffee00aa11bb22cc33dd44";
    const KEY_SID: &str = "SKfedcba9876543210fedcba9876543210";
    const KEY_SECRET: &str = "key-secret-value";
    const MG: &str = "MGaaaabbbbccccddddeeeeffff00001111";

    async fn start() -> FakeTwilio {
        let mut config = FakeConfig::new(SID, TOKEN);
        config
            .api_keys
            .push((KEY_SID.to_owned(), KEY_SECRET.to_owned()));
        FakeTwilio::start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .expect("bind fake")
    }

    fn basic(user: &str, password: &str) -> String {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        format!("Basic {encoded}")
    }

    fn good_auth() -> String {
        basic(SID, TOKEN)
    }

    fn messages_path() -> String {
        format!("/2010-04-01/Accounts/{SID}/Messages.json")
    }

    #[derive(Debug)]
    struct Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Reply {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str())
        }

        fn text(&self) -> &str {
            std::str::from_utf8(&self.body).expect("utf-8 body")
        }

        fn json(&self) -> Value {
            assert_eq!(self.header("content-type"), Some("application/json"));
            serde_json::from_slice(&self.body).expect("json body")
        }

        #[track_caller]
        fn assert_error(&self, status: u16, code: u64, message: &str) {
            assert_eq!(self.status, status, "body: {}", self.text());
            let expected = json!({
                "code": code,
                "message": message,
                "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
                "status": status,
            });
            assert_eq!(self.json(), expected);
        }
    }

    enum Framing {
        None,
        Length,
        Chunked(usize),
    }

    /// Builds a raw HTTP/1.1 request with `Connection: close`.
    fn build(
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        framing: Framing,
    ) -> Vec<u8> {
        let mut out = format!("{method} {path} HTTP/1.1\r\nHost: api.twilio.test\r\n");
        for (name, value) in headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        match framing {
            Framing::None => {}
            Framing::Length => out.push_str(&format!("Content-Length: {}\r\n", body.len())),
            Framing::Chunked(_) => out.push_str("Transfer-Encoding: chunked\r\n"),
        }
        out.push_str("Connection: close\r\n\r\n");
        let mut out = out.into_bytes();
        match framing {
            Framing::None => {}
            Framing::Length => out.extend_from_slice(body),
            Framing::Chunked(size) => {
                for chunk in body.chunks(size) {
                    out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                    out.extend_from_slice(chunk);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"0\r\n\r\n");
            }
        }
        out
    }

    /// Sends raw bytes and reads until the server closes the connection.
    async fn exchange_raw(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
        let io = async {
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            stream.write_all(request).await.expect("write");
            let mut received = Vec::new();
            stream.read_to_end(&mut received).await.expect("read");
            received
        };
        tokio::time::timeout(Duration::from_secs(10), io)
            .await
            .expect("exchange timed out")
    }

    /// Parses one response at the start of `raw`; returns it and the unparsed rest.
    fn parse_reply(raw: &[u8]) -> (Reply, &[u8]) {
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("end of headers");
        let head = std::str::from_utf8(&raw[..end]).expect("ascii head");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().expect("status line");
        let mut parts = status_line.splitn(3, ' ');
        assert_eq!(parts.next(), Some("HTTP/1.1"));
        let status: u16 = parts.next().expect("code").parse().expect("numeric code");
        let headers: Vec<(String, String)> = lines
            .map(|line| {
                let (name, value) = line.split_once(':').expect("header colon");
                (name.trim().to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        let length: usize = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .expect("content-length framed response")
            .1
            .parse()
            .expect("numeric length");
        let rest = &raw[end + 4..];
        assert!(rest.len() >= length, "truncated body");
        let reply = Reply {
            status,
            headers,
            body: rest[..length].to_vec(),
        };
        (reply, &rest[length..])
    }

    async fn exchange(addr: SocketAddr, request: &[u8]) -> Reply {
        let raw = exchange_raw(addr, request).await;
        let (reply, rest) = parse_reply(&raw);
        assert!(rest.is_empty(), "trailing bytes after response");
        reply
    }

    async fn get(fake: &FakeTwilio, path: &str, auth: Option<&str>) -> Reply {
        let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
        exchange(
            fake.addr(),
            &build("GET", path, &headers, b"", Framing::None),
        )
        .await
    }

    /// POSTs a form (Content-Length framed) to the Messages endpoint with good auth.
    async fn send_form(fake: &FakeTwilio, form: &[(&str, &str)]) -> Reply {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let auth = good_auth();
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        let request = build(
            "POST",
            &messages_path(),
            &headers,
            body.as_bytes(),
            Framing::Length,
        );
        exchange(fake.addr(), &request).await
    }

    fn is_message_sid(sid: &str) -> bool {
        sid.len() == 34
            && sid.starts_with("SM")
            && sid[2..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }

    #[tokio::test]
    async fn account_fetch_returns_account_resource() {
        let fake = start().await;
        let path = format!("/2010-04-01/Accounts/{SID}.json");
        let reply = get(&fake, &path, Some(&good_auth())).await;
        assert_eq!(reply.status, 200);
        let base = format!("/2010-04-01/Accounts/{SID}");
        let expected = json!({
            "sid": SID,
            "friendly_name": "JewelTrak Demo Store",
            "status": "active",
            "type": "Full",
            "owner_account_sid": SID,
            "date_created": "Fri, 01 Mar 2024 09:30:00 +0000",
            "date_updated": "Fri, 01 Mar 2024 09:30:00 +0000",
            "uri": format!("{base}.json"),
            "subresource_uris": {
                "messages": format!("{base}/Messages.json"),
                "incoming_phone_numbers": format!("{base}/IncomingPhoneNumbers.json"),
                "balance": format!("{base}/Balance.json"),
            },
        });
        assert_eq!(reply.json(), expected);
        assert!(!reply.text().contains(TOKEN), "auth token leaked");
        let requests = fake.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].method, "GET");
        assert_eq!(requests[0].path, path);
        assert!(requests[0].body.is_empty());
        assert!(fake.messages().is_empty());
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn wrong_token_is_401_20003() {
        let fake = start().await;
        let path = format!("/2010-04-01/Accounts/{SID}.json");
        let reply = get(&fake, &path, Some(&basic(SID, "not-the-token"))).await;
        assert_eq!(reply.status, 401);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Basic realm=\"Twilio API\"")
        );
        assert_eq!(
            reply.text(),
            r#"{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}"#
        );
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn missing_or_malformed_auth_is_401() {
        let fake = start().await;
        let path = format!("/2010-04-01/Accounts/{SID}.json");
        let token_b64 = base64::engine::general_purpose::STANDARD.encode(TOKEN);
        let cases: Vec<Option<String>> = vec![
            None,
            Some(format!("Bearer {TOKEN}")),
            Some("Basic !!!not-base64!!!".to_owned()),
            Some(format!("Basic {token_b64}")), // no colon
            Some(basic(KEY_SID, TOKEN)),        // key SID with the account token
            Some(basic(SID, KEY_SECRET)),       // account SID with a key secret
            Some(basic(&format!("{SID} "), TOKEN)),
        ];
        for auth in &cases {
            let reply = get(&fake, &path, auth.as_deref()).await;
            reply.assert_error(401, 20003, "Authenticate");
        }
        // Auth is checked before the method and the body.
        let request = build("DELETE", &messages_path(), &[], b"x", Framing::Length);
        exchange(fake.addr(), &request)
            .await
            .assert_error(401, 20003, "Authenticate");
        assert!(fake.messages().is_empty());
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn api_key_auth_is_accepted() {
        let fake = start().await;
        let auth = basic(KEY_SID, KEY_SECRET);
        let path = format!("/2010-04-01/Accounts/{SID}.json");
        let reply = get(&fake, &path, Some(&auth)).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json()["sid"], SID);

        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        let body = b"To=%2B15558675310&From=%2B15017122661&Body=hi";
        let request = build("POST", &messages_path(), &headers, body, Framing::Length);
        let reply = exchange(fake.addr(), &request).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        assert_eq!(fake.messages().len(), 1);

        let reply = get(&fake, &path, Some(&basic(KEY_SID, "wrong"))).await;
        reply.assert_error(401, 20003, "Authenticate");
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn path_sid_mismatch_is_404() {
        let fake = start().await;
        let other = "AC00000000000000000000000000000000";
        let path = format!("/2010-04-01/Accounts/{other}.json");
        get(&fake, &path, Some(&good_auth())).await.assert_error(
            404,
            20404,
            &format!("The requested resource /2010-04-01/Accounts/{other}.json was not found"),
        );

        let auth = good_auth();
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        let path = format!("/2010-04-01/Accounts/{other}/Messages.json");
        let body = b"To=%2B15558675310&From=%2B15017122661&Body=hi";
        let request = build("POST", &path, &headers, body, Framing::Length);
        exchange(fake.addr(), &request).await.assert_error(
            404,
            20404,
            &format!("The requested resource {path} was not found"),
        );
        assert!(fake.messages().is_empty());
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn unknown_path_and_wrong_method() {
        let fake = start().await;
        for path in [
            "/",
            "/2010-04-01/Accounts/",
            "/2010-04-01/Accounts/.json",
            "/2010-04-01/Accounts/AC1/Calls.json",
            "/2010-04-01/Accounts/AC1/Messages/SM1.json",
            "/v1/Services",
        ] {
            get(&fake, path, Some(&good_auth())).await.assert_error(
                404,
                20404,
                &format!("The requested resource {path} was not found"),
            );
        }
        // Unknown paths are 404 even without credentials.
        get(&fake, "/nope", None).await.assert_error(
            404,
            20404,
            "The requested resource /nope was not found",
        );

        let auth = good_auth();
        let headers = [("Authorization", auth.as_str())];
        let account = format!("/2010-04-01/Accounts/{SID}.json");
        let request = build("POST", &account, &headers, b"", Framing::Length);
        let reply = exchange(fake.addr(), &request).await;
        reply.assert_error(405, 20004, "Method not allowed");
        assert_eq!(reply.header("allow"), Some("GET"));

        let reply = get(&fake, &messages_path(), Some(&auth)).await;
        reply.assert_error(405, 20004, "Method not allowed");
        assert_eq!(reply.header("allow"), Some("POST"));
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn send_ok_with_chunked_body() {
        let fake = start().await;
        let auth = good_auth();
        let headers = [
            ("Authorization", auth.as_str()),
            (
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
        ];
        let body: &[u8] =
            b"To=%2B15558675310&From=%2B15017122661&Body=Your+ring+is+ready%21+R%C3%A9f+%2342";
        let path = format!("{}?ignored=1", messages_path());
        let request = build("POST", &path, &headers, body, Framing::Chunked(7));
        let reply = exchange(fake.addr(), &request).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        let message = reply.json();

        let sid = message["sid"].as_str().expect("sid string");
        assert!(is_message_sid(sid), "bad sid {sid}");
        assert_eq!(message["account_sid"], SID);
        assert_eq!(message["messaging_service_sid"], Value::Null);
        assert_eq!(message["to"], "+15558675310");
        assert_eq!(message["from"], "+15017122661");
        assert_eq!(message["body"], "Your ring is ready! Réf #42");
        assert_eq!(message["status"], "queued");
        assert_eq!(message["direction"], "outbound-api");
        assert_eq!(message["num_segments"], "1");
        assert_eq!(message["num_media"], "0");
        assert_eq!(message["price"], Value::Null);
        assert_eq!(message["price_unit"], "USD");
        assert_eq!(message["error_code"], Value::Null);
        assert_eq!(message["error_message"], Value::Null);
        assert_eq!(message["api_version"], "2010-04-01");
        assert_eq!(message["date_sent"], Value::Null);
        let created = message["date_created"].as_str().expect("date string");
        assert!(
            created.ends_with(" +0000") && created.len() == 31,
            "{created}"
        );
        assert_eq!(message["date_updated"], created);
        let uri = format!("/2010-04-01/Accounts/{SID}/Messages/{sid}");
        assert_eq!(message["uri"], format!("{uri}.json"));
        assert_eq!(
            message["subresource_uris"],
            json!({ "media": format!("{uri}/Media.json") })
        );

        assert_eq!(fake.messages(), vec![message]);
        let requests = fake.requests();
        assert_eq!(requests.len(), 1);
        let recorded = &requests[0];
        assert_eq!(recorded.method, "POST");
        assert_eq!(recorded.path, path);
        assert_eq!(recorded.body, body);
        let names: Vec<&str> = recorded.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "host",
                "authorization",
                "content-type",
                "transfer-encoding",
                "connection"
            ]
        );
        assert!(
            recorded
                .headers
                .contains(&("transfer-encoding".to_owned(), "chunked".to_owned()))
        );
        assert!(
            recorded
                .headers
                .contains(&("authorization".to_owned(), auth))
        );
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn send_decodes_form_and_counts_segments() {
        let fake = start().await;
        let long = "x".repeat(200);
        let reply = send_form(
            &fake,
            &[
                ("To", "+442071838750"),
                ("From", "JewelTrak"),
                ("Body", &long),
            ],
        )
        .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        let message = reply.json();
        assert_eq!(message["num_segments"], "2");
        assert_eq!(message["from"], "JewelTrak");
        assert_eq!(message["to"], "+442071838750");

        // '+' is a space, %2B a plus, multi-byte UTF-8 percent-decoded, unknown fields ignored.
        let auth = good_auth();
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "Application/X-WWW-Form-Urlencoded"),
        ];
        let body =
            b"StatusCallback=https%3A%2F%2Fx.test%2Fcb&To=%2B15558675310&From=%2B15017122661\
                     &Body=a+b%2Bc%20%F0%9F%92%8E&Body=second";
        let request = build("POST", &messages_path(), &headers, body, Framing::Length);
        let reply = exchange(fake.addr(), &request).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        assert_eq!(reply.json()["body"], "a b+c 💎");
        assert_eq!(fake.messages().len(), 2);
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn messaging_service_sender() {
        let fake = start().await;
        let reply = send_form(
            &fake,
            &[
                ("To", "+15558675310"),
                ("MessagingServiceSid", MG),
                ("Body", "hi"),
            ],
        )
        .await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        let message = reply.json();
        assert_eq!(message["messaging_service_sid"], MG);
        assert_eq!(message["from"], Value::Null);
        assert_eq!(message["status"], "accepted");

        let reply = send_form(
            &fake,
            &[
                ("To", "+15558675310"),
                ("MessagingServiceSid", "MG123"),
                ("Body", "hi"),
            ],
        )
        .await;
        reply.assert_error(400, 21705, "The Messaging Service is invalid.");
        assert_eq!(fake.messages().len(), 1);
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn magic_numbers() {
        let fake = start().await;
        let to_cases = [
            (
                "+15005550001",
                21211,
                "The 'To' number +15005550001 is not a valid phone number.",
            ),
            (
                "+15005550002",
                21612,
                "The 'To' phone number is not currently reachable via SMS.",
            ),
            (
                "+15005550003",
                21408,
                "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
            ),
            (
                "+15005550004",
                21610,
                "Attempt to send to unsubscribed recipient",
            ),
            (
                "+15005550009",
                21614,
                "'To' number is not a valid mobile number",
            ),
        ];
        for (to, code, message) in to_cases {
            let reply = send_form(
                &fake,
                &[("To", to), ("From", "+15005550006"), ("Body", "hi")],
            )
            .await;
            reply.assert_error(400, code, message);
        }
        let from_cases = [
            (
                "+15005550001",
                21212,
                "The 'From' number is not a valid phone number, shortcode, or alphanumeric sender ID.",
            ),
            (
                "+15005550007",
                21606,
                "The 'From' phone number provided is not a valid, message-capable Twilio phone number for this destination/account.",
            ),
        ];
        for (from, code, message) in from_cases {
            // From is checked before To: a bad To does not mask the From error.
            let reply = send_form(
                &fake,
                &[("To", "+15005550002"), ("From", from), ("Body", "hi")],
            )
            .await;
            reply.assert_error(400, code, message);
        }
        // The "valid" magic From succeeds.
        let reply = send_form(
            &fake,
            &[
                ("To", "+15558675310"),
                ("From", "+15005550006"),
                ("Body", "hi"),
            ],
        )
        .await;
        assert_eq!(reply.status, 201);
        assert_eq!(fake.messages().len(), 1);
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn missing_and_invalid_fields() {
        let fake = start().await;
        let to = ("To", "+15558675310");
        let from = ("From", "+15017122661");
        let body = ("Body", "hi");
        send_form(&fake, &[from, body]).await.assert_error(
            400,
            21604,
            "A 'To' phone number is required.",
        );
        send_form(&fake, &[("To", ""), from, body])
            .await
            .assert_error(400, 21604, "A 'To' phone number is required.");
        send_form(&fake, &[to, body]).await.assert_error(
            400,
            21603,
            "A 'From' phone number is required.",
        );
        send_form(&fake, &[body]).await.assert_error(
            400,
            21603,
            "A 'From' phone number is required.",
        );
        send_form(&fake, &[to, from])
            .await
            .assert_error(400, 21602, "Message body is required.");
        send_form(&fake, &[to, from, ("Body", "")])
            .await
            .assert_error(400, 21602, "Message body is required.");
        for bad in [
            "5551234567",
            "+0123456789",
            "+12345",
            "+1234567890123456",
            "+1 555 123 4567",
        ] {
            send_form(&fake, &[("To", bad), from, body])
                .await
                .assert_error(
                    400,
                    21211,
                    &format!("The 'To' number {bad} is not a valid phone number."),
                );
        }
        assert!(fake.messages().is_empty());
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn body_length_limit() {
        let fake = start().await;
        let to = ("To", "+15558675310");
        let from = ("From", "+15017122661");
        let too_long = "é".repeat(1601);
        send_form(&fake, &[to, from, ("Body", &too_long)])
            .await
            .assert_error(
                400,
                21617,
                "The concatenated message body exceeds the 1600 character limit.",
            );
        let max = "é".repeat(1600);
        let reply = send_form(&fake, &[to, from, ("Body", &max)]).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        assert_eq!(reply.json()["num_segments"], "11");
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn wrong_content_type_is_400() {
        let fake = start().await;
        let auth = good_auth();
        for content_type in [Some("application/json"), None] {
            let mut headers = vec![("Authorization", auth.as_str())];
            if let Some(content_type) = content_type {
                headers.push(("Content-Type", content_type));
            }
            let body = br#"{"To":"+15558675310","From":"+15017122661","Body":"hi"}"#;
            let request = build("POST", &messages_path(), &headers, body, Framing::Length);
            exchange(fake.addr(), &request).await.assert_error(
                400,
                20001,
                "Content-Type must be application/x-www-form-urlencoded.",
            );
        }
        assert!(fake.messages().is_empty());
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn oversized_body_is_413() {
        let fake = start().await;
        let auth = good_auth();
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        let body = format!(
            "To=%2B15558675310&From=%2B15017122661&Body={}",
            "a".repeat(MAX_BODY)
        );
        for framing in [Framing::Length, Framing::Chunked(4096)] {
            let request = build("POST", &messages_path(), &headers, body.as_bytes(), framing);
            exchange(fake.addr(), &request).await.assert_error(
                413,
                413,
                "Request body exceeds the 65536 byte limit.",
            );
        }
        // Exactly at the cap is read fine (and then rejected by Twilio's own 1600 limit).
        let body = format!(
            "To=%2B15558675310&From=%2B15017122661&Body={}",
            "a".repeat(100)
        );
        let padded = format!("{body}&Pad={}", "p".repeat(MAX_BODY - body.len() - 5));
        assert_eq!(padded.len(), MAX_BODY);
        let request = build(
            "POST",
            &messages_path(),
            &headers,
            padded.as_bytes(),
            Framing::Chunked(1000),
        );
        assert_eq!(exchange(fake.addr(), &request).await.status, 201);
        let requests = fake.requests();
        assert_eq!(requests[0].body.len(), MAX_BODY);
        assert_eq!(requests[2].body, padded.as_bytes());
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn keep_alive_serves_several_requests() {
        let fake = start().await;
        let auth = good_auth();
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        let body = b"To=%2B15558675310&From=%2B15017122661&Body=one";
        // First request without `Connection: close` (strip it), second one closes.
        let first = build(
            "POST",
            &messages_path(),
            &headers,
            body,
            Framing::Chunked(5),
        );
        let first = String::from_utf8(first)
            .expect("ascii")
            .replace("Connection: close\r\n", "");
        let mut pipeline = first.into_bytes();
        pipeline.extend(build(
            "GET",
            &format!("/2010-04-01/Accounts/{SID}.json"),
            &[("Authorization", auth.as_str())],
            b"",
            Framing::None,
        ));
        let raw = exchange_raw(fake.addr(), &pipeline).await;
        let (first, rest) = parse_reply(&raw);
        let (second, rest) = parse_reply(rest);
        assert!(rest.is_empty());
        assert_eq!(first.status, 201);
        assert_eq!(second.status, 200);
        assert_eq!(fake.requests().len(), 2);
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn shutdown_and_drop_stop_listening() {
        let fake = start().await;
        let addr = fake.addr();
        assert_eq!(fake.base_url(), format!("http://127.0.0.1:{}", addr.port()));
        assert_ne!(addr.port(), 0);
        fake.shutdown().await;
        assert!(TcpStream::connect(addr).await.is_err());

        let fake = start().await;
        let addr = fake.addr();
        drop(fake);
        let mut refused = false;
        for _ in 0..100 {
            if TcpStream::connect(addr).await.is_err() {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(refused, "still accepting after drop");
    }

    #[tokio::test]
    async fn faults_answer_one_authenticated_request_each() {
        let fake = start().await;
        let account = format!("/2010-04-01/Accounts/{SID}.json");
        fake.push_faults([
            Fault::TooManyRequests {
                retry_after: Some(7),
            },
            Fault::ServiceUnavailable { retry_after: None },
            Fault::Status { status: 502 },
            Fault::Status { status: 42 },
            Fault::UnknownCode,
        ]);
        fake.push_faults([Fault::NotJson, Fault::HugeBody]);
        assert_eq!(fake.pending_faults(), 7);
        // Unauthenticated requests and unknown paths leave the queue alone.
        get(&fake, &account, None)
            .await
            .assert_error(401, 20003, "Authenticate");
        get(&fake, "/nope", Some(&good_auth())).await;
        assert_eq!(fake.pending_faults(), 7);

        let reply = get(&fake, &account, Some(&good_auth())).await;
        reply.assert_error(429, 20429, "Too Many Requests");
        assert_eq!(reply.header("retry-after"), Some("7"));
        let null_code = |status: u16, message: &str| json!({"code": null, "message": message, "more_info": null, "status": status});
        let reply = send_form(&fake, &[("To", "+15558675310")]).await;
        assert_eq!(reply.status, 503);
        assert_eq!(reply.header("retry-after"), None);
        assert_eq!(reply.json(), null_code(503, "Service Unavailable"));
        let reply = get(&fake, &account, Some(&good_auth())).await;
        assert_eq!(reply.json(), null_code(502, "Bad Gateway"));
        let reply = get(&fake, &account, Some(&good_auth())).await;
        assert_eq!(reply.json(), null_code(500, "Internal Server Error"));
        get(&fake, &account, Some(&good_auth())).await.assert_error(
            400,
            29999,
            "Something went wrong that no client has seen before.",
        );
        let reply = send_form(&fake, &[]).await;
        assert_eq!(reply.status, 201);
        assert!(reply.text().starts_with("<!DOCTYPE html>"));
        let reply = get(&fake, &account, Some(&good_auth())).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body.len(), HUGE_BODY);
        assert!(reply.text().starts_with(r#"{"sid":"SM"#));

        // The queue is empty: normal answers again, and no fault created a Message.
        assert_eq!(fake.pending_faults(), 0);
        assert!(fake.messages().is_empty());
        assert_eq!(get(&fake, &account, Some(&good_auth())).await.status, 200);
        assert_eq!(fake.requests().len(), 10);
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn close_mid_response_and_stall() {
        let fake = start().await;
        let auth = good_auth();
        let request = build(
            "GET",
            &format!("/2010-04-01/Accounts/{SID}.json"),
            &[("Authorization", auth.as_str())],
            b"",
            Framing::None,
        );
        fake.push_faults([Fault::CloseMidResponse, Fault::Stall]);
        let raw = exchange_raw(fake.addr(), &request).await;
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = std::str::from_utf8(&raw[..end])
            .unwrap()
            .to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200 ok"), "{head}");
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        let body = &raw[end + 4..];
        assert!(!body.is_empty() && body.len() < length, "{body:?}");

        let mut stream = TcpStream::connect(fake.addr()).await.unwrap();
        stream.write_all(&request).await.unwrap();
        let mut byte = [0u8; 1];
        let silent = tokio::time::timeout(Duration::from_millis(200), stream.read(&mut byte)).await;
        assert!(silent.is_err(), "a stalled request gets no answer");
        assert_eq!(fake.requests().len(), 2);
        fake.shutdown().await;
        // Shutting down closes the stalled connection.
        let closed = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte))
            .await
            .expect("closed at shutdown");
        assert!(matches!(closed, Ok(0) | Err(_)));
    }

    #[test]
    fn account_date_is_rfc2822() {
        assert_eq!(
            rfc2822(time::OffsetDateTime::from_unix_timestamp(1_709_285_400).unwrap()),
            ACCOUNT_DATE
        );
    }

    #[test]
    fn config_debug_redacts_secrets() {
        let mut config = FakeConfig::new(SID, TOKEN);
        config
            .api_keys
            .push((KEY_SID.to_owned(), KEY_SECRET.to_owned()));
        let text = format!("{config:?}");
        assert!(text.contains(SID) && text.contains(KEY_SID));
        assert!(!text.contains(TOKEN) && !text.contains(KEY_SECRET));
    }
}
