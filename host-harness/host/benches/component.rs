//! The hot path through the component boundary, next to its floors.
//!
//! - `component/segment_count`, `component/normalize_phone`: the same inputs as the native
//!   benchmark (`cargo bench -p sms-core`), called on one warm instance.
//! - `load/compile` vs `load/from_cache`: getting machine code for the plugin.
//! - `load/instantiate`: a fresh store and instance from the `InstancePre` (every call).
//! - `send/plugin` vs `send/native_http`: a whole send against the fake Twilio on loopback,
//!   next to a plain native HTTP client posting the same request (the floor).
//! - `send/in_flight/N`: sends per second with N at once through one harness, on one tokio
//!   runtime (their durable writes share fsyncs through the group commit).
//!
//! `cargo bench -p pos-sms-host`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fake_twilio::{FakeConfig, FakeTwilio};
use futures::StreamExt as _;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use pos_sms_host::policy::OutboundPolicy;
use pos_sms_host::runtime::clock::ManualClock;
use pos_sms_host::runtime::{self as engine, CacheOutcome};
use pos_sms_host::types::{Auth, Credentials, Outgoing, Purpose};
use pos_sms_host::{EMBEDDED_PLUGIN, Harness, HarnessConfig};

#[path = "../../../plugin/core/benches/samples/mod.rs"]
mod samples;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "0123456789abcdef0123456789abcdef";

struct Setup {
    runtime: tokio::runtime::Runtime,
    fake: FakeTwilio,
    harness: Arc<Harness>,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let (fake, harness) = runtime.block_on(async {
        let fake = FakeTwilio::start(FakeConfig::new(SID, TOKEN), ([127, 0, 0, 1], 0).into())
            .await
            .expect("fake starts");
        let mut config = HarnessConfig::new(dir.path());
        // 2026-12-01T17:00:00Z: daytime in New York, so quiet hours never refuse the sends.
        config.clock = std::sync::Arc::new(ManualClock::at(1_796_144_400));
        config.policy = OutboundPolicy::with_fake_twilio(fake.base_url().parse().expect("url"));
        let harness = Harness::open(config).expect("harness opens");
        harness
            .connect(Credentials {
                account_sid: SID.into(),
                auth: Auth::AuthToken(TOKEN.into()),
                sender: "+15005550006".into(),
            })
            .await
            .expect("connects");
        (fake, harness)
    });
    Setup {
        runtime,
        fake,
        harness: Arc::new(harness),
        _dir: dir,
    }
}

fn through_component(c: &mut Criterion) {
    let s = setup();
    let mut session = s.runtime.block_on(s.harness.session()).expect("session");
    let mut group = c.benchmark_group("component/segment_count");
    for (name, body) in samples::messages() {
        group.throughput(Throughput::Elements(body.chars().count() as u64));
        group.bench_with_input(BenchmarkId::new("plain", name), &body, |b, body| {
            b.iter_custom(|iters| {
                s.runtime.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        std::hint::black_box(session.segment_count(body, false, None).await.ok());
                    }
                    start.elapsed()
                })
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("component/normalize_phone");
    for input in samples::PHONES {
        group.bench_with_input(BenchmarkId::from_parameter(input), &input, |b, input| {
            b.iter_custom(|iters| {
                s.runtime.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        std::hint::black_box(session.normalize_phone(input).await.ok());
                    }
                    start.elapsed()
                })
            })
        });
    }
    group.finish();
}

fn load(c: &mut Criterion) {
    let s = setup();
    let engine = engine::new_engine(engine::DEFAULT_MAX_INSTANCES).expect("engine");
    let cache = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("compile", |b| {
        b.iter(|| wasmtime::component::Component::new(&engine, EMBEDDED_PLUGIN).expect("compiles"))
    });
    let (_, first) = engine::load_component(&engine, EMBEDDED_PLUGIN, cache.path()).expect("load");
    assert_eq!(first, CacheOutcome::Compiled);
    group.sample_size(50);
    group.bench_function("from_cache", |b| {
        b.iter(|| {
            let (_, outcome) =
                engine::load_component(&engine, EMBEDDED_PLUGIN, cache.path()).expect("load");
            assert_eq!(outcome, CacheOutcome::Hit);
        })
    });
    group.sample_size(100);
    group.bench_function("instantiate", |b| {
        b.iter_custom(|iters| {
            s.runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(s.harness.session().await.expect("instance"));
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

/// A native HTTP/1.1 client posting the plugin's exact request to the fake: the floor for a
/// send over loopback (new connection each time, as the plugin's wasi:http request makes).
async fn native_post(addr: std::net::SocketAddr, body: &'static [u8], auth: &str) -> u16 {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let request = http::Request::post(format!("/2010-04-01/Accounts/{SID}/Messages.json"))
        .header("host", addr.to_string())
        .header("authorization", auth)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(bytes::Bytes::from_static(body)))
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    let status = response.status().as_u16();
    response.into_body().collect().await.expect("body");
    status
}

fn outgoing() -> Outgoing {
    Outgoing {
        to: "(212) 555-0100".into(),
        body: "Hi Sam, your ring repair is ready for pickup!".into(),
        user: "bench".into(),
        purpose: Purpose::Transactional,
        override_quiet_hours: false,
    }
}

fn send(c: &mut Criterion) {
    let s = setup();
    let mut group = c.benchmark_group("send");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("plugin", |b| {
        b.iter_custom(|iters| {
            s.runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    s.harness.send(outgoing()).await.expect("sent");
                }
                start.elapsed()
            })
        })
    });
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{SID}:{TOKEN}")
        )
    );
    let body: &'static [u8] =
        b"To=%2B12125550100&From=%2B15005550006&Body=Hi+Sam%2C+your+ring+repair+is+ready+for+pickup%21";
    let addr = s.fake.addr();
    group.bench_function("native_http", |b| {
        b.iter_custom(|iters| {
            s.runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    assert_eq!(native_post(addr, body, &auth).await, 201);
                }
                start.elapsed()
            })
        })
    });
    group.finish();

    let mut group = c.benchmark_group("send/in_flight");
    group.measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(1));
    for in_flight in [1usize, 8, 64] {
        group.bench_with_input(
            BenchmarkId::from_parameter(in_flight),
            &in_flight,
            |b, &in_flight| {
                b.iter_custom(|iters| {
                    s.runtime.block_on(async {
                        let start = Instant::now();
                        let sends = futures::stream::iter(0..iters)
                            .map(|_| {
                                let harness = s.harness.clone();
                                tokio::spawn(async move { harness.send(outgoing()).await })
                            })
                            .buffer_unordered(in_flight);
                        futures::pin_mut!(sends);
                        while let Some(sent) = sends.next().await {
                            sent.expect("joined").expect("sent");
                        }
                        start.elapsed()
                    })
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, through_component, load, send);
criterion_main!(benches);
