//! `sms-core`: everything the SMS plugin decides, with no WIT types, no wasm dependencies and
//! no I/O.
//!
//! Each module takes plain values and returns plain values, so all of it is unit-tested
//! natively (`cargo test -p sms-core`). The operations ([`service`]) reach the world only
//! through the [`service::Host`] trait: the component (`sms-plugin`) implements it with its
//! WIT imports and wasi:http, and the tests with a fake. The component's glue only converts
//! between these values and the WIT world.

pub mod compliance;
pub mod credentials;
pub mod error;
pub mod gsm;
pub mod notify;
pub mod phone;
pub mod segments;
pub mod service;
pub mod sync;
pub mod twilio;
pub mod webhook;
