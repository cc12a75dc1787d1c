//! `sync`: a store with no public URL sees "delivered" after asking Twilio, and sends whose
//! answer never came are settled from Twilio's list: the one the fake created (and dropped
//! the answer to) gets its SID, the one it never created is marked not sent.

use std::time::Duration;

use fake_twilio::{Fault, UNDELIVERABLE_TO};
use pos_sms_host::Harness;
use pos_sms_host::harness::Resolved;
use pos_sms_host::runtime::clock::SystemClock;
use pos_sms_host::storage::Delivery;
use pos_sms_host::types::{Outgoing, Purpose};

use crate::common::*;

fn text(to: &str, body: &str) -> Outgoing {
    Outgoing {
        to: to.into(),
        body: body.into(),
        user: "alice".into(),
        purpose: Purpose::Transactional,
        // The world runs on the system clock (below), whatever the hour.
        override_quiet_hours: true,
    }
}

/// A connected world that gives up on a silent Twilio quickly and syncs without pausing. Its
/// clock is the system's: Twilio's list filters by the day the fake really sent a message,
/// which must be the day the harness thinks it sent it.
async fn sync_world() -> World {
    let fake = start_fake().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = config_for(dir.path(), &fake);
    config.timeouts = short_timeouts();
    config.clock = std::sync::Arc::new(SystemClock);
    let harness = Harness::open(config).expect("harness opens");
    harness.connect(credentials()).await.expect("connect");
    harness
        .set_config("sync-requests-per-second", "100")
        .unwrap();
    World { fake, harness, dir }
}

