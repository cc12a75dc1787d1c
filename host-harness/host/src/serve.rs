//! The webhook endpoint: Twilio posts delivery updates and customers' replies here, and each
//! request goes to the plugin's `handle-webhook`, which checks its signature and records it.
//!
//! Answers: 204 when recorded; 403 when the signature (or the request) is refused, and then
//! nothing is recorded; 503 when the store is not connected; 500 when the host failed. Only
//! `POST /twilio` and `POST /twilio/{name}` (one more segment: `status`, later a store) are
//! webhooks: any other path is 404, any other method there 405.
//!
//! It faces the internet, so every client is bounded ([`ServeLimits`]): the time to send
//! the headers (which also closes a keep-alive connection left idle), the time to send the
//! body, the body's size, and the connections served at once. At the cap it stops
//! accepting, so new connections wait in the kernel's listen backlog for a slot (an idle or
//! stalled one frees its slot within the header timeout) rather than being refused; a
//! failing `accept` (out of file descriptors) backs off instead of spinning.
//!
//! While it runs, the server also releases the notices held for quiet hours once they are
//! due ([`Harness::release_due`]) and purges texts past their retention
//! ([`Harness::purge_expired`]), every [`RELEASE_EVERY`] by default; and when the store has
//! no `webhook-url` (so Twilio's callbacks cannot reach it), it asks Twilio for the delivery
//! statuses itself ([`Harness::sync`]) every [`SYNC_EVERY`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;

use crate::types::{self, WebhookEvent, WebhookRequest};
use crate::{Error, Harness};

/// What the webhook server allows each client, and all of them together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Time for a client to send a request's headers, counted from the connection's start or
    /// from the previous answer on a keep-alive connection (so an idle connection closes
    /// after it too). Twilio sends its headers at once.
    pub header_timeout: Duration,
    /// Time to send the body once the headers are in.
    pub body_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// The largest body accepted (Twilio's are a few KB); a larger one gets 413.
    pub max_body: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(10),
            max_connections: 4096,
            max_body: 64 * 1024,
        }
    }
}

/// How long to wait after a failed `accept` (`prev` the wait before, zero after a success):
/// from 10 ms, doubling, to at most a second.
fn accept_backoff(prev: Duration) -> Duration {
    (prev * 2).clamp(Duration::from_millis(10), Duration::from_secs(1))
}

/// Whether `path` is a webhook's: `/twilio`, or `/twilio/` and one more segment.
fn is_webhook_path(path: &str) -> bool {
    match path.strip_prefix("/twilio") {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix('/')
            .is_some_and(|name| !name.is_empty() && !name.contains('/')),
        None => false,
    }
}

/// How often the cap's log line may repeat while the server stays at it.
const CAP_LOG_EVERY: Duration = Duration::from_secs(60);

/// How often a running server releases due held notices, unless told otherwise.
pub const RELEASE_EVERY: Duration = Duration::from_secs(30);

/// How often a running server syncs delivery statuses when no `webhook-url` is set.
pub const SYNC_EVERY: Duration = Duration::from_secs(5 * 60);

/// A running webhook server.
pub struct WebhookServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    releaser: Option<tokio::task::JoinHandle<()>>,
    syncer: Option<tokio::task::JoinHandle<()>>,
    harness: Arc<Harness>,
}

impl WebhookServer {
    /// Listens on `listen` and serves until [`WebhookServer::shutdown`]. `public_url`
    /// (`scheme://host[:port]`) is the base Twilio calls when it is not what the `Host` header
    /// says (behind a proxy); signatures are checked against it. Each request is logged (`log`
    /// crate): accepted ones at info level, refused ones as warnings.
    pub async fn start(
        harness: Arc<Harness>,
        listen: SocketAddr,
        public_url: Option<String>,
    ) -> Result<WebhookServer, Error> {
        WebhookServer::start_with(harness, listen, public_url, ServeLimits::default()).await
    }

