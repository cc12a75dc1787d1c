//! How a host shows the plugin's numbers to staff, so every front end (the CLI, the console,
//! a POS) says the same.

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
}
