//! The store's console: the screens of the help article (Settings → Integrations → Twilio,
//! the customers with their "Text" button and live counter, the Audit Log, the Inbox) as a
//! web page, served over a [`pos_sms_host::Harness`].
//!
//! It is the reference UI a POS integrator copies, and the JSON API under `/api/` is what
//! the page uses (the README documents it). The page is a few hand-written files embedded in
//! this crate ([`assets`]): no build step and no third-party code.
//!
//! # Embedding
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use pos_sms_host::{Harness, HarnessConfig};
//! use pos_sms_console::{Console, ConsoleConfig};
//!
//! let harness = Arc::new(Harness::open(HarnessConfig::new("/var/lib/pos/sms"))?);
//! let console = Console::start(harness, ConsoleConfig::default()).await?;
//! println!("open {}", console.url()); // http://127.0.0.1:8791/?token=…
//! # Ok(()) }
//! ```
//!
//! # What keeps it safe
//!
//! The console controls the store's Twilio account, so:
//! - it listens on loopback unless told otherwise ([`ConsoleConfig::listen`]);
//! - every request needs the access token made at start-up: [`Console::url`] carries it
//!   once, and the first visit trades it for an `HttpOnly`, `SameSite=Strict` cookie (an
//!   integrator's program sends `Authorization: Bearer <token>` instead);
//! - the `Host` header must name the address it listens on, so a page on another name that
//!   resolves to 127.0.0.1 (DNS rebinding) is refused;
//! - every change (`POST`, `PUT`, `DELETE`) needs the `X-CSRF-Token` that `GET /api/session`
//!   gives the page, and a foreign `Origin` is refused;
//! - the Auth Token is write-only: it goes to the plugin's `connect` and is in no answer and
//!   no log line;
//! - every answer carries a strict Content-Security-Policy (no inline script or style,
//!   `frame-ancestors 'none'`), and the API's answers `Cache-Control: no-store`.
//!
//! It is not the webhook listener: [`pos_sms_host::serve`] stays the only thing meant to
//! face Twilio.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use pos_sms_host::Harness;

mod api;
pub mod assets;
mod auth;
mod http_util;

pub use auth::Access;

/// The address the console listens on unless told otherwise.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8791);

/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How the console runs.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// Where to listen; loopback by default. Any other address lets other machines reach
    /// the console (each still needs the token), and [`Console::exposed`] says so.
    pub listen: SocketAddr,
    /// The staff name recorded in the audit log for what is done through this console.
    pub user: String,
    /// Serve the page's files from this directory instead of the embedded copies (to work
    /// on the page without rebuilding). Only the files [`assets::ASSETS`] names are served.
    pub assets_dir: Option<PathBuf>,
    /// Whether this is `host-harness console --demo` (the page says so).
    pub demo: bool,
    /// The access token; none makes a random one (what a person running it wants).
    pub token: Option<String>,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            listen: DEFAULT_LISTEN,
            user: "console".into(),
            assets_dir: None,
            demo: false,
            token: None,
        }
    }
}

/// Why the console could not start.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The address could not be listened on.
    #[error(
        "could not listen on {addr}: {source}; pick another with --listen (for example \
         127.0.0.1:0 for any free port)"
    )]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The staff name is empty.
    #[error("the console's user is empty; name the staff member with --user")]
    EmptyUser,
}

/// What every request handler shares.
pub(crate) struct State {
    pub harness: Arc<Harness>,
    pub access: Access,
    pub user: String,
    pub demo: bool,
    pub assets_dir: Option<PathBuf>,
}

/// A running console.
pub struct Console {
    addr: SocketAddr,
    token: String,
    task: tokio::task::JoinHandle<()>,
}

impl Console {
    /// Listens on `config.listen` and serves until [`Console::shutdown`] (or drop).
    pub async fn start(
        harness: Arc<Harness>,
        config: ConsoleConfig,
    ) -> Result<Console, ConsoleError> {
        let user = config.user.trim().to_string();
        if user.is_empty() {
            return Err(ConsoleError::EmptyUser);
        }
        let listen_failed = |source| ConsoleError::Listen {
            addr: config.listen,
            source,
        };
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(listen_failed)?;
        let addr = listener.local_addr().map_err(listen_failed)?;
        let access = Access::new(addr, config.token);
        let token = access.token().to_string();
        let state = Arc::new(State {
            harness,
            access,
            user,
            demo: config.demo,
            assets_dir: config.assets_dir,
        });
        let task = tokio::spawn(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors, most likely: wait rather than spin.
                        log::warn!("console: accepting a connection failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                // The counter asks on every keystroke: answer at once, not after Nagle's wait.
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let state = state.clone();
                        async move {
                            Ok::<_, std::convert::Infallible>(api::handle(&state, request).await)
                        }
                    });
                    let _ = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(HEADER_TIMEOUT)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Console { addr, token, task })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/?token=…`: the one URL that opens the console. Show it only to the
    /// person meant to use it.
    pub fn url(&self) -> String {
        format!("{}/?token={}", self.origin(), self.token)
    }

    /// `http://ADDR`, the console's origin.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The access token (for `Authorization: Bearer`).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// True when it listens on an address other machines can reach.
    pub fn exposed(&self) -> bool {
        !self.addr.ip().is_loopback()
    }

    /// Stops accepting connections.
    pub async fn shutdown(self) {
        self.task.abort();
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.task.abort();
    }
}
