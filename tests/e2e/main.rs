//! End-to-end tests: the real component in the real host, the CLI as a subprocess, and the
//! hostile test plugin, against the fake Twilio on 127.0.0.1. One test binary, so wasmtime
//! is linked once for all of them; each file is a module by concern.

mod common;

mod cli;
mod compat;
mod console;
mod containment;
mod conversations;
mod durability;
mod faults;
mod library;
mod node_host;
mod notices;
mod packages;
mod secrets;
mod sync;
mod webhook_server;
mod webhooks;
