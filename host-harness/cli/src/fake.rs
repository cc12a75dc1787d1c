//! `fake-twilio`: the fake Twilio in the foreground, for trying the CLI by hand.

use std::process::ExitCode;

use fake_twilio::{FakeConfig, FakeTwilio};
use serde_json::json;

use crate::output::{Fail, Out};

/// Serves the fake on 127.0.0.1:`port` for `account_sid` and `token` until Ctrl-C.
pub async fn run(port: u16, account_sid: &str, token: &str, out: Out) -> Result<ExitCode, Fail> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let fake = FakeTwilio::start(FakeConfig::new(account_sid, token), addr)
        .await
        .map_err(|e| Fail::host(format!("could not listen on {addr}: {e}")))?;
    out.print(
        &json!({"base_url": fake.base_url(), "account_sid": account_sid}),
        || {
            format!(
                "Fake Twilio listening on {} for account {account_sid} (Ctrl-C to stop).\n\
                 Point the harness at it: host-harness --twilio-url {} …",
                fake.base_url(),
                fake.base_url()
            )
        },
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Fail::host(format!("waiting for Ctrl-C: {e}")))?;
    fake.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
