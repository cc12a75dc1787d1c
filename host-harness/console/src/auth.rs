//! Who may use the console: the access token (in the start-up URL once, then a cookie), the
//! `Host` header (against DNS rebinding) and the CSRF token on every change.

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN};
use sha2::{Digest as _, Sha256};

/// The console's secrets and the address it answers at.
#[derive(Debug)]
pub struct Access {
    token: String,
    csrf: String,
    port: u16,
}

/// Why a request was refused before it reached a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No token, or the wrong one (401).
    NoToken,
    /// The `Host` header is missing or names something other than this console (403).
    ForeignHost,
    /// A change without the CSRF token, or from a foreign `Origin` (403).
    Csrf,
}

/// 32 random bytes, in hex.
fn random_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Compares two secrets in time that does not depend on where they differ: the digests are
/// compared, and learning where two digests differ says nothing about the secret.
fn same_secret(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

impl Access {
    /// The secrets for a console listening at `addr` (`token` none: a random one).
    pub fn new(addr: SocketAddr, token: Option<String>) -> Access {
        Access {
            token: token.unwrap_or_else(random_secret),
            csrf: random_secret(),
            port: addr.port(),
        }
    }

    /// The access token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The CSRF token the page sends back as `X-CSRF-Token`.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// The cookie that carries the token (named by port: two consoles on one machine keep
    /// their own).
    pub fn cookie_name(&self) -> String {
        format!("pos_sms_console_{}", self.port)
    }

    /// The `Set-Cookie` value that trades the URL's token for a cookie.
    pub fn set_cookie(&self) -> String {
        format!(
            "{}={}; Path=/; HttpOnly; SameSite=Strict",
            self.cookie_name(),
            self.token
        )
    }

    /// Whether `token` is the access token.
    pub fn is_token(&self, token: &str) -> bool {
        same_secret(token, &self.token)
    }

    /// Whether a `Host` header value names this console: `localhost` or an IP address, with
    /// the console's port. Any other name could be a DNS-rebinding page, and an IP address
    /// cannot be rebound.
    pub fn is_own_host(&self, host: &str) -> bool {
        let Some((name, port)) = host.rsplit_once(':') else {
            return false;
        };
        if port.parse::<u16>() != Ok(self.port) {
            return false;
        }
        let name = name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .unwrap_or(name);
        name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok()
    }

    /// Checks the `Host` header.
    pub(crate) fn check_host(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let host = headers.get(HOST).and_then(|h| h.to_str().ok());
        match host {
            Some(host) if self.is_own_host(host) => Ok(()),
            _ => Err(Refusal::ForeignHost),
        }
    }

    /// Checks the access token: `Authorization: Bearer …` or the console's cookie.
    pub(crate) fn check_token(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let bearer = headers
            .get_all(AUTHORIZATION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.strip_prefix("Bearer "))
            .any(|t| self.is_token(t.trim()));
        let name = self.cookie_name();
        let cookie = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(k, v)| k == name && self.is_token(v));
        if bearer || cookie {
            Ok(())
        } else {
            Err(Refusal::NoToken)
        }
    }

    /// Checks a change: the CSRF token, and an `Origin` (when the browser sent one) that is
    /// this console's.
    pub(crate) fn check_change(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let csrf = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| same_secret(v, &self.csrf));
        if !csrf {
            return Err(Refusal::Csrf);
        }
        match headers.get(ORIGIN).map(|o| o.to_str()) {
            None => Ok(()),
            Some(Ok(origin)) => match origin.strip_prefix("http://") {
                Some(host) if self.is_own_host(host) => Ok(()),
                _ => Err(Refusal::Csrf),
            },
            Some(Err(_)) => Err(Refusal::Csrf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn access() -> Access {
        Access::new(([127, 0, 0, 1], 8791).into(), Some("t0ken".into()))
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn only_loopback_names_and_addresses_on_the_port_are_this_console() {
        let a = access();
        for ok in [
            "127.0.0.1:8791",
            "localhost:8791",
            "LocalHost:8791",
            "[::1]:8791",
            "10.0.0.5:8791",
        ] {
            assert!(a.is_own_host(ok), "{ok}");
        }
        for foreign in [
            "rebind.test:8791",
            "127.0.0.1:8792",
            "127.0.0.1",
            "localhost",
            "127.0.0.1.nip.io:8791",
            "[::1]:80",
            "",
        ] {
            assert!(!a.is_own_host(foreign), "{foreign}");
        }
        assert_eq!(a.check_host(&headers(&[])), Err(Refusal::ForeignHost));
        assert_eq!(
            a.check_host(&headers(&[("host", "rebind.test:8791")])),
            Err(Refusal::ForeignHost)
        );
        assert_eq!(
            a.check_host(&headers(&[("host", "localhost:8791")])),
            Ok(())
        );
    }

    #[test]
    fn the_token_comes_as_a_bearer_or_in_the_consoles_own_cookie() {
        let a = access();
        assert_eq!(a.token(), "t0ken");
        assert_eq!(
            Access::new(([127, 0, 0, 1], 1).into(), None).token().len(),
            64
        );
        assert_eq!(a.check_token(&headers(&[])), Err(Refusal::NoToken));
        let ok = [
            headers(&[("authorization", "Bearer t0ken")]),
            headers(&[("cookie", "a=b; pos_sms_console_8791=t0ken")]),
            headers(&[("cookie", "a=b"), ("cookie", "pos_sms_console_8791=t0ken")]),
        ];
        for h in ok {
            assert_eq!(a.check_token(&h), Ok(()), "{h:?}");
        }
        let refused = [
            headers(&[("authorization", "Bearer t0ke")]),
            headers(&[("authorization", "Basic t0ken")]),
            headers(&[("cookie", "pos_sms_console_8792=t0ken")]),
            headers(&[("cookie", "pos_sms_console_8791=t0kenX")]),
        ];
        for h in refused {
            assert_eq!(a.check_token(&h), Err(Refusal::NoToken), "{h:?}");
        }
        assert_eq!(
            a.set_cookie(),
            "pos_sms_console_8791=t0ken; Path=/; HttpOnly; SameSite=Strict"
        );
    }

    #[test]
    fn a_change_needs_the_csrf_token_and_no_foreign_origin() {
        let a = access();
        let csrf = a.csrf().to_string();
        assert_eq!(a.csrf().len(), 64);
        assert_ne!(
            a.csrf(),
            Access::new(([127, 0, 0, 1], 1).into(), None).csrf()
        );
        assert_eq!(a.check_change(&headers(&[])), Err(Refusal::Csrf));
        assert_eq!(
            a.check_change(&headers(&[("x-csrf-token", "nope")])),
            Err(Refusal::Csrf)
        );
        assert_eq!(a.check_change(&headers(&[("x-csrf-token", &csrf)])), Ok(()));
        assert_eq!(
            a.check_change(&headers(&[
                ("x-csrf-token", &csrf),
                ("origin", "http://127.0.0.1:8791")
            ])),
            Ok(())
        );
        for origin in ["http://evil.test:8791", "https://127.0.0.1:8791", "null"] {
            assert_eq!(
                a.check_change(&headers(&[("x-csrf-token", &csrf), ("origin", origin)])),
                Err(Refusal::Csrf),
                "{origin}"
            );
        }
    }
}
