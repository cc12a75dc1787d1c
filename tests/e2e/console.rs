//! The store's console: its JSON API and its refusals over raw HTTP (exact statuses, kinds
//! and bytes), and the page itself in headless Chromium (`tests/browser`, driven by
//! playwright-core from npm), against the fake Twilio.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pos_sms_console::{Console, ConsoleConfig};
use pos_sms_host::Harness;
use pos_sms_host::runtime::clock::ShiftedClock;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::common::{self, SENDER, SID, TOKEN, World};

/// A console over a fresh world (not connected), on an ephemeral loopback port.
async fn console(world: &World) -> Console {
    let mut config = common::config_for(world.dir.path(), &world.fake);
    // A minute after the world's clock, and moving: staff type and send over time.
    config.clock = Arc::new(ShiftedClock::starting_at(common::DAYTIME + 60));
    let harness = Harness::open(config).unwrap();
    let config = ConsoleConfig {
        listen: ([127, 0, 0, 1], 0).into(),
        user: "dana".into(),
        ..ConsoleConfig::default()
    };
    Console::start(Arc::new(harness), config).await.unwrap()
}

/// One answer, as read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// `(kind, field)` of an error answer.
    fn error(&self) -> (String, Value) {
        let e = &self.json()["error"];
        (
            e["kind"].as_str().unwrap_or_default().to_string(),
            e["field"].clone(),
        )
    }
}

/// A minimal HTTP/1.1 request on loopback, with `headers` exactly as given.
async fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// A client as the page is one: the token (as a bearer here), the right Host, the CSRF
/// token on changes.
struct Client {
    addr: SocketAddr,
    host: String,
    bearer: String,
    csrf: String,
}

impl Client {
    async fn new(console: &Console) -> Client {
        let addr = console.addr();
        let mut client = Client {
            addr,
            host: addr.to_string(),
            bearer: format!("Bearer {}", console.token()),
            csrf: String::new(),
        };
        let session = client.get("/api/session").await;
        assert_eq!(session.status, 200, "{session:?}");
        client.csrf = session.json()["csrf_token"].as_str().unwrap().to_string();
        client
    }

    async fn get(&self, path: &str) -> Answer {
        raw(
            self.addr,
            "GET",
            path,
            &[("Host", &self.host), ("Authorization", &self.bearer)],
            "",
        )
        .await
    }

