//! Any text a customer message could hold. Counting never panics, a message is at least one
//! segment, and smart encoding is idempotent and never makes a text cost more.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sms_core::segments::{self, Encoding};

fuzz_target!(|text: &str| {
    let info = segments::count(text);
    assert!(info.segments >= 1);
    assert_eq!(info.unicode_scalars as usize, text.chars().count());
    if info.encoding == Encoding::Gsm7 {
        assert!(info.non_gsm.is_empty());
    }
    let smart = segments::smart_encode(text);
    assert_eq!(segments::smart_encode(&smart), smart.clone(), "{text:?}");
    let _ = segments::smart_substitutions(text);
    let _ = segments::count(&smart);
});
