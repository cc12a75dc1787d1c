//! Where the plugin's HTTP may go.
//!
//! wasi:http is the plugin's only way out, and this module is the only gate on it
//! (`WasiCtx`'s socket checks do not apply to wasi:http). A request leaves only when its
//! scheme, host and port, parsed separately, equal one of the granted [`Origin`]s; everything
//! else is answered with wasi:http's `HTTP-request-denied`. By default the grant is
//! `https://api.twilio.com:443` alone.
//!
//! For tests and demos, a [`Rewrite`] sends requests for Twilio's origin to a fake instead
//! (and fixes the `Host` header to match), so the plugin's own code is the same as in
//! production.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks};

/// Twilio's REST API origin: the one destination the plugin needs.
pub const TWILIO_ORIGIN: &str = "https://api.twilio.com:443";

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP (only for local fakes).
    Http,
    /// HTTPS.
    Https,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// A scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The scheme.
    pub scheme: Scheme,
    /// The host, lowercase, without brackets for IPv6.
    pub host: String,
    /// The port (the scheme's default when none was written).
    pub port: u16,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// Why a URL could not be read as an origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginError(String);

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OriginError {}

impl FromStr for Origin {
    type Err = OriginError;

    /// Parses `scheme://host[:port]` (a trailing `/` is allowed; no path, query, user or
    /// wildcard).
    fn from_str(text: &str) -> Result<Origin, OriginError> {
        let err = |why: &str| {
            OriginError(format!(
                "'{text}' is not a usable destination: {why}. Write it as scheme://host:port, \
                 for example https://api.twilio.com:443"
            ))
        };
        let url = url::Url::parse(text.trim()).map_err(|e| err(&e.to_string()))?;
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => {
                return Err(err(&format!(
                    "the scheme must be http or https, not '{other}'"
                )));
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(err("it must not contain a user name or password"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(err("it must not have a path, query or fragment"));
        }
        let host = match url.host() {
            Some(url::Host::Domain(d)) => {
                if d.contains('*') {
                    return Err(err("wildcards are not allowed"));
                }
                d.to_ascii_lowercase()
            }
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(err("it has no host")),
        };
        Ok(Origin {
            port: url.port().unwrap_or(scheme.default_port()),
            scheme,
            host,
        })
    }
}

impl Origin {
    /// The origin of a request URI, when it has scheme and host.
    pub fn of_uri(uri: &http::Uri) -> Option<Origin> {
        let scheme = match uri.scheme_str()? {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return None,
        };
        let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
        Some(Origin {
            port: uri.port_u16().unwrap_or(scheme.default_port()),
            scheme,
            host: host.to_ascii_lowercase(),
        })
    }

    /// An IP address (v4 or v6) or a local name (`localhost`, `*.localhost`): not a named
    /// public host, so never reachable unless the host's policy allows local destinations.
    pub fn is_local(&self) -> bool {
        self.host.parse::<std::net::IpAddr>().is_ok()
            || self.host == "localhost"
            || self.host.ends_with(".localhost")
    }

    /// `host:port` as it goes in a URI authority or `Host` header.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

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
    /// Refuse it; the text names the destination and says how to allow it.
    Deny(String),
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

/// `https://api.twilio.com:443`.
pub fn twilio_origin() -> Origin {
    Origin {
        scheme: Scheme::Https,
        host: "api.twilio.com".into(),
        port: 443,
    }
}

fn listed(origins: &[Origin]) -> String {
    let list: Vec<String> = origins.iter().map(Origin::to_string).collect();
    list.join(", ")
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
            return Decision::Deny(format!(
                "'{uri}' has no http(s) scheme and host, so it matches no grant"
            ));
        };
        if origin.is_local() && !self.allow_local {
            return Decision::Deny(format!(
                "{origin} is an IP address or local name; the plugin may only reach named hosts"
            ));
        }
        if !declared.contains(&origin) {
            let declared = if declared.is_empty() {
                "it declares none".to_string()
            } else {
                format!("declared: {}", listed(declared))
            };
            return Decision::Deny(format!(
                "{origin} is not among the destinations the plugin's manifest declares \
                 ({declared})"
            ));
        }
        if !self.grants.contains(&origin) {
            let granted = if self.grants.is_empty() {
                "nothing is granted".to_string()
            } else {
                format!("granted: {}", listed(&self.grants))
            };
            return Decision::Deny(format!("{origin} is not granted to the plugin ({granted})"));
        }
        let target = self
            .rewrite
            .as_ref()
            .filter(|r| r.from == origin)
            .map(|r| r.to.clone());
        Decision::Allow { target }
    }
}

/// A refused request, as the host logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The method and URI the plugin asked for.
    pub request: String,
    /// Why it was refused.
    pub reason: String,
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
    denials: Arc<Mutex<Vec<Denial>>>,
}

