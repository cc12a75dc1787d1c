//! The webhook endpoint: Twilio posts delivery updates and customers' replies here, and each
//! request goes to the plugin's `handle-webhook`, which checks its signature and records it.
//!
//! Answers: 204 when recorded; 403 when the signature (or the request) is refused, and then
//! nothing is recorded; 503 when the store is not connected; 500 when the host failed.
//!
//! While it runs, the server also releases the notices held for quiet hours once they are
//! due ([`Harness::release_due`]) and purges texts past their retention
//! ([`Harness::purge_expired`]), every [`RELEASE_EVERY`] by default; and when the store has
//! no `webhook-url` (so Twilio's callbacks cannot reach it), it asks Twilio for the delivery
//! statuses itself ([`Harness::sync`]) every [`SYNC_EVERY`].

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use crate::types::{self, WebhookEvent, WebhookRequest};
use crate::{Error, Harness};

/// Twilio's webhook bodies are a few KB.
const MAX_BODY: usize = 64 * 1024;

/// How often a running server releases due held notices, unless told otherwise.
pub const RELEASE_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// How often a running server syncs delivery statuses when no `webhook-url` is set.
pub const SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(5 * 60);

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
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let harness = harness.clone();
                let public_url = public_url.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let harness = harness.clone();
                        let public_url = public_url.clone();
                        async move {
                            Ok::<_, std::convert::Infallible>(
                                handle(&harness, public_url.as_deref(), request).await,
                            )
                        }
                    });
                    let _ = http1::Builder::new()
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
    pub fn release_held_every(&mut self, every: std::time::Duration) {
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
    pub fn sync_every(&mut self, every: std::time::Duration) {
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
fn periodic<F, Fut>(
    every: std::time::Duration,
    wait_first: bool,
    mut job: F,
) -> tokio::task::JoinHandle<()>
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
    request: hyper::Request<hyper::body::Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
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
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => return answer(413, "the webhook body is too large\n"),
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
