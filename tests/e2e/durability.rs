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
