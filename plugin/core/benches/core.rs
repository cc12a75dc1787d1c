//! The sans-IO core at native speed: segment counting (on every keystroke) and phone
//! normalization. `cargo bench -p sms-plugin`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sms_core::{phone, segments};
use std::hint::black_box;

mod samples;

fn segment_count(c: &mut Criterion) {
    let mut group = c.benchmark_group("native/segment_count");
    for (name, body) in samples::messages() {
        group.throughput(Throughput::Elements(body.chars().count() as u64));
        group.bench_with_input(BenchmarkId::new("plain", name), &body, |b, body| {
            b.iter(|| segments::count(black_box(body)))
        });
        group.bench_with_input(BenchmarkId::new("smart", name), &body, |b, body| {
            b.iter(|| segments::count(&segments::smart_encode(black_box(body))))
        });
    }
    group.finish();
}

fn normalize_phone(c: &mut Criterion) {
    let mut group = c.benchmark_group("native/normalize_phone");
    for input in samples::PHONES {
        group.bench_with_input(BenchmarkId::from_parameter(input), &input, |b, input| {
            b.iter(|| phone::normalize(black_box(input)))
        });
    }
    group.finish();
}

criterion_group!(benches, segment_count, normalize_phone);
criterion_main!(benches);
