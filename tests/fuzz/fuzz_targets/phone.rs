//! A phone number as staff may type it, or anything else. Normalising never panics, and
//! what it returns is E.164 that normalises to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sms_core::phone;

fuzz_target!(|text: &str| {
    if let Ok(e164) = phone::normalize(text) {
        assert!(e164.starts_with('+'), "{text:?} gave {e164:?}");
        assert!(
            e164[1..].bytes().all(|b| b.is_ascii_digit()),
            "{text:?} gave {e164:?}"
        );
        assert!((5..=16).contains(&e164.len()), "{text:?} gave {e164:?}");
        assert_eq!(
            phone::normalize(&e164).as_deref(),
            Ok(e164.as_str()),
            "{text:?}"
        );
    }
});
