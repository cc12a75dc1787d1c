//! `console`: the store's console in a browser, over this harness (or, with `--demo`, over
//! the demo's sandbox with the fake Twilio).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use pos_sms_console::{Console, ConsoleConfig};
use pos_sms_host::Harness;

use pos_sms_host::runtime::clock::ShiftedClock;

use crate::demo::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_SENDER, Sandbox, midday_today};
use crate::output::Fail;

/// The console's configuration from the command line.
pub fn options(
    listen: SocketAddr,
    user: String,
    assets: Option<PathBuf>,
    demo: bool,
) -> ConsoleConfig {
    ConsoleConfig {
        listen,
        user,
        assets_dir: assets,
        demo,
        token: None,
    }
}

/// Serves until Ctrl-C.
pub async fn run(harness: Harness, config: ConsoleConfig) -> Result<ExitCode, Fail> {
    let console = start(harness, config).await?;
    wait(console).await
}

async fn start(harness: Harness, config: ConsoleConfig) -> Result<Console, Fail> {
    let console = Console::start(Arc::new(harness), config)
        .await
        .map_err(|e| Fail::usage(e.to_string()))?;
    if console.exposed() {
        eprintln!(
            "host-harness: warning: the console listens on {}, which other machines can reach. \
             Anyone with the URL below controls the store's Twilio account: share it with no \
             one, and prefer 127.0.0.1.",
            console.addr()
        );
    }
    Ok(console)
}

async fn wait(console: Console) -> Result<ExitCode, Fail> {
    println!(
        "The store's console is at\n\n    {}\n\nOpen it in a browser on this machine (the URL \
         carries the access token: keep it to yourself). Ctrl-C stops it.",
        console.url()
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Fail::host(format!("waiting for Ctrl-C: {e}")))?;
    console.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// `console --demo`: connected to the fake Twilio, with customers and a reply waiting.
pub async fn demo(
    listen: SocketAddr,
    user: &str,
    assets: Option<PathBuf>,
) -> Result<ExitCode, Fail> {
    // Time passes as it does, from 17:00 UTC today: daytime for the demo's customers.
    let clock = ShiftedClock::starting_at(midday_today());
    let sandbox = Sandbox::start("host-harness-console", Arc::new(clock)).await?;
    let harness = sandbox.harness()?;
    harness.connect(Sandbox::credentials()).await?;
    for (name, phone) in [
        ("Ana Lima", "+12125550123"),
        ("Sam Rivera", "(212) 555-0100"),
        ("Priya Shah", "+44 20 7946 0958"),
        ("Unreachable (Twilio test number)", "+15005550002"),
    ] {
        harness.add_customer(name, phone).await?;
    }
    sandbox
        .reply(
            &harness,
            "SMdemoreply0000000000000000000002",
            "+12125550123",
            "Hi! Is my ring ready yet?",
        )
        .await?;
    let console = start(harness, options(listen, user.to_string(), assets, true)).await?;
    println!(
        "host-harness console --demo: the plugin's requests to https://api.twilio.com go to a \
         fake Twilio at {} (data in {}, removed on exit).\nIt is connected with the demo \
         account; to try Connect again, disconnect and paste:\n    Account SID  {}\n    Auth \
         Token   {}\n    Phone Number {}\n",
        sandbox.fake.base_url(),
        sandbox.dir.path().display(),
        DEMO_ACCOUNT_SID,
        DEMO_AUTH_TOKEN,
        DEMO_SENDER,
    );
    let code = wait(console).await;
    sandbox.shutdown().await;
    code
}
