//! Fixtures shared by the end-to-end tests (each test file uses part of them): a fake
//! Twilio on an ephemeral loopback port and a harness whose Twilio requests are rewritten to
//! it, each in its own temporary directory.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use fake_twilio::{FakeConfig, FakeTwilio};
use pos_sms_host::policy::{OutboundPolicy, Timeouts};
use std::sync::Arc;

use pos_sms_host::runtime::clock::ManualClock;
use pos_sms_host::types::{Auth, Credentials, NoticeOutcome, NoticeReceipt, WebhookRequest};
use pos_sms_host::{Error, Harness, HarnessConfig, PluginError};

/// The fake's account.
pub const SID: &str = "AC0123456789abcdef0123456789abcdef";
/// The fake's Auth Token.
pub const TOKEN: &str = "f00dfeedc0ffee00aa11bb22cc33dd44";
/// Twilio's magic valid sender.
pub const SENDER: &str = "+15005550006";

/// One test's world. Dropping it stops the fake and removes the directory.
pub struct World {
    /// The fake Twilio.
    pub fake: FakeTwilio,
    /// The harness, pointed at the fake.
    pub harness: Harness,
    /// The harness's data directory.
    pub dir: tempfile::TempDir,
}

/// Compiled plugins are shared by every test (entries are keyed by the wasm's hash), so only
/// the first test of a build compiles the component.
pub fn shared_cache_dir() -> PathBuf {
    std::env::temp_dir().join("sms-e2e-component-cache")
}

/// 2026-12-01T17:00:00Z: daytime in every US zone, so quiet hours hold nothing unless a
/// test moves the clock.
pub const DAYTIME: i64 = 1_796_144_400;

/// The same instant for the CLI (`--now`).
pub const DAYTIME_RFC3339: &str = "2026-12-01T17:00:00Z";

/// A harness config over `dir` with the shared cache, Twilio rewritten to `fake`, and the
/// clock stopped at [`DAYTIME`].
pub fn config_for(dir: &std::path::Path, fake: &FakeTwilio) -> HarnessConfig {
    let mut config = HarnessConfig::new(dir);
    config.clock = Arc::new(ManualClock::at(DAYTIME));
    config.cache_dir = Some(shared_cache_dir());
    config.policy =
        OutboundPolicy::with_fake_twilio(fake.base_url().parse().expect("fake URL parses"));
    config
}

/// The fake Twilio for [`SID`] and [`TOKEN`] on an ephemeral loopback port.
pub async fn start_fake() -> FakeTwilio {
    FakeTwilio::start(FakeConfig::new(SID, TOKEN), ([127, 0, 0, 1], 0).into())
        .await
        .expect("fake Twilio starts")
}

/// A started fake and a harness that is not connected yet.
pub async fn world() -> World {
    world_with_timeouts(Timeouts::default()).await
}

/// HTTP timeouts short enough that a silent fake fails a call in a fraction of a second.
pub fn short_timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(5),
        first_byte: Duration::from_millis(300),
        between_bytes: Duration::from_millis(300),
    }
}

/// Like [`world`], with the harness's HTTP timeouts set to `timeouts`.
pub async fn world_with_timeouts(timeouts: Timeouts) -> World {
    let fake = start_fake().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config_for(dir.path(), &fake);
    config.timeouts = timeouts;
    let harness = Harness::open(config).expect("harness opens");
    World { fake, harness, dir }
}

/// The fake's credentials.
pub fn credentials() -> Credentials {
    Credentials {
        account_sid: SID.into(),
        auth: Auth::AuthToken(TOKEN.into()),
        sender: SENDER.into(),
    }
}

/// A world whose harness is connected with [`credentials`].
pub async fn connected_world() -> World {
    connected_world_with_timeouts(Timeouts::default()).await
}

/// [`connected_world`] with the given HTTP timeouts.
pub async fn connected_world_with_timeouts(timeouts: Timeouts) -> World {
    let world = world_with_timeouts(timeouts).await;
    world
        .harness
        .connect(credentials())
        .await
        .expect("connect to the fake");
    world
}

/// The receipt of a notice that was sent; panics on a held one.
pub fn sent(outcome: NoticeOutcome) -> NoticeReceipt {
    match outcome {
        NoticeOutcome::Sent(receipt) => receipt,
        NoticeOutcome::Held(held) => panic!("expected the notice sent, it was held: {held:?}"),
    }
}

/// The plugin error inside a harness error; panics on a host error.
pub fn plugin_error(e: Error) -> PluginError {
    match e {
        Error::Plugin(p) => p,
        other => panic!("expected a plugin error, got {other:?}"),
    }
}

/// A customer's reply as Twilio would post it to `url`, signed with [`TOKEN`].
pub fn signed_reply(url: &str, from: &str, to: &str, body: &str, sid: &str) -> WebhookRequest {
    let params: Vec<(String, String)> = [
        ("MessageSid", sid),
        ("AccountSid", SID),
        ("From", from),
        ("To", to),
        ("Body", body),
        ("NumMedia", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let signature = sms_core::webhook::compute_signature(TOKEN, url, &params);
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    WebhookRequest {
        url: url.into(),
        headers: vec![
            ("X-Twilio-Signature".into(), signature),
            (
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
        ],
        body: body.into_bytes(),
    }
}

/// Every log line the library wrote in this test binary (a capturing logger, installed on
/// first use), for tests that assert a warning was given.
pub fn logs() -> Vec<String> {
    capture().lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Installs the capturing logger (idempotent).
pub fn capture_logs() {
    let _ = capture();
}

fn capture() -> &'static std::sync::Mutex<Vec<String>> {
    struct Capture(std::sync::Mutex<Vec<String>>);
    impl log::Log for Capture {
        fn enabled(&self, m: &log::Metadata<'_>) -> bool {
            m.level() <= log::Level::Warn
        }
        fn log(&self, record: &log::Record<'_>) {
            if self.enabled(record.metadata()) {
                let mut lines = self.0.lock().unwrap_or_else(|p| p.into_inner());
                lines.push(record.args().to_string());
            }
        }
        fn flush(&self) {}
    }
    static LOGGER: std::sync::OnceLock<&'static Capture> = std::sync::OnceLock::new();
    let logger = LOGGER.get_or_init(|| {
        let logger: &'static Capture = Box::leak(Box::new(Capture(Default::default())));
        if log::set_logger(logger).is_ok() {
            log::set_max_level(log::LevelFilter::Warn);
        }
        logger
    });
    &logger.0
}

/// A customer's reply (`body`) signed for a webhook server at `addr`, as the bytes of one
/// HTTP/1.1 request to `path` (`Connection: close`).
pub fn signed_request(addr: std::net::SocketAddr, path: &str, body: &str, sid: &str) -> Vec<u8> {
    let url = format!("http://{addr}{path}");
    let reply = signed_reply(&url, "+12125550100", SENDER, body, sid);
    let mut request = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for (k, v) in &reply.headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        reply.body.len()
    ));
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(&reply.body);
    bytes
}

/// Sends `request` on a new connection and returns the answer's status code.
pub async fn status_of(addr: std::net::SocketAddr, request: &[u8]) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"))
}

/// Runs `npm ci` in `dir`, one of the tests' own npm packages; `needs` says what the tests
/// need when npm cannot run.
pub fn npm_ci(dir: &std::path::Path, needs: &str) {
    let status = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status()
        .unwrap_or_else(|e| panic!("{needs} (running npm: {e})"));
    assert!(status.success(), "npm ci in {} failed", dir.display());
}