    async fn change(&self, method: &str, path: &str, body: Value) -> Answer {
        let headers = [
            ("Host", self.host.as_str()),
            ("Authorization", self.bearer.as_str()),
            ("X-CSRF-Token", self.csrf.as_str()),
            ("Content-Type", "application/json"),
        ];
        raw(self.addr, method, path, &headers, &body.to_string()).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.change("POST", path, body).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_token_a_foreign_host_or_the_csrf_token_nothing_is_done() {
    let world = common::world().await;
    let console = console(&world).await;
    let addr = console.addr();
    let host = addr.to_string();
    let token = console.token().to_string();
    let bearer = format!("Bearer {token}");

    // No token: 401, a sentence for a person on the page, JSON on the API.
    let page = raw(addr, "GET", "/", &[("Host", &host)], "").await;
    assert_eq!(page.status, 401);
    assert!(
        page.body
            .starts_with("This console needs its access token."),
        "{}",
        page.body
    );
    let api = raw(addr, "GET", "/api/customers", &[("Host", &host)], "").await;
    assert_eq!((api.status, api.error().0.as_str()), (401, "unauthorized"));
    let wrong = raw(addr, "GET", "/?token=0000", &[("Host", &host)], "").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.header("set-cookie"), None);

    // The start-up URL trades its token for a strict cookie and drops it from the address.
    let first = raw(
        addr,
        "GET",
        &format!("/?token={token}"),
        &[("Host", &host)],
        "",
    )
    .await;
    assert_eq!(first.status, 303);
    assert_eq!(first.header("location"), Some("/"));
    let cookie = first.header("set-cookie").unwrap().to_string();
    assert_eq!(
        cookie,
        format!(
            "pos_sms_console_{}={token}; Path=/; HttpOnly; SameSite=Strict",
            addr.port()
        )
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    let page = raw(addr, "GET", "/", &[("Host", &host), ("Cookie", &pair)], "").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(r#"<script type="module" src="/assets/console.js">"#),
        "{}",
        page.body
    );
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        page.header("content-security-policy"),
        Some(pos_sms_console_csp())
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("cache-control"), Some("no-store"));

    // A foreign Host (a DNS-rebinding page) is refused even with the token.
    for foreign in [
        "rebind.test:".to_string() + &addr.port().to_string(),
        "127.0.0.1:1".into(),
    ] {
        let a = raw(
            addr,
            "GET",
            "/api/session",
            &[("Host", &foreign), ("Authorization", &bearer)],
            "",
        )
        .await;
        assert_eq!(
            (a.status, a.error().0.as_str()),
            (403, "forbidden"),
            "{foreign}"
        );
    }
    let a = raw(
        addr,
        "GET",
        "/api/session",
        &[("Authorization", &bearer)],
        "",
    )
    .await;
    assert_eq!(a.status, 403, "no Host header");

    // A change without the CSRF token, or from a foreign Origin, is refused and does nothing.
    let client = Client::new(&console).await;
    let body = json!({"name": "Sam", "phone": "(212) 555-0100"}).to_string();
    let no_csrf = raw(
        addr,
        "POST",
        "/api/customers",
        &[("Host", &host), ("Authorization", &bearer)],
        &body,
    )
    .await;
    assert_eq!(
        (no_csrf.status, no_csrf.error().0.as_str()),
        (403, "forbidden")
    );
    let foreign_origin = raw(
        addr,
        "POST",
        "/api/customers",
        &[
            ("Host", &host),
            ("Authorization", &bearer),
            ("X-CSRF-Token", &client.csrf),
            ("Origin", "http://evil.test"),
        ],
        &body,
    )
    .await;
    assert_eq!(foreign_origin.status, 403);
    assert_eq!(
        client.get("/api/customers").await.json(),
        json!({"customers": []})
    );
    let same_origin = raw(
        addr,
        "POST",
        "/api/customers",
        &[
            ("Host", &host),
            ("Authorization", &bearer),
            ("X-CSRF-Token", &client.csrf),
            ("Origin", &format!("http://{host}")),
        ],
        &body,
    )
    .await;
    assert_eq!(same_origin.status, 201, "{same_origin:?}");

    // The API is never cached; unknown paths and methods say so.
    let session = client.get("/api/session").await;
    assert_eq!(session.header("cache-control"), Some("no-store"));
    assert_eq!(session.header("content-type"), Some("application/json"));
    let missing = client.get("/api/nothing").await;
    assert_eq!(
        (missing.status, missing.error().0.as_str()),
        (404, "not-found")
    );
    let wrong_method = client.get("/api/send").await;
    assert_eq!(
        (wrong_method.status, wrong_method.error().0.as_str()),
        (405, "method-not-allowed")
    );
    assert_eq!(client.get("/assets/nothing.js").await.status, 404);
    assert_eq!(client.get("/assets/../Cargo.toml").await.status, 404);
    let css = client.get("/assets/console.css").await;
    assert_eq!(
        (css.status, css.header("content-type")),
        (200, Some("text/css; charset=utf-8"))
    );
    let bad_json = client
        .post("/api/send", json!({"to": "+12125550100"}))
        .await;
    assert_eq!(
        (bad_json.status, bad_json.error().0.as_str()),
        (400, "bad-request")
    );
    assert!(
        bad_json.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("missing field `body`")
    );
}

fn pos_sms_console_csp() -> &'static str {
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_connects_counts_sends_and_pages_the_audit_log_and_never_answers_the_token() {
    let world = common::world().await;
    let console = console(&world).await;
    let client = Client::new(&console).await;
    let mut bodies = Vec::new();

    // Connect: a wrong token's sentence belongs beside the Auth Token field.
    let wrong = client
        .post(
            "/api/twilio/connect",
            json!({"account_sid": SID, "auth_token": "0123456789abcdef0123456789abcdef", "phone_number": SENDER}),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.error()),
        (422, ("credentials-rejected".into(), json!("auth_token")))
    );
    assert!(
        wrong.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Twilio rejected these credentials")
    );
    let short_sid = client
        .post(
            "/api/twilio/connect",
            json!({"account_sid": "AC12", "auth_token": TOKEN, "phone_number": SENDER}),
        )
        .await;
    assert_eq!(
        short_sid.error(),
        ("invalid-credential".into(), json!("account_sid"))
    );
    let bad_sender = client
        .post(
            "/api/twilio/connect",
            json!({"account_sid": SID, "auth_token": TOKEN, "phone_number": "555"}),
        )
        .await;
    assert_eq!(
        bad_sender.error().1,
        json!("phone_number"),
        "{bad_sender:?}"
    );
    let connected = client
        .post(
            "/api/twilio/connect",
            json!({"account_sid": SID, "auth_token": TOKEN, "phone_number": SENDER}),
        )
        .await;
    assert_eq!(connected.status, 200, "{connected:?}");
    assert_eq!(connected.json()["masked_sid"], json!("AC…cdef"));
    assert_eq!(
        client.get("/api/twilio").await.json()["sender"],
        json!(SENDER)
    );
    bodies.extend([wrong.body, short_sid.body, bad_sender.body, connected.body]);

