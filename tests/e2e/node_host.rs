//! The Node.js reference host (`host-harness/node`): the component this build made, transpiled
//! by jco and run on preview2-shim with the `pos:sms/host` interface in JavaScript, through the
//! same scenarios as the Rust host (connect, every magic number, the counter, signed and
//! forged webhooks, notify twice, a stalled Twilio read as outcome unknown), against the fake
//! Twilio on loopback. The tests are `node --test` files (`host-harness/node/test`); this
//! module installs their npm packages the first time, starts the fake, hands them the
//! component and its manifest, and fails with their output when any fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{self, SID, TOKEN};

/// `host-harness/node`, with its npm packages installed (`npm ci` when `node_modules` is
/// missing or older than the lockfile). better-sqlite3 builds from source when no prebuilt
/// binary can be fetched, which takes a few minutes the first time.
fn installed_package() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../node");
    let installed = dir.join("node_modules/.package-lock.json");
    let fresh = match (
        std::fs::metadata(&installed).and_then(|m| m.modified()),
        std::fs::metadata(dir.join("package-lock.json")).and_then(|m| m.modified()),
    ) {
        (Ok(installed), Ok(lock)) => installed >= lock,
        _ => false,
    };
    if !fresh
        || !dir
            .join("node_modules/better-sqlite3/build/Release/better_sqlite3.node")
            .exists()
    {
        common::npm_ci(&dir, "the Node host's tests need Node.js 20+ and npm");
    }
    dir
}

/// The test files, in order (`test/*.test.js`; `test/support` holds what they share).
fn test_files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir.join("test"))
        .expect("host-harness/node/test")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".test.js"))
        .map(|name| format!("test/{name}"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no test files in {}", dir.display());
    files
}

#[tokio::test(flavor = "multi_thread")]
async fn the_node_reference_host_runs_every_scenario() {
    let dir = installed_package();
    let files = test_files(&dir);
    let fake = common::start_fake().await;
    let plugin = tempfile::tempdir().expect("temp dir");
    let wasm = plugin.path().join("plugin.wasm");
    std::fs::write(&wasm, pos_sms_host::EMBEDDED_PLUGIN).expect("write the component");
    std::fs::write(
        plugin.path().join("plugin.manifest.json"),
        pos_sms_host::manifest::EMBEDDED_MANIFEST,
    )
    .expect("write its manifest");

    let mut node = Command::new("node");
    node.args(["--test", "--test-concurrency=1"])
        .args(&files)
        .current_dir(&dir)
        .env("PLUGIN_WASM", &wasm)
        .env("TWILIO_URL", fake.base_url())
        .env("TWILIO_ACCOUNT_SID", SID)
        .env("TWILIO_AUTH_TOKEN", TOKEN);
    // The fake serves on this runtime while node runs on a blocking thread.
    let output = tokio::task::spawn_blocking(move || node.output())
        .await
        .expect("the node thread")
        .expect("node runs (the Node host's tests need Node.js 20 or later)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}\n{stderr}");
    assert!(
        output.status.success(),
        "the Node host's tests failed (their output is above):\n{}",
        stdout
            .lines()
            .filter(|l| l.starts_with("not ok") || l.starts_with("# "))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        stdout.contains("# fail 0") && !stdout.contains("# pass 0"),
        "node ran no test: {stdout}"
    );
    // The Node host's requests reached the fake, and only Twilio's API paths.
    let requests = fake.requests();
    assert!(!requests.is_empty(), "no request reached the fake");
    assert!(
        requests
            .iter()
            .all(|r| r.path.starts_with("/2010-04-01/Accounts/")),
        "{:?}",
        requests.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    fake.shutdown().await;
}
