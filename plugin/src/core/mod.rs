//! The sans-IO core: everything the plugin decides, with no WIT types and no I/O.
//!
//! Each module takes plain values and returns plain values, so all of it is unit-tested
//! natively (`cargo test -p sms-plugin`). The component glue in `lib.rs` and `http.rs` only
//! converts between these values and the WIT/wasi:http world.

pub mod base64;
pub mod credentials;
pub mod error;
pub mod form;
pub mod gsm;
pub mod json;
pub mod notify;
pub mod phone;
pub mod segments;
pub mod service;
pub mod twilio;
pub mod webhook;
