//! A hostile plugin (tests/programs/misbehaving) in the real harness: each protection stops it
//! with the exact error, and the host carries on.

use std::time::Duration;

use pos_sms_host::error::{Denial, DenialReason, LimitExceeded};
use pos_sms_host::origin::{Origin, twilio_origin};
use pos_sms_host::policy::OutboundPolicy;
use pos_sms_host::runtime::limits::Limits;
use pos_sms_host::types::{self, Outgoing, Purpose};
use pos_sms_host::{Error, Harness, HarnessConfig};

fn harness(dir: &std::path::Path, policy: OutboundPolicy) -> Harness {
    let mut config = HarnessConfig::new(dir);
    config.plugin = Some(test_programs_artifacts::MISBEHAVING_PLUGIN.into());
    config.cache_dir = Some(crate::common::shared_cache_dir());
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
        purpose: Purpose::Transactional,
        override_quiet_hours: false,
    }
}

fn limit_of(e: Error) -> LimitExceeded {
    match e {
        Error::Limit(limit) => limit,
        other => panic!("expected a limit, got {other:?}"),
    }
}

/// The host's denial and the URL the plugin says it was denied, from a refused call.
fn denied(result: Result<types::Receipt, Error>) -> (Denial, String) {
    match result {
        Err(Error::Refused(r)) => match r.plugin.error {
            types::Error::DeniedByHost(url) => (r.denial, url),
            other => panic!("expected denied-by-host, got {other:?}"),
        },
        other => panic!("expected a refused destination, got {other:?}"),
    }
}

fn origin(s: &str) -> Origin {
    s.parse().unwrap()
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
async fn a_trapping_plugin_is_a_trap_and_the_host_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(dir.path(), OutboundPolicy::default());
    match h.send(order("trap")).await {
        Err(Error::Trap(what)) => assert!(what.contains("wasm trap"), "{what}"),
        other => panic!("expected a trap, got {other:?}"),
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
        let (denial, plugin_saw) = denied(h.send(order(&format!("get {url}"))).await);
        assert_eq!(plugin_saw, url);
        assert_eq!(denial.request, format!("GET {url}"));
    }
    // A request with a body is refused the same way: the host reads the body first, so the
    // plugin learns of the refusal instead of finding its stream closed.
    let (denial, plugin_saw) = denied(h.send(order("post https://evil.example/upload")).await);
    assert_eq!(plugin_saw, "https://evil.example/upload");
    assert_eq!(denial.request, "POST https://evil.example/upload");
    let not_granted = |o: &str| DenialReason::NotGranted {
        origin: origin(o),
        granted: vec![twilio_origin()],
    };
    let reasons: Vec<DenialReason> = h.denials().into_iter().map(|d| d.reason).collect();
    assert_eq!(
        reasons,
        [
            not_granted("https://evil.example:443"),
            not_granted("http://api.twilio.com:80"),
            not_granted("https://api.twilio.com:8443"),
            DenialReason::LocalDestination(origin("https://127.0.0.1:443")),
            DenialReason::LocalDestination(origin("http://169.254.169.254:80")),
            not_granted("https://evil.example:443"),
        ]
    );
    assert_eq!(
        reasons[0].to_string(),
        "https://evil.example:443 is not granted to the plugin (granted: \
         https://api.twilio.com:443)"
    );
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
    let (denial, _) = denied(h.send(order("get https://undeclared.example/")).await);
    match denial.reason {
        DenialReason::NotDeclared {
            origin: o,
            declared,
        } => {
            assert_eq!(o, origin("https://undeclared.example"));
            assert_eq!(
                declared[..2],
                [twilio_origin(), origin("https://evil.example")]
            );
        }
        other => panic!("expected the manifest's key to be missing, got {other:?}"),
    }
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
    let (denial, plugin_saw) = denied(h.send(order("get https://api.twilio.com/")).await);
    assert_eq!(plugin_saw, "https://api.twilio.com/");
    assert_eq!(
        denial.reason,
        DenialReason::NotGranted {
            origin: twilio_origin(),
            granted: vec![],
        }
    );
    assert_eq!(
        denial.reason.to_string(),
        "https://api.twilio.com:443 is not granted to the plugin (nothing is granted)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plugin_cannot_choose_its_host_header() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(dir.path(), OutboundPolicy::default());
    match h.send(order("host-header https://evil.example/")).await {
        Err(Error::Plugin(p)) => match p.error {
            types::Error::Other(why) => {
                assert_eq!(why, "headers refused: HeaderError::Forbidden")
            }
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
    let (denial, plugin_saw) = denied(h.send(order("get http://127.0.0.1:9/")).await);
    assert_eq!(plugin_saw, "http://127.0.0.1:9/");
    assert_eq!(
        denial.reason,
        DenialReason::LocalDestination(origin("http://127.0.0.1:9"))
    );
}

/// Resolves every name to the address it was given (a DNS server the attacker controls).
#[derive(Debug)]
struct PointsAt(std::net::SocketAddr);

impl pos_sms_host::policy::Resolver for PointsAt {
    fn resolve<'a>(&'a self, _host: &'a str, _port: u16) -> pos_sms_host::policy::Resolution<'a> {
        Box::pin(async move { Ok(vec![self.0]) })
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_granted_name_that_resolves_inside_the_network_is_refused_before_any_connection() {
    // api.twilio.com answered with the address of a server on this machine: the fake
    // Twilio, which would accept the request.
    let fake = crate::common::start_fake().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::common::config_for(dir.path(), &fake);
    config.policy = OutboundPolicy::default();
    config.resolver = std::sync::Arc::new(PointsAt(fake.addr()));
    let harness = Harness::open(config).unwrap();
    let e = harness
        .connect(crate::common::credentials())
        .await
        .unwrap_err();
    let Error::Refused(refusal) = e else {
        panic!("expected a refusal, got {e:?}");
    };
    assert_eq!(
        refusal.denial.reason,
        DenialReason::PrivateAddress {
            origin: twilio_origin(),
            address: fake.addr().ip(),
        }
    );
    assert_eq!(refusal.plugin.kind(), "denied-by-host");
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    assert!(!harness.status().await.unwrap().connected);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_call_sees_what_an_earlier_call_left_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let h = harness(dir.path(), OutboundPolicy::default());
    // One after another: each call runs in the slot the last one used, reset in between.
    for _ in 0..20 {
        assert_eq!(h.send(order("remember")).await.unwrap().status, "clean");
    }
    // Many at once, so slots are reused while others run.
    let calls = (0..64).map(|_| h.send(order("remember")));
    for receipt in futures::future::join_all(calls).await {
        assert_eq!(receipt.unwrap().status, "clean");
    }
    // A call that filled its memory to the limit leaves nothing either.
    limit_of(h.send(order("grow")).await.unwrap_err());
    assert_eq!(h.send(order("remember")).await.unwrap().status, "clean");
}
