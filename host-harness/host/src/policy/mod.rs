//! Where the plugin's HTTP may go.
//!
//! wasi:http is the plugin's only way out, and this module is the only gate on it
//! (`WasiCtx`'s socket checks do not apply to wasi:http). A request leaves only when its
//! scheme, host and port, parsed separately, equal one of the origins the plugin's manifest
//! declares *and* one the host grants; a granted name must also resolve to globally reachable
//! addresses only ([`ip`]). Everything else is answered with wasi:http's
//! `HTTP-request-denied` and recorded as a [`Denial`]. By default the grant is
//! `https://api.twilio.com:443` alone.
//!
//! For tests and demos, a [`Rewrite`] sends requests for Twilio's origin to a fake instead
//! (and fixes the `Host` header to match), so the plugin's own code is the same as in
//! production.

pub mod connect;
pub mod ip;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks};

use crate::error::{Denial, DenialReason};
use crate::origin::{Origin, twilio_origin};

pub use connect::{Connector, Resolution, Resolver, SystemResolver};

/// Requests for `from` go to `to` instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    /// The origin the plugin addresses.
    pub from: Origin,
    /// Where such requests really go.
    pub to: Origin,
}

/// What the policy decided for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Send it, to `target` when the destination is rewritten.
    Allow {
        /// The rewritten destination, if any.
        target: Option<Origin>,
    },
    /// Refuse it, for this reason.
    Deny(DenialReason),
}

/// The host's side of the outbound grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundPolicy {
    /// The origins the host grants; empty denies everything.
    pub grants: Vec<Origin>,
    /// An optional redirection of a granted origin (for a fake Twilio).
    pub rewrite: Option<Rewrite>,
    /// Whether IP addresses and local names may be granted at all (tests only).
    pub allow_local: bool,
}

impl Default for OutboundPolicy {
    /// Twilio's REST API only.
    fn default() -> Self {
        OutboundPolicy {
            grants: vec![twilio_origin()],
            rewrite: None,
            allow_local: false,
        }
    }
}

impl OutboundPolicy {
    /// The default grant, with Twilio's origin sent to `fake` instead.
    pub fn with_fake_twilio(fake: Origin) -> OutboundPolicy {
        OutboundPolicy {
            rewrite: Some(Rewrite {
                from: twilio_origin(),
                to: fake,
            }),
            ..OutboundPolicy::default()
        }
    }

    /// Decides one request: it may leave only when its origin is a named host (unless local
    /// destinations are allowed), the plugin `declared` it in its manifest, and the host
    /// granted it.
    pub fn decide(&self, declared: &[Origin], uri: &http::Uri) -> Decision {
        let Some(origin) = Origin::of_uri(uri) else {
            return Decision::Deny(DenialReason::NoOrigin(uri.to_string()));
        };
        if origin.is_local() && !self.allow_local {
            return Decision::Deny(DenialReason::LocalDestination(origin));
        }
        if !declared.contains(&origin) {
            return Decision::Deny(DenialReason::NotDeclared {
                origin,
                declared: declared.to_vec(),
            });
        }
        if !self.grants.contains(&origin) {
            return Decision::Deny(DenialReason::NotGranted {
                origin,
                granted: self.grants.clone(),
            });
        }
        let target = self
            .rewrite
            .as_ref()
            .filter(|r| r.from == origin)
            .map(|r| r.to.clone());
        Decision::Allow { target }
    }
}

/// Where refusals are recorded: the harness's log of every refusal, and the calling
/// session's own, so a call's error can say which request of its own was refused.
#[derive(Debug, Clone, Default)]
pub struct DenialLog {
    /// Every refusal since the harness opened.
    all: Arc<Mutex<Vec<Denial>>>,
    /// The refusals of one session.
    session: Arc<Mutex<Vec<Denial>>>,
}

/// A log's list; a panic elsewhere while it was held does not lose it.
fn list(log: &Mutex<Vec<Denial>>) -> std::sync::MutexGuard<'_, Vec<Denial>> {
    log.lock().unwrap_or_else(|p| p.into_inner())
}

impl DenialLog {
    /// The same harness-wide log, with a fresh session log.
    pub fn for_session(&self) -> DenialLog {
        DenialLog {
            all: self.all.clone(),
            session: Arc::default(),
        }
    }

    fn record(&self, denial: Denial) {
        log::warn!("{denial}");
        list(&self.all).push(denial.clone());
        list(&self.session).push(denial);
    }

