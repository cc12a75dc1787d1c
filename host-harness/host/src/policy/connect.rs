//! How a request the policy allowed reaches its server: the name is resolved once, every
//! address it resolves to is checked, and the connection goes to one of those checked
//! addresses.
//!
//! Resolving for the check and then letting the connection resolve again would let a DNS
//! answer that changes in between (rebinding: public for the check, `10.0.0.1` for the
//! connection) reach inside the store's network. So this module owns the connection: its
//! [`Resolver`] is asked once, and the TCP connection, TLS (with the name as SNI and for
//! the certificate, against the webpki roots unless the [`Connector`] is given others) and
//! HTTP/1.1 run over the address that was checked, with the same connect, first-byte and
//! between-bytes timeouts wasi:http has.
//!
//! The [`Connector`] keeps a connection whose response was read to its end for the next
//! request to the same origin over the same checked addresses.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

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
fn webpki_config() -> Arc<rustls::ClientConfig> {
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

type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, Error>;
type Sender = hyper::client::conn::http1::SendRequest<Body>;

/// How long an idle connection is kept for the next request. Servers close idle
/// connections after a minute or more (60 s is the common load balancer default); staying
/// well under that keeps a request from meeting a connection the server is closing.
const IDLE_FOR: Duration = Duration::from_secs(20);
/// The most idle connections kept per destination.
const MAX_IDLE: usize = 256;

/// Which connections may carry a request: the same origin (scheme, name, port: the TLS
/// session was verified for that name) over the same checked addresses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    origin: Origin,
    addrs: Vec<SocketAddr>,
}

/// Connections kept open between requests, by destination.
struct Idle {
    by_key: Mutex<HashMap<Key, Vec<(Sender, Instant)>>>,
    /// How long an idle connection is kept ([`IDLE_FOR`]).
    keep_for: Duration,
    /// The most kept per destination ([`MAX_IDLE`]).
    max: usize,
}

impl Default for Idle {
    fn default() -> Self {
        Idle {
            by_key: Mutex::default(),
            keep_for: IDLE_FOR,
            max: MAX_IDLE,
        }
    }
}

impl Idle {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Vec<(Sender, Instant)>>> {
        self.by_key.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The most recently used connection to `key` that is still open and young enough.
    fn take(&self, key: &Key) -> Option<Sender> {
        let mut map = self.map();
        let idle = map.get_mut(key)?;
        let found = std::iter::from_fn(|| idle.pop())
            .find(|(sender, since)| !sender.is_closed() && since.elapsed() < self.keep_for);
        if idle.is_empty() {
            map.remove(key);
        }
        found.map(|(sender, _)| sender)
    }

    /// Keeps `sender` for the next request to `key`.
    fn put(&self, key: Key, sender: Sender) {
        let mut map = self.map();
        let idle = map.entry(key).or_default();
        idle.retain(|(sender, since)| !sender.is_closed() && since.elapsed() < self.keep_for);
        if idle.len() < self.max {
            idle.push((sender, Instant::now()));
        }
    }

    fn count(&self) -> usize {
        self.map().values().map(Vec::len).sum()
    }
}

/// Opens (and reuses) the connections the plugin's requests travel over.
///
/// A connection whose response was read to its end is kept for the next request to the
/// same destination, for up to [`IDLE_FOR`]: a batch of sends, or a busy store, pays for
/// TCP and TLS once rather than once a message. A request goes out on a kept connection
/// only as a whole: if that connection turns out to be closed before any byte of the
/// request was written, the request goes on a new connection instead; once anything was
/// written, the outcome is the server's to tell and the request is never sent again.
pub struct Connector {
    tls: Arc<rustls::ClientConfig>,
    idle: Arc<Idle>,
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("idle", &self.idle.count())
            .finish_non_exhaustive()
    }
}

impl Default for Connector {
    /// Certificates checked against the webpki roots (Mozilla's).
    fn default() -> Self {
        Connector::with_tls(webpki_config())
    }
}

impl Connector {
    /// Certificates checked by `tls` instead of against the webpki roots.
    pub fn with_tls(tls: Arc<rustls::ClientConfig>) -> Connector {
        Connector {
            tls,
            idle: Arc::default(),
        }
    }

    /// How many idle connections are kept now.
    pub fn idle_connections(&self) -> usize {
        self.idle.count()
    }

