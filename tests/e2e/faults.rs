//! The real component in the real harness against a fake Twilio that misbehaves: every fault
//! ends in one exact error, a send is repeated only when Twilio said it did not process it
//! (and then a bounded number of times), and every failed send is in the audit log.
//!
//! The harness's HTTP timeouts are short ([`crate::common::short_timeouts`]), and waits Twilio asks
//! for are 1 s at most, so the whole file runs in a few seconds.

use fake_twilio::Fault;
use pos_sms_host::types::{Auth, Credentials, Error, Outgoing, Purpose, Receipt, TwilioError};
use pos_sms_host::{Error as HostError, PluginError};

use crate::common::*;

/// A connected world whose harness gives up on a silent fake after 300 ms.
async fn impatient_world() -> World {
    connected_world_with_timeouts(short_timeouts()).await
}

async fn send(w: &World) -> Result<Receipt, HostError> {
    w.harness
        .send(Outgoing {
            to: "+12125550100".into(),
            body: "Your ring is ready".into(),
            user: "alice".into(),
            purpose: Purpose::Transactional,
            override_quiet_hours: false,
        })
        .await
}

/// Sends with `faults` queued; returns the plugin's error and how many POSTs reached the fake.
async fn failed_send(w: &World, faults: impl IntoIterator<Item = Fault>) -> (PluginError, usize) {
    let before = posts(w);
    w.fake.push_faults(faults);
    let e = plugin_error(send(w).await.expect_err("the send fails"));
    assert_eq!(w.fake.pending_faults(), 0, "every fault was used");
    (e, posts(w) - before)
}

fn posts(w: &World) -> usize {
    count(w, "POST")
}

fn count(w: &World, method: &str) -> usize {
    w.fake
        .requests()
        .iter()
        .filter(|r| r.method == method)
        .count()
}

/// The newest audit row's `(error_kind, twilio_code)`, after checking that it records a failure.
fn last_audit(w: &World) -> (Option<String>, Option<u32>) {
    let row = w
        .harness
        .audit(1)
        .unwrap()
        .pop()
        .expect("an audit row")
        .entry;
    assert_eq!((row.status.as_str(), row.message_sid), ("failed", None));
    assert_eq!(row.to, "+12125550100");
    (row.error_kind, row.twilio_code)
}

fn audited(kind: &str, code: Option<u32>) -> (Option<String>, Option<u32>) {
    (Some(kind.to_string()), code)
}