    // Customers: numbers are the plugin's E.164; a bad one is named by the field.
    let sam = client
        .post(
            "/api/customers",
            json!({"name": " Sam Rivera ", "phone": "(212) 555-0100"}),
        )
        .await;
    assert_eq!(sam.status, 201);
    let sam = sam.json();
    assert_eq!(
        (sam["name"].clone(), sam["phone"].clone()),
        (json!("Sam Rivera"), json!("+12125550100"))
    );
    let bad = client
        .post("/api/customers", json!({"name": "X", "phone": "555"}))
        .await;
    assert_eq!(
        (bad.status, bad.error()),
        (422, ("invalid-phone".into(), json!("phone")))
    );
    let unnamed = client
        .post(
            "/api/customers",
            json!({"name": "  ", "phone": "+12125550100"}),
        )
        .await;
    assert_eq!(unnamed.error(), ("invalid-customer".into(), json!("name")));
    let id = sam["id"].as_i64().unwrap();
    let moved = client
        .change(
            "PUT",
            &format!("/api/customers/{id}"),
            json!({"name": "Sam Rivera", "phone": "212-555-0101"}),
        )
        .await;
    assert_eq!(moved.json()["phone"], json!("+12125550101"));
    let gone = client
        .change(
            "PUT",
            "/api/customers/999",
            json!({"name": "A", "phone": "+12125550100"}),
        )
        .await;
    assert_eq!(gone.status, 404);
    assert_eq!(
        client
            .change("DELETE", &format!("/api/customers/{id}"), json!({}))
            .await
            .status,
        204
    );
    assert_eq!(
        client
            .change("DELETE", &format!("/api/customers/{id}"), json!({}))
            .await
            .status,
        404
    );

