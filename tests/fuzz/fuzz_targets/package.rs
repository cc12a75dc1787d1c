//! A marketplace package from anywhere: any archive bytes, any manifest. Unpacking,
//! verifying and parsing the plugin manifest refuse with a typed error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pos_sms_host::manifest::Manifest;
use pos_sms_host::package;

fuzz_target!(|data: &[u8]| {
    if let Ok(unpacked) = package::unpack_bytes(data) {
        let _ = package::verify(unpacked, &["00".repeat(32)]);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Manifest::parse(text);
        let _ = serde_json::from_str::<package::PackageManifest>(text);
    }
});