fn outcome_unknown(e: &PluginError) -> &str {
    match &e.error {
        Error::OutcomeUnknown(detail) => detail,
        other => panic!("expected outcome-unknown, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limited_three_times_is_rate_limited_after_three_posts() {
    let w = impatient_world().await;
    let limited = Fault::TooManyRequests {
        retry_after: Some(1),
    };
    let (e, posts) = failed_send(&w, vec![limited; 3]).await;
    assert_eq!(posts, 3);
    assert!(matches!(e.error, Error::RateLimited(Some(1))), "{e:?}");
    assert_eq!(
        e.message,
        "Twilio is busy with too many requests from your account. Nothing was sent; try again \
         in 1 seconds."
    );
    assert!(w.fake.messages().is_empty());
    assert_eq!(last_audit(&w), audited("rate-limited", None));
    assert_eq!(w.harness.audit(10).unwrap().len(), 1, "one row per send");
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limited_once_then_the_send_goes_through() {
    let w = impatient_world().await;
    // No Retry-After: the plugin's own backoff.
    w.fake
        .push_faults([Fault::TooManyRequests { retry_after: None }]);
    let receipt = send(&w).await.expect("the retry succeeds");
    assert_eq!(posts(&w), 2);
    let messages = w.fake.messages();
    assert_eq!(messages.len(), 1, "sent once");
    assert_eq!(messages[0]["sid"], receipt.sid.as_str());
    assert_eq!(receipt.status, "queued");
    let rows = w.harness.audit(10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].entry.message_sid.as_deref(),
        Some(receipt.sid.as_str())
    );
    assert_eq!(rows[0].entry.error_kind, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_after_past_the_cap_returns_at_once() {
    let w = impatient_world().await;
    let (e, posts) = failed_send(
        &w,
        [Fault::TooManyRequests {
            retry_after: Some(60),
        }],
    )
    .await;
    assert_eq!(posts, 1);
    assert!(matches!(e.error, Error::RateLimited(Some(60))), "{e:?}");
    assert_eq!(last_audit(&w), audited("rate-limited", None));
}

#[tokio::test(flavor = "multi_thread")]
async fn unavailable_three_times_says_nothing_was_sent_after_three_posts() {
    let w = impatient_world().await;
    let unavailable = Fault::ServiceUnavailable {
        retry_after: Some(1),
    };
    let (e, posts) = failed_send(&w, vec![unavailable; 3]).await;
    assert_eq!(posts, 3);
    match &e.error {
        Error::Twilio(TwilioError {
            code: None,
            message,
            more_info: None,
            http_status: 503,
        }) => assert_eq!(
            message,
            "Twilio is temporarily unavailable and nothing was sent (Service Unavailable)"
        ),
        other => panic!("expected a Twilio 503, got {other:?}"),
    }
    assert_eq!(
        e.message,
        "Twilio is temporarily unavailable, so nothing was sent. Try again in a few minutes. \
         (HTTP 503)"
    );
    assert!(w.fake.messages().is_empty());
    assert_eq!(last_audit(&w), audited("twilio", None));
}

#[tokio::test(flavor = "multi_thread")]
async fn unavailable_once_then_the_send_goes_through() {
    let w = impatient_world().await;
    w.fake.push_faults([Fault::ServiceUnavailable {
        retry_after: Some(1),
    }]);
    let receipt = send(&w).await.expect("the retry succeeds");
    assert_eq!(posts(&w), 2);
    assert_eq!(w.fake.messages().len(), 1);
    assert_eq!(
        w.harness.audit(1).unwrap()[0].entry.message_sid,
        Some(receipt.sid)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn other_server_errors_on_a_send_are_outcome_unknown_after_one_post() {
    let w = impatient_world().await;
    for status in [500, 502, 504] {
        let (e, posts) = failed_send(&w, [Fault::Status { status }]).await;
        assert_eq!(posts, 1, "{status}");
        assert_eq!(
            outcome_unknown(&e),
            format!(
                "Twilio answered HTTP {status}, a server error that does not say whether the \
                 message was created"
            )
        );
        assert!(
            e.message
                .ends_with("Check Twilio's Messaging Logs before sending it again."),
            "{}",
            e.message
        );
        assert_eq!(last_audit(&w), audited("outcome-unknown", None));
    }
    assert_eq!(w.harness.audit(10).unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_send_is_outcome_unknown_after_one_post() {
    let w = impatient_world().await;
    let (e, made) = failed_send(&w, [Fault::Stall]).await;
    assert_eq!(made, 1);
    assert_eq!(outcome_unknown(&e), "Twilio did not answer in time");
    assert_eq!(last_audit(&w), audited("outcome-unknown", None));
    // The host carries on: the next send is answered normally.
    send(&w).await.expect("the next send goes through");
    assert_eq!(posts(&w), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_closed_mid_answer_is_outcome_unknown_after_one_post() {
    let w = impatient_world().await;
    let (e, posts) = failed_send(&w, [Fault::CloseMidResponse]).await;
    assert_eq!(posts, 1);
    let detail = outcome_unknown(&e);
    assert!(detail.starts_with("the answer was cut off"), "{detail}");
    assert_eq!(last_audit(&w), audited("outcome-unknown", None));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_answer_is_cut_at_the_host_cap_and_is_outcome_unknown() {
    let w = impatient_world().await;
    let (e, posts) = failed_send(&w, [Fault::HugeBody]).await;
    assert_eq!(posts, 1);
    let detail = outcome_unknown(&e);
    // The host's 1 MiB cap stops the read (the plugin's own check would say "larger than").
    assert!(detail.starts_with("the answer was cut off"), "{detail}");
    assert!(detail.contains("1048576"), "{detail}");
    assert_eq!(last_audit(&w), audited("outcome-unknown", None));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_nested_past_any_parser_s_depth_is_outcome_unknown_not_a_trap() {
    not_a_message_after_one_post(Fault::DeeplyNested).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_html_answer_to_a_send_is_outcome_unknown_after_one_post() {
    not_a_message_after_one_post(Fault::NotJson).await;
}

/// A send whose answer is `fault`, a 201 that is not a Message: one POST, outcome unknown.
async fn not_a_message_after_one_post(fault: Fault) {
    let w = impatient_world().await;
    let (e, posts) = failed_send(&w, [fault]).await;
    assert_eq!(posts, 1);
    let detail = outcome_unknown(&e);
    assert!(
        detail.starts_with("Twilio answered HTTP 201 with a body that is not a Message"),
        "{detail}"
    );
    assert_eq!(last_audit(&w), audited("outcome-unknown", None));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_twilio_code_is_a_twilio_error_after_one_post() {
    let w = impatient_world().await;
    let (e, posts) = failed_send(&w, [Fault::UnknownCode]).await;
    assert_eq!(posts, 1);
    match &e.error {
        Error::Twilio(t) => {
            assert_eq!((t.code, t.http_status), (Some(29999), 400));
            assert_eq!(
                t.more_info.as_deref(),
                Some("https://www.twilio.com/docs/errors/29999")
            );
        }
        other => panic!("expected a Twilio error, got {other:?}"),
    }
    assert_eq!(
        e.message,
        "Twilio could not send this message: Something went wrong that no client has seen \
         before. (Twilio error 29999, HTTP 400)"
    );
    assert_eq!(last_audit(&w), audited("twilio", Some(29999)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_that_meets_an_ambiguous_answer_stops_there() {
    let w = impatient_world().await;
    let limited = Fault::TooManyRequests {
        retry_after: Some(0),
    };
    for (second, kind) in [
        (Fault::Status { status: 500 }, "outcome-unknown"),
        (Fault::Stall, "outcome-unknown"),
        (Fault::UnknownCode, "twilio"),
    ] {
        let (e, posts) = failed_send(&w, [limited.clone(), second.clone()]).await;
        assert_eq!((posts, e.kind()), (2, kind), "{second:?}");
        assert_eq!(last_audit(&w).0.as_deref(), Some(kind));
    }
    assert!(w.fake.messages().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_connection_is_a_network_error_in_the_audit_log() {
    let World {
        fake,
        harness,
        dir: _dir,
    } = impatient_world().await;
    fake.shutdown().await;
    let e = plugin_error(
        harness
            .send(Outgoing {
                to: "+12125550100".into(),
                body: "hi".into(),
                user: "alice".into(),
                purpose: Purpose::Transactional,
                override_quiet_hours: false,
            })
            .await
            .unwrap_err(),
    );
    assert_eq!(e.kind(), "network");
    assert!(e.message.contains("Nothing was sent"), "{}", e.message);
    let row = harness.audit(1).unwrap().pop().unwrap().entry;
    assert_eq!(
        (row.error_kind.as_deref(), row.twilio_code),
        (Some("network"), None)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_retries_a_rate_limited_account_check() {
    let w = world_with_timeouts(short_timeouts()).await;
    w.fake.push_faults([Fault::TooManyRequests {
        retry_after: Some(1),
    }]);
    let account = w.harness.connect(credentials()).await.unwrap();
    assert_eq!(account.friendly_name, "JewelTrak Demo Store");
    assert_eq!(count(&w, "GET"), 2);
    assert!(w.harness.status().await.unwrap().connected);
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_faults_are_plain_errors_after_one_get_and_store_nothing() {
    let w = world_with_timeouts(short_timeouts()).await;
    let cases: [(Fault, &str, Option<u32>); 6] = [
        (Fault::Status { status: 500 }, "twilio", None),
        (Fault::Status { status: 502 }, "twilio", None),
        (Fault::UnknownCode, "twilio", Some(29999)),
        (Fault::NotJson, "other", None),
        (Fault::Stall, "network", None),
        (Fault::HugeBody, "network", None),
    ];
    for (fault, kind, code) in cases {
        let before = count(&w, "GET");
        w.fake.push_faults([fault.clone()]);
        let e = plugin_error(w.harness.connect(credentials()).await.unwrap_err());
        assert_eq!((e.kind(), e.twilio_code()), (kind, code), "{fault:?}");
        assert_eq!(count(&w, "GET") - before, 1, "{fault:?}");
        assert!(!w.harness.status().await.unwrap().connected);
    }
    // The queue is empty: the fake answers normally again.
    w.harness.connect(credentials()).await.unwrap();
    assert!(w.harness.status().await.unwrap().connected);
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_wait_for_a_request_that_passes_authentication() {
    let w = world_with_timeouts(short_timeouts()).await;
    w.fake.push_faults([Fault::Status { status: 500 }]);
    let wrong = Credentials {
        auth: Auth::AuthToken("00000000000000000000000000000000".into()),
        ..credentials()
    };
    let e = plugin_error(w.harness.connect(wrong).await.unwrap_err());
    assert_eq!(e.kind(), "credentials-rejected");
    assert_eq!(w.fake.pending_faults(), 1, "a 401 does not use the fault");
    let e = plugin_error(w.harness.connect(credentials()).await.unwrap_err());
    assert_eq!(e.kind(), "twilio");
    assert_eq!(w.fake.pending_faults(), 0);
    assert_eq!(w.fake.requests().len(), 2, "both requests are recorded");
}
