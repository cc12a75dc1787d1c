//! A fake Twilio REST API (2010-04-01 Messages and Accounts) for tests and the CLI demo.
//!
//! [`FakeTwilio`] is a small HTTP/1.1 server (hyper on tokio) that answers the calls the SMS
//! plugin and host make, shaped like the real `api.twilio.com`:
//!
//! * `GET /2010-04-01/Accounts/{AccountSid}.json` — the Account resource (credential check).
//! * `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` — form-encoded send; answers
//!   `201` with a Message resource, or a Twilio error JSON
//!   (`{"code", "message", "more_info", "status"}`) with the matching HTTP status.
//! * `GET /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}.json` — one Message
//!   resource as it is now (see *Status over time*); `404` with error 20404 for a SID the
//!   fake did not create.
//! * `GET /2010-04-01/Accounts/{AccountSid}/Messages.json` — the list, newest first, in
//!   Twilio's page shape (`messages`, `start`, `end`, `page`, `page_size`, `uri`,
//!   `first_page_uri`, `next_page_uri`, `previous_page_uri`). Query filters: `To`, `From`
//!   (exact match), `DateSent` (sent on that UTC day, `YYYY-MM-DD`), `DateSent<` (sent on or
//!   before that day), `DateSent>` (sent on or after it) — those two names arrive
//!   percent-encoded, `DateSent%3C=…`/`DateSent%3E=…`; a message not yet `sent` has no
//!   `date_sent` and matches no `DateSent` filter. `PageSize` (default 50, at most 1000; more
//!   is read as 1000), `Page` (echoed as `page`, as Twilio does: the position comes from the
//!   token) and `PageToken` (`PA` + the SID of the last message of the previous page, taken
//!   from `next_page_uri`). An empty value counts as absent and unknown parameters are
//!   ignored; a malformed `DateSent…`, `PageSize`, `Page` or `PageToken` is `400` with error
//!   20001 naming the parameter. `previous_page_uri` is always `null`.
//!
//! Other methods on these paths are `405` (error 20004) with an `Allow` header. The Account
//! SID in the path must be the configured one: any other is `404` (error 20404), as Twilio
//! answers for another account's resources.
//!
//! It checks HTTP Basic auth (Account SID + Auth Token, or any configured API key pair) on
//! every one of these calls, validates `To`/`From`/`MessagingServiceSid`/`Body` like Twilio
//! does, and honours the magic numbers of Twilio's test credentials (`+15005550001` …
//! `+15005550009`), so every synchronous error path of a client can be exercised without a
//! network. Request bodies may be `Content-Length` or chunked framed (the wasm client uses
//! chunked) and are capped at 64 KiB (`413` above that).
//!
//! # Status over time
//!
//! Nothing is ever delivered, but each Message moves through Twilio's statuses, one every
//! [`FakeConfig::status_step`] (100 ms by default) after its creation: `queued` (or
//! `accepted` when sent through a Messaging Service), then `sent` (`date_sent` set), then
//! `delivered` — or `undelivered` with `error_code` 30006 and its `error_message` for
//! [`UNDELIVERABLE_TO`]. `date_updated` is the time of the latest change; dates are RFC 2822
//! in GMT, like `date_created`. The fetch and the list show the status for the time elapsed;
//! the create answers the resource as created. A send that names a `StatusCallback` URL gets
//! Twilio's callbacks there as each change happens, signed with `X-Twilio-Signature`: `sent`,
//! then `delivered` (or `undelivered` with `ErrorCode` 30006). [`FakeTwilio::callbacks`]
//! lists what was posted and how the URL answered. The signature is computed here with hmac
//! and sha1 directly, independently of the plugin's verifier.
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
//! [`FakeTwilio::messages`] the Message resources created, as they were created (their
//! current state is what the fetch and the list answer). Bind to port 0 for an ephemeral
//! port; the server runs on the caller's tokio runtime and stops on
//! [`FakeTwilio::shutdown`] or on drop.
//!
//! # Faults
//!
//! [`FakeTwilio::push_faults`] queues misbehaviours ([`Fault`]) for the next Accounts/Messages
//! requests that pass authentication — the Account fetch, a send, a Message fetch or the
//! list, whatever the method or the Account SID in the path: each fault answers one such
//! request, and once the queue is empty the fake answers normally again. Most faults answer
//! *instead of* the normal handling, so a faulted send creates no Message (that is
//! [`Fault::Stall`] and [`Fault::CloseMidResponse`] too: the send's outcome looks unknown to
//! the client, but nothing was sent). [`Fault::StallAfterCreate`] and
//! [`Fault::CloseAfterCreate`] are the other case: the request is handled normally — a valid
//! send creates its Message, which then progresses, is fetched and listed like any other —
//! and only the answer is lost. Requests with bad credentials or unknown paths are answered
//! as usual and leave the queue alone. Every request is recorded, faulted or not. An
//! unreachable Twilio (connection refused) is simulated by shutting the fake down.

use std::collections::VecDeque;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

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
/// How deep a [`Fault::DeeplyNested`] answer's arrays go.
pub const DEEP_NESTING: usize = 100_000;
/// How long a [`Fault::CloseMidResponse`] answer waits after its partial body (so that it is
/// flushed to the client) before the connection is closed.
const CUT_PAUSE: Duration = Duration::from_millis(50);

/// A misbehaviour for one request; see [`FakeTwilio::push_faults`]. "Success status" below
/// means `201` for a send (`POST …/Messages.json`) and `200` for any other request (the
/// Account fetch, a Message fetch, the list).
///
/// Every fault except [`Fault::StallAfterCreate`] and [`Fault::CloseAfterCreate`] answers
/// *instead of* the normal handling: a send it answers creates no Message.
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
    /// The success status with a Message resource whose `num_segments` is arrays nested
    /// [`DEEP_NESTING`] deep: a parser that follows them all runs out of stack.
    DeeplyNested,
    /// The request is read and recorded but neither handled nor answered (a send creates
    /// nothing); the connection stays open until the client gives up or the fake shuts down.
    Stall,
    /// The success status and headers with a `Content-Length`, half of a made-up Message
    /// resource's JSON, then the connection closes. The request is not handled: a send
    /// creates nothing.
    CloseMidResponse,
    /// The request is handled normally — a valid send creates and records its Message,
    /// which progresses, is fetched and listed like any other — but never answered, like
    /// [`Fault::Stall`]: the send whose answer is lost after Twilio took it. (An invalid
    /// send creates nothing, and its error answer is lost the same way.)
    StallAfterCreate,
    /// The request is handled normally, as for [`Fault::StallAfterCreate`], then the
    /// connection closes without any answer (not even a status line).
    CloseAfterCreate,
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
    /// How long each Message spends in a status: `queued` (or `accepted`) from its
    /// creation, `sent` after one step, `delivered`/`undelivered` after two. Status
    /// callbacks are posted at the same moments. `Duration::ZERO` makes every Message read
    /// as final at once (the create still answers it `queued`, as Twilio does) and posts
    /// its callbacks straight away.
    pub status_step: Duration,
}

