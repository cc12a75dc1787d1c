//! What a POS pays to host the plugin: the cold start with and without the compiled cache,
//! and the memory each live instance holds.
//!
//! `cargo run --release -p pos-sms-host --example footprint [-- INSTANCES]` (default 1,000
//! instances). Linux only (it reads the resident set from `/proc/self/statm`).

use std::time::Instant;

use pos_sms_host::{Harness, HarnessConfig};

/// The resident set of this process, in bytes.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let instances: usize = match std::env::args().nth(1) {
        Some(n) => n
            .parse()
            .map_err(|_| format!("INSTANCES is a number, not '{n}'"))?,
        None => 1000,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;

    runtime.block_on(async {
        // Cold: compile the component (nothing cached yet), then the first call.
        let started = Instant::now();
        let harness = Harness::open(HarnessConfig::new(dir.path()))?;
        harness.segment_count("hi", false, None).await?;
        let compiled = started.elapsed();
        drop(harness);

        // A new process's start once the cache holds the machine code.
        let started = Instant::now();
        let harness = Harness::open(HarnessConfig::new(dir.path()))?;
        let opened = started.elapsed();
        harness.segment_count("hi", false, None).await?;
        let first_call = started.elapsed();

        let before = resident_bytes();
        let mut live = Vec::with_capacity(instances);
        for _ in 0..instances {
            let mut session = harness.session().await?;
            // Touch the instance as a real call would (its memory is faulted in).
            session
                .segment_count("Hi Sam, your ring repair is ready for pickup!", false, None)
                .await?;
            live.push(session);
        }
        let after = resident_bytes();
        let per_instance = after.saturating_sub(before) / instances.max(1) as u64;
        println!("cold start, compiling (no cache), open + first call: {compiled:.1?}");
        println!(
            "cold start from the cache: open {opened:.2?}, open + first call {first_call:.2?}"
        );
        println!(
            "{instances} live instances: {:.1} MiB resident, {:.0} KiB each, {} per GiB",
            after.saturating_sub(before) as f64 / (1024.0 * 1024.0),
            per_instance as f64 / 1024.0,
            (1u64 << 30) / per_instance.max(1)
        );
        drop(live);
        // The pool keeps a slot's written pages (up to its keep-resident size) for the next
        // instance in that slot, instead of handing them back to the kernel.
        let ended = resident_bytes();
        println!(
            "after they end: {:.1} MiB of theirs still resident, kept for the slots' next instances",
            ended.saturating_sub(before) as f64 / (1024.0 * 1024.0)
        );
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}
