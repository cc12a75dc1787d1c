//! How a host shows the plugin's numbers to staff, so every front end (the CLI, the console,
//! a POS) says the same, in words and in JSON.

use serde_json::{Value, json};

use crate::types;

/// `GSM-7` or `UCS-2`, as staff read it and as every JSON answer names it.
pub fn encoding_name(e: types::Encoding) -> &'static str {
    match e {
        types::Encoding::Gsm7 => "GSM-7",
        types::Encoding::Ucs2 => "UCS-2",
    }
}

/// What the counter shows, as JSON: `encoding`, `segments`, `characters`,
/// `unicode_scalars`, `non_gsm`, `remaining_in_segment`, `cost_micros`, `cost` and `text`.
pub fn segment_json(info: &types::SegmentInfo) -> Value {
    json!({
        "encoding": encoding_name(info.encoding),
        "segments": info.segments,
        "characters": info.characters,
        "unicode_scalars": info.unicode_scalars,
        "non_gsm": info.non_gsm,
        "remaining_in_segment": info.remaining_in_segment,
        "cost_micros": info.cost_micros,
        "cost": format_money(info.cost_micros),
        "text": info.text,
    })
}

/// Millionths of a dollar as dollars, with at least three decimals (`$0.008`, `$0.0237`).
pub fn format_money(micros: u64) -> String {
    let frac = format!("{:06}", micros % 1_000_000);
    let frac = frac.trim_end_matches('0');
    let frac = format!("{frac:0<3}");
    format!("${}.{frac}", micros / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money() {
        assert_eq!(format_money(8_000), "$0.008");
        assert_eq!(format_money(16_000), "$0.016");
        assert_eq!(format_money(23_700), "$0.0237");
        assert_eq!(format_money(1_500_000), "$1.500");
        assert_eq!(format_money(0), "$0.000");
    }

    #[test]
    fn the_counter_as_json() {
        let info = types::SegmentInfo {
            encoding: types::Encoding::Ucs2,
            segments: 2,
            characters: 71,
            unicode_scalars: 71,
            non_gsm: vec!["“".into()],
            remaining_in_segment: 63,
            cost_micros: 16_000,
            text: "“…".into(),
        };
        assert_eq!(
            segment_json(&info),
            json!({"encoding": "UCS-2", "segments": 2, "characters": 71, "unicode_scalars": 71,
                   "non_gsm": ["“"], "remaining_in_segment": 63, "cost_micros": 16000,
                   "cost": "$0.016", "text": "“…"})
        );
        assert_eq!(encoding_name(types::Encoding::Gsm7), "GSM-7");
    }
}