/// Long enough for the fake (100 ms a status step) to have delivered what it was sent.
async fn let_twilio_deliver() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_with_no_webhook_url_sees_delivered_after_sync() {
    let w = sync_world().await;
    let ok = w
        .harness
        .send(text("+12125550100", "Your ring is ready"))
        .await
        .unwrap();
    let bad = w
        .harness
        .send(text(UNDELIVERABLE_TO, "Your ring is ready"))
        .await
        .unwrap();
    assert!(
        w.harness
            .audit(10)
            .unwrap()
            .iter()
            .all(|r| r.delivery.is_none())
    );
    let_twilio_deliver().await;

    let report = w.harness.sync().await.unwrap();
    let polled: Vec<(&str, &str, Option<u32>)> = report
        .polled
        .iter()
        .map(|u| (u.message_sid.as_str(), u.status.as_str(), u.error_code))
        .collect();
    assert_eq!(
        polled,
        [
            (ok.sid.as_str(), "delivered", None),
            (bad.sid.as_str(), "undelivered", Some(30006)),
        ]
    );
    assert_eq!((report.resolved.len(), report.failed.len()), (0, 0));
    let rows = w.harness.audit(10).unwrap();
    assert_eq!(
        rows[0].delivery,
        Some(Delivery {
            status: "delivered".into(),
            error_code: None,
            reason: None
        })
    );
    let undelivered = rows[1].delivery.clone().unwrap();
    assert_eq!(
        (undelivered.status.as_str(), undelivered.error_code),
        ("undelivered", Some(30006))
    );
    assert!(
        undelivered
            .reason
            .unwrap()
            .starts_with("This number is a landline")
    );
    let gets = |w: &World| {
        w.fake
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.contains("/Messages/"))
            .count()
    };
    assert_eq!(gets(&w), 2);
    // Final statuses are not asked for again.
    let report = w.harness.sync().await.unwrap();
    assert_eq!(report.polled, []);
    assert_eq!(gets(&w), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_whose_answer_was_dropped_is_resolved_to_its_sid() {
    let w = sync_world().await;
    w.fake.push_faults([Fault::StallAfterCreate]);
    let e = plugin_error(
        w.harness
            .send(text("+12125550100", "Your ring is ready"))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.kind(), "outcome-unknown");
    let created = w.fake.messages();
    assert_eq!(
        created.len(),
        1,
        "Twilio has it, though the answer was lost"
    );
    // Another text to the same number, which sync must not mistake for it.
    w.harness
        .send(text("+12125550100", "We close at 6 today"))
        .await
        .unwrap();
    let_twilio_deliver().await;

    let report = w.harness.sync().await.unwrap();
    assert_eq!(report.resolved.len(), 1);
    let Resolved::Sent(receipt) = &report.resolved[0].outcome else {
        panic!("expected it found: {:?}", report.resolved)
    };
    assert_eq!(receipt.sid, created[0]["sid"].as_str().unwrap());
    let row = &w.harness.audit(10).unwrap()[0];
    assert_eq!(
        (
            row.entry.message_sid.as_deref(),
            row.entry.error_kind.as_deref()
        ),
        (Some(receipt.sid.as_str()), None)
    );
    assert_eq!(
        row.entry.note.as_deref(),
        Some(
            format!(
                "outcome resolved by sync: Twilio created it as {}",
                receipt.sid
            )
            .as_str()
        )
    );
    // Now a send like any other, it got its delivery status in the same sync.
    assert_eq!(
        row.delivery.as_ref().map(|d| d.status.as_str()),
        Some("delivered")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_twilio_never_created_is_marked_not_sent() {
    let w = sync_world().await;
    w.fake.push_faults([Fault::Stall]);
    let e = plugin_error(
        w.harness
            .send(text("+12125550100", "Your ring is ready"))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.kind(), "outcome-unknown");
    assert_eq!(w.fake.messages().len(), 0);
    let report = w.harness.sync().await.unwrap();
    assert_eq!(report.resolved.len(), 1);
    assert_eq!(report.resolved[0].outcome, Resolved::NotSent);
    let row = &w.harness.audit(10).unwrap()[0];
    assert_eq!(
        (
            row.entry.status.as_str(),
            row.entry.error_kind.as_deref(),
            row.entry.message_sid.as_deref()
        ),
        ("failed", Some("network"), None)
    );
    assert!(
        row.entry
            .note
            .as_deref()
            .is_some_and(|n| n.ends_with("it is safe to send again")),
        "{:?}",
        row.entry.note
    );
    // Settled: a second sync leaves it alone.
    assert_eq!(w.harness.sync().await.unwrap().resolved, []);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_notice_of_unknown_outcome_is_settled_so_its_event_texts_once() {
    use pos_sms_host::types::{NoticeEvent, NoticeKind};
    let w = sync_world().await;
    // 17:00 UTC (daytime in New York) on the system's clock is not guaranteed: send to a
    // number with no known zone (area code 500), which quiet hours leave alone.
    let notice = NoticeEvent {
        event_id: "repair-5".into(),
        to: "+15005550100".into(),
        customer_first_name: "Sam".into(),
        notice: NoticeKind::RepairReady("ring".into()),
        user: "automation".into(),
    };
    w.fake.push_faults([Fault::StallAfterCreate]);
    let e = plugin_error(w.harness.notify(notice.clone()).await.unwrap_err());
    assert_eq!(e.kind(), "outcome-unknown");
    // Until it is known, the event is not sent again.
    let e = plugin_error(w.harness.notify(notice.clone()).await.unwrap_err());
    assert_eq!(e.kind(), "outcome-unknown");
    assert_eq!(w.fake.messages().len(), 1);
    let report = w.harness.sync().await.unwrap();
    let Resolved::Sent(receipt) = &report.resolved[0].outcome else {
        panic!("expected it found: {:?}", report.resolved)
    };
    // Now the event is known as sent: a repeat returns that text's receipt and sends nothing.
    let again = sent(w.harness.notify(notice).await.unwrap());
    assert!(again.duplicate);
    assert_eq!(again.receipt.sid, receipt.sid);
    assert_eq!(w.fake.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_syncs_on_its_own_when_there_is_no_webhook_url() {
    use pos_sms_host::serve::WebhookServer;
    let w = sync_world().await;
    let sent = w
        .harness
        .send(text("+12125550100", "Your ring is ready"))
        .await
        .unwrap();
    let harness = std::sync::Arc::new(
        Harness::open({
            let mut config = config_for(w.dir.path(), &w.fake);
            config.clock = std::sync::Arc::new(SystemClock);
            config
        })
        .unwrap(),
    );
    let mut server = WebhookServer::start(harness, ([127, 0, 0, 1], 0).into(), None)
        .await
        .unwrap();
    server.sync_every(Duration::from_millis(300));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let row = w.harness.audit(1).unwrap().remove(0);
        if row.delivery.as_ref().map(|d| d.status.as_str()) == Some("delivered") {
            assert_eq!(row.entry.message_sid.as_deref(), Some(sent.sid.as_str()));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "serve never synced: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.shutdown().await;
}
