//! `opt-outs`, `opt-out`, `opt-in`, `consent` and `queue`: what keeps the store legal.

use std::process::ExitCode;

use pos_sms_host::Harness;
use pos_sms_host::harness::Released;
use pos_sms_host::imports::purpose_name;
use pos_sms_host::storage::{ConsentRow, NewConsent};
use serde_json::{Value, json};

use crate::args::{ConsentAction, QueueAction};
use crate::messages::purpose;
use crate::output::{Fail, Out};

/// `opt-outs`: the stop list.
pub fn opt_outs(harness: &Harness, out: Out) -> Result<ExitCode, Fail> {
    let rows = harness.opt_outs()?;
    if out.json {
        for row in &rows {
            out.print(&json!(row), String::new);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        out.print(&Value::Null, || "No one has opted out.".into());
    }
    for r in &rows {
        let reply = r
            .reply
            .as_deref()
            .map(|t| format!(": “{t}”"))
            .unwrap_or_default();
        let by = r
            .user
            .as_deref()
            .map(|u| format!(" by {u}"))
            .unwrap_or_default();
        out.print(&Value::Null, || {
            format!("{}  since {}  {}{by}{reply}", r.number, r.since, r.how)
        });
    }
    Ok(ExitCode::SUCCESS)
}

/// `opt-outs --number N`: every request of one customer.
pub async fn history(harness: &Harness, number: &str, out: Out) -> Result<ExitCode, Fail> {
    let events = harness.stop_list_history(number).await?;
    if events.is_empty() && !out.json {
        out.print(&Value::Null, || "No opt-out or opt-in on record.".into());
    }
    for e in &events {
        let words = e
            .reply
            .as_deref()
            .map(|t| format!(": “{t}”"))
            .unwrap_or_default();
        let by = e
            .user
            .as_deref()
            .map(|u| format!(" by {u}"))
            .unwrap_or_default();
        let unchanged = if e.changed { "" } else { " (no change)" };
        out.print(&json!(e), || {
            format!("{}  {} by {}{by}{words}{unchanged}", e.at, e.event, e.how)
        });
    }
    Ok(ExitCode::SUCCESS)
}

/// `opt-out --number N`: staff put a number on the stop list.
pub async fn opt_out(
    harness: &Harness,
    number: &str,
    user: &str,
    out: Out,
) -> Result<ExitCode, Fail> {
    let added = harness.record_opt_out(number, user).await?;
    let e164 = harness.normalize_phone(number).await?;
    out.print(
        &json!({"number": e164, "opted_out": true, "changed": added}),
        || {
            if added {
                format!(
                    "{e164} is on the stop list: no text will go to it from any of the store's \
                 numbers until the customer texts START (or `opt-in`)."
                )
            } else {
                format!("{e164} was already on the stop list; nothing changed.")
            }
        },
    );
    Ok(ExitCode::SUCCESS)
}

/// `opt-in --number N`: staff take a number off the stop list.
pub async fn opt_in(
    harness: &Harness,
    number: &str,
    user: &str,
    out: Out,
) -> Result<ExitCode, Fail> {
    let removed = harness.record_opt_in(number, user).await?;
    let e164 = harness.normalize_phone(number).await?;
    out.print(
        &json!({"number": e164, "opted_out": false, "changed": removed}),
        || {
            if removed {
                format!("{e164} is off the stop list: texts to it may go again.")
            } else {
                format!("{e164} was not on the stop list; nothing changed.")
            }
        },
    );
    Ok(ExitCode::SUCCESS)
}

fn consent_text(c: &ConsentRow) -> String {
    let note = c
        .note
        .as_deref()
        .map(|n| format!(" (“{n}”)"))
        .unwrap_or_default();
    let revoked = match (&c.revoked_at, &c.revoked_by) {
        (Some(at), by) => format!(
            "; revoked {at} by {}{}",
            by.as_deref().unwrap_or("?"),
            c.revoke_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ),
        (None, _) => String::new(),
    };
    format!(
        "{} consent for {}: {}, recorded {} by {}{note}{revoked}",
        c.purpose, c.number, c.source, c.granted_at, c.user
    )
}

/// `consent grant|revoke|show`.
pub async fn consent(harness: &Harness, action: ConsentAction, out: Out) -> Result<ExitCode, Fail> {
    match action {
        ConsentAction::Grant {
            number,
            purpose: p,
            source,
            user,
            note,
        } => {
            let row = harness
                .grant_consent(NewConsent {
                    number: &number,
                    purpose: purpose_name(purpose(p)),
                    source: source.name(),
                    user: &user,
                    note: note.as_deref(),
                })
                .await?;
            out.print(&json!(row), || format!("Recorded: {}", consent_text(&row)));
        }
        ConsentAction::Revoke {
            number,
            purpose: p,
            user,
            note,
        } => {
            let revoked = harness
                .revoke_consent(&number, p.map(purpose), &user, note.as_deref())
                .await?;
            out.print(&json!({"revoked": revoked}), || match revoked {
                0 => "No consent in force to revoke.".into(),
                n => format!("Revoked {n} consent(s)."),
            });
        }
        ConsentAction::Show { number } => {
            let rows = harness.consents(&number).await?;
            if out.json {
                for row in &rows {
                    out.print(&json!(row), String::new);
                }
            } else if rows.is_empty() {
                out.print(&Value::Null, || {
                    "No consent on record. Record one with `host-harness consent grant`.".into()
                });
            } else {
                for row in &rows {
                    out.print(&Value::Null, || consent_text(row));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `queue` lists the held notices; `queue run` sends the due ones.
pub async fn queue(
    harness: &Harness,
    action: Option<QueueAction>,
    out: Out,
) -> Result<ExitCode, Fail> {
    let Some(QueueAction::Run) = action else {
        let held = harness.held_notices()?;
        if out.json {
            for h in &held {
                out.print(&json!(h), String::new);
            }
        } else if held.is_empty() {
            out.print(&Value::Null, || "No notices are held.".into());
        } else {
            for h in &held {
                out.print(&Value::Null, || {
                    format!(
                        "{}  {} to {}: held until {} ({})",
                        h.key, h.kind, h.to, h.release_local, h.release_at
                    )
                });
            }
        }
        return Ok(ExitCode::SUCCESS);
    };
    let released = harness.release_due().await?;
    if released.is_empty() && !out.json {
        out.print(&Value::Null, || "Nothing is due.".into());
    }
    let mut failed = 0;
    for r in &released {
        let (value, text) = match r {
            Released::Sent { held, receipt } => (
                json!({"key": held.key, "to": held.to, "outcome": "sent", "sid": receipt.receipt.sid, "duplicate": receipt.duplicate}),
                format!(
                    "{}: sent to {} as {}",
                    held.key, receipt.receipt.to, receipt.receipt.sid
                ),
            ),
            Released::Cancelled { held, why } => (
                json!({"key": held.key, "to": held.to, "outcome": "cancelled", "reason": why}),
                format!("{}: cancelled, {why}", held.key),
            ),
            Released::StillHeld { held, again } => (
                json!({"key": held.key, "to": held.to, "outcome": "held", "release_at": again.release_at}),
                format!(
                    "{}: still quiet hours, held until {}",
                    held.key, again.release_local
                ),
            ),
            Released::Failed { held, why } => {
                failed += 1;
                (
                    json!({"key": held.key, "to": held.to, "outcome": "failed", "reason": why}),
                    format!("{}: not sent, {why}", held.key),
                )
            }
        };
        out.print(&value, || text);
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
