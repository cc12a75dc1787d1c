//! `demo`: the whole product against the built-in fake Twilio, in a temporary directory.

use std::process::ExitCode;
use std::sync::Arc;

use fake_twilio::{FakeConfig, FakeTwilio};
use pos_sms_host::runtime::clock::{Clock, ManualClock};
use pos_sms_host::serve::WebhookServer;
use pos_sms_host::{Harness, HarnessConfig, types};
use serde_json::{Value, json};

use crate::output::{
    Fail, Out, account_json, audit_table, notice_json, notice_text, receipt_json, receipt_text,
    segment_json, segment_text, status_json, status_text,
};

/// The demo's account (not a real one).
pub const DEMO_ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
/// The demo's Auth Token (not a real one).
pub const DEMO_AUTH_TOKEN: &str = "0123456789abcdef0123456789abcdef";
/// Twilio's magic "valid" test sender.
pub const DEMO_SENDER: &str = "+15005550006";

/// 17:00 UTC today: daytime across the US, so quiet hours do not hold the demo's texts when
/// it runs at night.
pub fn midday_today() -> i64 {
    let today = pos_sms_host::runtime::clock::SystemClock
        .now_unix()
        .div_euclid(86_400);
    today * 86_400 + 17 * 3600
}

/// The demo's world: a temporary data directory, the fake Twilio, the webhook endpoint its
/// callbacks come back through, and the clock the harness runs on.
pub struct Sandbox {
    /// The data directory, removed on drop.
    pub dir: tempfile::TempDir,
    /// The fake Twilio.
    pub fake: FakeTwilio,
    /// The webhook endpoint (`webhook-url` points at it).
    pub webhooks: WebhookServer,
    /// The harness's configuration (policy to the fake, the clock).
    pub config: HarnessConfig,
}

impl Sandbox {
    /// Starts it all on `clock`; `prefix` names the temporary directory.
    pub async fn start(prefix: &str, clock: Arc<dyn Clock>) -> Result<Sandbox, Fail> {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .map_err(|e| Fail::host(format!("creating a temporary directory: {e}")))?;
        let fake = FakeTwilio::start(
            FakeConfig::new(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN),
            ([127, 0, 0, 1], 0).into(),
        )
        .await
        .map_err(|e| Fail::host(format!("starting the fake Twilio: {e}")))?;
        let mut config = HarnessConfig::new(dir.path());
        config.clock = clock;
        config.policy = crate::policy(Some(&fake.base_url()), &[])?;
        let harness = Harness::open(config.clone())?;
        harness.set_config("store-name", "Gems & Co Jewellers")?;
        // The webhook endpoint, so the fake's delivery callbacks come back into the audit log.
        let webhooks = WebhookServer::start(
            Arc::new(Harness::open(config.clone())?),
            ([127, 0, 0, 1], 0).into(),
            None,
        )
        .await?;
        harness.set_config("webhook-url", &format!("{}/twilio", webhooks.url()))?;
        Ok(Sandbox {
            dir,
            fake,
            webhooks,
            config,
        })
    }

    /// A harness over the sandbox's data.
    pub fn harness(&self) -> Result<Harness, Fail> {
        Ok(Harness::open(self.config.clone())?)
    }

    /// The demo's credentials.
    pub fn credentials() -> types::Credentials {
        types::Credentials {
            account_sid: DEMO_ACCOUNT_SID.into(),
            auth: types::Auth::AuthToken(DEMO_AUTH_TOKEN.into()),
            sender: DEMO_SENDER.into(),
        }
    }

    /// A customer's text to the store, signed as Twilio signs it, through the webhook
    /// endpoint's URL.
    pub async fn reply(
        &self,
        harness: &Harness,
        sid: &str,
        from: &str,
        body: &str,
    ) -> Result<types::WebhookEvent, Fail> {
        let url = format!("{}/twilio", self.webhooks.url());
        let params: Vec<(String, String)> = [
            ("MessageSid", sid),
            ("AccountSid", DEMO_ACCOUNT_SID),
            ("From", from),
            ("To", DEMO_SENDER),
            ("Body", body),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let signature = sms_core::webhook::compute_signature(DEMO_AUTH_TOKEN, &url, &params);
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&params)
            .finish();
        Ok(harness
            .handle_webhook(types::WebhookRequest {
                url,
                headers: vec![
                    ("X-Twilio-Signature".into(), signature),
                    (
                        "Content-Type".into(),
                        "application/x-www-form-urlencoded".into(),
                    ),
                ],
                body: body.into_bytes(),
            })
            .await?)
    }

    /// Stops the servers (the directory goes on drop).
    pub async fn shutdown(self) {
        self.webhooks.shutdown().await;
        self.fake.shutdown().await;
    }
}

