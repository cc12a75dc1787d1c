//! How a request the policy allowed reaches its server: the name is resolved once, every
//! address it resolves to is checked, and the connection goes to one of those checked
//! addresses.
//!
//! Resolving for the check and then letting the connection resolve again would let a DNS
//! answer that changes in between (rebinding: public for the check, `10.0.0.1` for the
//! connection) reach inside the store's network. So this module owns the connection: its
//! [`Resolver`] is asked once, and the TCP connection, TLS (with the name as SNI and for
//! the certificate, against the webpki roots) and HTTP/1.1 run over the address that was
//! checked, with the same connect, first-byte and between-bytes timeouts wasi:http has.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wasmtime_wasi_http::{Error, RequestOptions};

use crate::origin::{Origin, Scheme};

/// The addresses a name resolves to.
pub type Resolution<'a> =
    Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send + 'a>>;

/// Turns a host name into addresses. The system's resolver unless a host (or a test) says
/// otherwise ([`crate::HarnessConfig::resolver`]).
pub trait Resolver: Send + Sync + fmt::Debug {
    /// The addresses of `host` at `port`, in the order to try them.
    fn resolve<'a>(&'a self, host: &'a str, port: u16) -> Resolution<'a>;
}

/// The operating system's resolver (`getaddrinfo`, through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn resolve<'a>(&'a self, host: &'a str, port: u16) -> Resolution<'a> {
        Box::pin(async move { Ok(tokio::net::lookup_host((host, port)).await?.collect()) })
    }
}

/// A request on its way out: where it goes, and the addresses already checked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pinned {
    /// The origin connected to (the rewritten one, for a fake Twilio).
    pub origin: Origin,
    /// The checked addresses, in the order to try them.
    pub addrs: Vec<SocketAddr>,
    /// The rewritten destination, when there is one (its `Host` header is set to match).
    pub rewritten: Option<Origin>,
}

trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// The TLS client configuration: the webpki roots, built once.
fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.into(),
            };
            let config = rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

/// The first of `addrs` that accepts a connection within `timeout` (shared by all tries).
async fn connect_any(addrs: &[SocketAddr], timeout: Duration) -> Result<TcpStream, Error> {
    let attempt = async {
        let mut last = None;
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(Error::Connect(last.unwrap_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, "the name has no address")
        })))
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| Error::ConnectionTimeout)?
}

type Sent = (
    http::Response<http_body_util::combinators::UnsyncBoxBody<Bytes, Error>>,
    Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>,
);

/// Sends `request` over a connection to one of `pinned`'s addresses.
pub(crate) async fn send(
    mut request: http::Request<http_body_util::combinators::UnsyncBoxBody<Bytes, Error>>,
    options: RequestOptions,
    pinned: Pinned,
) -> Result<Sent, Error> {
    let connect = options.connect_timeout.unwrap_or(Duration::from_secs(600));
    let first_byte = options
        .first_byte_timeout
        .unwrap_or(Duration::from_secs(600));
    let between = options
        .between_bytes_timeout
        .unwrap_or(Duration::from_secs(600))
        .max(Duration::from_millis(1));
    let tcp = connect_any(&pinned.addrs, connect).await?;
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Stream> = match pinned.origin.scheme {
        Scheme::Http => Box::new(tcp),
        Scheme::Https => {
            let name = rustls::pki_types::ServerName::try_from(pinned.origin.host.clone())?;
            let tls = tokio::time::timeout(
                connect,
                tokio_rustls::TlsConnector::from(tls_config()).connect(name, tcp),
            )
            .await
            .map_err(|_| Error::ConnectionTimeout)?
            .map_err(Error::Tls)?;
            Box::new(tls)
        }
    };
    let (mut sender, connection) = tokio::time::timeout(
        connect,
        hyper::client::conn::http1::handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| Error::ConnectionTimeout)??;
    let driving = tokio::spawn(connection);
    // The request line carries the path only: the authority is in the Host header.
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .parse()
        .map_err(|_| Error::HttpRequestUriInvalid)?;
    *request.uri_mut() = path;
    let response = tokio::time::timeout(first_byte, sender.send_request(request))
        .await
        .map_err(|_| Error::ConnectionReadTimeout)?
        .map_err(Error::from)?;
    let response = response.map(|incoming| {
        BetweenBytes {
            incoming,
            every: between,
            deadline: Box::pin(tokio::time::sleep(between)),
        }
        .boxed_unsync()
    });
    let io = Box::pin(async move {
        match driving.await {
            Ok(Ok(())) | Err(_) => Ok(()),
            Ok(Err(e)) if e.is_timeout() => Err(Error::HttpResponseTimeout),
            Ok(Err(e)) => Err(Error::from(e)),
        }
    });
    Ok((response, io))
}

/// A response body that fails with `connection-read-timeout` when no frame comes for
/// `every`.
struct BetweenBytes {
    incoming: hyper::body::Incoming,
    every: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for BetweenBytes {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Error>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let next = tokio::time::Instant::now() + self.every;
                self.deadline.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) if e.is_timeout() => {
                Poll::Ready(Some(Err(Error::HttpResponseTimeout)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Error::from(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Error::ConnectionReadTimeout))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.incoming.size_hint()
    }
}
