//! The real component in the real harness against the fake Twilio on loopback, through the
//! library API a POS host embeds.

use fake_twilio::{FakeConfig, FakeTwilio};
use pos_sms_host::error::{ApiVersionError, DenialReason, LoadError, ManifestError, StorageError};
use pos_sms_host::origin::twilio_origin;
use pos_sms_host::policy::OutboundPolicy;
use pos_sms_host::runtime::CacheOutcome;
use pos_sms_host::storage::AuditRow;
use pos_sms_host::types::{self, Auth, Credentials, Error, Outgoing, Purpose};
use pos_sms_host::{Error as HostError, Harness, HarnessConfig};

use crate::common::*;

fn outgoing(to: &str, body: &str, user: &str) -> Outgoing {
    Outgoing {
        to: to.into(),
        body: body.into(),
        user: user.into(),
        purpose: Purpose::Transactional,
        override_quiet_hours: false,
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn is_message_sid(sid: &str) -> bool {
    sid.len() == 34 && sid.starts_with("SM") && sid[2..].chars().all(|c| c.is_ascii_hexdigit())
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_status_send_test_audit_disconnect() {
    let w = world().await;
    let status = w.harness.status().await.unwrap();
    assert!(!status.connected);

    let account = w.harness.connect(credentials()).await.unwrap();
    assert_eq!(account.masked_sid, "AC…cdef");
    assert_eq!(account.friendly_name, "JewelTrak Demo Store");
    assert_eq!(account.status, "active");
    assert_eq!(account.account_type, "Full");
    assert_eq!(account.sender, SENDER);

    // The account check went out as Twilio expects, rewritten to the fake.
    let requests = w.fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, format!("/2010-04-01/Accounts/{SID}.json"));
    assert_eq!(
        header(&requests[0].headers, "host"),
        Some(w.fake.addr().to_string().as_str())
    );

    let status = w.harness.status().await.unwrap();
    assert_eq!(
        (
            status.connected,
            status.masked_sid.as_deref(),
            status.sender.as_deref()
        ),
        (true, Some("AC…cdef"), Some(SENDER))
    );

    let receipt = w
        .harness
        .send(outgoing(
            "(212) 555-0100",
            "Your ring is ready & shiny!",
            "alice",
        ))
        .await
        .unwrap();
    assert!(is_message_sid(&receipt.sid), "{}", receipt.sid);
    assert_eq!(receipt.to, "+12125550100");
    assert_eq!(receipt.status, "queued");
    assert_eq!(receipt.segments, 1);

    // Exact bytes on the wire.
    let post = w.fake.requests().pop().unwrap();
    assert_eq!(post.method, "POST");
    assert_eq!(
        post.path,
        format!("/2010-04-01/Accounts/{SID}/Messages.json")
    );
    assert_eq!(
        String::from_utf8(post.body).unwrap(),
        "To=%2B12125550100&From=%2B15005550006&Body=Your+ring+is+ready+%26+shiny%21"
    );
    assert_eq!(
        header(&post.headers, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        header(&post.headers, "authorization"),
        Some(
            "Basic QUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjpmMDBkZmVlZGMwZmZlZTAwYWExMWJiMjJjYzMzZGQ0NA=="
        )
    );
    assert_eq!(
        header(&post.headers, "user-agent"),
        Some("pos-sms-plugin/0.1.0")
    );

    let test = w.harness.test("+15005550006", "bob").await.unwrap();
    assert_eq!(test.to, "+15005550006");
    let messages = w.fake.messages();
    assert_eq!(
        messages[1]["body"],
        "Test message from JewelTrak Demo Store: texting through Twilio works."
    );

    let rows = w.harness.audit(10).unwrap();
    let strip = |AuditRow { entry: r, .. }: &AuditRow| {
        (
            r.action.clone(),
            r.to.clone(),
            r.body_length,
            r.segments,
            r.user.clone(),
            r.message_sid.clone(),
            r.status.clone(),
            r.error_kind.clone(),
            r.twilio_code,
        )
    };
    assert_eq!(
        rows.iter().map(strip).collect::<Vec<_>>(),
        [
            (
                "send".to_string(),
                "+12125550100".to_string(),
                27,
                1,
                "alice".to_string(),
                Some(receipt.sid.clone()),
                "queued".to_string(),
                None,
                None
            ),
            (
                "test".to_string(),
                "+15005550006".to_string(),
                69,
                1,
                "bob".to_string(),
                Some(test.sid.clone()),
                "queued".to_string(),
                None,
                None
            ),
        ]
    );

    w.harness.disconnect().await.unwrap();
    assert!(!w.harness.status().await.unwrap().connected);
    let e = plugin_error(
        w.harness
            .send(outgoing("+12125550100", "hi", "alice"))
            .await
            .unwrap_err(),
    );
    assert!(matches!(e.error, Error::NotConnected));
    assert_eq!(e.kind(), "not-connected");
}

#[tokio::test(flavor = "multi_thread")]
async fn store_name_setting_names_the_test_message() {
    let w = connected_world().await;
    w.harness.set_config("store-name", "Gems & Co").unwrap();
    w.harness.test("+15005550006", "bob").await.unwrap();
    assert_eq!(
        w.fake.messages()[0]["body"],
        "Test message from Gems & Co: texting through Twilio works."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn smart_encoding_setting_sends_what_the_counter_showed() {
    let w = connected_world().await;
    let body = "We’re open “late” — see you";
    let preview = w.harness.segment_count(body, true, None).await.unwrap();
    assert_eq!(preview.encoding, types::Encoding::Gsm7);
    w.harness.set_config("smart-encoding", "true").unwrap();
    w.harness
        .send(outgoing("+12125550100", body, "alice"))
        .await
        .unwrap();
    assert_eq!(w.fake.messages()[0]["body"], preview.text.as_str());
    assert_eq!(preview.text, "We're open \"late\" - see you");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_token_is_rejected_and_keeps_what_was_stored() {
    let w = connected_world().await;
    let wrong = Credentials {
        auth: Auth::AuthToken("00000000000000000000000000000000".into()),
        ..credentials()
    };
    let e = plugin_error(w.harness.connect(wrong).await.unwrap_err());
    assert!(matches!(e.error, Error::CredentialsRejected));
    assert_eq!(e.twilio_code(), Some(20003));
    assert!(
        e.message.starts_with("Twilio rejected these credentials"),
        "{}",
        e.message
    );
    // The earlier, working credentials are still there and still send.
    w.harness
        .send(outgoing("+12125550100", "still works", "alice"))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_formats_are_refused_before_any_request() {
    let w = world().await;
    let cases = [
        (
            Credentials {
                account_sid: "AC123".into(),
                ..credentials()
            },
            types::CredentialField::AccountSid,
        ),
        (
            Credentials {
                auth: Auth::AuthToken("not-a-token".into()),
                ..credentials()
            },
            types::CredentialField::AuthToken,
        ),
        (
            Credentials {
                sender: "12".into(),
                ..credentials()
            },
            types::CredentialField::Sender,
        ),
    ];
    for (creds, field) in cases {
        let e = plugin_error(w.harness.connect(creds).await.unwrap_err());
        match e.error {
            Error::InvalidCredential(p) => assert_eq!(p.field, field),
            other => panic!("expected invalid-credential, got {other:?}"),
        }
    }
    assert!(w.fake.requests().is_empty());
    assert!(!w.harness.status().await.unwrap().connected);
}

#[tokio::test(flavor = "multi_thread")]
async fn api_key_authentication() {
    let key_sid = "SK00112233445566778899aabbccddeeff";
    let key_secret = "abcdefghijklmnopqrstuvwxyz012345";
    let mut config = FakeConfig::new(SID, TOKEN);
    config.api_keys.push((key_sid.into(), key_secret.into()));
    let fake = FakeTwilio::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let harness = Harness::open(config_for(dir.path(), &fake)).unwrap();
    harness
        .connect(Credentials {
            auth: Auth::ApiKey(types::ApiKey {
                sid: key_sid.into(),
                secret: key_secret.into(),
            }),
            ..credentials()
        })
        .await
        .unwrap();
    harness
        .send(outgoing("+12125550100", "hi", "alice"))
        .await
        .unwrap();
    let post = fake.requests().pop().unwrap();
    // base64("SK00112233445566778899aabbccddeeff:abcdefghijklmnopqrstuvwxyz012345")
    assert_eq!(
        header(&post.headers, "authorization"),
        Some(
            "Basic U0swMDExMjIzMzQ0NTU2Njc3ODg5OWFhYmJjY2RkZWVmZjphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NQ=="
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn twilio_magic_numbers_become_typed_errors() {
    let w = connected_world().await;
    let cases: [(&str, &str, Option<u32>); 5] = [
        ("+15005550002", "recipient-unreachable", Some(21612)),
        ("+15005550009", "recipient-unreachable", Some(21614)),
        ("+15005550003", "region-not-permitted", Some(21408)),
        ("+15005550004", "recipient-opted-out", Some(21610)),
        ("+15005550001", "twilio", Some(21211)),
    ];
    for (to, kind, code) in cases {
        let e = plugin_error(
            w.harness
                .send(outgoing(to, "Your repair is ready", "alice"))
                .await
                .unwrap_err(),
        );
        assert_eq!((e.kind(), e.twilio_code()), (kind, code), "{to}");
    }
    let e = plugin_error(
        w.harness
            .send(outgoing("+15005550002", "x", "alice"))
            .await
            .unwrap_err(),
    );
    match e.error {
        Error::RecipientUnreachable(t) => {
            assert_eq!(t.code, Some(21612));
            assert_eq!(t.http_status, 400);
            assert_eq!(
                t.more_info.as_deref(),
                Some("https://www.twilio.com/docs/errors/21612")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.message
            .starts_with("The 'To' phone number is not currently reachable via SMS"),
        "{}",
        e.message
    );
    let rows = w.harness.audit(10).unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| (
                r.entry.to.as_str(),
                r.entry.error_kind.as_deref(),
                r.entry.twilio_code
            ))
            .collect::<Vec<_>>(),
        [
            ("+15005550002", Some("recipient-unreachable"), Some(21612)),
            ("+15005550009", Some("recipient-unreachable"), Some(21614)),
            ("+15005550003", Some("region-not-permitted"), Some(21408)),
            ("+15005550004", Some("recipient-opted-out"), Some(21610)),
            ("+15005550001", Some("twilio"), Some(21211)),
            ("+15005550002", Some("recipient-unreachable"), Some(21612)),
        ]
    );
    assert!(
        rows.iter()
            .all(|r| r.entry.status == "failed" && r.entry.message_sid.is_none())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn twilio_saying_opted_out_stops_the_next_send_before_any_request() {
    let w = connected_world().await;
    let send = || {
        w.harness
            .send(outgoing("+15005550004", "Your ring is ready", "alice"))
    };
    let first = plugin_error(send().await.unwrap_err());
    assert_eq!(
        (first.kind(), first.twilio_code()),
        ("recipient-opted-out", Some(21610))
    );
    assert_eq!(w.fake.requests().len(), 2, "the account check and one send");
    let second = plugin_error(send().await.unwrap_err());
    assert_eq!(
        (second.kind(), second.message),
        (first.kind(), first.message)
    );
    assert_eq!(
        w.fake.requests().len(),
        2,
        "refused by the plugin, not by Twilio"
    );
    let codes: Vec<_> = w
        .harness
        .audit(10)
        .unwrap()
        .into_iter()
        .map(|r| (r.entry.error_kind, r.entry.twilio_code))
        .collect();
    assert_eq!(
        codes,
        [
            (Some("recipient-opted-out".to_string()), Some(21610)),
            (Some("recipient-opted-out".to_string()), Some(21610)),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_sender_numbers_are_twilio_errors() {
    // Twilio's magic senders: +15005550001 is not a valid sender (21212), +15005550007 is
    // not a message-capable number of this account (21606).
    for (sender, code) in [("+15005550001", 21212), ("+15005550007", 21606)] {
        let w = world().await;
        w.harness
            .connect(Credentials {
                sender: sender.into(),
                ..credentials()
            })
            .await
            .unwrap();
        let e = plugin_error(
            w.harness
                .send(outgoing("+12125550100", "hi", "alice"))
                .await
                .unwrap_err(),
        );
        assert_eq!((e.kind(), e.twilio_code()), ("twilio", Some(code)));
        assert_eq!(
            e.message,
            format!(
                "Your sender number isn't a message-capable Twilio number on this account. \
                 Check that the phone number in the Twilio settings is one you bought in \
                 Twilio. (Twilio error {code}, HTTP 400)"
            )
        );
        let row = w.harness.audit(1).unwrap().pop().unwrap();
        assert_eq!(
            (row.entry.error_kind.as_deref(), row.entry.twilio_code),
            (Some("twilio"), Some(code))
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn another_plugin_file_can_be_loaded_and_a_bad_one_is_refused() {
    let fake = start_fake().await;
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("plugin.wasm");
    std::fs::write(&wasm, pos_sms_host::EMBEDDED_PLUGIN).unwrap();
    let mut config = config_for(&dir.path().join("data"), &fake);
    config.plugin = Some(wasm.clone());
    // Without its manifest a plugin is not loaded: the manifest declares what it may reach.
    match Harness::open(config.clone()).err().unwrap() {
        HostError::Load(LoadError::Manifest(ManifestError::Read { path, .. })) => {
            assert_eq!(path, dir.path().join("plugin.manifest.json"))
        }
        other => panic!("expected the manifest to be missing, got {other:?}"),
    }
    std::fs::write(
        dir.path().join("plugin.manifest.json"),
        pos_sms_host::manifest::EMBEDDED_MANIFEST,
    )
    .unwrap();
    let harness = Harness::open(config.clone()).unwrap();
    assert_eq!(harness.manifest().id, "pos-sms-twilio");
    assert_eq!(
        harness.normalize_phone("212 555 0100").await.unwrap(),
        "+12125550100"
    );

    std::fs::write(&wasm, b"not a component").unwrap();
    let e = Harness::open(config.clone()).err().unwrap();
    assert!(matches!(e, HostError::Load(LoadError::Compile(_))), "{e:?}");

    config.plugin = Some(dir.path().join("missing.wasm"));
    match Harness::open(config).err().unwrap() {
        HostError::Load(LoadError::ReadPlugin { path, source }) => {
            assert_eq!(path, dir.path().join("missing.wasm"));
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected the plugin file to be missing, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_data_directory_that_cannot_be_made_is_a_storage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"").unwrap();
    match Harness::open(HarnessConfig::new(&file)).err().unwrap() {
        HostError::Storage(StorageError::DataDir { path, .. }) => assert_eq!(path, file),
        other => panic!("expected a storage error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn body_and_phone_checks_make_no_request() {
    let w = connected_world().await;
    let before = w.fake.requests().len();
    let long = "a".repeat(1601);
    let cases = [
        ("+12125550100", "", "empty-body"),
        ("+12125550100", "   \n ", "empty-body"),
        ("+12125550100", long.as_str(), "body-too-long"),
        ("555", "hi", "invalid-phone"),
    ];
    for (to, body, kind) in cases {
        let e = plugin_error(
            w.harness
                .send(outgoing(to, body, "alice"))
                .await
                .unwrap_err(),
        );
        assert_eq!(e.kind(), kind, "{to} {body:?}");
    }
    let e = plugin_error(
        w.harness
            .send(outgoing("+12125550100", &long, "alice"))
            .await
            .unwrap_err(),
    );
    assert!(matches!(e.error, Error::BodyTooLong(1601)));
    assert_eq!(w.fake.requests().len(), before);
    // 1600 characters is still accepted (11 segments).
    let ok = w
        .harness
        .send(outgoing("+12125550100", &"a".repeat(1600), "alice"))
        .await
        .unwrap();
    assert_eq!(ok.segments, 11);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_destination_outside_the_grant_is_denied_by_the_host() {
    let fake = start_fake().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_for(dir.path(), &fake);
    // Nothing is granted: even Twilio's origin is refused.
    config.policy = OutboundPolicy {
        grants: vec![],
        ..config.policy.clone()
    };
    let harness = Harness::open(config).unwrap();
    let (denial, plugin) = match harness.connect(credentials()).await {
        Err(HostError::Refused(r)) => (r.denial, r.plugin),
        other => panic!("expected a refused destination, got {other:?}"),
    };
    match &plugin.error {
        Error::DeniedByHost(what) => assert_eq!(what, "https://api.twilio.com"),
        other => panic!("expected denied-by-host, got {other:?}"),
    }
    assert!(fake.requests().is_empty());
    assert_eq!(
        denial.request,
        format!("GET https://api.twilio.com/2010-04-01/Accounts/{SID}.json")
    );
    assert_eq!(
        denial.reason,
        DenialReason::NotGranted {
            origin: twilio_origin(),
            granted: vec![],
        }
    );
    assert_eq!(harness.denials(), [denial]);
    assert!(!harness.status().await.unwrap().connected);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_refused_by_the_host_is_audited_and_not_retried() {
    let w = connected_world().await;
    // Reopen the same data directory with an empty grant.
    let mut config = config_for(w.dir.path(), &w.fake);
    config.policy.grants.clear();
    let harness = Harness::open(config).unwrap();
    let before = w.fake.requests().len();
    let e = match harness.send(outgoing("+12125550100", "hi", "alice")).await {
        Err(HostError::Refused(r)) => r.plugin,
        other => panic!("expected a refused destination, got {other:?}"),
    };
    assert_eq!(e.kind(), "denied-by-host");
    assert_eq!(w.fake.requests().len(), before);
    let row = harness.audit(1).unwrap().pop().unwrap();
    assert_eq!(row.entry.error_kind.as_deref(), Some("denied-by-host"));
    assert_eq!(harness.denials().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_refused_is_a_network_error() {
    let fake = start_fake().await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(dir.path(), &fake);
    // Nothing listens on the fake's port any more.
    fake.shutdown().await;
    let harness = Harness::open(config).unwrap();
    let e = plugin_error(harness.connect(credentials()).await.unwrap_err());
    match &e.error {
        Error::Network(detail) => {
            assert_eq!(detail, "https://api.twilio.com: the connection was refused")
        }
        other => panic!("expected network, got {other:?}"),
    }
    assert_eq!(
        e.message,
        "Couldn't reach Twilio (https://api.twilio.com: the connection was refused). Nothing \
         was sent; check the internet connection and try again."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_to_a_refused_connection_is_safe_to_retry() {
    let World {
        fake,
        harness,
        dir: _dir,
    } = connected_world().await;
    fake.shutdown().await;
    // The request has a body: the plugin must still learn that the connection was refused
    // (nothing was sent), not just that its body stream closed.
    let e = plugin_error(
        harness
            .send(outgoing("+12125550100", "hi", "alice"))
            .await
            .unwrap_err(),
    );
    match &e.error {
        Error::Network(detail) => {
            assert_eq!(detail, "https://api.twilio.com: the connection was refused")
        }
        other => panic!("expected network, got {other:?}"),
    }
    let row = harness.audit(1).unwrap().pop().unwrap();
    assert_eq!(row.entry.error_kind.as_deref(), Some("network"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_compiled_component_is_cached() {
    let fake = start_fake().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = HarnessConfig::new(dir.path().join("data"));
    config.policy = OutboundPolicy::with_fake_twilio(fake.base_url().parse().unwrap());
    let first = Harness::open(config.clone()).unwrap();
    assert_eq!(first.cache_outcome(), CacheOutcome::Compiled);
    let second = Harness::open(config).unwrap();
    assert_eq!(second.cache_outcome(), CacheOutcome::Hit);
    // The cached code runs.
    let info = second.segment_count("hello", false, None).await.unwrap();
    assert_eq!(info.characters, 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn counter_and_phone_through_the_component() {
    let w = world().await;
    let mut session = w.harness.session().await.unwrap();
    let info = session
        .segment_count(&"€".repeat(153), false, Some(7_900))
        .await
        .unwrap();
    assert_eq!(
        (info.encoding, info.segments, info.characters),
        (types::Encoding::Gsm7, 3, 306)
    );
    assert_eq!(info.cost_micros, 23_700);
    let info = session.segment_count("Hi 😀", false, None).await.unwrap();
    assert_eq!(
        (
            info.encoding,
            info.segments,
            info.characters,
            info.non_gsm.clone()
        ),
        (types::Encoding::Ucs2, 1, 4, vec!["😀".to_string()])
    );
    assert_eq!(info.remaining_in_segment, 65);
    assert_eq!(info.cost_micros, 8_000);
    assert_eq!(
        session.normalize_phone("(555) 123-4567").await.unwrap(),
        "+15551234567"
    );
    let e = plugin_error(session.normalize_phone("555-123-456").await.unwrap_err());
    assert_eq!(
        e.message,
        "That phone number can't be texted: US numbers have 10 digits; this has 9. \
         International numbers need the leading + and country code (+44 20 7946 0958)."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_for_an_unsupported_api_version_is_refused() {
    let fake = start_fake().await;
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("plugin.wasm");
    std::fs::write(&wasm, pos_sms_host::EMBEDDED_PLUGIN).unwrap();
    std::fs::write(
        dir.path().join("plugin.manifest.json"),
        pos_sms_host::manifest::EMBEDDED_MANIFEST
            .replace("\"api_version\": \"0.2.0\"", "\"api_version\": \"0.3.0\""),
    )
    .unwrap();
    let mut config = config_for(&dir.path().join("data"), &fake);
    config.plugin = Some(wasm);
    let e = Harness::open(config).err().unwrap();
    match &e {
        HostError::Load(LoadError::ApiVersion(ApiVersionError::Unsupported {
            id,
            wanted,
            supported,
        })) => {
            assert_eq!((id.as_str(), wanted.as_str()), ("pos-sms-twilio", "0.3.0"));
            assert_eq!(supported, &["0.1.0", "0.2.0"]);
        }
        other => panic!("expected an unsupported API version, got {other:?}"),
    }
    assert_eq!(
        e.to_string(),
        "the plugin pos-sms-twilio targets pos:sms API 0.3.0, and this host supports 0.1.0, \
         0.2.0. Install a build of the plugin for a supported API version, or a newer host."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sends_one_after_another_travel_over_one_kept_connection() {
    let w = connected_world().await;
    for i in 0..10 {
        let to = format!("+1212555{i:04}");
        w.harness
            .send(outgoing(&to, "Your ring is ready", "serial"))
            .await
            .unwrap();
    }
    // The connection `connect` opened carries every send: no new TCP (or TLS) per message.
    assert_eq!(w.fake.connections(), 1);
    assert_eq!(w.fake.messages().len(), 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_sends_share_their_fsyncs_and_each_is_sent_and_audited_once() {
    let w = connected_world().await;
    let before = w.harness.group_commits();
    let numbers: Vec<String> = (0..64).map(|i| format!("+1212555{i:04}")).collect();
    let sends = numbers
        .iter()
        .map(|to| w.harness.send(outgoing(to, "Your ring is ready", "batch")));
    let receipts: Vec<types::Receipt> = futures::future::join_all(sends)
        .await
        .into_iter()
        .map(|r| r.expect("every send succeeds"))
        .collect();
    let after = w.harness.group_commits();

    // Each send writes three rows through the group commit (the pending audit row, the
    // thread's copy, the outcome); 64 at once share transactions. (How many share depends on
    // how long the disk takes against the CPU: about 2 a transaction in a debug build.)
    assert_eq!(after.writes - before.writes, 64 * 3);
    let transactions = after.transactions - before.transactions;
    assert!(
        transactions < 64 * 3,
        "{transactions} transactions for {} writes",
        64 * 3
    );

    let sent: std::collections::BTreeSet<&str> = receipts.iter().map(|r| r.sid.as_str()).collect();
    assert_eq!(sent.len(), 64, "every receipt has its own SID");
    // At most one connection a request in flight (fewer when one was free again in time).
    assert!(w.fake.connections() <= 65, "{}", w.fake.connections());
    assert_eq!(w.fake.messages().len(), 64, "nothing is sent twice");
    let rows = w.harness.audit(1000).unwrap();
    assert_eq!(rows.len(), 64);
    let audited: std::collections::BTreeSet<&str> = rows
        .iter()
        .map(|row| {
            row.entry
                .message_sid
                .as_deref()
                .expect("a final row has its SID")
        })
        .collect();
    assert_eq!(audited, sent);
    assert!(
        rows.iter().all(|row| row.entry.status == "queued"),
        "{rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_past_the_instance_pool_wait_for_a_slot_instead_of_failing() {
    let fake = start_fake().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_for(dir.path(), &fake);
    config.max_instances = 2;
    let harness = Harness::open(config).unwrap();
    harness.connect(credentials()).await.unwrap();
    // Two sessions hold both slots: a third call waits until one ends.
    let first = harness.session().await.unwrap();
    let second = harness.session().await.unwrap();
    let waiting = tokio::time::timeout(
        std::time::Duration::from_millis(200),
        harness.normalize_phone("(212) 555-0100"),
    )
    .await;
    assert!(
        waiting.is_err(),
        "a third instance started with the pool full"
    );
    drop(first);
    assert_eq!(
        harness.normalize_phone("(212) 555-0100").await.unwrap(),
        "+12125550100"
    );
    drop(second);
    // Eight sends at once through two slots: every one goes out.
    let sends = (0..8).map(|i| harness.send(outgoing(&format!("+1212555{i:04}"), "hi", "sam")));
    for sent in futures::future::join_all(sends).await {
        sent.expect("sent once a slot was free");
    }
    assert_eq!(fake.messages().len(), 8);
}

#[test]
fn a_memory_limit_above_what_an_instance_can_have_is_refused_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = HarnessConfig::new(dir.path());
    config.limits.memory_bytes = pos_sms_host::runtime::MAX_MEMORY_BYTES + 1;
    match Harness::open(config) {
        Err(HostError::Load(LoadError::Engine(message))) => assert_eq!(
            message,
            "the memory limit is 67108865 bytes, above the 67108864 an instance can have; \
             lower Limits::memory_bytes"
        ),
        Err(other) => panic!("expected LoadError::Engine, got {other:?}"),
        Ok(_) => panic!("a harness opened with a memory limit it cannot honour"),
    }
    let mut config = HarnessConfig::new(dir.path());
    config.max_instances = 0;
    assert!(matches!(
        Harness::open(config),
        Err(HostError::Load(LoadError::Engine(m))) if m.starts_with("max_instances is 0")
    ));
}
