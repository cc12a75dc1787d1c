//! The loop after a send: the fake Twilio posts signed status callbacks to the harness's
//! webhook endpoint, customers' replies arrive the same way, STOP is honoured before Twilio
//! has to, and anything not signed with the store's token is refused with nothing recorded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_twilio::UNDELIVERABLE_TO;
use pos_sms_host::serve::WebhookServer;
use pos_sms_host::storage::Delivery;
use pos_sms_host::types::{Outgoing, Purpose, WebhookEvent};
use sms_core::webhook::compute_signature;

use crate::common::*;

struct Loop {
    world: Arc<World>,
    server: WebhookServer,
}

/// A connected harness serving webhooks on loopback, with `webhook-url` pointing at it.
async fn webhook_loop() -> Loop {
    let world = Arc::new(connected_world().await);
    let harness =
        Arc::new(pos_sms_host::Harness::open(config_for(world.dir.path(), &world.fake)).unwrap());
    let server = WebhookServer::start(harness, ([127, 0, 0, 1], 0).into(), None)
        .await
        .unwrap();
    world
        .harness
        .set_config("webhook-url", &format!("{}/twilio/status", server.url()))
        .unwrap();
    Loop { world, server }
}

fn send_to(to: &str) -> Outgoing {
    Outgoing {
        to: to.into(),
        body: "Your ring is ready".into(),
        user: "alice".into(),
        purpose: Purpose::Transactional,
        override_quiet_hours: false,
    }
}