    /// Every refusal since the harness opened.
    pub fn all(&self) -> Vec<Denial> {
        list(&self.all).clone()
    }

    /// Forgets this session's refusals (a new call begins).
    pub fn clear_session(&self) {
        list(&self.session).clear();
    }

    /// The latest refusal of this session, taken out of its log.
    pub fn take_last(&self) -> Option<Denial> {
        list(&self.session).pop()
    }
}

/// Connect, first-byte and between-bytes timeouts for the plugin's requests. wasi-http's
/// defaults are 600 s; a store clerk waits seconds, not minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the connection.
    pub connect: Duration,
    /// From the request being sent to the response's first byte.
    pub first_byte: Duration,
    /// Between two chunks of the response.
    pub between_bytes: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            first_byte: Duration::from_secs(30),
            between_bytes: Duration::from_secs(30),
        }
    }
}

/// The largest request body the plugin may send: a Twilio form is well under 8 KiB.
const REQUEST_BODY_LIMIT: usize = 64 * 1024;
/// How much of a request body is read (and dropped) past what is kept, so that the plugin
/// finishes writing and then learns the real outcome.
const DRAIN_LIMIT: usize = 1024 * 1024;
/// How long reading a request's body from the plugin may take.
const REQUEST_BODY_TIMEOUT: Duration = Duration::from_secs(5);

/// The wasi:http hooks that enforce an [`OutboundPolicy`] on one store.
pub struct PolicyHooks {
    policy: Arc<OutboundPolicy>,
    declared: Arc<Vec<Origin>>,
    timeouts: Timeouts,
    denials: DenialLog,
    resolver: Arc<dyn Resolver>,
    connector: Arc<Connector>,
}

impl PolicyHooks {
    /// Hooks for one store: the host's `policy` and the plugin's `declared` destinations;
    /// refusals are appended to `denials`; names are resolved (once per request) by
    /// `resolver`; allowed requests travel over `connector`'s connections.
    pub fn new(
        policy: Arc<OutboundPolicy>,
        declared: Arc<Vec<Origin>>,
        timeouts: Timeouts,
        denials: DenialLog,
        resolver: Arc<dyn Resolver>,
        connector: Arc<Connector>,
    ) -> PolicyHooks {
        PolicyHooks {
            policy,
            declared,
            timeouts,
            denials,
            resolver,
            connector,
        }
    }
}

type ResponseFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

/// The smaller of the guest's timeout and the host's.
fn cap(guest: Option<Duration>, host: Duration) -> Option<Duration> {
    Some(guest.map_or(host, |g| g.min(host)))
}

