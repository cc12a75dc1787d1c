//! The inbox: each customer's thread interleaves the store's texts and their replies, a reply
//! after a notice is linked to its event, and texts past their retention lose their words
//! while the audit log keeps its rows.

use std::sync::Arc;

use pos_sms_host::Harness;
use pos_sms_host::runtime::clock::ManualClock;
use pos_sms_host::types::{NoticeEvent, NoticeKind, Outgoing, Purpose, WebhookEvent};

use crate::common::*;

/// A thread message as the test checks it: direction, words, kind, event id.
type Shape<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>);

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_is_threaded_after_the_reminder_it_answers() {
    let fake = start_fake().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(DAYTIME);
    let mut config = config_for(dir.path(), &fake);
    config.clock = Arc::new(clock.clone());
    let harness = Harness::open(config.clone()).unwrap();
    harness.connect(credentials()).await.unwrap();
    let customer = "+12125550100";

    let reminder = NoticeEvent {
        event_id: "appointment-77".into(),
        to: "(212) 555-0100".into(),
        customer_first_name: "Ana".into(),
        notice: NoticeKind::AppointmentReminder("tomorrow at 2:30pm".into()),
        user: "automation".into(),
    };
    let reminder = sent(harness.notify(reminder).await.unwrap());
    clock.set(DAYTIME + 600);
    let url = "https://pos.example.com/twilio";
    let reply = signed_reply(url, customer, SENDER, "C", "SMreplyC");
    let WebhookEvent::Inbound(event) = harness.handle_webhook(reply).await.unwrap() else {
        panic!("a reply")
    };
    assert_eq!(event.linked_event.as_deref(), Some("appointment-77"));
    clock.set(DAYTIME + 900);
    harness
        .send(Outgoing {
            to: customer.into(),
            body: "Thanks Ana, see you tomorrow!".into(),
            user: "alice".into(),
            purpose: Purpose::Transactional,
            override_quiet_hours: false,
        })
        .await
        .unwrap();

    let inbox = harness.inbox().unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(
        (
            inbox[0].number.as_str(),
            inbox[0].last_direction,
            inbox[0].last_body.as_deref(),
            inbox[0].unread
        ),
        (customer, "out", Some("Thanks Ana, see you tomorrow!"), 1)
    );
    let thread = harness.thread("(212) 555-0100").await.unwrap();
    let shape: Vec<Shape<'_>> = thread
        .iter()
        .map(|m| {
            (
                m.direction,
                m.body.as_deref(),
                m.kind.as_deref(),
                m.event_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (
                "out",
                Some(reminder.text.as_str()),
                Some("notify"),
                Some("appointment-77")
            ),
            ("in", Some("C"), None, Some("appointment-77")),
            (
                "out",
                Some("Thanks Ana, see you tomorrow!"),
                Some("send"),
                None
            ),
        ]
    );
    assert_eq!(
        thread[0].message_sid.as_deref(),
        Some(reminder.receipt.sid.as_str())
    );
    assert_eq!(thread[0].at, "2026-12-01T17:00:00Z");
    assert_eq!(
        harness.inbox().unwrap()[0].unread,
        0,
        "reading it marked it read"
    );
    // The audit log never holds the words.
    let audit = serde_json::to_string(&harness.audit(10).unwrap()).unwrap();
    assert!(!audit.contains("Thanks Ana"), "{audit}");

    // A reply more than 48 hours after the reminder answers nothing.
    clock.set(DAYTIME + 48 * 3600 + 1);
    let late = signed_reply(url, customer, SENDER, "Can I move it?", "SMlate");
    let WebhookEvent::Inbound(event) = harness.handle_webhook(late).await.unwrap() else {
        panic!("a reply")
    };
    assert_eq!(event.linked_event, None);

    // With a one-day retention, a day after the last reply every text has lost its words;
    // the audit rows stay.
    harness.set_config("message-retention-days", "1").unwrap();
    clock.set(DAYTIME + 3 * 86_400 + 2);
    drop(harness);
    let harness = Harness::open(config).unwrap(); // opening purges
    let thread = harness.thread(customer).await.unwrap();
    assert_eq!(thread.len(), 4);
    assert!(thread.iter().all(|m| m.body.is_none()), "{thread:?}");
    assert_eq!(harness.audit(10).unwrap().len(), 2);
    assert_eq!(harness.purge_expired().unwrap(), 0);
}