impl FakeConfig {
    /// A config for one account: friendly name "JewelTrak Demo Store", type "Full", no API
    /// keys, a status step of 100 ms.
    pub fn new(account_sid: impl Into<String>, auth_token: impl Into<String>) -> Self {
        FakeConfig {
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            api_keys: Vec::new(),
            friendly_name: "JewelTrak Demo Store".to_owned(),
            account_type: "Full".to_owned(),
            status_step: Duration::from_millis(100),
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
            .field("status_step", &self.status_step)
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

/// A running fake Twilio server answering the Account fetch, sends, Message fetches and the
/// Message list, with statuses that advance over time and queued [`Fault`]s; see the module
/// docs.
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
            connections: AtomicUsize::new(0),
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

    /// How many connections the fake has accepted so far (a client that keeps its
    /// connections alive makes fewer than it makes requests).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Every Message resource created so far, in creation order, as it was created: what
    /// the send answered with `201` (status `queued` or `accepted`, `date_sent` `null`),
    /// whatever the time since. Sends whose answer a [`Fault::StallAfterCreate`] or
    /// [`Fault::CloseAfterCreate`] lost are included. Their current state is what
    /// `GET …/Messages/{Sid}.json` and the list answer.
    pub fn messages(&self) -> Vec<Value> {
        lock(&self.shared.messages)
            .iter()
            .map(|message| message.created.clone())
            .collect()
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
    messages: Mutex<Vec<StoredMessage>>,
    faults: Mutex<VecDeque<Fault>>,
    callbacks: Arc<Mutex<Vec<CallbackOutcome>>>,
    /// Connections accepted so far.
    connections: AtomicUsize,
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

/// A recipient the fake reports as undelivered (30006, landline) in its status callbacks and
/// its Message resources; every other message is reported sent, then delivered.
pub const UNDELIVERABLE_TO: &str = "+15005550011";

/// The `error_message` of an undelivered Message (error 30006).
const UNDELIVERED_MESSAGE: &str = "Landline or unreachable carrier";

/// A Message the fake created, and what its current state is computed from.
struct StoredMessage {
    /// The resource as created (what the send answered, or would have).
    created: Value,
    /// When it was created, on the monotonic clock: its progress is measured from here.
    at: Instant,
    /// When it was created, on the wall clock (UTC): its dates are computed from here.
    wall: time::OffsetDateTime,
    /// Whether it ends `undelivered` (sent to [`UNDELIVERABLE_TO`]) rather than `delivered`.
    undeliverable: bool,
}

/// How far a Message has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// `queued` or `accepted`, as created.
    Created,
    /// `sent`.
    Sent,
    /// `delivered` or `undelivered`.
    Final,
}

/// The stage of a Message `elapsed` after its creation, one stage per `step`.
fn stage_after(step: Duration, elapsed: Duration) -> Stage {
    if step.is_zero() {
        return Stage::Final;
    }
    match elapsed.as_nanos() / step.as_nanos() {
        0 => Stage::Created,
        1 => Stage::Sent,
        _ => Stage::Final,
    }
}

/// `at + by`, or `at` when that is out of range (only for absurd steps, which no Message
/// reaches anyway).
fn shifted(at: time::OffsetDateTime, by: Duration) -> time::OffsetDateTime {
    time::Duration::try_from(by)
        .ok()
        .and_then(|by| at.checked_add(by))
        .unwrap_or(at)
}

impl StoredMessage {
    fn sid(&self) -> &str {
        self.created["sid"].as_str().unwrap_or_default()
    }

    fn stage(&self, step: Duration, now: Instant) -> Stage {
        stage_after(step, now.saturating_duration_since(self.at))
    }

    /// When it went `sent`, once its stage is [`Stage::Sent`] or later.
    fn sent_at(&self, step: Duration) -> time::OffsetDateTime {
        shifted(self.wall, step)
    }

    /// The resource as it reads at `stage`.
    fn view(&self, step: Duration, stage: Stage) -> Value {
        let mut message = self.created.clone();
        let created = rfc2822(self.wall);
        message["date_created"] = created.clone().into();
        message["date_updated"] = created.into();
        if stage == Stage::Created {
            return message;
        }
        let sent = rfc2822(self.sent_at(step));
        message["date_sent"] = sent.clone().into();
        if stage == Stage::Sent {
            message["status"] = "sent".into();
            message["date_updated"] = sent.into();
            return message;
        }
        message["date_updated"] = rfc2822(shifted(self.wall, step.saturating_mul(2))).into();
        if self.undeliverable {
            message["status"] = "undelivered".into();
            message["error_code"] = 30006.into();
            message["error_message"] = UNDELIVERED_MESSAGE.into();
        } else {
            message["status"] = "delivered".into();
        }
        message
    }
}

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
                    shared.connections.fetch_add(1, Ordering::SeqCst);
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

/// The service's error: hyper then closes the connection without writing anything
/// ([`Fault::CloseAfterCreate`]).
#[derive(Debug)]
struct AnswerLost;

impl fmt::Display for AnswerLost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fault: the connection closes without an answer")
    }
}

impl std::error::Error for AnswerLost {}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<AnswerBody>, AnswerLost> {
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
    let answer = || {
        respond(
            &shared,
            &parts.method,
            parts.uri.path(),
            parts.uri.query(),
            &parts.headers,
            &body,
            &body_status,
        )
    };
    if let Some((fault, resource)) = fault {
        let success = match resource {
            Resource::Messages(_) if parts.method == Method::POST => StatusCode::CREATED,
            _ => StatusCode::OK,
        };
        match fault {
            Fault::StallAfterCreate => {
                drop(answer());
            }
            Fault::CloseAfterCreate => {
                drop(answer());
                return Err(AnswerLost);
            }
            fault => {
                if let Some(response) = fault_response(&fault, success) {
                    return Ok(response);
                }
            }
        }
        // Never answers: dropped when the client goes away or the fake shuts down.
        return std::future::pending().await;
    }
    Ok(answer().map(AnswerBody::Whole))
}

/// The answer a [`Fault`] that replaces the normal handling gives, with `success` as the
/// success status; `None` for the faults that give none.
fn fault_response(fault: &Fault, success: StatusCode) -> Option<Response<AnswerBody>> {
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
            json_bytes_response(success, body)
        }
        Fault::DeeplyNested => {
            let mut body =
                br#"{"sid":"SM00000000000000000000000000000000","status":"queued","num_segments":"#
                    .to_vec();
            body.resize(body.len() + DEEP_NESTING, b'[');
            body.resize(body.len() + DEEP_NESTING, b']');
            body.push(b'}');
            json_bytes_response(success, body)
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
        Fault::Stall | Fault::StallAfterCreate | Fault::CloseAfterCreate => return None,
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

/// A path the fake serves, with the Account SID it names (and the Message SID).
#[derive(Clone, Copy)]
enum Resource<'a> {
    /// `{AccountSid}.json`
    Account(&'a str),
    /// `{AccountSid}/Messages.json`: the list (GET) and the send (POST).
    Messages(&'a str),
    /// `{AccountSid}/Messages/{MessageSid}.json`
    Message(&'a str, &'a str),
}

fn route(path: &str) -> Option<Resource<'_>> {
    let segment = |sid: &str| !sid.is_empty() && !sid.contains('/');
    let rest = path.strip_prefix(API_PREFIX)?;
    if let Some(sid) = rest.strip_suffix("/Messages.json") {
        return segment(sid).then_some(Resource::Messages(sid));
    }
    let rest = rest.strip_suffix(".json")?;
    if let Some((sid, message)) = rest.split_once("/Messages/") {
        return (segment(sid) && segment(message)).then_some(Resource::Message(sid, message));
    }
    segment(rest).then_some(Resource::Account(rest))
}

fn respond(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: Option<&str>,
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
    let (allowed, allow, sid): (&[Method], _, _) = match resource {
        Resource::Account(sid) | Resource::Message(sid, _) => (&[Method::GET], "GET", sid),
        Resource::Messages(sid) => (&[Method::GET, Method::POST], "GET, POST", sid),
    };
    if !allowed.contains(method) {
        let mut response =
            twilio_error(StatusCode::METHOD_NOT_ALLOWED, 20004, "Method not allowed");
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
        Resource::Messages(_) if method == Method::POST => create_message(shared, headers, body),
        Resource::Messages(sid) => list_messages(shared, sid, query),
        Resource::Message(_, message_sid) => fetch_message(shared, path, message_sid),
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
    let at = Instant::now();
    let wall = time::OffsetDateTime::now_utc();
    let now = rfc2822(wall);
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
    lock(&shared.messages).push(StoredMessage {
        created: message.clone(),
        at,
        wall,
        undeliverable: to == UNDELIVERABLE_TO,
    });
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
            (at, config.status_step),
        ));
    }
    json_response(StatusCode::CREATED, &message)
}

