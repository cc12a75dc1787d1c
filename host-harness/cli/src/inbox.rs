//! `inbox` and `thread`: the conversations with customers.

use std::process::ExitCode;

use pos_sms_host::Harness;
use serde_json::{Value, json};

use crate::output::{Fail, Out};

/// A text as staff read it: the words, or that they were purged.
fn words(body: Option<&str>) -> String {
    match body {
        Some(text) => format!("“{text}”"),
        None => "(text removed after message-retention-days)".into(),
    }
}

/// `inbox`.
pub fn inbox(harness: &Harness, out: Out) -> Result<ExitCode, Fail> {
    let threads = harness.inbox()?;
    if out.json {
        for t in &threads {
            out.print(&json!(t), String::new);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if threads.is_empty() {
        out.print(&Value::Null, || "No conversations yet.".into());
    }
    for t in &threads {
        let unread = match t.unread {
            0 => String::new(),
            n => format!("  [{n} unread]"),
        };
        let who = if t.last_direction == "in" {
            "them"
        } else {
            "you"
        };
        out.print(&Value::Null, || {
            format!(
                "{}  {}  {who}: {}{unread}",
                t.number,
                t.last_at,
                words(t.last_body.as_deref())
            )
        });
    }
    Ok(ExitCode::SUCCESS)
}

/// `thread --number N`.
pub async fn thread(harness: &Harness, number: &str, out: Out) -> Result<ExitCode, Fail> {
    let messages = harness.thread(number).await?;
    if out.json {
        for m in &messages {
            out.print(&json!(m), String::new);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if messages.is_empty() {
        out.print(&Value::Null, || {
            "No messages with this customer yet.".into()
        });
    }
    for m in &messages {
        let line = if m.direction == "out" {
            let status = m.status.as_deref().unwrap_or("?");
            let by = m.user.as_deref().unwrap_or("?");
            let what = m.kind.as_deref().unwrap_or("send");
            format!(
                "{}  you ({what}, {by}): {}  [{status}]",
                m.at,
                words(m.body.as_deref())
            )
        } else {
            let new = if m.read { "" } else { "  (new)" };
            let answers = m
                .event_id
                .as_deref()
                .map(|e| format!("  (answers {e})"))
                .unwrap_or_default();
            let class = m
                .kind
                .as_deref()
                .map(|k| format!("  [{k}]"))
                .unwrap_or_default();
            format!(
                "{}  them: {}{class}{answers}{new}",
                m.at,
                words(m.body.as_deref())
            )
        };
        out.print(&Value::Null, || line);
    }
    Ok(ExitCode::SUCCESS)
}
