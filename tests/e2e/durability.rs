//! A send leaves evidence even when the harness dies mid-request: the audit row is written
//! (durably) as `pending` before the request leaves.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fake_twilio::{FakeTwilio, Fault};
use pos_sms_host::storage::HostStore;

use crate::common::{SENDER, SID, TOKEN, start_fake};

fn harness_cmd(data_dir: &std::path::Path, fake: &FakeTwilio) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_host-harness"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(["--twilio-url", &fake.base_url()])
        .env_remove("TWILIO_API_URL")
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        // Daytime for the customers, whatever the hour of the run (quiet hours would refuse).
        .env("HOST_HARNESS_NOW", crate::common::DAYTIME_RFC3339)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_send_leaves_a_pending_audit_row() {
    let fake = start_fake().await;
    let dir = tempfile::tempdir().unwrap();
    let connect = harness_cmd(dir.path(), &fake)
        .args(["connect", "--account-sid", SID, "--from", SENDER])
        .output()
        .unwrap();
    assert!(connect.status.success(), "{connect:?}");

    // Twilio takes the request and never answers; the process is killed while it waits.
    fake.push_faults([Fault::Stall]);
    let mut child = harness_cmd(dir.path(), &fake)
        .args([
            "send",
            "--to",
            "(212) 555-0100",
            "--body",
            "Your ring is ready",
        ])
        .args(["--user", "alice"])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !fake.requests().iter().any(|r| r.method == "POST") {
        assert!(Instant::now() < deadline, "the send never reached the fake");
        assert!(child.try_wait().unwrap().is_none(), "the send ended early");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no cleanup runs.
    let status = child.wait().unwrap();
    assert!(!status.success());

    let store = HostStore::open(dir.path()).unwrap();
    let rows = store.audit(10).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0].entry;
    assert_eq!(
        (
            row.action.as_str(),
            row.to.as_str(),
            row.user.as_str(),
            row.status.as_str(),
            row.message_sid.as_deref(),
            row.body_length,
            row.segments
        ),
        ("send", "+12125550100", "alice", "pending", None, 18, 1)
    );
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_and_serve_share_one_store_without_lock_errors_lost_rows_or_double_sends() {
    let fake = start_fake().await;
    let dir = tempfile::tempdir().unwrap();
    let cmd = || harness_cmd(dir.path(), &fake);
    let connect = cmd()
        .args(["connect", "--account-sid", SID, "--from", SENDER])
        .output()
        .unwrap();
    assert!(connect.status.success(), "{connect:?}");

    // `serve` in its own process, on the same data directory.
    let mut serve = cmd()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(serve.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let addr: std::net::SocketAddr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));

    // 1,000 signed webhooks from 20 clients while 8 lanes send 120 texts, a process each.
    let started = Instant::now();
    let webhooks = tokio::spawn(async move {
        let mut clients = Vec::new();
        for c in 0..20 {
            clients.push(tokio::spawn(async move {
                let mut codes = Vec::new();
                for n in (c..1000).step_by(20) {
                    let request = crate::common::signed_request(
                        addr,
                        "/twilio",
                        "Is it ready?",
                        &format!("SM{n:032x}"),
                    );
                    codes.push(crate::common::status_of(addr, &request).await);
                }
                codes
            }));
        }
        let mut codes = Vec::new();
        for client in clients {
            codes.extend(client.await.unwrap());
        }
        codes
    });
    let lanes: Vec<_> = (0..8)
        .map(|lane| {
            let mut cmds: Vec<Command> = (0..15)
                .map(|i| {
                    let mut c = cmd();
                    c.args(["send", "--to", "(212) 555-0100", "--body"])
                        .arg(format!("Order {lane}-{i} is ready"));
                    c
                })
                .collect();
            std::thread::spawn(move || {
                cmds.iter_mut()
                    .map(|c| c.output().unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut sends = Vec::new();
    for lane in lanes {
        sends.extend(
            tokio::task::spawn_blocking(move || lane.join().unwrap())
                .await
                .unwrap(),
        );
    }
    let codes = webhooks.await.unwrap();
    let took = started.elapsed();
    let _ = serve.kill();
    let _ = serve.wait();

    for out in &sends {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !stderr.contains("locked"),
            "{stderr}"
        );
    }
    assert_eq!(codes.len(), 1000);
    assert!(
        codes.iter().all(|c| *c == 204),
        "{:?}",
        codes.iter().filter(|c| **c != 204).collect::<Vec<_>>()
    );
    let store = HostStore::open(dir.path()).unwrap();
    let rows = store.audit(1000).unwrap();
    let sids: std::collections::BTreeSet<_> = rows
        .iter()
        .filter_map(|r| r.entry.message_sid.clone())
        .collect();
    assert_eq!(
        (rows.len(), sids.len()),
        (120, 120),
        "every send has its row and its own SID"
    );
    let posted = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/Messages.json"))
        .count();
    assert_eq!(posted, 120, "no text was sent twice");
    assert_eq!(store.replies(None, 2000).unwrap().len(), 1000);
    println!("120 CLI sends and 1,000 webhooks to serve, one store: {took:?}");
    fake.shutdown().await;
}
