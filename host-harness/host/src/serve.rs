//! The webhook endpoint: Twilio posts delivery updates and customers' replies here, and each
//! request goes to the plugin's `handle-webhook`, which checks its signature and records it.
//!
//! Answers: 204 when recorded; 403 when the signature (or the request) is refused, and then
//! nothing is recorded; 503 when the store is not connected; 500 when the host failed.

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

/// A running webhook server.
pub struct WebhookServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
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
        let task = tokio::spawn(async move {
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
        Ok(WebhookServer { addr, task })
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
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for WebhookServer {
    fn drop(&mut self) {
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
                WebhookEvent::Inbound(m) => log::info!("webhook: a reply from {}", m.from),
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
