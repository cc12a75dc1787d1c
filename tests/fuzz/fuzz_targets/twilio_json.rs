//! Twilio's answers as a hostile or broken server could send them: any status, any body,
//! any Retry-After. Every parser answers with a value or a typed error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sms_core::twilio::{self, HttpResponse};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let status = 100 + u16::from_le_bytes([data[0], data[1]]) % 500;
    let rest = &data[2..];
    let (retry, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) if i < 32 => (Some(&rest[..i]), &rest[i + 1..]),
        _ => (None, rest),
    };
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    if let Some(retry) = retry {
        headers.push((
            "retry-after".into(),
            String::from_utf8_lossy(retry).into_owned(),
        ));
    }
    let response = HttpResponse {
        status,
        headers,
        body: body.to_vec(),
    };
    let _ = twilio::parse_account_response(&response);
    let _ = twilio::parse_send_response(&response);
    let _ = twilio::parse_message_response(&response);
    let _ = twilio::parse_message_page(&response);
    let _ = twilio::parse_error(&response);
    let _ = twilio::unavailable(&response);
    let _ = twilio::retry_after(&response);
});