impl PolicyHooks {
    /// Hooks for one store: the host's `policy` and the plugin's `declared` destinations;
    /// refusals are appended to `denials`.
    pub fn new(
        policy: Arc<OutboundPolicy>,
        declared: Arc<Vec<Origin>>,
        timeouts: Timeouts,
        denials: Arc<Mutex<Vec<Denial>>>,
    ) -> PolicyHooks {
        PolicyHooks {
            policy,
            declared,
            timeouts,
            denials,
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
        Box::new(async move {
            // A granted name must not lead to a private address (DNS pointing inside the
            // store's network). The connection resolves again, so this stops misconfiguration
            // and casual rebinding, not an attacker who controls the name's DNS.
            let decision = match (decision, origin) {
                (Decision::Allow { target: None }, Some(origin)) if !allow_local => {
                    match private_address_of(&origin).await {
                        Some(ip) => Decision::Deny(format!(
                            "{origin} resolves to {ip}, a private or local address; the plugin \
                             may only reach public hosts"
                        )),
                        None => Decision::Allow { target: None },
                    }
                }
                (decision, _) => decision,
            };
            // A p2 guest calls `handle` first and writes the body afterwards. Reading the body
            // before answering means the guest always finishes writing, and then sees the
            // real outcome (a refusal, a refused connection) rather than a closed stream.
            let (parts, body) = request.into_parts();
            let keep = match decision {
                Decision::Allow { .. } => REQUEST_BODY_LIMIT,
                Decision::Deny(_) => 0,
            };
            let body = tokio::time::timeout(REQUEST_BODY_TIMEOUT, read_body(body, keep)).await;
            let described = format!("{} {}", parts.method, parts.uri);
            let target = match decision {
                Decision::Allow { target } => target,
                Decision::Deny(reason) => {
                    eprintln!("host-harness: refused the plugin's request {described}: {reason}");
                    if let Ok(mut log) = denials.lock() {
                        log.push(Denial {
                            request: described,
                            reason,
                        });
                    }
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
            let mut request = http::Request::from_parts(
                parts,
                Full::new(body)
                    .map_err(|never| match never {})
                    .boxed_unsync(),
            );
            if let Some(target) = target {
                let mut parts = request.uri().clone().into_parts();
                parts.scheme = Some(match target.scheme {
                    Scheme::Http => http::uri::Scheme::HTTP,
                    Scheme::Https => http::uri::Scheme::HTTPS,
                });
                parts.authority = Some(
                    target
                        .authority()
                        .parse()
                        .map_err(|_| wasmtime_wasi_http::Error::HttpRequestUriInvalid)?,
                );
                *request.uri_mut() = http::Uri::from_parts(parts)
                    .map_err(|_| wasmtime_wasi_http::Error::HttpRequestUriInvalid)?;
                let host = http::HeaderValue::from_str(&target.authority())
                    .map_err(|_| wasmtime_wasi_http::Error::HttpRequestUriInvalid)?;
                request.headers_mut().insert(http::header::HOST, host);
            }
            let (response, io) =
                wasmtime_wasi_http::default_send_request(request, Some(options)).await?;
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
            Ok((
                response.map(capped),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

/// The first private, loopback, link-local or otherwise non-public address `origin`'s host
/// resolves to, if any (a name that does not resolve is left to fail on connect).
async fn private_address_of(origin: &Origin) -> Option<std::net::IpAddr> {
    let addrs = tokio::net::lookup_host((origin.host.as_str(), origin.port))
        .await
        .ok()?;
    addrs.map(|a| a.ip()).find(|ip| !is_public(ip))
}

/// Whether `ip` is a globally routable unicast address.
pub fn is_public(ip: &std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 198 && (18..20).contains(&b)) // benchmarking
                || a >= 240)
        }
        std::net::IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(&std::net::IpAddr::V4(v4));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link local
                || first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
        }
    }
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

    #[test]
    fn parses_scheme_host_and_port_separately() {
        assert_eq!(origin("https://api.twilio.com"), twilio_origin());
        assert_eq!(origin("https://API.Twilio.com:443/"), twilio_origin());
        assert_eq!(
            origin("http://127.0.0.1:4010").to_string(),
            "http://127.0.0.1:4010"
        );
        assert_eq!(origin("http://[::1]:80").authority(), "[::1]:80");
        for bad in [
            "api.twilio.com",
            "ftp://api.twilio.com",
            "https://*.twilio.com",
            "https://user:pw@api.twilio.com",
            "https://api.twilio.com/2010-04-01",
        ] {
            let e = bad.parse::<Origin>().unwrap_err().to_string();
            assert!(e.contains("scheme://host:port"), "{bad}: {e}");
        }
    }

    /// What the real plugin's manifest declares, plus one more for the host-key tests.
    fn declared() -> Vec<Origin> {
        let mut d = crate::manifest::Manifest::embedded().outbound;
        d.push(origin("https://evil.example"));
        d.push(origin("http://api.twilio.com"));
        d.push(origin("https://api.twilio.com:8443"));
        d
    }

    #[test]
    fn default_grant_is_twilio_only() {
        let policy = OutboundPolicy::default();
        let declared = declared();
        let allow = |u: &str| policy.decide(&declared, &u.parse().unwrap());
        assert_eq!(
            allow("https://api.twilio.com/2010-04-01/Accounts/AC1.json"),
            Decision::Allow { target: None }
        );
        assert_eq!(
            allow("https://api.twilio.com:443/x"),
            Decision::Allow { target: None }
        );
        assert_eq!(
            allow("http://api.twilio.com/x"),
            Decision::Deny(
                "http://api.twilio.com:80 is not granted to the plugin (granted: \
                 https://api.twilio.com:443)"
                    .into()
            )
        );
        for uri in [
            "https://api.twilio.com:8443/x",
            "https://evil.example/x",
            "https://api.twilio.com.evil.example/x",
            "https://127.0.0.1/x",
        ] {
            assert!(matches!(allow(uri), Decision::Deny(_)), "{uri}");
        }
    }

    #[test]
    fn both_keys_are_needed_and_local_names_are_refused() {
        let policy = OutboundPolicy {
            grants: vec![twilio_origin(), origin("https://undeclared.example")],
            ..OutboundPolicy::default()
        };
        let declared = declared();
        assert_eq!(
            policy.decide(&declared, &"https://undeclared.example/x".parse().unwrap()),
            Decision::Deny(
                "https://undeclared.example:443 is not among the destinations the plugin's \
                 manifest declares (declared: https://api.twilio.com:443, \
                 https://api.dublin.ie1.twilio.com:443, https://api.sydney.au1.twilio.com:443, \
                 https://evil.example:443, http://api.twilio.com:80, \
                 https://api.twilio.com:8443)"
                    .into()
            )
        );
        assert_eq!(
            policy.decide(&[], &"https://api.twilio.com/x".parse().unwrap()),
            Decision::Deny(
                "https://api.twilio.com:443 is not among the destinations the plugin's \
                 manifest declares (it declares none)"
                    .into()
            )
        );
        for local in [
            "https://127.0.0.1/",
            "http://[::1]:80/",
            "https://localhost/",
            "https://db.localhost/",
        ] {
            match policy.decide(&declared, &local.parse().unwrap()) {
                Decision::Deny(reason) => assert!(
                    reason.ends_with(
                        "is an IP address or local name; the plugin may only reach named hosts"
                    ),
                    "{reason}"
                ),
                other => panic!("{local}: {other:?}"),
            }
        }
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(&private.parse().unwrap()), "{private}");
        }
        for public in ["8.8.8.8", "54.172.60.0", "2600:1f18::1", "::ffff:8.8.8.8"] {
            assert!(is_public(&public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_a_local_address_is_found() {
        let origin = Origin {
            scheme: Scheme::Https,
            host: "localhost".into(),
            port: 443,
        };
        assert!(
            private_address_of(&origin)
                .await
                .is_some_and(|ip| ip.is_loopback())
        );
    }

    #[test]
    fn empty_grant_denies_all_and_rewrite_targets_the_fake() {
        let none = OutboundPolicy {
            grants: vec![],
            ..OutboundPolicy::default()
        };
        let declared = declared();
        assert_eq!(
            none.decide(&declared, &"https://api.twilio.com/".parse().unwrap()),
            Decision::Deny(
                "https://api.twilio.com:443 is not granted to the plugin (nothing is granted)"
                    .into()
            )
        );
        let fake = OutboundPolicy::with_fake_twilio(origin("http://127.0.0.1:4010"));
        assert_eq!(
            fake.decide(&declared, &"https://api.twilio.com/x".parse().unwrap()),
            Decision::Allow {
                target: Some(origin("http://127.0.0.1:4010"))
            }
        );
        // The fake itself is not granted: the plugin cannot address it directly.
        assert!(matches!(
            fake.decide(&declared, &"http://127.0.0.1:4010/x".parse().unwrap()),
            Decision::Deny(_)
        ));
    }
}
