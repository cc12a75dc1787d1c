//! A webhook as anyone on the internet can send it: any URL query, headers and body. Parsing
//! and verifying never panic, and a form signed with the store's token always verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sms_core::webhook::{self, WebhookRequest, classify};

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    // The first line is the query string (and, JSON-style, maybe a bodySHA256), the rest
    // the body.
    let (query, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&[][..], rest),
    };
    // A URL Twilio could call: the query's bytes percent-encoded (a raw control character
    // is not a URL, and is refused as one).
    let url = format!(
        "https://pos.example.com/twilio?q={}",
        form_urlencoded::byte_serialize(query).collect::<String>()
    );
    let params: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let mut headers = vec![(
        "Content-Type".to_string(),
        if mode & 2 == 0 {
            "application/x-www-form-urlencoded".to_string()
        } else {
            "application/json".to_string()
        },
    )];
    let signed = mode & 1 == 1 && mode & 2 == 0;
    if signed {
        let signature = webhook::compute_signature(TOKEN, &url, &params);
        headers.push(("X-Twilio-Signature".into(), signature));
    } else {
        headers.push((
            "X-Twilio-Signature".into(),
            String::from_utf8_lossy(query).into_owned(),
        ));
    }
    let request = WebhookRequest {
        url,
        headers,
        body: body.to_vec(),
    };
    let verified = webhook::verify(TOKEN, &request);
    if signed {
        assert!(
            verified.is_ok(),
            "a correctly signed form was refused: {verified:?}"
        );
    }
    let _ = webhook::parse_event(&request);
    for (_, value) in &params {
        let _ = classify::classify(value);
    }
});
