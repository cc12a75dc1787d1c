//! Automated notices through the real component: texted once per event, from the store's
//! template, refused with a reason when the template cannot be filled.

use pos_sms_host::types::{NoticeEvent, NoticeKind, PaymentLink};

use crate::common::*;

fn repair(event_id: &str) -> NoticeEvent {
    NoticeEvent {
        event_id: event_id.into(),
        to: "(212) 555-0100".into(),
        customer_first_name: "Sam".into(),
        notice: NoticeKind::RepairReady("ring".into()),
        user: "automation".into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_event_twice_texts_once() {
    let w = connected_world().await;
    let first = sent(w.harness.notify(repair("repair-1234")).await.unwrap());
    assert!(!first.duplicate);
    assert_eq!(
        first.text,
        "Hi Sam, your ring is ready for pickup at JewelTrak Demo Store. See you soon!"
    );
    assert_eq!(first.segments, 1);
    let second = sent(w.harness.notify(repair("repair-1234")).await.unwrap());
    assert!(second.duplicate);
    assert_eq!(second.receipt.sid, first.receipt.sid);
    assert_eq!(w.fake.messages().len(), 1, "texted once");
    assert_eq!(w.fake.messages()[0]["body"], first.text.as_str());
    let rows = w.harness.audit(10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].entry.action.as_str(), rows[0].entry.user.as_str()),
        ("notify", "automation")
    );
    // Another event is another text.
    w.harness.notify(repair("repair-1235")).await.unwrap();
    assert_eq!(w.fake.messages().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stores_template_is_used_and_a_broken_one_is_refused() {
    let w = connected_world().await;
    w.harness.set_config("store-name", "Gems & Co").unwrap();
    w.harness
        .set_config(
            "template.payment-link",
            "{first_name}, pay {amount} to {store}: {link}",
        )
        .unwrap();
    let link = |id: &str| NoticeEvent {
        notice: NoticeKind::PaymentLink(PaymentLink {
            url: "https://pay.example.com/i/8f3a".into(),
            amount: "$412.50".into(),
        }),
        ..repair(id)
    };
    let sent = sent(w.harness.notify(link("pay-1")).await.unwrap());
    assert_eq!(
        sent.text,
        "Sam, pay $412.50 to Gems & Co: https://pay.example.com/i/8f3a"
    );

    w.harness
        .set_config(
            "template.repair-ready",
            "Your {item} is ready, pay here: {link}",
        )
        .unwrap();
    let e = plugin_error(w.harness.notify(repair("repair-9")).await.unwrap_err());
    assert_eq!(e.kind(), "invalid-notice");
    assert!(
        e.message.starts_with("The notice was not sent: "),
        "{}",
        e.message
    );
    assert!(e.message.contains("{link}"), "{}", e.message);
    assert_eq!(
        w.fake.messages().len(),
        1,
        "nothing sent for the broken template"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_notice_can_be_sent_again_later() {
    let w = connected_world().await;
    // Twilio's magic unreachable number: refused, so the event is released.
    let unreachable = NoticeEvent {
        to: "+15005550002".into(),
        ..repair("repair-77")
    };
    let e = plugin_error(w.harness.notify(unreachable.clone()).await.unwrap_err());
    assert_eq!(e.kind(), "recipient-unreachable");
    let fixed = NoticeEvent {
        to: "(212) 555-0100".into(),
        ..unreachable
    };
    let sent = sent(w.harness.notify(fixed).await.unwrap());
    assert!(!sent.duplicate);
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_releases_a_held_notice_when_the_window_opens_and_an_overnight_stop_cancels_one() {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use pos_sms_host::runtime::clock::ManualClock;
    use pos_sms_host::serve::WebhookServer;
    use pos_sms_host::types::NoticeOutcome;

    let fake = start_fake().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(1_796_177_640); // 9:14 pm in New York
    let mut config = config_for(dir.path(), &fake);
    config.clock = Arc::new(clock.clone());
    let harness = Arc::new(pos_sms_host::Harness::open(config).unwrap());
    harness.connect(credentials()).await.unwrap();
    let outcome = harness.notify(repair("repair-night")).await.unwrap();
    let NoticeOutcome::Held(held) = outcome else {
        panic!("expected a hold, got {outcome:?}")
    };
    assert_eq!(held.release_at, "2026-12-02T13:00:00Z");
    let other = NoticeEvent {
        to: "(212) 555-0199".into(),
        ..repair("repair-night-2")
    };
    assert!(matches!(
        harness.notify(other).await.unwrap(),
        NoticeOutcome::Held(_)
    ));
    // Overnight, the second customer texts STOP.
    let stop = signed_reply(
        "https://pos.example.com/twilio",
        "+12125550199",
        SENDER,
        "STOP",
        "SMnight",
    );
    harness.handle_webhook(stop).await.unwrap();
    let mut server = WebhookServer::start(harness.clone(), ([127, 0, 0, 1], 0).into(), None)
        .await
        .unwrap();
    server.release_held_every(Duration::from_millis(20));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(fake.messages().len(), 0, "not before the window opens");
    clock.set(1_796_216_400); // 8:00 am
    let deadline = Instant::now() + Duration::from_secs(10);
    while fake.messages().is_empty() {
        assert!(
            Instant::now() < deadline,
            "serve did not release the notice"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The second waits for the throttle (one segment a second), then is refused and audited.
    let cancelled = || -> Vec<(String, String)> {
        harness
            .audit(10)
            .unwrap()
            .into_iter()
            .filter(|r| r.entry.error_kind.as_deref() == Some("recipient-opted-out"))
            .map(|r| (r.entry.action, r.entry.to))
            .collect()
    };
    while cancelled().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the overnight STOP did not cancel the notice"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        fake.messages().len(),
        1,
        "released once; the STOP cancelled the other"
    );
    assert_eq!(fake.messages()[0]["to"], "+12125550100");
    assert_eq!(harness.held_notices().unwrap(), []);
    assert_eq!(
        cancelled(),
        [("notify".to_string(), "+12125550199".to_string())]
    );
    server.shutdown().await;
}
