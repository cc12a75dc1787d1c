//! A hostile plugin (tests/programs/misbehaving) in the real harness: each protection stops it
//! with the exact error, and the host carries on.

use std::time::Duration;

use host_harness::limits::{LimitExceeded, Limits};
use host_harness::policy::{Origin, OutboundPolicy};
use host_harness::types::{Error, Outgoing};
use host_harness::{Harness, HarnessConfig, HarnessError};

mod common;

const MISBEHAVING: &str = env!("MISBEHAVING_PLUGIN_WASM");

fn harness(dir: &std::path::Path, policy: OutboundPolicy) -> Harness {
    let mut config = HarnessConfig::new(dir);
    config.plugin = Some(MISBEHAVING.into());
    config.cache_dir = Some(common::shared_cache_dir());
    config.policy = policy;
    config.limits = Limits {
        cpu_per_call: Duration::from_millis(200),
        ..Limits::default()
    };
    Harness::open(config).expect("the misbehaving plugin loads")
}

fn order(body: &str) -> Outgoing {
    Outgoing {
        to: String::new(),
        body: body.into(),
        user: "mallory".into(),
    }
}

fn limit_of(e: HarnessError) -> LimitExceeded {
    match e {
        HarnessError::Host(e) => e
            .chain()
            .find_map(|c| c.downcast_ref::<LimitExceeded>())
            .cloned()
            .unwrap_or_else(|| panic!("expected a limit trap, got: {e:#}")),
        HarnessError::Plugin(p) => panic!("expected a limit trap, got plugin error {p:?}"),
    }
}

fn denied(result: Result<host_harness::types::Receipt, HarnessError>) -> String {
    match result {
        Err(HarnessError::Plugin(p)) => match p.error {
            Error::DeniedByHost(url) => url,
            other => panic!("expected denied-by-host, got {other:?}"),
        },
        other => panic!("expected denied-by-host, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spinning_plugin_is_stopped_at_its_cpu_limit() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(dir.path(), OutboundPolicy::default());
    let e = h.send(order("spin")).await.unwrap_err();
    assert_eq!(
        limit_of(e),
        LimitExceeded::Cpu {
            limit: Duration::from_millis(200)
        }
    );
    // The host is unharmed: the next call runs in a fresh instance.
    assert_eq!(h.send(order("hello")).await.unwrap().status, "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hoarding_plugin_is_stopped_at_its_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(dir.path(), OutboundPolicy::default());
    match limit_of(h.send(order("grow")).await.unwrap_err()) {
        LimitExceeded::Memory { limit, asked } => {
            assert_eq!(limit, 8 * 1024 * 1024);
            assert!(asked > limit, "{asked}");
        }
        other => panic!("expected the memory limit, got {other:?}"),
    }
    assert_eq!(h.send(order("hello")).await.unwrap().status, "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_outside_the_grant_are_denied_and_logged() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(dir.path(), OutboundPolicy::default());
    for url in [
        "https://evil.example/steal",
        "http://api.twilio.com/2010-04-01",
        "https://api.twilio.com:8443/2010-04-01",
        "https://127.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
    ] {
        assert_eq!(denied(h.send(order(&format!("get {url}"))).await), url);
    }
    // A request with a body is refused the same way: the host reads the body first, so the
    // plugin learns of the refusal instead of finding its stream closed.
    assert_eq!(
        denied(h.send(order("post https://evil.example/upload")).await),
        "https://evil.example/upload"
    );
    let denials = h.denials();
    assert_eq!(denials.len(), 6);
    assert_eq!(denials[0].request, "GET https://evil.example/steal");
    assert_eq!(
        denials[0].reason,
        "https://evil.example:443 is not granted to the plugin (granted: \
         https://api.twilio.com:443)"
    );
    assert_eq!(
        denials[1].reason,
        "http://api.twilio.com:80 is not granted to the plugin (granted: \
         https://api.twilio.com:443)"
    );
    assert_eq!(
        denials[3].reason,
        "https://127.0.0.1:443 is an IP address or local name; the plugin may only reach \
         named hosts"
    );
    assert_eq!(denials[5].request, "POST https://evil.example/upload");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_grant_alone_is_not_enough() {
    // The host grants a destination the plugin's manifest never declared.
    let dir = tempfile::tempdir().unwrap();
    let h = harness(
        dir.path(),
        OutboundPolicy {
            grants: vec!["https://undeclared.example".parse().unwrap()],
            ..OutboundPolicy::default()
        },
    );
    assert_eq!(
        denied(h.send(order("get https://undeclared.example/")).await),
        "https://undeclared.example/"
    );
    assert!(
        h.denials()[0].reason.starts_with(
            "https://undeclared.example:443 is not among the destinations the plugin's \
             manifest declares (declared: https://api.twilio.com:443, https://evil.example:443"
        ),
        "{:?}",
        h.denials()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_grant_denies_everything() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(
        dir.path(),
        OutboundPolicy {
            grants: vec![],
            ..OutboundPolicy::default()
        },
    );
    assert_eq!(
        denied(h.send(order("get https://api.twilio.com/")).await),
        "https://api.twilio.com/"
    );
    assert_eq!(
        h.denials()[0].reason,
        "https://api.twilio.com:443 is not granted to the plugin (nothing is granted)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plugin_cannot_choose_its_host_header() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(dir.path(), OutboundPolicy::default());
    match h.send(order("host-header https://evil.example/")).await {
        Err(HarnessError::Plugin(p)) => match p.error {
            Error::Other(why) => assert_eq!(why, "headers refused: HeaderError::Forbidden"),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert!(h.denials().is_empty(), "nothing reached the policy");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plugin_sees_no_environment_and_no_files() {
    // The test process has PATH, HOME and more: none of it may reach the plugin.
    assert!(std::env::vars().next().is_some());
    let dir = tempfile::tempdir().unwrap();
    let h = harness(dir.path(), OutboundPolicy::default());
    let seen = h.send(order("env")).await.unwrap().status;
    assert_eq!(seen, "vars=[] root_entries=0");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_granted_fake_origin_is_reachable_only_through_the_rewrite() {
    // The rewrite target is not itself a grant: the plugin cannot address the fake directly
    // (and it is a local address besides).
    let dir = tempfile::tempdir().unwrap();
    let fake: Origin = "http://127.0.0.1:9".parse().unwrap();
    let h = harness(dir.path(), OutboundPolicy::with_fake_twilio(fake));
    assert_eq!(
        denied(h.send(order("get http://127.0.0.1:9/")).await),
        "http://127.0.0.1:9/"
    );
}
