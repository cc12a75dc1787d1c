//! A plugin that does what a hostile or broken plugin would, so the harness's containment can
//! be tested against a real component (the pattern of wasmtime's `test-programs`).
//!
//! It implements the `pos:sms` world; `send`'s body picks the misbehaviour:
//! - `spin`: loops forever (the CPU limit must stop it);
//! - `grow`: allocates without end (the memory limit must stop it);
//! - `get URL` / `post URL`: a request to any destination (the policy must refuse it);
//! - `host-header URL`: a request that sets its own `Host` header;
//! - `env`: reports the environment variables and preopened directories it can see;
//! - `trap`: panics, which traps the call (the component is built with `panic = "abort"`);
//! - `remember`: reports whether its memory holds anything an earlier call wrote (a static
//!   that starts at 7, a 256 KiB zeroed static), then writes over both.
//!
//! Anything else succeeds with a receipt whose status is `ok`.

#![cfg(target_arch = "wasm32")]

wit_bindgen::generate!({ world: "plugin", path: "../../../wit/since_v0.1.0" });

use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};

use exports::pos::sms::sms::Guest;
use pos::sms::types::{
    Account, ConnectionStatus, Credentials, Encoding, Error, NoticeEvent, NoticeReceipt, Outgoing,
    Receipt, SegmentInfo, WebhookEvent, WebhookRequest,
};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{Fields, Method, OutgoingBody, OutgoingRequest, Scheme};

struct Misbehaving;

/// In the data segment, at 7 until a `remember` call writes 99.
static LEFT_BEHIND: AtomicU32 = AtomicU32::new(7);
/// Zeroed (bss, not in the data segment) until a `remember` call fills it.
static SCRATCH: [AtomicU8; 256 * 1024] = [const { AtomicU8::new(0) }; 256 * 1024];

/// `clean`, or what an earlier call left behind; then leaves something behind itself.
fn remember() -> String {
    let mut found = Vec::new();
    let seen = LEFT_BEHIND.swap(99, Ordering::Relaxed);
    if seen != 7 {
        found.push(format!("the static holds {seen}"));
    }
    let dirty = SCRATCH
        .iter()
        .filter(|b| b.swap(0xAB, Ordering::Relaxed) != 0)
        .count();
    if dirty > 0 {
        found.push(format!("{dirty} scratch bytes are not zero"));
    }
    if found.is_empty() {
        "clean".into()
    } else {
        found.join("; ")
    }
}

fn receipt(status: String) -> Receipt {
    Receipt {
        sid: String::new(),
        to: String::new(),
        status,
        segments: 0,
    }
}

/// Makes one request and describes what happened.
fn request(method: Method, url: &str, host_header: bool) -> Result<Receipt, Error> {
    let (scheme, rest) = match url.split_once("://") {
        Some(("https", rest)) => (Scheme::Https, rest),
        Some(("http", rest)) => (Scheme::Http, rest),
        _ => return Err(Error::Other(format!("bad url {url}"))),
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut entries = vec![("content-type".to_string(), b"text/plain".to_vec())];
    if host_header {
        entries.push(("host".to_string(), b"api.twilio.com".to_vec()));
    }
    let headers =
        Fields::from_list(&entries).map_err(|e| Error::Other(format!("headers refused: {e:?}")))?;
    let req = OutgoingRequest::new(headers);
    let _ = req.set_method(&method);
    let _ = req.set_scheme(Some(&scheme));
    let _ = req.set_authority(Some(authority));
    let _ = req.set_path_with_query(Some(if path.is_empty() { "/" } else { path }));
    let body = req.body().map_err(|()| Error::Other("no body".into()))?;
    let future = outgoing_handler::handle(req, None)
        .map_err(|code| Error::Other(format!("handle: {code:?}")))?;
    // 256 KiB: more than a Twilio form, less than the host drains before refusing.
    if matches!(method, Method::Post)
        && let Ok(stream) = body.write()
    {
        for _ in 0..64 {
            if stream.blocking_write_and_flush(&[b'x'; 4096]).is_err() {
                return Err(Error::Other("body write failed: closed stream".into()));
            }
        }
    }
    let _ = OutgoingBody::finish(body, None);
    loop {
        match future.get() {
            Some(Ok(Ok(response))) => return Ok(receipt(format!("{}", response.status()))),
            Some(Ok(Err(wasip2::http::types::ErrorCode::HttpRequestDenied))) => {
                return Err(Error::DeniedByHost(url.to_string()));
            }
            Some(Ok(Err(code))) => return Err(Error::Other(format!("{code:?}"))),
            Some(Err(())) => return Err(Error::Other("taken".into())),
            None => future.subscribe().block(),
        }
    }
}

impl Guest for Misbehaving {
    fn connect(_: Credentials) -> Result<Account, Error> {
        Err(Error::Other("this plugin does not connect".into()))
    }

    fn disconnect() -> Result<(), Error> {
        Ok(())
    }

    fn status() -> ConnectionStatus {
        ConnectionStatus {
            connected: false,
            masked_sid: None,
            sender: None,
            friendly_name: None,
        }
    }

    fn send(outgoing: Outgoing) -> Result<Receipt, Error> {
        let body = outgoing.body;
        match body.split_once(' ').unwrap_or((body.as_str(), "")) {
            ("spin", _) => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            ("grow", _) => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            ("trap", _) => panic!("a deliberate trap"),
            ("remember", _) => Ok(receipt(remember())),
            ("get", url) => request(Method::Get, url, false),
            ("post", url) => request(Method::Post, url, false),
            ("host-header", url) => request(Method::Get, url, true),
            ("env", _) => {
                let vars: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
                let dirs = std::fs::read_dir("/").map(|d| d.count()).unwrap_or(0);
                Ok(receipt(format!("vars={vars:?} root_entries={dirs}")))
            }
            _ => Ok(receipt("ok".into())),
        }
    }

    fn test(_: String, _: String) -> Result<Receipt, Error> {
        Ok(receipt("ok".into()))
    }

    fn segment_count(body: String, _: bool, _: Option<u64>) -> SegmentInfo {
        SegmentInfo {
            encoding: Encoding::Gsm7,
            segments: 1,
            characters: body.len() as u32,
            unicode_scalars: body.len() as u32,
            non_gsm: Vec::new(),
            remaining_in_segment: 0,
            cost_micros: 0,
            text: body,
        }
    }

    fn normalize_phone(text: String) -> Result<String, Error> {
        Ok(text)
    }

    fn describe_error(error: Error) -> String {
        format!("{error:?}")
    }

    fn notify(_: NoticeEvent) -> Result<NoticeReceipt, Error> {
        Err(Error::Other("this plugin sends no notices".into()))
    }

    fn handle_webhook(_: WebhookRequest) -> Result<WebhookEvent, Error> {
        Err(Error::WebhookRejected(
            "this plugin takes no webhooks".into(),
        ))
    }
}

export!(Misbehaving);