/// Starts the fake Twilio in-process, connects, counts, sends, and shows the audit log.
pub async fn run(out: Out) -> Result<ExitCode, Fail> {
    // The clock is pinned, and moved to show quiet hours.
    let midday = midday_today();
    let today = midday.div_euclid(86_400);
    let clock = ManualClock::at(midday);
    let sandbox = Sandbox::start("host-harness-demo", Arc::new(clock.clone())).await?;
    let harness = sandbox.harness()?;
    let say = |title: &str, value: Value, text: String| {
        out.print(&json!({"step": title, "result": value}), || {
            format!("\n== {title}\n{text}")
        });
    };
    if !out.json {
        println!(
            "host-harness demo: the plugin runs in wasmtime; its requests to \
             https://api.twilio.com go to a fake Twilio at {} (data in {}).",
            sandbox.fake.base_url(),
            sandbox.dir.path().display()
        );
    }

    let account = harness.connect(Sandbox::credentials()).await?;
    say(
        "Connect Twilio",
        account_json(&account),
        format!(
            "Connected to {} ({}), texts come from {}.",
            account.friendly_name, account.masked_sid, account.sender
        ),
    );
    let status = harness.status().await?;
    say("Status", status_json(&status), status_text(&status));

    let samples = [
        ("Hi Sam, your ring repair is ready for pickup!", false),
        ("Your custom order has arrived 💍 Come see it!", false),
        ("We’re open “late” tonight — see you soon", false),
        ("We’re open “late” tonight — see you soon", true),
    ];
    let mut lines = Vec::new();
    let mut values = Vec::new();
    for (text, smart) in samples {
        let info = harness.segment_count(text, smart, None).await?;
        let mode = if smart { " (smart encoding)" } else { "" };
        lines.push(format!("{text:?}{mode}\n    → {}", segment_text(&info)));
        values.push(segment_json(&info, smart));
    }
    say("Live counter", Value::Array(values), lines.join("\n"));

    let typed = "(212) 555-0100";
    let e164 = harness.normalize_phone(typed).await?;
    say(
        "Phone number",
        json!({"input": typed, "e164": e164}),
        format!("{typed} → {e164}"),
    );

    let receipt = harness
        .send(types::Outgoing {
            to: typed.into(),
            body: "Hi Sam, your ring repair is ready for pickup at Gems & Co. See you soon!".into(),
            user: "alice".into(),
            purpose: types::Purpose::Transactional,
            override_quiet_hours: false,
        })
        .await?;
    say(
        "Send a text",
        receipt_json(&receipt),
        receipt_text(&receipt),
    );

    let receipt = harness.test(DEMO_SENDER, "alice").await?;
    say(
        "Send Test SMS",
        receipt_json(&receipt),
        receipt_text(&receipt),
    );

    let repair = || types::NoticeEvent {
        event_id: "repair-1042-ready".into(),
        to: typed.into(),
        customer_first_name: "Sam".into(),
        notice: types::NoticeKind::RepairReady("ring resizing".into()),
        user: "automation".into(),
    };
    let first = harness.notify(repair()).await?;
    let again = harness.notify(repair()).await?;
    say(
        "Automated notice (repair 1042 is ready), triggered twice",
        json!([notice_json(&first), notice_json(&again)]),
        format!("{}\n{}", notice_text(&first), notice_text(&again)),
    );

    // Twilio's magic number for a recipient who texted STOP.
    let refused = harness
        .send(types::Outgoing {
            to: "+15005550004".into(),
            body: "Your appointment is tomorrow at 2pm.".into(),
            user: "bob".into(),
            purpose: types::Purpose::Transactional,
            override_quiet_hours: false,
        })
        .await;
    match refused {
        Err(e) => {
            let fail = Fail::from(e);
            say(
                "A customer who texted STOP",
                Out::error_value(&fail)["error"].clone(),
                format!("error ({}): {}", fail.kind, fail.message),
            );
        }
        Ok(r) => say(
            "A customer who texted STOP",
            receipt_json(&r),
            "unexpectedly sent".into(),
        ),
    }

    // A customer answers in their own words: Twilio blocks nothing, the plugin does.
    let reply = sandbox
        .reply(
            &harness,
            "SMdemoreply0000000000000000000001",
            "+13125550142",
            "please stop texting me",
        )
        .await?;
    if let types::WebhookEvent::Inbound(r) = &reply {
        let rule = r
            .message
            .classification
            .as_ref()
            .map_or("none".to_string(), |c| c.rule.clone());
        say(
            "A customer replies “please stop texting me”",
            json!({
                "rule": rule,
                "opted_out": r.opted_out,
                "confirmation": r.confirmation.as_ref().map(receipt_json),
            }),
            format!(
                "Classified by {rule}: {} is on the store's stop list, for every sender. One \
                 confirmation went out{}.",
                r.message.from,
                r.confirmation
                    .as_ref()
                    .map(|c| format!(" as {}", c.sid))
                    .unwrap_or_default()
            ),
        );
    }

    // 9:14 pm in Chicago: the notice waits for the morning, then goes.
    let night = today * 86_400 + 86_400 + 3 * 3600 + 14 * 60;
    clock.set(night);
    let reminder = types::NoticeEvent {
        event_id: "appointment-77-reminder".into(),
        to: "(312) 555-0188".into(),
        customer_first_name: "Ana".into(),
        notice: types::NoticeKind::AppointmentReminder("tomorrow at 2:30pm".into()),
        user: "automation".into(),
    };
    let held = harness.notify(reminder).await?;
    clock.set(night + 12 * 3600);
    let released = harness.release_due().await?;
    clock.set(midday);
    say(
        "Quiet hours: an appointment reminder at 9:14 pm the customer's time",
        json!({"notify": notice_json(&held), "released": released.len()}),
        format!(
            "{}
At 9:14 am: {} held notice(s) sent by `queue run`.",
            notice_text(&held),
            released.len()
        ),
    );

    // Five texts went out; the fake reports each sent, then delivered (bounded wait).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while sandbox.fake.callbacks().len() < 10 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let rows = harness.audit(20)?;
    say(
        "Audit log",
        Value::Array(rows.iter().map(|r| json!(r)).collect()),
        audit_table(&rows),
    );

    harness.disconnect().await?;
    let status = harness.status().await?;
    say("Disconnect", status_json(&status), status_text(&status));
    sandbox.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
