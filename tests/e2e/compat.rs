//! The released 0.1.0 component, committed as a fixture (tests/fixtures/pos-sms-0.1.0), still
//! installs and works on this host: connect, send, notices, and a STOP that lands on the
//! store's one stop list. What 0.1.0 cannot do is refused by the host with a sentence.

use pos_sms_host::package::{self, Mode};
use pos_sms_host::types::{
    NoticeEvent, NoticeKind, Outgoing, Purpose, ReplyIntent, ReplyMatch, WebhookEvent,
};
use pos_sms_host::{Error, Harness};

use crate::common::*;

/// The component released as pos:sms 0.1.0, byte for byte, and its manifest.
const V0_1_WASM: &[u8] = include_bytes!("../fixtures/pos-sms-0.1.0/plugin.wasm");
const V0_1_MANIFEST: &str = include_str!("../fixtures/pos-sms-0.1.0/plugin.manifest.json");

fn text(to: &str, purpose: Purpose) -> Outgoing {
    Outgoing {
        to: to.into(),
        body: "Your ring is ready".into(),
        user: "alice".into(),
        purpose,
        override_quiet_hours: false,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_released_0_1_0_component_installs_and_runs_on_this_host() {
    let fake = start_fake().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let signer = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    std::fs::create_dir_all(data.join("trusted-keys")).unwrap();
    std::fs::write(
        data.join("trusted-keys/publisher.pub"),
        hex::encode(signer.verifying_key().as_bytes()),
    )
    .unwrap();
    let pkg = dir.path().join("v0.1.0.pkg");
    let bytes =
        package::build(V0_1_WASM, V0_1_MANIFEST, "# Twilio SMS\n", "Gems", &signer).unwrap();
    std::fs::write(&pkg, bytes).unwrap();
    let installed = package::install(&data, &pkg, Mode::Install).unwrap();
    assert_eq!(
        (installed.version.as_str(), installed.api_version.as_str()),
        ("0.1.0", "0.1.0")
    );

    let mut config = config_for(&data, &fake);
    config.plugin = Some(installed.wasm());
    let harness = Harness::open(config).unwrap();
    assert_eq!(harness.manifest().api_version.to_string(), "0.1.0");
    harness.connect(credentials()).await.unwrap();
    let receipt = harness
        .send(text("(212) 555-0100", Purpose::Transactional))
        .await
        .unwrap();
    assert_eq!(receipt.to, "+12125550100");
    let notice = NoticeEvent {
        event_id: "repair-1".into(),
        to: "(212) 555-0100".into(),
        customer_first_name: "Sam".into(),
        notice: NoticeKind::RepairReady("ring".into()),
        user: "automation".into(),
    };
    assert!(!sent(harness.notify(notice.clone()).await.unwrap()).duplicate);
    assert!(sent(harness.notify(notice).await.unwrap()).duplicate);
    assert_eq!(fake.messages().len(), 2);

    // A bare STOP, read by 0.1.0's keyword rule, lands on the store's one stop list...
    let url = "https://pos.example.com/twilio";
    let stop = signed_reply(url, "+12125550100", SENDER, "STOP", "SMstop1");
    match harness.handle_webhook(stop).await.unwrap() {
        WebhookEvent::Inbound(reply) => {
            let c = reply.message.classification.expect("classified");
            assert_eq!(
                (c.intent, c.matched, c.handled_by_twilio, reply.opted_out),
                (ReplyIntent::OptOut, ReplyMatch::Keyword, true, true)
            );
            assert_eq!(reply.confirmation, None);
        }
        other => panic!("expected a reply, got {other:?}"),
    }
    let list = harness.opt_outs().unwrap();
    assert_eq!(
        (list[0].number.as_str(), list[0].how.as_str()),
        ("+12125550100", "keyword")
    );
    // ...and the next send is refused before any request.
    let before = fake.requests().len();
    let e = plugin_error(
        harness
            .send(text("+12125550100", Purpose::Transactional))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.kind(), "recipient-opted-out");
    assert_eq!(fake.requests().len(), before);

    // 0.1.0 has no consent check: the host refuses marketing rather than send it unchecked.
    let e = harness
        .send(text("+13125550100", Purpose::Marketing))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Unsupported { api_version, .. } if api_version == "0.1.0"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "the plugin implements pos:sms 0.1.0, which cannot check marketing consent before a \
         send; install a plugin built for pos:sms 0.2.0 or later"
    );
    // The console's list of smart-encoding changes is 0.2.0's; the count itself is not.
    let e = harness.smart_substitutions("“Hi”").await.unwrap_err();
    assert!(
        matches!(&e, Error::Unsupported { what, .. } if *what == "list smart-encoding substitutions"),
        "{e:?}"
    );
    let rows = harness.audit(10).unwrap();
    assert_eq!(
        rows.len(),
        3,
        "two sends and the refused one; nothing for marketing"
    );
}
