//! `inbox`, `thread` and `sync`: the conversations with customers, and what became of the
//! texts sent to them.

use std::process::ExitCode;

use pos_sms_host::Harness;
use pos_sms_host::harness::Resolved;
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
        let name = t
            .name
            .as_deref()
            .map_or_else(String::new, |name| format!(" ({name})"));
        out.print(&Value::Null, || {
            format!(
                "{}{name}  {}  {who}: {}{unread}",
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

/// `sync`.
pub async fn sync(harness: &Harness, out: Out) -> Result<ExitCode, Fail> {
    let report = harness.sync().await?;
    for r in &report.resolved {
        let (value, text) = match &r.outcome {
            Resolved::Sent(receipt) => (
                json!({"audit_id": r.audit_id, "to": r.to, "outcome": "sent",
                       "sid": receipt.sid, "status": receipt.status}),
                format!(
                    "row {}: the text to {} whose answer never came was sent, as {} ({}); \
                     do not send it again",
                    r.audit_id, r.to, receipt.sid, receipt.status
                ),
            ),
            Resolved::NotSent => (
                json!({"audit_id": r.audit_id, "to": r.to, "outcome": "not-sent"}),
                format!(
                    "row {}: the text to {} whose answer never came was not sent; it is safe \
                     to send it again",
                    r.audit_id, r.to
                ),
            ),
            Resolved::StillUnknown(why) => (
                json!({"audit_id": r.audit_id, "to": r.to, "outcome": "unknown", "reason": why}),
                format!("row {}: still unknown: {why}", r.audit_id),
            ),
        };
        out.print(&value, || text);
    }
    for u in &report.polled {
        let reason = u
            .reason
            .as_deref()
            .map(|r| format!(" ({}: {r})", u.error_code.unwrap_or_default()))
            .unwrap_or_default();
        out.print(
            &json!({"sid": u.message_sid, "status": u.status, "error_code": u.error_code,
                    "reason": u.reason}),
            || format!("{}: {}{reason}", u.message_sid, u.status),
        );
    }
    for f in &report.failed {
        out.print(
            &json!({"error": {"what": f.what, "message": f.why}}),
            || format!("{}: could not read it: {}", f.what, f.why),
        );
    }
    if !out.json
        && report.resolved.is_empty()
        && report.polled.is_empty()
        && report.failed.is_empty()
    {
        out.print(&Value::Null, || {
            "Nothing to sync: every recent text has its final status.".into()
        });
    }
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