/// Waits (bounded) until the fake has posted `n` callbacks.
async fn callbacks_done(l: &Loop, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while l.world.fake.callbacks().len() < n {
        assert!(Instant::now() < deadline, "{:?}", l.world.fake.callbacks());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Posts a form signed with `token` to the server, as Twilio would.
async fn post(l: &Loop, path: &str, params: &[(&str, &str)], token: &str) -> u16 {
    let url = format!("{}{path}", l.server.url());
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let signature = compute_signature(token, &url, &owned);
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    raw_post(l.server.addr(), path, &signature, &body).await
}

/// A minimal HTTP/1.1 POST on loopback; returns the status code.
async fn raw_post(addr: std::net::SocketAddr, path: &str, signature: &str, body: &str) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         X-Twilio-Signature: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn send_then_signed_callbacks_mark_it_delivered() {
    let l = webhook_loop().await;
    let receipt = l
        .world
        .harness
        .send(send_to("(212) 555-0100"))
        .await
        .unwrap();
    // The send asked Twilio for callbacks at the host's URL.
    let post_body = String::from_utf8(l.world.fake.requests().pop().unwrap().body).unwrap();
    assert!(
        post_body.ends_with(&format!(
            "&StatusCallback={}",
            form_urlencoded::byte_serialize(format!("{}/twilio/status", l.server.url()).as_bytes())
                .collect::<String>()
        )),
        "{post_body}"
    );
    callbacks_done(&l, 2).await;
    let answers: Vec<_> = l
        .world
        .fake
        .callbacks()
        .into_iter()
        .map(|c| (c.status, c.answer))
        .collect();
    assert_eq!(
        answers,
        [
            ("sent".to_string(), Ok(204)),
            ("delivered".to_string(), Ok(204))
        ]
    );
    let row = l.world.harness.audit(1).unwrap().pop().unwrap();
    assert_eq!(row.entry.message_sid.as_deref(), Some(receipt.sid.as_str()));
    assert_eq!(
        row.delivery,
        Some(Delivery {
            status: "delivered".into(),
            error_code: None,
            reason: None
        })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_undelivered_message_shows_the_plain_reason() {
    let l = webhook_loop().await;
    l.world
        .harness
        .send(send_to(UNDELIVERABLE_TO))
        .await
        .unwrap();
    callbacks_done(&l, 2).await;
    let delivery = l
        .world
        .harness
        .audit(1)
        .unwrap()
        .pop()
        .unwrap()
        .delivery
        .unwrap();
    assert_eq!(
        (delivery.status.as_str(), delivery.error_code),
        ("undelivered", Some(30006))
    );
    assert_eq!(
        delivery.reason.as_deref(),
        sms_core::webhook::delivery_error_reason(30006)
    );
    assert!(delivery.reason.unwrap().to_lowercase().contains("landline"));
}

#[tokio::test(flavor = "multi_thread")]
async fn inbound_stop_refuses_the_next_send_and_start_allows_it_again() {
    let l = webhook_loop().await;
    let reply = |body: &'static str, sid: &'static str| {
        [
            ("MessageSid", sid),
            ("AccountSid", SID),
            ("From", "+12125550100"),
            ("To", SENDER),
            ("Body", body),
            ("NumMedia", "0"),
        ]
    };
    assert_eq!(
        post(&l, "/twilio/inbound", &reply("STOP", "SMr1"), TOKEN).await,
        204
    );
    let replies = l.world.harness.replies(Some("+12125550100"), 10).unwrap();
    assert_eq!(
        (replies[0].body.as_str(), replies[0].intent.as_deref()),
        ("STOP", Some("opt-out"))
    );

    let before = l.world.fake.requests().len();
    let e = plugin_error(
        l.world
            .harness
            .send(send_to("(212) 555-0100"))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.kind(), "recipient-opted-out");
    assert_eq!(
        l.world.fake.requests().len(),
        before,
        "no request reached Twilio"
    );

    assert_eq!(
        post(&l, "/twilio/inbound", &reply("Start", "SMr2"), TOKEN).await,
        204
    );
    l.world
        .harness
        .send(send_to("(212) 555-0100"))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_signature_is_refused_and_nothing_is_recorded() {
    let l = webhook_loop().await;
    let stop = [
        ("MessageSid", "SMforged"),
        ("From", "+12125550100"),
        ("To", SENDER),
        ("Body", "STOP"),
    ];
    // Signed with another token, or not at all.
    assert_eq!(
        post(
            &l,
            "/twilio/inbound",
            &stop,
            "ffffffffffffffffffffffffffffffff"
        )
        .await,
        403
    );
    assert_eq!(
        raw_post(
            l.server.addr(),
            "/twilio/inbound",
            "",
            "Body=STOP&From=%2B12125550100"
        )
        .await,
        403
    );
    assert!(l.world.harness.replies(None, 10).unwrap().is_empty());
    l.world
        .harness
        .send(send_to("(212) 555-0100"))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_late_callback_never_overwrites_a_final_status() {
    let l = webhook_loop().await;
    let receipt = l
        .world
        .harness
        .send(send_to("(212) 555-0100"))
        .await
        .unwrap();
    callbacks_done(&l, 2).await;
    let sent_again = [
        ("MessageSid", receipt.sid.as_str()),
        ("MessageStatus", "sent"),
    ];
    assert_eq!(post(&l, "/twilio/status", &sent_again, TOKEN).await, 204);
    let delivery = l
        .world
        .harness
        .audit(1)
        .unwrap()
        .pop()
        .unwrap()
        .delivery
        .unwrap();
    assert_eq!(delivery.status, "delivered");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_library_call_returns_the_typed_event() {
    let w = connected_world().await;
    let url = "https://pos.example.com/twilio";
    let params = vec![
        ("MessageSid".to_string(), "SMx".to_string()),
        ("MessageStatus".to_string(), "delivered".to_string()),
    ];
    let event = w
        .harness
        .handle_webhook(pos_sms_host::types::WebhookRequest {
            url: url.into(),
            headers: vec![
                (
                    "X-Twilio-Signature".into(),
                    compute_signature(TOKEN, url, &params),
                ),
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
            ],
            body: b"MessageSid=SMx&MessageStatus=delivered".to_vec(),
        })
        .await
        .unwrap();
    match event {
        WebhookEvent::Status(d) => {
            assert_eq!(
                (d.message_sid.as_str(), d.status.as_str(), d.rank),
                ("SMx", "delivered", 6)
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_component_checks_json_bodied_webhooks_and_records_nothing_from_them() {
    use sha2::Digest as _;
    let w = connected_world().await;
    let body = br#"{"MessageSid":"SMx"}"#;
    let json_webhook = |hash: &str| {
        let url = format!("https://pos.example.com/twilio?bodySHA256={hash}");
        pos_sms_host::types::WebhookRequest {
            headers: vec![
                (
                    "X-Twilio-Signature".into(),
                    compute_signature(TOKEN, &url, &[]),
                ),
                ("Content-Type".into(), "application/json".into()),
            ],
            url,
            body: body.to_vec(),
        }
    };
    // The component checks the body's SHA-256 as the native verifier does...
    let e = plugin_error(
        w.harness
            .handle_webhook(json_webhook("0a1f"))
            .await
            .unwrap_err(),
    );
    assert_eq!(e.kind(), "webhook-rejected");
    assert!(
        e.message
            .contains("The request body doesn't match the bodySHA256 hash Twilio signed"),
        "{}",
        e.message
    );
    // ...and a genuine one carries nothing it records (SMS webhooks are forms).
    let genuine = hex::encode(sha2::Sha256::digest(body));
    let e = plugin_error(
        w.harness
            .handle_webhook(json_webhook(&genuine))
            .await
            .unwrap_err(),
    );
    assert!(
        e.message.contains(
            "The webhook body is application/json, but Twilio's SMS webhooks are form-encoded"
        ),
        "{}",
        e.message
    );
    assert!(w.harness.replies(None, 10).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phrase_through_one_number_stops_every_sender_with_one_confirmation() {
    let w = connected_world().await;
    let url = "https://pos.example.com/twilio";
    let customer = "+12125550100";
    let phrase = signed_reply(url, customer, SENDER, "please stop texting me", "SMp1");
    let WebhookEvent::Inbound(first) = w.harness.handle_webhook(phrase).await.unwrap() else {
        panic!("a reply")
    };
    assert!(first.opted_out);
    let confirmation = first.confirmation.expect("one confirmation");
    assert_eq!(confirmation.to, customer);
    let messages = w.fake.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0]["body"],
        "You're unsubscribed from JewelTrak Demo Store texts. Reply START to resubscribe."
    );
    // The same customer, through the store's other number: already stopped, no second text.
    let again = signed_reply(
        url,
        customer,
        "+15005550007",
        "STOP sending me messages",
        "SMp2",
    );
    let WebhookEvent::Inbound(again) = w.harness.handle_webhook(again).await.unwrap() else {
        panic!("a reply")
    };
    assert_eq!((again.opted_out, again.confirmation), (false, None));
    assert_eq!(w.fake.messages().len(), 1);
    let list = w.harness.opt_outs().unwrap();
    assert_eq!(
        (
            list.len(),
            list[0].how.as_str(),
            list[0].reply.as_deref(),
            list[0].via.as_deref()
        ),
        (1, "phrase", Some("please stop texting me"), Some(SENDER))
    );
    // Every send is refused, whichever number the store sends from.
    let e = plugin_error(w.harness.send(send_to(customer)).await.unwrap_err());
    assert_eq!(e.kind(), "recipient-opted-out");
    assert_eq!(w.fake.messages().len(), 1);
    // START takes them off the list.
    let start = signed_reply(url, customer, "+15005550007", "START", "SMp3");
    w.harness.handle_webhook(start).await.unwrap();
    w.harness.send(send_to(customer)).await.unwrap();
    assert_eq!(w.fake.messages().len(), 2);
    // Each request is kept as evidence, the repeated one too.
    let history: Vec<(String, String, Option<String>, bool)> = w
        .harness
        .stop_list_history(customer)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.event, e.how, e.via, e.changed))
        .collect();
    let event = |event: &str, how: &str, via: Option<&str>, changed| {
        (event.into(), how.into(), via.map(String::from), changed)
    };
    assert_eq!(
        history,
        [
            event("opt-out", "phrase", Some(SENDER), true),
            event("opt-out", "phrase", Some("+15005550007"), false),
            event("opt-in", "reply", None, true),
        ]
    );
}