impl WasiHttpHooks for PolicyHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> ResponseFuture {
        let decision = self.policy.decide(&self.declared, request.uri());
        let options = options.unwrap_or_default();
        let options = RequestOptions {
            connect_timeout: cap(options.connect_timeout, self.timeouts.connect),
            first_byte_timeout: cap(options.first_byte_timeout, self.timeouts.first_byte),
            between_bytes_timeout: cap(options.between_bytes_timeout, self.timeouts.between_bytes),
        };
        let denials = self.denials.clone();
        let allow_local = self.policy.allow_local;
        let origin = Origin::of_uri(request.uri());
        let resolver = self.resolver.clone();
        let connector = self.connector.clone();
        Box::new(async move {
            let route = route(decision, origin, allow_local, &*resolver).await;
            // A p2 guest calls `handle` first and writes the body afterwards. Reading the body
            // before answering means the guest always finishes writing, and then sees the
            // real outcome (a refusal, a refused connection) rather than a closed stream.
            let (parts, body) = request.into_parts();
            let keep = if route.is_ok() { REQUEST_BODY_LIMIT } else { 0 };
            let body = tokio::time::timeout(REQUEST_BODY_TIMEOUT, read_body(body, keep)).await;
            let pinned = match route {
                Ok(pinned) => pinned,
                Err(reason) => {
                    denials.record(Denial {
                        request: format!("{} {}", parts.method, parts.uri),
                        reason,
                    });
                    return Err(wasmtime_wasi_http::Error::HttpRequestDenied);
                }
            };
            let body = match body {
                Ok(Ok(Some(bytes))) => bytes,
                Ok(Ok(None)) => {
                    return Err(wasmtime_wasi_http::Error::HttpRequestBodySize(Some(
                        REQUEST_BODY_LIMIT as u64,
                    )));
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(wasmtime_wasi_http::Error::ConnectionWriteTimeout),
            };
            let pinned = pinned.map_err(wasmtime_wasi_http::Error::Connect)?;
            let mut request = http::Request::from_parts(
                parts,
                Full::new(body)
                    .map_err(|never| match never {})
                    .boxed_unsync(),
            );
            if let Some(target) = &pinned.rewritten {
                // The plugin named Twilio; the fake answers for its own authority.
                let host = http::HeaderValue::from_str(&target.authority())
                    .map_err(|_| wasmtime_wasi_http::Error::HttpRequestUriInvalid)?;
                request.headers_mut().insert(http::header::HOST, host);
            }
            let response = connector.send(request, options, pinned).await?;
            // The most of an answer's body the plugin can read: Twilio's answers are a few KB,
            // and a server that sends more must not fill the plugin's memory. Reading past it
            // fails with `HTTP-response-body-size`; the body's own errors pass unchanged.
            const RESPONSE_BODY_LIMIT: usize = 1024 * 1024;
            let capped = |body| {
                http_body_util::Limited::new(body, RESPONSE_BODY_LIMIT)
                    .map_err(|e| match e.downcast::<wasmtime_wasi_http::Error>() {
                        Ok(inner) => *inner,
                        Err(_) => wasmtime_wasi_http::Error::HttpResponseBodySize(Some(
                            RESPONSE_BODY_LIMIT as u64,
                        )),
                    })
                    .boxed_unsync()
            };
            // The connection outlives this exchange (it is kept for the next request), so
            // there is no I/O left to wait for here: the response's errors reach the plugin
            // through its body.
            Ok((
                response.map(capped),
                Box::new(std::future::ready(Ok(()))) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

/// Where an allowed request goes, resolved once: the checked addresses to connect to (or why
/// the name did not resolve), or why it may not go. A granted name must resolve to globally
/// reachable addresses only (DNS pointing inside the store's network is refused), and the
/// connection goes to exactly these addresses, so a DNS answer that changes after the check
/// (rebinding) changes nothing. A rewrite (a fake Twilio) and `allow_local` (tests) skip the
/// check, not the pinning.
async fn route(
    decision: Decision,
    origin: Option<Origin>,
    allow_local: bool,
    resolver: &dyn Resolver,
) -> Result<std::io::Result<connect::Pinned>, DenialReason> {
    let target = match decision {
        Decision::Deny(reason) => return Err(reason),
        Decision::Allow { target } => target,
    };
    let Some(origin) = target.clone().or(origin) else {
        // `decide` allows only a request with an origin.
        return Err(DenialReason::NoOrigin(String::new()));
    };
    let addrs = match resolver.resolve(&origin.host, origin.port).await {
        Ok(addrs) => addrs,
        Err(e) => return Ok(Err(e)),
    };
    let check = target.is_none() && !allow_local;
    if check && let Some(address) = addrs.iter().map(|a| a.ip()).find(|ip| !ip::is_global(*ip)) {
        return Err(DenialReason::PrivateAddress { origin, address });
    }
    Ok(Ok(connect::Pinned {
        origin,
        addrs,
        rewritten: target,
    }))
}

/// Reads a request body: keeps it when it is at most `keep` bytes (`Some`), and otherwise
/// reads on, dropping up to [`DRAIN_LIMIT`] bytes, before reporting it too large (`None`).
async fn read_body(
    mut body: WasiBody,
    keep: usize,
) -> wasmtime_wasi_http::Result<Option<bytes::Bytes>> {
    let mut buf = bytes::BytesMut::new();
    let mut seen = 0;
    while let Some(frame) = body.frame().await {
        if let Some(data) = frame?.data_ref() {
            seen += data.len();
            if seen <= keep {
                buf.extend_from_slice(data);
            } else if seen > DRAIN_LIMIT {
                break;
            }
        }
    }
    Ok((seen <= keep).then(|| buf.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(s: &str) -> Origin {
        s.parse().unwrap()
    }

    /// What the real plugin's manifest declares, plus more for the host-key tests.
    fn declared() -> Vec<Origin> {
        let mut d = crate::manifest::Manifest::embedded().outbound;
        d.push(origin("https://evil.example"));
        d.push(origin("http://api.twilio.com"));
        d.push(origin("https://api.twilio.com:8443"));
        d
    }

    fn decide(policy: &OutboundPolicy, declared: &[Origin], uri: &str) -> Decision {
        policy.decide(declared, &uri.parse().unwrap())
    }

    #[test]
    fn default_grant_is_twilio_only() {
        let policy = OutboundPolicy::default();
        let declared = declared();
        let allow = |u: &str| decide(&policy, &declared, u);
        assert_eq!(
            allow("https://api.twilio.com/2010-04-01/Accounts/AC1.json"),
            Decision::Allow { target: None }
        );
        assert_eq!(
            allow("https://api.twilio.com:443/x"),
            Decision::Allow { target: None }
        );
        let not_granted = |o: &str| {
            Decision::Deny(DenialReason::NotGranted {
                origin: origin(o),
                granted: vec![twilio_origin()],
            })
        };
        assert_eq!(
            allow("http://api.twilio.com/x"),
            not_granted("http://api.twilio.com:80")
        );
        assert_eq!(
            allow("https://api.twilio.com:8443/x"),
            not_granted("https://api.twilio.com:8443")
        );
        assert_eq!(
            allow("https://evil.example/x"),
            not_granted("https://evil.example:443")
        );
        assert!(matches!(
            allow("https://api.twilio.com.evil.example/x"),
            Decision::Deny(DenialReason::NotDeclared { .. })
        ));
        let Decision::Deny(reason) = allow("http://api.twilio.com/x") else {
            panic!("denied")
        };
        assert_eq!(
            reason.to_string(),
            "http://api.twilio.com:80 is not granted to the plugin (granted: \
             https://api.twilio.com:443)"
        );
    }

    #[test]
    fn both_keys_are_needed_and_local_names_are_refused() {
        let policy = OutboundPolicy {
            grants: vec![twilio_origin(), origin("https://undeclared.example")],
            ..OutboundPolicy::default()
        };
        let declared = declared();
        let Decision::Deny(reason) = decide(&policy, &declared, "https://undeclared.example/x")
        else {
            panic!("an undeclared origin must be refused")
        };
        assert_eq!(
            reason,
            DenialReason::NotDeclared {
                origin: origin("https://undeclared.example"),
                declared: declared.clone(),
            }
        );
        assert_eq!(
            reason.to_string(),
            "https://undeclared.example:443 is not among the destinations the plugin's \
             manifest declares (declared: https://api.twilio.com:443, \
             https://api.dublin.ie1.twilio.com:443, https://api.sydney.au1.twilio.com:443, \
             https://evil.example:443, http://api.twilio.com:80, \
             https://api.twilio.com:8443)"
        );
        let Decision::Deny(reason) = decide(&policy, &[], "https://api.twilio.com/x") else {
            panic!("nothing declared, nothing allowed")
        };
        assert_eq!(
            reason.to_string(),
            "https://api.twilio.com:443 is not among the destinations the plugin's manifest \
             declares (it declares none)"
        );
        for (local, o) in [
            ("https://127.0.0.1/", "https://127.0.0.1:443"),
            ("http://[::1]:80/", "http://[::1]:80"),
            ("https://localhost/", "https://localhost:443"),
            ("https://db.localhost/", "https://db.localhost:443"),
        ] {
            assert_eq!(
                decide(&policy, &declared, local),
                Decision::Deny(DenialReason::LocalDestination(origin(o))),
                "{local}"
            );
        }
        assert_eq!(
            decide(&policy, &declared, "/relative"),
            Decision::Deny(DenialReason::NoOrigin("/relative".into()))
        );
    }

    #[tokio::test]
    async fn the_system_resolver_finds_a_local_name_s_addresses() {
        let addrs = SystemResolver.resolve("localhost", 443).await.unwrap();
        assert!(!addrs.is_empty());
        assert!(
            addrs
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 443),
            "{addrs:?}"
        );
    }

    #[test]
    fn empty_grant_denies_all_and_rewrite_targets_the_fake() {
        let none = OutboundPolicy {
            grants: vec![],
            ..OutboundPolicy::default()
        };
        let declared = declared();
        let Decision::Deny(reason) = decide(&none, &declared, "https://api.twilio.com/") else {
            panic!("an empty grant denies everything")
        };
        assert_eq!(
            reason.to_string(),
            "https://api.twilio.com:443 is not granted to the plugin (nothing is granted)"
        );
        let fake = OutboundPolicy::with_fake_twilio(origin("http://127.0.0.1:4010"));
        assert_eq!(
            decide(&fake, &declared, "https://api.twilio.com/x"),
            Decision::Allow {
                target: Some(origin("http://127.0.0.1:4010"))
            }
        );
        // The fake itself is not granted: the plugin cannot address it directly.
        assert_eq!(
            decide(&fake, &declared, "http://127.0.0.1:4010/x"),
            Decision::Deny(DenialReason::LocalDestination(origin(
                "http://127.0.0.1:4010"
            )))
        );
    }

    #[test]
    fn a_session_log_keeps_its_own_denials() {
        let harness = DenialLog::default();
        let (one, two) = (harness.for_session(), harness.for_session());
        let denial = |n: &str| Denial {
            request: format!("GET https://{n}/"),
            reason: DenialReason::NoOrigin(n.into()),
        };
        one.record(denial("a"));
        two.record(denial("b"));
        assert_eq!(harness.all().len(), 2);
        assert_eq!(one.take_last(), Some(denial("a")));
        assert_eq!(one.take_last(), None);
        assert_eq!(two.take_last(), Some(denial("b")));
    }

    /// Answers public addresses the first time it is asked and a private one after: a
    /// rebinding DNS server.
    #[derive(Debug, Default)]
    struct Rebinding {
        asked: std::sync::atomic::AtomicUsize,
    }

    const PUBLIC: &str = "52.4.110.9:443";

    impl Resolver for Rebinding {
        fn resolve<'a>(&'a self, _host: &'a str, port: u16) -> Resolution<'a> {
            let n = self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async move {
                Ok(if n == 0 {
                    vec![PUBLIC.parse().unwrap()]
                } else {
                    vec![std::net::SocketAddr::from(([10, 0, 0, 1], port))]
                })
            })
        }
    }

    /// Answers what it was given, every time.
    #[derive(Debug)]
    struct Fixed(Vec<std::net::SocketAddr>);

    impl Resolver for Fixed {
        fn resolve<'a>(&'a self, _host: &'a str, _port: u16) -> Resolution<'a> {
            Box::pin(async move { Ok(self.0.clone()) })
        }
    }

    fn allowed() -> Decision {
        Decision::Allow { target: None }
    }

    #[tokio::test]
    async fn a_name_is_resolved_once_and_the_checked_addresses_are_the_ones_connected_to() {
        let dns = Rebinding::default();
        let twilio = origin("https://api.twilio.com:443");
        let pinned = route(allowed(), Some(twilio.clone()), false, &dns)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            pinned,
            connect::Pinned {
                origin: twilio,
                addrs: vec![PUBLIC.parse().unwrap()],
                rewritten: None,
            }
        );
        // The private answer a second lookup would give is never asked for.
        assert_eq!(dns.asked.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn one_private_address_among_the_answers_refuses_the_request() {
        let twilio = origin("https://api.twilio.com:443");
        let dns = Fixed(vec![
            PUBLIC.parse().unwrap(),
            "[fd00::7]:443".parse().unwrap(),
        ]);
        assert_eq!(
            route(allowed(), Some(twilio.clone()), false, &dns)
                .await
                .err(),
            Some(DenialReason::PrivateAddress {
                origin: twilio.clone(),
                address: "fd00::7".parse().unwrap(),
            })
        );
        // Allowed local destinations (tests) and a rewrite to a fake are pinned, not checked.
        let local = Fixed(vec!["127.0.0.1:4010".parse().unwrap()]);
        let pinned = route(allowed(), Some(twilio.clone()), true, &local).await;
        assert_eq!(pinned.unwrap().unwrap().addrs, local.0);
        let fake = origin("http://127.0.0.1:4010");
        let rewrite = Decision::Allow {
            target: Some(fake.clone()),
        };
        let pinned = route(rewrite, Some(twilio), false, &local)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (pinned.origin, pinned.rewritten),
            (fake.clone(), Some(fake))
        );
        // A refusal is passed on without a lookup.
        let refused = Decision::Deny(DenialReason::NoOrigin("x".into()));
        let dns = Rebinding::default();
        assert_eq!(
            route(refused, None, false, &dns).await.err(),
            Some(DenialReason::NoOrigin("x".into()))
        );
        assert_eq!(dns.asked.load(std::sync::atomic::Ordering::SeqCst), 0);
    }
}