    /// [`WebhookServer::start`] with other limits.
    pub async fn start_with(
        harness: Arc<Harness>,
        listen: SocketAddr,
        public_url: Option<String>,
        limits: ServeLimits,
    ) -> Result<WebhookServer, Error> {
        let listen_failed = |source| Error::Listen {
            addr: listen,
            source,
        };
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(listen_failed)?;
        let addr = listener.local_addr().map_err(listen_failed)?;
        let public_url = public_url.map(|u| u.trim_end_matches('/').to_string());
        let serving = harness.clone();
        let task = tokio::spawn(async move {
            let harness = serving;
            let slots = Arc::new(Semaphore::new(limits.max_connections));
            let mut backoff = Duration::ZERO;
            let mut cap_logged: Option<Instant> = None;
            loop {
                let slot = match slots.clone().try_acquire_owned() {
                    Ok(slot) => slot,
                    Err(_) => {
                        if cap_logged.is_none_or(|at| at.elapsed() >= CAP_LOG_EVERY) {
                            log::warn!(
                                "webhook server: {} connections open, its cap; new ones wait in \
                                 the listen backlog until one closes (an idle one closes after \
                                 {} s)",
                                limits.max_connections,
                                limits.header_timeout.as_secs_f32()
                            );
                            cap_logged = Some(Instant::now());
                        }
                        match slots.clone().acquire_owned().await {
                            Ok(slot) => slot,
                            Err(_) => return,
                        }
                    }
                };
                let stream = match listener.accept().await {
                    Ok((stream, _)) => {
                        backoff = Duration::ZERO;
                        stream
                    }
                    Err(e) => {
                        backoff = accept_backoff(backoff);
                        log::warn!(
                            "webhook server: accepting a connection failed ({e}); trying again \
                             in {} ms",
                            backoff.as_millis()
                        );
                        tokio::time::sleep(backoff).await;
                        continue;
                    }
                };
                let harness = harness.clone();
                let public_url = public_url.clone();
                tokio::spawn(async move {
                    let _slot = slot;
                    let service = service_fn(move |request| {
                        let harness = harness.clone();
                        let public_url = public_url.clone();
                        async move {
                            Ok::<_, std::convert::Infallible>(
                                handle(&harness, public_url.as_deref(), &limits, request).await,
                            )
                        }
                    });
                    let _ = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(limits.header_timeout)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        let mut server = WebhookServer {
            addr,
            task,
            releaser: None,
            syncer: None,
            harness,
        };
        server.release_held_every(RELEASE_EVERY);
        server.sync_every(SYNC_EVERY);
        Ok(server)
    }

    /// Releases due held notices, and purges texts past their retention, every `every`
    /// (replacing the schedule before).
    pub fn release_held_every(&mut self, every: Duration) {
        let harness = self.harness.clone();
        replace(
            &mut self.releaser,
            periodic(every, false, move || {
                let harness = harness.clone();
                async move {
                    match harness.release_due().await {
                        Ok(released) if !released.is_empty() => {
                            log::info!("released {} held notice(s)", released.len());
                        }
                        Ok(_) => {}
                        Err(e) => log::error!("could not release the held notices: {e}"),
                    }
                    if let Err(e) = harness.purge_expired() {
                        log::error!("could not purge texts past their retention: {e}");
                    }
                }
            }),
        );
    }

    /// Syncs delivery statuses every `every` while the store has no `webhook-url` (replacing
    /// the schedule before). The first sync runs after one period.
    pub fn sync_every(&mut self, every: Duration) {
        let harness = self.harness.clone();
        replace(
            &mut self.syncer,
            periodic(every, true, move || {
                let harness = harness.clone();
                async move {
                    let webhooks = harness
                        .get_config(sms_core::service::CONFIG_WEBHOOK_URL)
                        .ok()
                        .flatten()
                        .is_some_and(|url| !url.trim().is_empty());
                    if webhooks {
                        return;
                    }
                    match harness.sync().await {
                        Ok(report) => log::info!(
                            "sync: {} status(es) read, {} send(s) of unknown outcome looked for, \
                             {} unreadable",
                            report.polled.len(),
                            report.resolved.len(),
                            report.failed.len()
                        ),
                        Err(e) => log::error!("could not sync delivery statuses: {e}"),
                    }
                }
            }),
        );
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, the base URL to give Twilio (or the fake) on this machine.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections.
    pub async fn shutdown(mut self) {
        if let Some(releaser) = self.releaser.take() {
            releaser.abort();
        }
        if let Some(syncer) = self.syncer.take() {
            syncer.abort();
        }
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

/// Runs `job` every `every` on the runtime (after one period first, when `wait_first`), a
/// late run delaying the next rather than bunching up.
fn periodic<F, Fut>(every: Duration, wait_first: bool, mut job: F) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        if wait_first {
            tick.tick().await;
        }
        loop {
            tick.tick().await;
            job().await;
        }
    })
}

/// Puts `task` in `slot`, stopping the one it replaces.
fn replace(slot: &mut Option<tokio::task::JoinHandle<()>>, task: tokio::task::JoinHandle<()>) {
    if let Some(old) = slot.replace(task) {
        old.abort();
    }
}

impl Drop for WebhookServer {
    fn drop(&mut self) {
        if let Some(releaser) = &self.releaser {
            releaser.abort();
        }
        if let Some(syncer) = &self.syncer {
            syncer.abort();
        }
        self.task.abort();
    }
}

fn answer(status: u16, text: &str) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(text.to_string())));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response
}

async fn handle(
    harness: &Harness,
    public_url: Option<&str>,
    limits: &ServeLimits,
    request: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    if !is_webhook_path(parts.uri.path()) {
        return answer(
            404,
            "not a webhook address: Twilio posts to /twilio (or /twilio/NAME)\n",
        );
    }
    if parts.method != http::Method::POST {
        let mut refused = answer(405, "a webhook is a POST\n");
        refused
            .headers_mut()
            .insert(http::header::ALLOW, http::HeaderValue::from_static("POST"));
        return refused;
    }
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let base = match (public_url, parts.headers.get(http::header::HOST)) {
        (Some(base), _) => base.to_string(),
        (None, Some(host)) => format!("http://{}", String::from_utf8_lossy(host.as_bytes())),
        (None, None) => return answer(400, "a webhook request needs a Host header\n"),
    };
    let collect = Limited::new(body, limits.max_body).collect();
    let body = match tokio::time::timeout(limits.body_timeout, collect).await {
        Ok(Ok(collected)) => collected.to_bytes().to_vec(),
        Ok(Err(_)) => return answer(413, "the webhook body is too large\n"),
        Err(_) => return answer(408, "the webhook body did not arrive in time\n"),
    };
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let url = format!("{base}{path}");
    match harness
        .handle_webhook(WebhookRequest { url, headers, body })
        .await
    {
        Ok(event) => {
            match &event {
                WebhookEvent::Status(d) => log::info!("webhook: {} is {}", d.message_sid, d.status),
                WebhookEvent::Inbound(m) => {
                    log::info!("webhook: a reply from {}", m.message.from)
                }
            }
            answer(204, "")
        }
        Err(Error::Plugin(e)) => {
            log::warn!("webhook refused ({}): {}", e.kind(), e.message);
            let status = match e.error {
                types::Error::WebhookRejected(_) => 403,
                types::Error::NotConnected => 503,
                _ => 500,
            };
            answer(status, &format!("{}\n", e.message))
        }
        Err(e) => {
            // A host failure is always reported: it needs someone's attention.
            log::error!("a webhook could not be handled: {e}");
            answer(500, "the host failed to handle the webhook\n")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_twilio_and_one_segment_below_it_are_webhooks() {
        for path in ["/twilio", "/twilio/status", "/twilio/store-7"] {
            assert!(is_webhook_path(path), "{path}");
        }
        for path in [
            "/",
            "",
            "/twilio/",
            "/twilio/a/b",
            "/twilios",
            "/twiliox/status",
            "/api/twilio",
        ] {
            assert!(!is_webhook_path(path), "{path}");
        }
    }

    #[test]
    fn a_failing_accept_waits_longer_each_time_up_to_a_second() {
        let mut wait = Duration::ZERO;
        let mut waits = Vec::new();
        for _ in 0..9 {
            wait = accept_backoff(wait);
            waits.push(wait.as_millis());
        }
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    }
}
