//! Standard base64 (RFC 4648 §4, with padding), encode only: Basic auth and webhook
//! signatures are all the plugin needs, and a general base64 crate cost 3.7 KB of the
//! component's size budget.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes `bytes` as padded standard base64.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    let bytes = bytes.as_ref();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn rfc_4648_vectors() {
        for (input, output) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(input), output, "{input}");
        }
        assert_eq!(encode([0xfb, 0xff]), "+/8=");
    }

    proptest::proptest! {
        #[test]
        fn matches_the_base64_crate(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            use base64::Engine as _;
            proptest::prop_assert_eq!(
                encode(&bytes),
                base64::engine::general_purpose::STANDARD.encode(&bytes)
            );
        }
    }
}