/// `GET …/Messages/{Sid}.json`: the Message as it is now, or `404` for a SID the fake did not
/// create.
fn fetch_message(shared: &Shared, path: &str, sid: &str) -> Response<Full<Bytes>> {
    let step = shared.config.status_step;
    let now = Instant::now();
    let found = lock(&shared.messages)
        .iter()
        .find(|message| message.sid() == sid)
        .map(|message| message.view(step, message.stage(step, now)));
    match found {
        Some(message) => json_response(StatusCode::OK, &message),
        None => not_found(path),
    }
}

/// The date filters of the list, in the order its page URIs repeat them.
const DATE_FILTERS: [&str; 3] = ["DateSent", "DateSent<", "DateSent>"];
/// `PageSize` when none is given, and the largest honoured.
const DEFAULT_PAGE_SIZE: usize = 50;
const MAX_PAGE_SIZE: usize = 1000;
/// How a next-page token starts; the rest is the SID of the last message of the page.
const PAGE_TOKEN_PREFIX: &str = "PA";

/// `GET …/Messages.json`: a page of the Messages that match the filters, newest first.
fn list_messages(shared: &Shared, account_sid: &str, query: Option<&str>) -> Response<Full<Bytes>> {
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    // As for the send: the first occurrence wins and an empty value counts as absent.
    let field = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    };
    let invalid = |name: &str, value: &str, expected: &str| {
        twilio_error(
            StatusCode::BAD_REQUEST,
            20001,
            &format!("Invalid value '{value}' for parameter {name}: expected {expected}."),
        )
    };
    let to = field("To");
    let from = field("From");
    let mut days = [None; DATE_FILTERS.len()];
    for (day, name) in days.iter_mut().zip(DATE_FILTERS) {
        if let Some(value) = field(name) {
            let Some(parsed) = parse_day(value) else {
                return invalid(name, value, "a date as YYYY-MM-DD");
            };
            *day = Some(parsed);
        }
    }
    let [on, on_or_before, on_or_after] = days;
    let page_size = match field("PageSize") {
        None => DEFAULT_PAGE_SIZE,
        Some(value) => match value.parse::<usize>() {
            Ok(size) if size > 0 => size.min(MAX_PAGE_SIZE),
            _ => return invalid("PageSize", value, "a whole number from 1 to 1000"),
        },
    };
    let page = match field("Page") {
        None => 0,
        Some(value) => match value.parse::<usize>() {
            Ok(page) => page,
            Err(_) => return invalid("Page", value, "a whole number from 0"),
        },
    };
    let token = field("PageToken");

    let step = shared.config.status_step;
    let now = Instant::now();
    let stored = lock(&shared.messages);
    // The page holds the matching Messages created before the token's one, newest first.
    let before = match token {
        None => stored.len(),
        Some(token) => match token
            .strip_prefix(PAGE_TOKEN_PREFIX)
            .and_then(|sid| stored.iter().position(|message| message.sid() == sid))
        {
            Some(index) => index,
            None => return invalid("PageToken", token, "a token from a next_page_uri"),
        },
    };
    let mut matching = stored[..before].iter().rev().filter_map(|message| {
        let stage = message.stage(step, now);
        let view = message.view(step, stage);
        let sent_day = (stage != Stage::Created).then(|| message.sent_at(step).date());
        let day_ok = |filter: Option<time::Date>, ok: fn(time::Date, time::Date) -> bool| {
            filter.is_none_or(|filter| sent_day.is_some_and(|day| ok(day, filter)))
        };
        let keep = to.is_none_or(|to| view["to"] == to)
            && from.is_none_or(|from| view["from"] == from)
            && day_ok(on, |day, filter| day == filter)
            && day_ok(on_or_before, |day, filter| day <= filter)
            && day_ok(on_or_after, |day, filter| day >= filter);
        keep.then_some(view)
    });
    let messages: Vec<Value> = matching.by_ref().take(page_size).collect();
    let more = matching.next().is_some();
    drop(stored);

    // The page URIs repeat the filters (re-encoded, so `DateSent>` is `DateSent%3E`).
    let page_uri = |page: usize, token: Option<&str>| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in [("To", to), ("From", from)]
            .into_iter()
            .chain(DATE_FILTERS.into_iter().map(|name| (name, field(name))))
        {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
        query.append_pair("PageSize", &page_size.to_string());
        query.append_pair("Page", &page.to_string());
        if let Some(token) = token {
            query.append_pair("PageToken", token);
        }
        format!("{API_PREFIX}{account_sid}/Messages.json?{}", query.finish())
    };
    let next_page_uri = match messages.last() {
        Some(last) if more => {
            let last = last["sid"].as_str().unwrap_or_default();
            Value::from(page_uri(
                page.saturating_add(1),
                Some(&format!("{PAGE_TOKEN_PREFIX}{last}")),
            ))
        }
        _ => Value::Null,
    };
    let start = page.saturating_mul(page_size);
    let body = json!({
        "end": start.saturating_add(messages.len()).saturating_sub(1).max(start),
        "first_page_uri": page_uri(0, None),
        "messages": messages,
        "next_page_uri": next_page_uri,
        "page": page,
        "page_size": page_size,
        "previous_page_uri": null,
        "start": start,
        "uri": page_uri(page, token),
    });
    json_response(StatusCode::OK, &body)
}

