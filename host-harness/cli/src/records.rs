//! `audit`, `replies` and `config`: what the host keeps.

use std::process::ExitCode;

use pos_sms_host::Harness;
use pos_sms_host::harness::{
    CONFIG_MESSAGE_RETENTION_DAYS, CONFIG_SYNC_REQUESTS_PER_SECOND, parse_retention_days,
    parse_sync_rate,
};
use pos_sms_host::imports::CONFIG_SEGMENTS_PER_SECOND;
use serde_json::{Value, json};

use crate::args::ConfigAction;
use crate::output::{Fail, Out, audit_table};

/// `audit`.
pub fn audit(harness: &Harness, limit: u32, out: Out) -> Result<ExitCode, Fail> {
    let rows = harness.audit(limit)?;
    if out.json {
        for row in &rows {
            out.print(&json!(row), String::new);
        }
    } else {
        out.print(&Value::Null, || audit_table(&rows));
    }
    Ok(ExitCode::SUCCESS)
}

/// `replies`.
pub fn replies(
    harness: &Harness,
    number: Option<&str>,
    limit: u32,
    out: Out,
) -> Result<ExitCode, Fail> {
    let replies = harness.replies(number, limit)?;
    if out.json {
        for reply in &replies {
            out.print(&json!(reply), String::new);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if replies.is_empty() {
        out.print(&Value::Null, || "No replies yet.".into());
    }
    for r in &replies {
        let keyword = r
            .intent
            .as_deref()
            .map(|k| format!(" [{k}]"))
            .unwrap_or_default();
        out.print(&Value::Null, || {
            format!("{}  {} → {}: {}{keyword}", r.at, r.from, r.to, r.body)
        });
    }
    Ok(ExitCode::SUCCESS)
}

/// A setting a store may change: one the plugin's manifest says it reads, or the host's own
/// throughput budget.
fn check_key(harness: &Harness, key: &str) -> Result<(), Fail> {
    let manifest = harness.manifest();
    if manifest.reads_config(key)
        || key == CONFIG_SEGMENTS_PER_SECOND
        || key == CONFIG_MESSAGE_RETENTION_DAYS
        || key == CONFIG_SYNC_REQUESTS_PER_SECOND
    {
        return Ok(());
    }
    Err(Fail::usage(format!(
        "unknown setting '{key}'; the settings are {}, {CONFIG_SEGMENTS_PER_SECOND}, \
         {CONFIG_MESSAGE_RETENTION_DAYS}, {CONFIG_SYNC_REQUESTS_PER_SECOND}",
        manifest.config.join(", ")
    )))
}

fn check_value(key: &str, value: &str) -> Result<(), Fail> {
    if key == "smart-encoding" && !matches!(value, "true" | "false") {
        return Err(Fail::usage(format!(
            "smart-encoding is true or false, not '{value}'"
        )));
    }
    if key == CONFIG_SEGMENTS_PER_SECOND && !value.parse::<u32>().is_ok_and(|n| n > 0) {
        return Err(Fail::usage(format!(
            "segments-per-second is a whole number above 0, not '{value}'"
        )));
    }
    if key == CONFIG_MESSAGE_RETENTION_DAYS {
        parse_retention_days(value).map_err(Fail::usage)?;
    }
    if key == CONFIG_SYNC_REQUESTS_PER_SECOND {
        parse_sync_rate(value).map_err(Fail::usage)?;
    }
    if key == sms_core::service::CONFIG_QUIET_HOURS
        && let Err(e) = sms_core::compliance::QuietHours::parse(value)
    {
        return Err(Fail::usage(format!("quiet-hours: {e}")));
    }
    Ok(())
}

/// `config set|unset|list`.
pub fn config(harness: &Harness, action: ConfigAction, out: Out) -> Result<ExitCode, Fail> {
    match action {
        ConfigAction::Set { key, value } => {
            check_key(harness, &key)?;
            check_value(&key, &value)?;
            harness.set_config(&key, &value)?;
            out.print(&json!({"key": key, "value": value}), || {
                format!("{key} = {value}")
            });
        }
        ConfigAction::Unset { key } => {
            check_key(harness, &key)?;
            harness.unset_config(&key)?;
            out.print(&json!({"key": key, "value": null}), || {
                format!("{key} removed")
            });
        }
        ConfigAction::List => {
            for (key, value) in harness.list_config()? {
                out.print(&json!({"key": key, "value": value}), || {
                    format!("{key} = {value}")
                });
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