    /// A new connection to one of `pinned`'s addresses: TCP, TLS for `https` (the origin's
    /// name as SNI and for the certificate), then the HTTP/1.1 handshake.
    async fn open(&self, pinned: &Pinned, connect: Duration) -> Result<Sender, Error> {
        let tcp = connect_any(&pinned.addrs, connect).await?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Stream> = match pinned.origin.scheme {
            Scheme::Http => Box::new(tcp),
            Scheme::Https => {
                let name = rustls::pki_types::ServerName::try_from(pinned.origin.host.clone())?;
                let tls = tokio::time::timeout(
                    connect,
                    tokio_rustls::TlsConnector::from(self.tls.clone()).connect(name, tcp),
                )
                .await
                .map_err(|_| Error::ConnectionTimeout)?
                .map_err(Error::Tls)?;
                Box::new(tls)
            }
        };
        let (sender, connection) = tokio::time::timeout(
            connect,
            hyper::client::conn::http1::handshake(TokioIo::new(stream)),
        )
        .await
        .map_err(|_| Error::ConnectionTimeout)??;
        // The connection runs on its own until the server closes it, or until its last
        // sender (in use or kept idle) is dropped.
        tokio::spawn(connection);
        Ok(sender)
    }

    /// A kept connection to `key` that is ready for a request, if there is one.
    async fn reuse(&self, key: &Key) -> Option<Sender> {
        while let Some(mut sender) = self.idle.take(key) {
            // Ready at once unless the connection is still finishing its last response.
            if sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
        None
    }

    /// Sends `request` over a connection to one of `pinned`'s addresses.
    pub(crate) async fn send(
        &self,
        mut request: http::Request<Body>,
        options: RequestOptions,
        pinned: Pinned,
    ) -> Result<http::Response<Body>, Error> {
        let connect = options.connect_timeout.unwrap_or(Duration::from_secs(600));
        let first_byte = options
            .first_byte_timeout
            .unwrap_or(Duration::from_secs(600));
        let between = options
            .between_bytes_timeout
            .unwrap_or(Duration::from_secs(600))
            .max(Duration::from_millis(1));
        // The request line carries the path only: the authority is in the Host header.
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .parse()
            .map_err(|_| Error::HttpRequestUriInvalid)?;
        *request.uri_mut() = path;
        let key = Key {
            origin: pinned.origin.clone(),
            addrs: pinned.addrs.clone(),
        };
        let (mut sender, mut reused) = match self.reuse(&key).await {
            Some(sender) => (sender, true),
            None => (self.open(&pinned, connect).await?, false),
        };
        let response = loop {
            // Dropping a request in flight (the timeout) closes its connection.
            let sent = tokio::time::timeout(first_byte, sender.try_send_request(request))
                .await
                .map_err(|_| Error::ConnectionReadTimeout)?;
            match sent {
                Ok(response) => break response,
                Err(mut e) => match resend(e.take_message(), reused) {
                    Some(unsent) => {
                        request = unsent;
                        sender = self.open(&pinned, connect).await?;
                        reused = false;
                    }
                    None => return Err(Error::from(e.into_error())),
                },
            }
        };
        let idle = self.idle.clone();
        Ok(response.map(|incoming| {
            BetweenBytes {
                incoming,
                every: between,
                deadline: Box::pin(tokio::time::sleep(between)),
                back: Some((sender, key, idle)),
            }
            .boxed_unsync()
        }))
    }
}

/// What goes again after a request failed on a connection: the request hyper handed back
/// (`unsent`: not a byte of it was written) when the connection was a kept one, which had
/// closed while idle; it then goes once, on a new connection. Nothing else goes again: a
/// request that was written, even in part, may have reached the server, and a new
/// connection that fails is the server's answer.
fn resend<R>(unsent: Option<R>, reused: bool) -> Option<R> {
    unsent.filter(|_| reused)
}

/// A response body that fails with `connection-read-timeout` when no frame comes for
/// `every`.
///
/// Read to its end, it hands its connection back for the next request; dropped before the
/// end, it drops the connection with it.
struct BetweenBytes {
    incoming: hyper::body::Incoming,
    every: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
    /// The connection the response came on, and where it is kept when the body has ended.
    back: Option<(Sender, Key, Arc<Idle>)>,
}

impl BetweenBytes {
    /// The response has been read to its end: its connection may carry another request.
    fn finished(&mut self) {
        if let Some((sender, key, idle)) = self.back.take() {
            idle.put(key, sender);
        }
    }
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
                if self.incoming.is_end_stream() {
                    self.finished();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Error::from(e)))),
            Poll::Ready(None) => {
                self.finished();
                Poll::Ready(None)
            }
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use http_body::Body as _;
    use http_body_util::Full;
    use hyper::service::service_fn;
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    use super::*;

    /// A certificate authority of the test's own, and a certificate it signed.
    struct Pki {
        ca: CertificateDer<'static>,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    }

    /// A CA, and a certificate from it for `name`.
    fn pki(name: &str) -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        Pki {
            ca: ca.der().clone(),
            chain: vec![leaf.der().clone()],
            key: PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        }
    }

    /// A connector that trusts `ca` only.
    fn trusting(ca: &CertificateDer<'static>) -> Connector {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.clone()).unwrap();
        let config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Connector::with_tls(Arc::new(config))
    }

    /// A server on 127.0.0.1 that answers `<SNI> <path>` (TLS when given a certificate),
    /// counts the connections it accepted, and closes each after `per_connection` answers.
    struct Server {
        addr: SocketAddr,
        accepted: Arc<AtomicUsize>,
    }

    async fn server(tls: Option<&Pki>, per_connection: usize) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = tls.map(|pki| {
            let config = rustls::ServerConfig::builder()
                .with_no_client_auth()
                .with_single_cert(pki.chain.clone(), pki.key.clone_key())
                .unwrap();
            tokio_rustls::TlsAcceptor::from(Arc::new(config))
        });
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                counter.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let (io, sni): (Box<dyn Stream>, String) = match acceptor {
                        None => (Box::new(tcp), "-".into()),
                        Some(acceptor) => {
                            let Ok(tls) = acceptor.accept(tcp).await else {
                                return;
                            };
                            let sni = tls.get_ref().1.server_name().unwrap_or("-").to_owned();
                            (Box::new(tls), sni)
                        }
                    };
                    let answered = Arc::new(AtomicUsize::new(0));
                    let service = service_fn(move |request: http::Request<_>| {
                        let n = answered.fetch_add(1, Ordering::SeqCst) + 1;
                        let body = format!("{sni} {}", request.uri());
                        let mut response = http::Response::new(Full::new(Bytes::from(body)));
                        if n == per_connection {
                            response
                                .headers_mut()
                                .insert(http::header::CONNECTION, "close".parse().unwrap());
                        }
                        async move { Ok::<_, std::convert::Infallible>(response) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(io), service)
                        .await;
                });
            }
        });
        Server { addr, accepted }
    }

    fn pinned(origin: &str, addr: SocketAddr) -> Pinned {
        Pinned {
            origin: origin.parse().unwrap(),
            addrs: vec![addr],
            rewritten: None,
        }
    }

    fn request(path: &str) -> http::Request<Body> {
        http::Request::builder()
            .method("POST")
            .uri(format!("https://api.twilio.com{path}"))
            .header(http::header::HOST, "api.twilio.com")
            .body(
                Full::new(Bytes::from_static(b"To=%2B15005550006"))
                    .map_err(|never| match never {})
                    .boxed_unsync(),
            )
            .unwrap()
    }

    /// Sends one request and reads its answer to the end.
    async fn exchange(connector: &Connector, pinned: &Pinned, path: &str) -> Result<String, Error> {
        let response = connector
            .send(request(path), RequestOptions::default(), pinned.clone())
            .await?;
        let body = response.into_body().collect().await?.to_bytes();
        Ok(String::from_utf8(body.to_vec()).unwrap())
    }

    /// A connector whose kept connections expire after `keep_for`, at most `max` of them
    /// per destination.
    fn keeping(keep_for: Duration, max: usize) -> Connector {
        Connector {
            idle: Arc::new(Idle {
                by_key: Mutex::default(),
                keep_for,
                max,
            }),
            ..Connector::default()
        }
    }

    fn plain(server: &Server) -> Pinned {
        pinned(
            &format!("http://127.0.0.1:{}", server.addr.port()),
            server.addr,
        )
    }

    /// `n` answers held at once, their bodies unread: `n` connections.
    async fn held(connector: &Connector, to: &Pinned, n: usize) -> Vec<http::Response<Body>> {
        let mut held = Vec::new();
        for i in 0..n {
            let response = connector
                .send(
                    request(&format!("/{i}")),
                    RequestOptions::default(),
                    to.clone(),
                )
                .await
                .unwrap();
            held.push(response);
        }
        held
    }

    /// Reads one request of [`request`]'s (its body ends the form) off a raw connection, or
    /// what came before the client hung up.
    async fn read_request(tcp: &mut TcpStream) -> Vec<u8> {
        use tokio::io::AsyncReadExt as _;
        let mut buf = vec![0; 4096];
        let mut seen = Vec::new();
        while !seen.ends_with(b"To=%2B15005550006") {
            let Ok(n @ 1..) = tcp.read(&mut buf).await else {
                break;
            };
            seen.extend_from_slice(&buf[..n]);
        }
        seen
    }

    async fn read_to_end(response: http::Response<Body>) -> Bytes {
        response.into_body().collect().await.unwrap().to_bytes()
    }

    #[test]
    fn only_a_request_handed_back_from_a_kept_connection_goes_again() {
        assert_eq!(resend(Some("request"), true), Some("request"));
        // A new connection that fails is the server's answer.
        assert_eq!(resend(Some("request"), false), None);
        // Written, even in part: it may have arrived.
        assert_eq!(resend(None::<&str>, true), None);
    }

    #[tokio::test]
    async fn a_connection_idle_too_long_is_dropped_not_used() {
        const KEEP: Duration = Duration::from_millis(500);
        let stale = KEEP + Duration::from_millis(300);
        let server = server(None, usize::MAX).await;
        let to = plain(&server);
        let connector = keeping(KEEP, 8);
        let mut held = held(&connector, &to, 3).await.into_iter();
        assert_eq!(server.accepted.load(Ordering::SeqCst), 3);
        read_to_end(held.next().unwrap()).await;
        assert_eq!(connector.idle_connections(), 1);
        tokio::time::sleep(stale).await;
        // Keeping the second drops the first, idle too long; the third joins the second.
        read_to_end(held.next().unwrap()).await;
        assert_eq!(connector.idle_connections(), 1);
        read_to_end(held.next().unwrap()).await;
        assert_eq!(connector.idle_connections(), 2);
        assert_eq!(format!("{connector:?}"), "Connector { idle: 2, .. }");
        // Both idle too long now: the next request goes on a fourth connection.
        tokio::time::sleep(stale).await;
        assert_eq!(exchange(&connector, &to, "/late").await.unwrap(), "- /late");
        assert_eq!(server.accepted.load(Ordering::SeqCst), 4);
        assert_eq!(connector.idle_connections(), 1);
    }

    #[tokio::test]
    async fn at_most_the_cap_of_connections_is_kept_per_destination() {
        let server = server(None, usize::MAX).await;
        let to = plain(&server);
        let connector = keeping(IDLE_FOR, 2);
        for response in held(&connector, &to, 3).await {
            read_to_end(response).await;
        }
        assert_eq!(server.accepted.load(Ordering::SeqCst), 3);
        assert_eq!(connector.idle_connections(), 2);
    }

    #[tokio::test]
    async fn the_body_tells_its_length_and_its_end() {
        let server = server(None, usize::MAX).await;
        let connector = Connector::default();
        let response = connector
            .send(request("/abc"), RequestOptions::default(), plain(&server))
            .await
            .unwrap();
        let mut body = response.into_body();
        assert_eq!(body.size_hint().exact(), Some(6));
        assert!(!body.is_end_stream());
        let frame = body.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), "- /abc");
        assert!(body.is_end_stream());
        assert_eq!(connector.idle_connections(), 1);
    }

    #[tokio::test]
    async fn each_frame_restarts_the_between_bytes_limit() {
        // Four chunks 150 ms apart (450 ms in all) on `/steady`; on `/stall`, one chunk and
        // then 700 ms of silence. The limit is 400 ms between frames.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut tcp, _)) = listener.accept().await {
                tokio::spawn(async move {
                    use tokio::io::AsyncWriteExt as _;
                    let seen = read_request(&mut tcp).await;
                    let (gap, chunks) = if seen.starts_with(b"POST /stall ") {
                        (Duration::from_millis(700), 2)
                    } else {
                        (Duration::from_millis(150), 4)
                    };
                    let _ = tcp
                        .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                        .await;
                    for n in 0..chunks {
                        if n > 0 {
                            tokio::time::sleep(gap).await;
                        }
                        let _ = tcp.write_all(format!("1\r\n{n}\r\n").as_bytes()).await;
                    }
                    let _ = tcp.write_all(b"0\r\n\r\n").await;
                });
            }
        });
        let connector = Connector::default();
        let to = pinned(&format!("http://127.0.0.1:{}", addr.port()), addr);
        let options = || RequestOptions {
            between_bytes_timeout: Some(Duration::from_millis(400)),
            ..RequestOptions::default()
        };
        let steady = connector
            .send(request("/steady"), options(), to.clone())
            .await
            .unwrap();
        assert_eq!(read_to_end(steady).await, "0123");
        let stall = connector
            .send(request("/stall"), options(), to)
            .await
            .unwrap();
        let e = stall.into_body().collect().await.unwrap_err();
        assert!(matches!(e, Error::ConnectionReadTimeout), "{e:?}");
    }

    #[tokio::test]
    async fn https_goes_to_the_checked_address_as_the_origin_s_name_over_one_kept_connection() {
        let pki = pki("api.twilio.com");
        let server = server(Some(&pki), usize::MAX).await;
        let connector = trusting(&pki.ca);
        let origin = format!("https://api.twilio.com:{}", server.addr.port());
        let to = pinned(&origin, server.addr);
        for n in 0..3 {
            let answer = exchange(&connector, &to, &format!("/Messages/{n}")).await;
            // The name went as SNI, the request line carries the path only.
            assert_eq!(answer.unwrap(), format!("api.twilio.com /Messages/{n}"));
        }
        assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
        assert_eq!(connector.idle_connections(), 1);
    }

    #[tokio::test]
    async fn a_certificate_for_another_name_or_from_an_unknown_authority_is_refused() {
        for (name, trusted) in [("evil.example", true), ("api.twilio.com", false)] {
            let pki = pki(name);
            let to = server(Some(&pki), usize::MAX).await;
            let origin = format!("https://api.twilio.com:{}", to.addr.port());
            // Trusted: the test's own authority; otherwise the webpki roots.
            let connector = if trusted {
                trusting(&pki.ca)
            } else {
                Connector::default()
            };
            let e = exchange(&connector, &pinned(&origin, to.addr), "/")
                .await
                .unwrap_err();
            assert!(matches!(e, Error::Tls(_)), "{name}: {e:?}");
            assert_eq!(to.accepted.load(Ordering::SeqCst), 1);
            assert_eq!(connector.idle_connections(), 0);
        }
    }

    #[tokio::test]
    async fn a_connection_the_server_closes_is_not_used_again() {
        // The server closes every connection after its second answer.
        let server = server(None, 2).await;
        let connector = Connector::default();
        let to = plain(&server);
        for n in 0..5 {
            let answer = exchange(&connector, &to, &format!("/{n}")).await.unwrap();
            assert_eq!(answer, format!("- /{n}"));
        }
        assert_eq!(server.accepted.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_kept_connection_the_server_dropped_without_a_word_is_replaced() {
        // Answers one request per connection, with no `Connection: close`, then hangs up:
        // the next request finds its kept connection closed.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut tcp, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                use tokio::io::AsyncWriteExt as _;
                read_request(&mut tcp).await;
                let _ = tcp
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await;
            }
        });
        let connector = Connector::default();
        let to = pinned(&format!("http://127.0.0.1:{}", addr.port()), addr);
        for _ in 0..5 {
            assert_eq!(exchange(&connector, &to, "/").await.unwrap(), "ok");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn a_response_not_read_to_its_end_does_not_give_its_connection_back() {
        let server = server(None, usize::MAX).await;
        let connector = Connector::default();
        let to = plain(&server);
        let response = connector
            .send(request("/"), RequestOptions::default(), to.clone())
            .await
            .unwrap();
        drop(response);
        assert_eq!(connector.idle_connections(), 0);
        assert_eq!(
            exchange(&connector, &to, "/again").await.unwrap(),
            "- /again"
        );
        assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
        assert_eq!(connector.idle_connections(), 1);
    }

    #[tokio::test]
    async fn kept_connections_are_per_origin_and_addresses() {
        let server = server(None, usize::MAX).await;
        let connector = Connector::default();
        let port = server.addr.port();
        let one = pinned(&format!("http://127.0.0.1:{port}"), server.addr);
        let other = pinned(&format!("http://localhost:{port}"), server.addr);
        exchange(&connector, &one, "/").await.unwrap();
        exchange(&connector, &other, "/").await.unwrap();
        exchange(&connector, &one, "/").await.unwrap();
        assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
        assert_eq!(connector.idle_connections(), 2);
    }
}