    // The counter is the plugin's count, with what smart encoding would change.
    let gsm = client
        .post("/api/segments", json!({"body": "a".repeat(161)}))
        .await
        .json();
    assert_eq!(
        (
            gsm["segments"].clone(),
            gsm["encoding"].clone(),
            gsm["characters"].clone(),
            gsm["remaining_in_segment"].clone()
        ),
        (json!(2), json!("GSM-7"), json!(161), json!(145))
    );
    assert_eq!(gsm["cost"], json!("$0.016"));
    let curly = client
        .post("/api/segments", json!({"body": "“Hi” — it’s “ready”"}))
        .await
        .json();
    assert_eq!(curly["encoding"], json!("UCS-2"));
    assert_eq!(curly["non_gsm"], json!(["“", "”", "—", "’", "“", "”"]));
    assert_eq!(
        curly["substitutions"],
        json!([
            {"original": "“", "replacement": "\"", "count": 2},
            {"original": "”", "replacement": "\"", "count": 2},
            {"original": "—", "replacement": "-", "count": 1},
            {"original": "’", "replacement": "'", "count": 1},
        ])
    );
    let plain = client
        .post(
            "/api/segments",
            json!({"body": "“Hi” — it’s “ready”", "smart_encoding": true}),
        )
        .await
        .json();
    assert_eq!(
        (plain["encoding"].clone(), plain["text"].clone()),
        (json!("GSM-7"), json!("\"Hi\" - it's \"ready\""))
    );

    // Sends: each refusal's sentence, by the field it is about.
    let unreachable = client
        .post("/api/send", json!({"to": "+15005550002", "body": "Hi"}))
        .await;
    assert_eq!(
        (unreachable.status, unreachable.error()),
        (422, ("recipient-unreachable".into(), json!("to")))
    );
    assert_eq!(unreachable.json()["error"]["twilio_code"], json!(21612));
    let empty = client
        .post("/api/send", json!({"to": "+12125550100", "body": ""}))
        .await;
    assert_eq!(empty.error(), ("empty-body".into(), json!("body")));
    let sent = client
        .post(
            "/api/send",
            json!({"to": "(212) 555-0100", "body": "“Your ring” is ready", "smart_encoding": true}),
        )
        .await;
    assert_eq!(sent.status, 200, "{sent:?}");
    let sid = sent.json()["sid"].as_str().unwrap().to_string();
    // What the counter showed is what went: the smart-encoded text.
    let posted = String::from_utf8(world.fake.requests().pop().unwrap().body).unwrap();
    assert!(posted.contains("Body=%22Your+ring%22+is+ready"), "{posted}");
    let test = client
        .post("/api/twilio/test", json!({"to": "+12125550100"}))
        .await;
    assert_eq!(test.status, 200);

    // The audit log: newest first, by the console's user, paged and filtered.
    let page = client.get("/api/audit?limit=2").await.json();
    let rows = page["entries"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0]["action"].clone(), rows[1]["action"].clone()),
        (json!("test"), json!("send"))
    );
    assert_eq!(rows[1]["message_sid"], json!(sid));
    assert_eq!(rows[1]["user"], json!("dana"));
    let next = page["next_before"].as_i64().unwrap();
    let older = client
        .get(&format!("/api/audit?limit=2&before={next}"))
        .await
        .json();
    let kinds = |page: &Value| -> Vec<Value> {
        let rows = page["entries"].as_array().unwrap();
        rows.iter().map(|r| r["error_kind"].clone()).collect()
    };
    assert_eq!(
        kinds(&older),
        [json!("empty-body"), json!("recipient-unreachable")]
    );
    let last = older["next_before"].as_i64().unwrap();
    let end = client
        .get(&format!("/api/audit?limit=2&before={last}"))
        .await
        .json();
    assert_eq!(end, json!({"entries": [], "next_before": null}));
    let to_sam = client
        .get("/api/audit?number=(212)%20555-0100")
        .await
        .json();
    assert_eq!(to_sam["entries"].as_array().unwrap().len(), 3, "{to_sam}");
    let bad_filter = client.get("/api/audit?number=555").await;
    assert_eq!(
        bad_filter.error(),
        ("invalid-phone".into(), json!("number"))
    );
    let bad_limit = client.get("/api/audit?limit=0").await;
    assert_eq!(
        (bad_limit.status, bad_limit.error().1),
        (400, json!("limit"))
    );

    // Inbox: the thread carries the customer's name.
    world
        .harness
        .add_customer("Sam Rivera", "+12125550100")
        .await
        .unwrap();
    let inbox = client.get("/api/inbox").await.json();
    assert_eq!(inbox["threads"][0]["name"], json!("Sam Rivera"), "{inbox}");
    let thread = client.get("/api/threads/%2B12125550100").await.json();
    assert_eq!(
        thread["messages"][0]["body"],
        json!("\"Your ring\" is ready")
    );

    // Disconnect, and the token was in no answer.
    let off = client
        .post("/api/twilio/disconnect", json!({}))
        .await
        .json();
    assert_eq!(
        off,
        json!({"connected": false, "masked_sid": null, "friendly_name": null, "sender": null})
    );
    for path in [
        "/api/session",
        "/api/twilio",
        "/api/audit",
        "/api/inbox",
        "/",
    ] {
        bodies.push(client.get(path).await.body);
    }
    for body in bodies {
        assert!(
            !body.contains(TOKEN),
            "an answer carried the Auth Token: {body}"
        );
    }
}

