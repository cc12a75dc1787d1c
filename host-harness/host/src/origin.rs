//! Destinations as scheme, host and port, parsed separately: what a manifest declares, what the
//! host grants, and what a request addresses.

use std::fmt;
use std::str::FromStr;

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP (only for local fakes).
    Http,
    /// HTTPS.
    Https,
}

impl Scheme {
    /// 80 or 443.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
        write!(f, "{}://{}", self.scheme.as_str(), self.authority())
    }
}

/// Why a text could not be read as an origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{input}' is not a usable destination: {problem}. Write it as scheme://host:port, for \
     example https://api.twilio.com:443"
)]
pub struct OriginError {
    /// The text as given.
    pub input: String,
    /// What is wrong with it.
    pub problem: OriginProblem,
}

/// What is wrong with a would-be origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginProblem {
    /// It is not a URL at all.
    #[error("{0}")]
    NotAUrl(String),
    /// The scheme is neither `http` nor `https`.
    #[error("the scheme must be http or https, not '{0}'")]
    Scheme(String),
    /// It carries a user name or password.
    #[error("it must not contain a user name or password")]
    UserInfo,
    /// It has a path, query or fragment.
    #[error("it must not have a path, query or fragment")]
    NotBare,
    /// The host has a `*`.
    #[error("wildcards are not allowed")]
    Wildcard,
    /// There is no host.
    #[error("it has no host")]
    NoHost,
}

impl FromStr for Origin {
    type Err = OriginError;

    /// Parses `scheme://host[:port]` (a trailing `/` is allowed; no path, query, user or
    /// wildcard).
    fn from_str(text: &str) -> Result<Origin, OriginError> {
        let err = |problem| OriginError {
            input: text.to_string(),
            problem,
        };
        let url =
            url::Url::parse(text.trim()).map_err(|e| err(OriginProblem::NotAUrl(e.to_string())))?;
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => return Err(err(OriginProblem::Scheme(other.to_string()))),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(err(OriginProblem::UserInfo));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(err(OriginProblem::NotBare));
        }
        let host = match url.host() {
            Some(url::Host::Domain(d)) if d.contains('*') => {
                return Err(err(OriginProblem::Wildcard));
            }
            Some(url::Host::Domain(d)) => d.to_ascii_lowercase(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(err(OriginProblem::NoHost)),
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

/// `https://api.twilio.com:443`: the one destination the plugin needs.
pub fn twilio_origin() -> Origin {
    Origin {
        scheme: Scheme::Https,
        host: "api.twilio.com".into(),
        port: 443,
    }
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
        assert_eq!(origin("http://[::1]:80").to_string(), "http://[::1]:80");
        for (bad, problem) in [
            (
                "api.twilio.com",
                OriginProblem::NotAUrl("relative URL without a base".into()),
            ),
            ("ftp://api.twilio.com", OriginProblem::Scheme("ftp".into())),
            ("https://*.twilio.com", OriginProblem::Wildcard),
            ("https://user:pw@api.twilio.com", OriginProblem::UserInfo),
            ("https://api.twilio.com/2010-04-01", OriginProblem::NotBare),
            ("https://api.twilio.com?x=1", OriginProblem::NotBare),
        ] {
            let e = bad.parse::<Origin>().unwrap_err();
            assert_eq!(e.problem, problem, "{bad}");
            assert!(e.to_string().contains("scheme://host:port"), "{bad}: {e}");
        }
        assert_eq!(
            "https://*.twilio.com"
                .parse::<Origin>()
                .unwrap_err()
                .to_string(),
            "'https://*.twilio.com' is not a usable destination: wildcards are not allowed. \
             Write it as scheme://host:port, for example https://api.twilio.com:443"
        );
    }

    #[test]
    fn local_destinations() {
        for local in [
            "http://127.0.0.1",
            "http://[::1]",
            "https://localhost",
            "https://a.localhost",
        ] {
            assert!(origin(local).is_local(), "{local}");
        }
        for named in ["https://api.twilio.com", "https://localhost.example"] {
            assert!(!origin(named).is_local(), "{named}");
        }
        let uri: http::Uri = "https://[::1]:8443/x".parse().unwrap();
        assert_eq!(Origin::of_uri(&uri).unwrap().host, "::1");
        assert_eq!(Origin::of_uri(&"/relative".parse().unwrap()), None);
    }
}
