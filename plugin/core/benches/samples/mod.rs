//! Message bodies and phone inputs shared by the native and the through-the-component
//! benchmarks, so their numbers compare like with like.

/// Named message bodies: what stores really send, and the longest Twilio accepts.
pub fn messages() -> Vec<(&'static str, String)> {
    vec![
        (
            "repair_ready_gsm",
            "Hi Sam, your ring repair is ready for pickup at Gems & Co. See you soon!".into(),
        ),
        (
            "payment_link_gsm",
            "Hi Priya, your custom pendant is ready. Pay the balance of $412.50 here: \
             https://pay.example.com/i/8f3a2c91 Reply STOP to opt out."
                .into(),
        ),
        (
            "reminder_ucs2",
            "Reminder: your sizing appointment is tomorrow at 2:30pm 💍 We’re at 12 Main St — \
             reply “C” to confirm."
                .into(),
        ),
        (
            "gsm_160",
            "Hi Sam, your ring repair is ready for pickup at Gems & Co, 12 Main St. We are open \
             9-6 today; bring your ticket #4821. Any questions? Call us: 555-0100. Thanks!"
                .into(),
        ),
        (
            "long_gsm_1600",
            "Your order is ready. ".repeat(76) + "Thanks",
        ),
        ("long_ucs2_1600", "Ready 💎 ".repeat(200)),
    ]
}

/// Phone numbers as staff type them (the last one is refused).
pub const PHONES: [&str; 5] = [
    "(212) 555-0100",
    "1-555-123-4567",
    "+44 (0) 20 7946 0958",
    "011 49 30 1234567",
    "555-123-456",
];