/// A UTC day written `YYYY-MM-DD`.
fn parse_day(value: &str) -> Option<time::Date> {
    let bytes = value.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        let digits = &value[range];
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse::<u16>().ok())
            .flatten()
    };
    let year = number(0..4)?;
    let month = time::Month::try_from(u8::try_from(number(5..7)?).ok()?).ok()?;
    let day = u8::try_from(number(8..10)?).ok()?;
    time::Date::from_calendar_date(i32::from(year), month, day).ok()
}

/// Posts one signed status callback per status, in order, as Twilio does after a send: the
/// `n`th (from 1) once `n` status steps have passed since the creation (`created`), or as
/// soon as the one before has been answered, whichever is later.
async fn post_status_callbacks(
    shared: CallbackSink,
    url: String,
    params: Vec<(String, String)>,
    statuses: Vec<(String, Option<String>)>,
    (created, step): (Instant, Duration),
) {
    let message_sid = params.first().map(|(_, v)| v.clone()).unwrap_or_default();
    for (n, (status, error_code)) in (1u32..).zip(statuses) {
        let Some(due) = created.checked_add(step.saturating_mul(n)) else {
            return; // A step too long for the clock: this status never comes.
        };
        tokio::time::sleep_until(due.into()).await;
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
    json_bytes_response(status, body.to_string().into_bytes())
}

/// `body`, already JSON (or meant to pass for it), with `status`.
fn json_bytes_response(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
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
        start_with_step(FakeConfig::new(SID, TOKEN).status_step).await
    }

    async fn start_with_step(status_step: Duration) -> FakeTwilio {
        let mut config = FakeConfig::new(SID, TOKEN);
        config
            .api_keys
            .push((KEY_SID.to_owned(), KEY_SECRET.to_owned()));
        config.status_step = status_step;
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

        // GET on Messages.json is the list, POST the send; nothing else.
        let request = build("DELETE", &messages_path(), &headers, b"", Framing::Length);
        let reply = exchange(fake.addr(), &request).await;
        reply.assert_error(405, 20004, "Method not allowed");
        assert_eq!(reply.header("allow"), Some("GET, POST"));
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

    // ---- Reading messages back: fetch, list, status over time, faults after create ----

    const TO: &str = "+15558675310";
    const FROM: &str = "+15017122661";

    fn message_path(sid: &str) -> String {
        format!("/2010-04-01/Accounts/{SID}/Messages/{sid}.json")
    }

    /// A request with good auth and no body (Content-Length framed for non-GET methods).
    async fn call(fake: &FakeTwilio, method: &str, path: &str) -> Reply {
        let auth = good_auth();
        let headers = [("Authorization", auth.as_str())];
        let framing = if method == "GET" {
            Framing::None
        } else {
            Framing::Length
        };
        exchange(fake.addr(), &build(method, path, &headers, b"", framing)).await
    }

    /// Sends one message and returns its SID.
    async fn send_one(fake: &FakeTwilio, to: &str, from: &str) -> String {
        let reply = send_form(fake, &[("To", to), ("From", from), ("Body", "hi")]).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        reply.json()["sid"].as_str().expect("sid").to_owned()
    }

    /// The SIDs of a list page's messages.
    fn sids(page: &Value) -> Vec<String> {
        page["messages"]
            .as_array()
            .expect("messages array")
            .iter()
            .map(|m| m["sid"].as_str().expect("sid").to_owned())
            .collect()
    }

    async fn list(fake: &FakeTwilio, query: &str) -> Value {
        let reply = call(fake, "GET", &format!("{}?{query}", messages_path())).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()
    }

    fn utc(year: i32, month: time::Month, day: u8, h: u8, m: u8, s: u8) -> time::OffsetDateTime {
        time::Date::from_calendar_date(year, month, day)
            .unwrap()
            .with_hms(h, m, s)
            .unwrap()
            .assume_utc()
    }

    #[test]
    fn stages_follow_the_step() {
        let step = Duration::from_millis(30);
        let ms = Duration::from_millis;
        assert_eq!(stage_after(step, ms(0)), Stage::Created);
        assert_eq!(stage_after(step, ms(29)), Stage::Created);
        assert_eq!(stage_after(step, ms(30)), Stage::Sent);
        assert_eq!(stage_after(step, ms(59)), Stage::Sent);
        assert_eq!(stage_after(step, ms(60)), Stage::Final);
        assert_eq!(stage_after(step, Duration::from_secs(3600)), Stage::Final);
        assert_eq!(stage_after(Duration::ZERO, ms(0)), Stage::Final);
        assert_eq!(stage_after(Duration::MAX, ms(10)), Stage::Created);
    }

    #[test]
    fn message_view_at_each_stage() {
        let created = json!({
            "sid": "SM0123456789abcdef0123456789abcdef",
            "status": "queued",
            "to": TO,
            "error_code": null,
            "error_message": null,
            "date_created": "Wed, 02 Dec 2026 12:00:00 +0000",
            "date_updated": "Wed, 02 Dec 2026 12:00:00 +0000",
            "date_sent": null,
        });
        let mut message = StoredMessage {
            created: created.clone(),
            at: Instant::now(),
            wall: utc(2026, time::Month::December, 2, 12, 0, 0),
            undeliverable: false,
        };
        let step = Duration::from_secs(1);
        assert_eq!(message.view(step, Stage::Created), created);
        let with = |changes: Value| {
            let mut expected = created.clone();
            for (key, value) in changes.as_object().unwrap() {
                expected[key] = value.clone();
            }
            expected
        };
        assert_eq!(
            message.view(step, Stage::Sent),
            with(json!({
                "status": "sent",
                "date_sent": "Wed, 02 Dec 2026 12:00:01 +0000",
                "date_updated": "Wed, 02 Dec 2026 12:00:01 +0000",
            }))
        );
        assert_eq!(
            message.view(step, Stage::Final),
            with(json!({
                "status": "delivered",
                "date_sent": "Wed, 02 Dec 2026 12:00:01 +0000",
                "date_updated": "Wed, 02 Dec 2026 12:00:02 +0000",
            }))
        );
        message.undeliverable = true;
        assert_eq!(
            message.view(step, Stage::Final),
            with(json!({
                "status": "undelivered",
                "error_code": 30006,
                "error_message": "Landline or unreachable carrier",
                "date_sent": "Wed, 02 Dec 2026 12:00:01 +0000",
                "date_updated": "Wed, 02 Dec 2026 12:00:02 +0000",
            }))
        );
        // With no step, sent and final happen at the creation.
        message.undeliverable = false;
        assert_eq!(
            message.view(Duration::ZERO, Stage::Final),
            with(json!({
                "status": "delivered",
                "date_sent": "Wed, 02 Dec 2026 12:00:00 +0000",
            }))
        );
    }

    #[tokio::test]
    async fn fetch_shows_queued_then_sent_then_delivered() {
        let step = Duration::from_millis(100);
        let fake = start_with_step(step).await;
        let posted = Instant::now();
        let reply = send_form(&fake, &[("To", TO), ("From", FROM), ("Body", "hi")]).await;
        let answered = Instant::now();
        assert_eq!(reply.status, 201);
        let created = reply.json();
        let sid = created["sid"].as_str().unwrap().to_owned();

        // Poll (bounded) until final; every read must fit the time elapsed around it.
        let mut seen: Vec<Value> = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let before = Instant::now();
            let reply = call(&fake, "GET", &message_path(&sid)).await;
            let after = Instant::now();
            assert_eq!(reply.status, 200, "{}", reply.text());
            let message = reply.json();
            let steps = match message["status"].as_str().unwrap() {
                "queued" => 0,
                "sent" => 1,
                "delivered" => 2,
                other => panic!("status {other}"),
            };
            // Created between `posted` and `answered`; read between `before` and `after`.
            assert!(after - posted >= step * steps, "{steps} steps too early");
            if steps < 2 {
                assert!(
                    before - answered < step * (steps + 1),
                    "{steps} steps too late"
                );
            }
            if seen.last() != Some(&message) {
                seen.push(message);
            }
            if steps == 2 {
                break;
            }
            assert!(Instant::now() < deadline, "never delivered: {seen:?}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let statuses: Vec<&str> = seen.iter().map(|m| m["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["queued", "sent", "delivered"], "{seen:?}");
        // Queued reads exactly as the create answered; later reads change only the status
        // and the dates.
        assert_eq!(seen[0], created);
        let wall = lock(&fake.shared.messages)[0].wall;
        let sent_at = rfc2822(wall + step);
        for (later, status, updated) in [
            (&seen[1], "sent", sent_at.clone()),
            (&seen[2], "delivered", rfc2822(wall + step * 2)),
        ] {
            let mut expected = created.clone();
            expected["status"] = status.into();
            expected["date_sent"] = sent_at.clone().into();
            expected["date_updated"] = updated.into();
            assert_eq!(later, &expected);
        }
        // messages() keeps the resource as created.
        assert_eq!(fake.messages(), vec![created]);
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn zero_step_reads_final_at_once() {
        let fake = start_with_step(Duration::ZERO).await;
        let reply = send_form(
            &fake,
            &[("To", UNDELIVERABLE_TO), ("From", FROM), ("Body", "hi")],
        )
        .await;
        let created = reply.json();
        assert_eq!(created["status"], "queued", "the create answers it queued");
        let sid = created["sid"].as_str().unwrap();
        let message = call(&fake, "GET", &message_path(sid)).await.json();
        let mut expected = created.clone();
        expected["status"] = "undelivered".into();
        expected["error_code"] = 30006.into();
        expected["error_message"] = "Landline or unreachable carrier".into();
        expected["date_sent"] = created["date_created"].clone();
        assert_eq!(message, expected);

        let sid = send_one(&fake, TO, FROM).await;
        let message = call(&fake, "GET", &message_path(&sid)).await.json();
        assert_eq!(message["status"], "delivered");
        assert_eq!(message["error_code"], Value::Null);
        assert_eq!(message["error_message"], Value::Null);
        assert_eq!(message["date_sent"], message["date_created"]);
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn unknown_or_foreign_message_sid_is_404() {
        let fake = start().await;
        let sid = send_one(&fake, TO, FROM).await;
        let unknown = "SM00000000000000000000000000000000";
        let reply = call(&fake, "GET", &message_path(unknown)).await;
        assert_eq!(reply.status, 404);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(
            reply.text(),
            format!(
                r#"{{"code":20404,"message":"The requested resource /2010-04-01/Accounts/{SID}/Messages/{unknown}.json was not found","more_info":"https://www.twilio.com/docs/errors/20404","status":404}}"#
            )
        );
        // A known SID under another account, and the other account's list: not found.
        let other = "AC00000000000000000000000000000000";
        for path in [
            format!("/2010-04-01/Accounts/{other}/Messages/{sid}.json"),
            format!("/2010-04-01/Accounts/{other}/Messages.json"),
        ] {
            call(&fake, "GET", &path).await.assert_error(
                404,
                20404,
                &format!("The requested resource {path} was not found"),
            );
        }
        // A query does not reach the message in the 404.
        let path = message_path(unknown);
        call(&fake, "GET", &format!("{path}?x=1"))
            .await
            .assert_error(
                404,
                20404,
                &format!("The requested resource {path} was not found"),
            );
        // Sub-resources are not served.
        let media = format!("/2010-04-01/Accounts/{SID}/Messages/{sid}/Media.json");
        call(&fake, "GET", &media).await.assert_error(
            404,
            20404,
            &format!("The requested resource {media} was not found"),
        );
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn reads_check_basic_auth() {
        let fake = start().await;
        let sid = send_one(&fake, TO, FROM).await;
        fake.push_faults([Fault::Status { status: 500 }]);
        for path in [message_path(&sid), messages_path()] {
            for auth in [None, Some(basic(SID, "wrong")), Some(basic(KEY_SID, TOKEN))] {
                let reply = get(&fake, &path, auth.as_deref()).await;
                reply.assert_error(401, 20003, "Authenticate");
                assert_eq!(
                    reply.header("www-authenticate"),
                    Some("Basic realm=\"Twilio API\"")
                );
            }
            // API keys read as well as the account's token; the first such read takes
            // the queued fault.
            let reply = get(&fake, &path, Some(&basic(KEY_SID, KEY_SECRET))).await;
            let expected = if path == messages_path() { 200 } else { 500 };
            assert_eq!(reply.status, expected, "{path}: {}", reply.text());
        }
        assert_eq!(fake.pending_faults(), 0);
        // A foreign account's message needs auth too: 401 before 404.
        let path =
            format!("/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/{sid}.json");
        get(&fake, &path, None)
            .await
            .assert_error(401, 20003, "Authenticate");
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn list_filters_by_to_and_from_newest_first() {
        let fake = start_with_step(Duration::ZERO).await;
        let other_to = "+442071838750";
        let other_from = "+15005550006";
        let a = send_one(&fake, TO, FROM).await;
        let b = send_one(&fake, other_to, FROM).await;
        let c = send_one(&fake, TO, other_from).await;
        let d = send_one(&fake, TO, FROM).await;
        let e = send_one(&fake, other_to, other_from).await;

        assert_eq!(
            sids(&list(&fake, "").await),
            [e.as_str(), d.as_str(), c.as_str(), b.as_str(), a.as_str()]
        );
        assert_eq!(
            sids(&list(&fake, "To=%2B15558675310").await),
            [d.as_str(), c.as_str(), a.as_str()]
        );
        assert_eq!(
            sids(&list(&fake, "From=%2B15017122661").await),
            [d.as_str(), b.as_str(), a.as_str()]
        );
        assert_eq!(
            sids(&list(&fake, "From=%2B15017122661&To=%2B15558675310").await),
            [d.as_str(), a.as_str()]
        );
        // An empty value is no filter; unknown parameters are ignored.
        assert_eq!(sids(&list(&fake, "To=&Status=sent").await).len(), 5);
        assert!(sids(&list(&fake, "To=%2B15550000000").await).is_empty());

        // The whole answer, byte for byte.
        let fetch = |sid: String| {
            let fake = &fake;
            async move { call(fake, "GET", &message_path(&sid)).await.json() }
        };
        let query = "To=%2B15558675310&From=%2B15017122661";
        let reply = call(&fake, "GET", &format!("{}?{query}", messages_path())).await;
        assert_eq!(reply.status, 200);
        let uri = format!("/2010-04-01/Accounts/{SID}/Messages.json?{query}&PageSize=50&Page=0");
        let expected = json!({
            "end": 1,
            "first_page_uri": uri,
            "messages": [fetch(d).await, fetch(a).await],
            "next_page_uri": null,
            "page": 0,
            "page_size": 50,
            "previous_page_uri": null,
            "start": 0,
            "uri": uri,
        });
        assert_eq!(reply.json(), expected);
        assert_eq!(reply.text(), expected.to_string());

        // Nothing sent yet: an empty page.
        let fake = start().await;
        let reply = call(&fake, "GET", &messages_path()).await;
        let uri = format!("/2010-04-01/Accounts/{SID}/Messages.json?PageSize=50&Page=0");
        assert_eq!(
            reply.text(),
            format!(
                r#"{{"end":0,"first_page_uri":"{uri}","messages":[],"next_page_uri":null,"page":0,"page_size":50,"previous_page_uri":null,"start":0,"uri":"{uri}"}}"#
            )
        );
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn list_filters_by_date_sent() {
        use time::Month::{December, November};
        let fake = start_with_step(Duration::ZERO).await;
        let a = send_one(&fake, TO, FROM).await;
        let b = send_one(&fake, TO, FROM).await;
        let c = send_one(&fake, TO, FROM).await;
        {
            // Backdate them: sent the moment they were created, with no step.
            let mut stored = lock(&fake.shared.messages);
            stored[0].wall = utc(2026, November, 30, 23, 59, 59);
            stored[1].wall = utc(2026, December, 1, 0, 0, 0);
            stored[2].wall = utc(2026, December, 2, 12, 0, 0);
        }
        let cases: [(&str, &[&str]); 9] = [
            ("DateSent%3E=2026-12-01", &[c.as_str(), b.as_str()]),
            ("DateSent%3C=2026-12-01", &[b.as_str(), a.as_str()]),
            ("DateSent=2026-12-01", &[b.as_str()]),
            ("DateSent=2026-11-30", &[a.as_str()]),
            (
                "DateSent%3E=2026-12-01&DateSent%3C=2026-12-01",
                &[b.as_str()],
            ),
            (
                "DateSent%3E=2026-11-30&DateSent%3C=2026-12-02",
                &[c.as_str(), b.as_str(), a.as_str()],
            ),
            ("DateSent%3E=2026-12-03", &[]),
            ("DateSent%3C=2026-11-29", &[]),
            ("DateSent%3e=2026-12-02&To=%2B15558675310", &[c.as_str()]),
        ];
        for (query, expected) in cases {
            assert_eq!(sids(&list(&fake, query).await), expected, "{query}");
        }
        let page = list(&fake, "DateSent%3E=2026-12-01&DateSent%3C=2026-12-02").await;
        assert_eq!(
            page["uri"],
            format!(
                "/2010-04-01/Accounts/{SID}/Messages.json?DateSent%3C=2026-12-02&DateSent%3E=2026-12-01&PageSize=50&Page=0"
            )
        );
        let dates: Vec<&Value> = page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| &m["date_sent"])
            .collect();
        assert_eq!(
            dates,
            [
                "Wed, 02 Dec 2026 12:00:00 +0000",
                "Tue, 01 Dec 2026 00:00:00 +0000"
            ]
        );
        fake.shutdown().await;

        // A message not sent yet has no date_sent: no DateSent filter matches it.
        let fake = start_with_step(Duration::from_secs(3600)).await;
        let sid = send_one(&fake, TO, FROM).await;
        let page = list(&fake, "").await;
        assert_eq!(sids(&page), [sid.as_str()]);
        assert_eq!(page["messages"][0]["status"], "queued");
        assert_eq!(page["messages"][0]["date_sent"], Value::Null);
        assert!(sids(&list(&fake, "DateSent%3E=2000-01-01").await).is_empty());
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn malformed_list_parameters_are_400() {
        let fake = start().await;
        send_one(&fake, TO, FROM).await;
        let cases = [
            (
                "DateSent=2026-13-01",
                "DateSent",
                "2026-13-01",
                "a date as YYYY-MM-DD",
            ),
            (
                "DateSent=2026-02-30",
                "DateSent",
                "2026-02-30",
                "a date as YYYY-MM-DD",
            ),
            (
                "DateSent%3E=20261201",
                "DateSent>",
                "20261201",
                "a date as YYYY-MM-DD",
            ),
            (
                "DateSent%3C=2026-12-1",
                "DateSent<",
                "2026-12-1",
                "a date as YYYY-MM-DD",
            ),
            (
                "DateSent%3E=2026-12-01T00%3A00%3A00Z",
                "DateSent>",
                "2026-12-01T00:00:00Z",
                "a date as YYYY-MM-DD",
            ),
            (
                "DateSent=+026-12-01",
                "DateSent",
                " 026-12-01",
                "a date as YYYY-MM-DD",
            ),
            (
                "DateSent=today",
                "DateSent",
                "today",
                "a date as YYYY-MM-DD",
            ),
            (
                "PageSize=0",
                "PageSize",
                "0",
                "a whole number from 1 to 1000",
            ),
            (
                "PageSize=ten",
                "PageSize",
                "ten",
                "a whole number from 1 to 1000",
            ),
            ("Page=-1", "Page", "-1", "a whole number from 0"),
            (
                "PageToken=PASMnope",
                "PageToken",
                "PASMnope",
                "a token from a next_page_uri",
            ),
        ];
        for (query, name, value, expected) in cases {
            call(&fake, "GET", &format!("{}?{query}", messages_path()))
                .await
                .assert_error(
                    400,
                    20001,
                    &format!("Invalid value '{value}' for parameter {name}: expected {expected}."),
                );
        }
        // Above the maximum page size is read as the maximum.
        assert_eq!(list(&fake, "PageSize=5000").await["page_size"], 1000);
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn paging_follows_next_page_uri_to_the_end() {
        let fake = start_with_step(Duration::ZERO).await;
        let a = send_one(&fake, TO, FROM).await;
        send_one(&fake, "+442071838750", FROM).await; // filtered out on every page
        let b = send_one(&fake, TO, FROM).await;
        let c = send_one(&fake, TO, FROM).await;

        let first = format!("{}?To=%2B15558675310&PageSize=1", messages_path());
        let mut path = first.clone();
        let mut pages = Vec::new();
        loop {
            let page = call(&fake, "GET", &path).await.json();
            if pages.is_empty() {
                // A message sent while paging does not shift the pages already handed out.
                send_one(&fake, TO, FROM).await;
            }
            let next = page["next_page_uri"].as_str().map(str::to_owned);
            pages.push(page);
            match next {
                Some(next) => path = next,
                None => break,
            }
            assert!(pages.len() < 10, "paging never ends: {pages:?}");
        }
        let got: Vec<Vec<String>> = pages.iter().map(sids).collect();
        assert_eq!(got, [[c.as_str()], [b.as_str()], [a.as_str()]]);
        let base = format!("/2010-04-01/Accounts/{SID}/Messages.json?To=%2B15558675310&PageSize=1");
        for (n, page) in pages.iter().enumerate() {
            assert_eq!(
                (
                    &page["page"],
                    &page["page_size"],
                    &page["start"],
                    &page["end"]
                ),
                (&json!(n), &json!(1), &json!(n), &json!(n))
            );
            assert_eq!(page["first_page_uri"], format!("{base}&Page=0"));
            assert_eq!(page["previous_page_uri"], Value::Null);
        }
        assert_eq!(pages[0]["uri"], format!("{base}&Page=0"));
        assert_eq!(
            pages[0]["next_page_uri"],
            format!("{base}&Page=1&PageToken=PA{c}")
        );
        assert_eq!(pages[1]["uri"], pages[0]["next_page_uri"]);
        assert_eq!(
            pages[1]["next_page_uri"],
            format!("{base}&Page=2&PageToken=PA{b}")
        );
        assert_eq!(pages[2]["next_page_uri"], Value::Null);
        // The first page now starts with the message sent while paging.
        let page = call(&fake, "GET", &first).await.json();
        assert_eq!(sids(&page), [fake.messages()[4]["sid"].as_str().unwrap()]);
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn stall_after_create_leaves_a_listed_message() {
        let fake = start().await;
        fake.push_faults([Fault::StallAfterCreate]);
        let auth = good_auth();
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        let body = b"To=%2B15558675310&From=%2B15017122661&Body=lost";
        let request = build("POST", &messages_path(), &headers, body, Framing::Length);
        let mut stream = TcpStream::connect(fake.addr()).await.unwrap();
        stream.write_all(&request).await.unwrap();
        let mut byte = [0u8; 1];
        let silent = tokio::time::timeout(Duration::from_millis(300), stream.read(&mut byte)).await;
        assert!(silent.is_err(), "the send got an answer");
        assert_eq!(fake.pending_faults(), 0);

        // Twilio took it: it is recorded, fetched and listed, and it progresses.
        let messages = fake.messages();
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0]["body"], "lost");
        assert_eq!(messages[0]["status"], "queued");
        let sid = messages[0]["sid"].as_str().unwrap();
        let message = call(&fake, "GET", &message_path(sid)).await.json();
        assert_eq!(
            message["status"], "delivered",
            "300 ms is past two 100 ms steps"
        );
        let page = list(&fake, "To=%2B15558675310").await;
        assert_eq!(page["messages"], json!([message]));
        fake.shutdown().await;
        let closed = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte))
            .await
            .expect("closed at shutdown");
        assert!(matches!(closed, Ok(0) | Err(_)));
    }

    #[tokio::test]
    async fn close_after_create_leaves_a_listed_message() {
        let fake = start_with_step(Duration::ZERO).await;
        fake.push_faults([Fault::CloseAfterCreate]);
        let auth = good_auth();
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        let body = b"To=%2B15558675310&From=%2B15017122661&Body=cut";
        let request = build("POST", &messages_path(), &headers, body, Framing::Length);
        let raw = exchange_raw(fake.addr(), &request).await;
        assert!(
            raw.is_empty(),
            "no answer at all: {:?}",
            String::from_utf8_lossy(&raw)
        );
        let messages = fake.messages();
        assert_eq!(messages.len(), 1);
        let sid = messages[0]["sid"].as_str().unwrap();
        let message = call(&fake, "GET", &message_path(sid)).await.json();
        assert_eq!(
            (&message["sid"], &message["status"]),
            (&json!(sid), &json!("delivered"))
        );
        assert_eq!(sids(&list(&fake, "").await), [sid]);

        // An invalid send creates nothing, and its error is lost the same way.
        fake.push_faults([Fault::CloseAfterCreate]);
        let request = build(
            "POST",
            &messages_path(),
            &headers,
            b"To=%2B15558675310&Body=no+sender",
            Framing::Length,
        );
        assert!(exchange_raw(fake.addr(), &request).await.is_empty());
        assert_eq!(fake.messages().len(), 1);
        assert_eq!(fake.pending_faults(), 0);
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn faults_answer_message_reads() {
        let fake = start().await;
        let sid = send_one(&fake, TO, FROM).await;
        fake.push_faults([
            Fault::TooManyRequests {
                retry_after: Some(2),
            },
            Fault::NotJson,
            Fault::ServiceUnavailable { retry_after: None },
            Fault::Stall,
        ]);
        // An unauthenticated poll leaves the queue alone.
        get(&fake, &message_path(&sid), None).await;
        assert_eq!(fake.pending_faults(), 4);

        let reply = call(&fake, "GET", &message_path(&sid)).await;
        reply.assert_error(429, 20429, "Too Many Requests");
        assert_eq!(reply.header("retry-after"), Some("2"));
        // A read's success status is 200, not the send's 201.
        let reply = call(&fake, "GET", &messages_path()).await;
        assert_eq!(reply.status, 200);
        assert!(reply.text().starts_with("<!DOCTYPE html>"));
        // Faults answer whatever the method or the account (a 405 or 404 otherwise).
        let reply = call(&fake, "DELETE", &message_path(&sid)).await;
        assert_eq!(reply.status, 503);
        let path = "/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages.json";
        let auth = good_auth();
        let request = build(
            "GET",
            path,
            &[("Authorization", auth.as_str())],
            b"",
            Framing::None,
        );
        let mut stream = TcpStream::connect(fake.addr()).await.unwrap();
        stream.write_all(&request).await.unwrap();
        let mut byte = [0u8; 1];
        let silent = tokio::time::timeout(Duration::from_millis(200), stream.read(&mut byte)).await;
        assert!(silent.is_err(), "a stalled poll gets no answer");

        assert_eq!(fake.pending_faults(), 0);
        assert_eq!(call(&fake, "GET", &message_path(&sid)).await.status, 200);
        assert_eq!(fake.messages().len(), 1);
        fake.shutdown().await;
    }

    #[tokio::test]
    async fn wrong_method_on_message_paths_is_405() {
        let fake = start().await;
        let sid = send_one(&fake, TO, FROM).await;
        let foreign =
            format!("/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/{sid}.json");
        for (method, path, allow) in [
            ("POST", message_path(&sid), "GET"),
            ("DELETE", message_path(&sid), "GET"),
            (
                "PUT",
                message_path("SM00000000000000000000000000000000"),
                "GET",
            ),
            // The method is checked before the account, as for the other paths.
            ("POST", foreign, "GET"),
            ("PUT", messages_path(), "GET, POST"),
            ("PATCH", messages_path(), "GET, POST"),
        ] {
            let reply = call(&fake, method, &path).await;
            reply.assert_error(405, 20004, "Method not allowed");
            assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
        }
        assert_eq!(fake.messages().len(), 1);
        fake.shutdown().await;
    }

    /// A status-callback receiver answering 204; records when each post arrived and its form.
    async fn callback_receiver() -> (String, Arc<Mutex<Vec<(Instant, String)>>>, JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/status", listener.local_addr().unwrap());
        let posts = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&posts);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let record = Arc::clone(&record);
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let record = Arc::clone(&record);
                        async move {
                            let arrived = Instant::now();
                            let body = request.into_body().collect().await?.to_bytes();
                            let form = String::from_utf8_lossy(&body).into_owned();
                            lock(&record).push((arrived, form));
                            let mut response = Response::new(Full::new(Bytes::new()));
                            *response.status_mut() = StatusCode::NO_CONTENT;
                            Ok::<_, hyper::Error>(response)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (url, posts, task)
    }

    #[tokio::test]
    async fn callbacks_are_posted_as_the_status_changes() {
        let step = Duration::from_millis(60);
        let fake = start_with_step(step).await;
        let (url, posts, receiver) = callback_receiver().await;
        let posted = Instant::now();
        let reply = send_form(
            &fake,
            &[
                ("To", UNDELIVERABLE_TO),
                ("From", FROM),
                ("Body", "hi"),
                ("StatusCallback", &url),
            ],
        )
        .await;
        let sid = reply.json()["sid"].as_str().unwrap().to_owned();
        let deadline = Instant::now() + Duration::from_secs(10);
        while fake.callbacks().len() < 2 {
            assert!(Instant::now() < deadline, "{:?}", fake.callbacks());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let statuses: Vec<(String, String, Result<u16, String>)> = fake
            .callbacks()
            .into_iter()
            .map(|c| (c.message_sid, c.status, c.answer))
            .collect();
        assert_eq!(
            statuses,
            [
                (sid.clone(), "sent".to_owned(), Ok(204)),
                (sid.clone(), "undelivered".to_owned(), Ok(204)),
            ]
        );
        let posts = lock(&posts).clone();
        assert_eq!(posts.len(), 2);
        // Each arrives no earlier than its status change, and agrees with a fetch.
        assert!(posts[0].0 - posted >= step, "sent posted early");
        assert!(posts[1].0 - posted >= step * 2, "undelivered posted early");
        assert!(
            posts[0].1.contains("&MessageStatus=sent&"),
            "{}",
            posts[0].1
        );
        assert!(
            posts[1]
                .1
                .ends_with("&MessageStatus=undelivered&SmsStatus=undelivered&ErrorCode=30006"),
            "{}",
            posts[1].1
        );
        let message = call(&fake, "GET", &message_path(&sid)).await.json();
        assert_eq!(message["status"], "undelivered");
        receiver.abort();
        fake.shutdown().await;
    }
}