/// Chromium, from Debian's package (`.ci/run` installs it) or `CHROMIUM_PATH`.
fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM_PATH")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        path.exists(),
        "the console's browser tests need Chromium at {}: install it (apt-get install chromium \
         chromium-driver) or set CHROMIUM_PATH. They never skip.",
        path.display()
    );
    path
}

/// `tests/browser` with its npm packages installed (`npm ci` the first time).
fn browser_tests() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    if !dir
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        crate::common::npm_ci(&dir, "the browser tests need Node.js and npm");
    }
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_in_a_real_browser() {
    let chromium = chromium();
    let tests = browser_tests();
    let world = common::world().await;
    // The starting point the browser test expects: Twilio not connected, one customer, who
    // has sent a reply nobody has read.
    world.harness.connect(common::credentials()).await.unwrap();
    world
        .harness
        .handle_webhook(common::signed_reply(
            "http://127.0.0.1:8790/twilio",
            "+12125550123",
            SENDER,
            "Is my ring ready?",
            "SMc0ffee0000000000000000000000001",
        ))
        .await
        .unwrap();
    world.harness.disconnect().await.unwrap();
    world
        .harness
        .set_config("store-name", "Gems & Co Jewellers")
        .unwrap();
    world
        .harness
        .add_customer("Ana Lima", "+12125550123")
        .await
        .unwrap();
    let console = console(&world).await;

    let screenshots =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/console-screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let mut node = std::process::Command::new("node");
    node.args(["--test", "--test-concurrency=1", "console.test.mjs"])
        .current_dir(&tests)
        .env("CONSOLE_URL", console.url())
        .env("CONSOLE_ORIGIN", console.origin())
        .env("TWILIO_ACCOUNT_SID", SID)
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .env("TWILIO_SENDER", SENDER)
        .env("SCREENSHOT_DIR", &screenshots)
        .env("CHROMIUM_PATH", &chromium);
    // The console serves on this runtime while node runs on a blocking thread.
    let output = tokio::task::spawn_blocking(move || node.output())
        .await
        .unwrap()
        .expect("node runs (the browser tests need Node.js 20 or later)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "the browser tests failed (their output is above)"
    );

    // What the browser did is in the store: the unreachable refusal, the send, the test.
    let rows = world.harness.audit(50).unwrap();
    let actions: Vec<(&str, Option<&str>)> = rows
        .iter()
        .map(|r| (r.entry.action.as_str(), r.entry.error_kind.as_deref()))
        .collect();
    assert!(
        actions.contains(&("send", Some("recipient-unreachable"))),
        "{actions:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.entry.action == "send" && r.entry.message_sid.is_some()),
        "{actions:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.entry.action == "test" && r.entry.message_sid.is_some()),
        "{actions:?}"
    );
    assert!(rows.iter().all(|r| r.entry.user == "dana"), "{rows:?}");
    assert!(
        !world.harness.status().await.unwrap().connected,
        "the run ends disconnected"
    );
    for shot in ["console.png", "keystroke.txt"] {
        assert!(
            screenshots.join(shot).exists(),
            "no {shot} in {}",
            screenshots.display()
        );
    }
}
