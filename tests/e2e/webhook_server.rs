//! The webhook server as an attacker meets it: half-open connections, the connection cap,
//! paths and methods that are not webhooks, bodies too large or too slow. Each protection
//! here fails its test when it is removed; the figures are printed (never asserted).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pos_sms_host::Harness;
use pos_sms_host::serve::{ServeLimits, WebhookServer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::common::*;

/// A connected world and a webhook server over it with `limits`.
async fn serving(limits: ServeLimits) -> (World, WebhookServer) {
    let world = connected_world().await;
    let harness = Arc::new(Harness::open(config_for(world.dir.path(), &world.fake)).unwrap());
    let server = WebhookServer::start_with(harness, ([127, 0, 0, 1], 0).into(), None, limits)
        .await
        .unwrap();
    (world, server)
}

/// A connection that sent part of a request's headers and then waits.
async fn half_open(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /twilio HTTP/1.1\r\nHost: x\r\nX-Twilio-Sig")
        .await
        .unwrap();
    stream
}

/// Whether the server has closed `stream` (or does within `within`).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 256];
    loop {
        match tokio::time::timeout(within, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // An answer (a 408, say) before the close: keep reading to the close.
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_thousand_half_open_connections_are_dropped_while_a_webhook_is_answered() {
    let limits = ServeLimits {
        header_timeout: Duration::from_secs(2),
        ..ServeLimits::default()
    };
    let (world, server) = serving(limits).await;
    let addr = server.addr();
    let started = Instant::now();
    let mut held = Vec::with_capacity(2000);
    for chunk in 0..20 {
        let opened = (0..100).map(|_| half_open(addr));
        held.extend(futures_join(opened).await);
        assert_eq!(held.len(), (chunk + 1) * 100);
    }
    let opened_in = started.elapsed();

    // A genuine webhook, meanwhile, is answered.
    let asked = Instant::now();
    let status = status_of(
        addr,
        &signed_request(
            addr,
            "/twilio",
            "Is my ring ready?",
            "SMc0ffee0000000000000000000000002",
        ),
    )
    .await;
    let answered_in = asked.elapsed();
    assert_eq!(status, 204);
    assert_eq!(world.harness.replies(None, 10).unwrap().len(), 1);

    // Every half-open connection is closed by the server within the header timeout (and a
    // margin for 2,000 of them on 2 cores).
    let within = limits.header_timeout + Duration::from_secs(3);
    let waits = held
        .into_iter()
        .map(|mut stream| async move { closed_within(&mut stream, within).await });
    let closed = futures_join(waits).await;
    let dropped_in = started.elapsed();
    let dropped = closed.iter().filter(|c| **c).count();
    println!(
        "2,000 half-open connections opened in {opened_in:?}; a signed webhook answered meanwhile \
         in {answered_in:?}; {dropped} of 2,000 closed by the server {dropped_in:?} after the \
         first opened (header timeout {:?})",
        limits.header_timeout
    );
    assert_eq!(dropped, 2000);
}

/// Runs the futures at once and collects their outputs in order.
async fn futures_join<F, T>(futures: impl IntoIterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let tasks: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn at_the_connection_cap_a_new_connection_waits_for_a_slot_and_is_then_answered() {
    capture_logs();
    let limits = ServeLimits {
        header_timeout: Duration::from_secs(60),
        max_connections: 2,
        ..ServeLimits::default()
    };
    let (world, server) = serving(limits).await;
    let addr = server.addr();
    let first = half_open(addr).await;
    let _second = half_open(addr).await;

    let request = signed_request(
        addr,
        "/twilio",
        "Is my ring ready?",
        "SMc0ffee0000000000000000000000003",
    );
    let waiting = tokio::spawn(async move { status_of(addr, &request).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "served past the cap of 2");
    assert_eq!(world.harness.replies(None, 10).unwrap().len(), 0);
    assert!(
        logs().iter().any(|l| l.starts_with(
            "webhook server: 2 connections open, its cap; new ones wait in the listen backlog"
        )),
        "{:?}",
        logs()
    );

    // One client goes away: its slot serves the one waiting.
    drop(first);
    let status = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered once a slot was free")
        .unwrap();
    assert_eq!(status, 204);
    assert_eq!(world.harness.replies(None, 10).unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_post_to_twilio_is_a_webhook_and_its_body_is_bounded_in_size_and_time() {
    let limits = ServeLimits {
        body_timeout: Duration::from_millis(300),
        ..ServeLimits::default()
    };
    let (world, server) = serving(limits).await;
    let addr = server.addr();
    let plain = |method: &str, path: &str| {
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .into_bytes()
    };
    assert_eq!(status_of(addr, &plain("POST", "/")).await, 404);
    assert_eq!(status_of(addr, &plain("POST", "/twilio/a/b")).await, 404);
    assert_eq!(status_of(addr, &plain("POST", "/admin")).await, 404);
    assert_eq!(status_of(addr, &plain("GET", "/twilio")).await, 405);
    assert_eq!(status_of(addr, &plain("PUT", "/twilio/status")).await, 405);
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(&plain("GET", "/twilio")).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer.to_ascii_lowercase().contains("\r\nallow: post\r\n"),
        "{answer}"
    );

    // A body over 64 KiB is refused.
    let big = format!(
        "POST /twilio HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        65 * 1024,
        "a".repeat(65 * 1024)
    );
    assert_eq!(status_of(addr, big.as_bytes()).await, 413);

    // A body that trickles in is cut off after the body timeout.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(
        format!("POST /twilio HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100\r\n\r\nFrom=%2B1")
            .as_bytes(),
    )
    .await
    .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), slow.read_to_string(&mut answer))
        .await
        .expect("the server answers a stalled body")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");

    // And a genuine webhook on a webhook path still lands, once, however often it comes.
    let request = signed_request(
        addr,
        "/twilio/inbound",
        "Is my ring ready?",
        "SMc0ffee0000000000000000000000004",
    );
    assert_eq!(status_of(addr, &request).await, 204);
    assert_eq!(status_of(addr, &request).await, 204);
    assert_eq!(world.harness.replies(None, 10).unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_keep_alive_connection_left_idle_is_closed_after_the_header_timeout() {
    let limits = ServeLimits {
        header_timeout: Duration::from_millis(500),
        ..ServeLimits::default()
    };
    let (world, server) = serving(limits).await;
    let addr = server.addr();
    let request = signed_request(
        addr,
        "/twilio",
        "Is my ring ready?",
        "SMc0ffee0000000000000000000000005",
    );
    // The same request, kept alive.
    let text = String::from_utf8(request)
        .unwrap()
        .replace("Connection: close", "Connection: keep-alive");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(text.as_bytes()).await.unwrap();
    let mut buf = [0u8; 1024];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 204 "),
        "{:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    assert_eq!(world.harness.replies(None, 10).unwrap().len(), 1);
    // Nothing more is sent: the server closes the connection once the header timeout passes.
    assert!(
        closed_within(&mut stream, Duration::from_secs(5)).await,
        "still open"
    );
}

/// The figures of [`five_thousand_signed_webhooks_from_fifty_clients_are_each_recorded_once`].
const CLIENTS: usize = 50;
const PER_CLIENT: usize = 100;

#[tokio::test(flavor = "multi_thread")]
async fn five_thousand_signed_webhooks_from_fifty_clients_are_each_recorded_once() {
    let (world, server) = serving(ServeLimits::default()).await;
    let addr = server.addr();
    let sid = |client: usize, n: usize| format!("SM{:032x}", client * 1_000_000 + n);
    let started = Instant::now();
    let clients = (0..CLIENTS).map(|client| async move {
        let mut latencies = Vec::with_capacity(PER_CLIENT);
        for n in 0..PER_CLIENT {
            let request = signed_request(addr, "/twilio", "Thanks, see you then", &sid(client, n));
            let sent = Instant::now();
            assert_eq!(status_of(addr, &request).await, 204);
            latencies.push(sent.elapsed());
        }
        latencies
    });
    let mut latencies: Vec<Duration> = futures_join(clients).await.concat();
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let total = CLIENTS * PER_CLIENT;
    let p99 = latencies[total * 99 / 100];
    eprintln!(
        "{total} signed webhooks from {CLIENTS} clients in {elapsed:.2?}: {:.0}/s, p50 {:.2?}, \
         p99 {p99:.2?}",
        total as f64 / elapsed.as_secs_f64(),
        latencies[total / 2],
    );

    // Each is recorded once; a repeat of some is answered and stored no second time.
    let replies = world.harness.replies(None, 10 * total as u32).unwrap();
    assert_eq!(replies.len(), total);
    let distinct: std::collections::BTreeSet<&str> =
        replies.iter().map(|r| r.message_sid.as_str()).collect();
    assert_eq!(distinct.len(), total);
    for n in 0..10 {
        let request = signed_request(addr, "/twilio", "Thanks, see you then", &sid(0, n));
        assert_eq!(status_of(addr, &request).await, 204);
    }
    assert_eq!(
        world
            .harness
            .replies(None, 10 * total as u32)
            .unwrap()
            .len(),
        total
    );
    server.shutdown().await;
}
