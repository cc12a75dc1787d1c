//! How results are printed: text for people, or (with `--json`) one JSON object per result
//! on stdout; and the failure that ends a command, with its exit code.

use std::io::Write as _;
use std::process::ExitCode;

use pos_sms_host::display::{self, encoding_name, format_money};
use pos_sms_host::storage::AuditRow;
use pos_sms_host::{Error, PluginError, types};
use serde_json::{Value, json};

/// A failure that ends the command, with its exit code.
#[derive(Debug)]
pub struct Fail {
    /// 1 for a plugin, Twilio or host error; 2 for a usage error.
    pub code: u8,
    /// The error's kind: the plugin's WIT case name, `host` or `usage`.
    pub kind: String,
    /// The sentence.
    pub message: String,
    /// Twilio's error code, when there is one.
    pub twilio_code: Option<u32>,
}

impl Fail {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Fail {
        Fail {
            code: 2,
            kind: "usage".into(),
            message: message.into(),
            twilio_code: None,
        }
    }

    /// The plugin's error (exit 1).
    pub fn plugin(p: PluginError) -> Fail {
        let mut message = p.message.clone();
        if p.kind() == "outcome-unknown" {
            // The harness can find out: staff should not guess and send it twice.
            message.push_str(
                " Do not send it again yet: run `host-harness sync`, which asks Twilio \
                 whether it has it.",
            );
        }
        Fail {
            code: 1,
            kind: p.kind().into(),
            twilio_code: p.twilio_code(),
            message,
        }
    }

    /// A failure of the host itself (exit 1).
    pub fn host(message: impl Into<String>) -> Fail {
        Fail {
            code: 1,
            kind: "host".into(),
            message: message.into(),
            twilio_code: None,
        }
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        match e {
            Error::Plugin(p) => Fail::plugin(p),
            Error::Refused(r) => Fail::plugin(r.plugin),
            other => Fail::host(other.to_string()),
        }
    }
}

/// How results are printed.
#[derive(Clone, Copy)]
pub struct Out {
    /// One JSON object per result.
    pub json: bool,
}

impl Out {
    /// Prints `value` (with `--json`) or `text()`.
    pub fn print(&self, value: &Value, text: impl FnOnce() -> String) {
        let mut stdout = std::io::stdout().lock();
        let line = if self.json { value.to_string() } else { text() };
        // A closed stdout (a pipe into `head`) is not an error worth a panic.
        let _ = writeln!(stdout, "{line}");
    }

    /// `{"error": {"kind", "message", "twilio_code"}}`.
    pub fn error_value(fail: &Fail) -> Value {
        json!({"error": {"kind": fail.kind, "message": fail.message, "twilio_code": fail.twilio_code}})
    }

    /// Reports a failure: the sentence on stderr, and with `--json` the error object on
    /// stdout.
    pub fn fail(&self, fail: &Fail) {
        if self.json {
            self.print(&Out::error_value(fail), String::new);
        }
        eprintln!("error: {}", fail.message);
    }
}

/// Exit 1, with a sentence on stderr, when some inputs of a batch failed.
pub fn batch_exit(failed: usize, total: usize, what: &str) -> ExitCode {
    if failed == 0 {
        return ExitCode::SUCCESS;
    }
    eprintln!("error: {failed} of {total} {what} could not be handled; each has its reason above");
    ExitCode::from(1)
}

pub fn notice_json(outcome: &types::NoticeOutcome) -> Value {
    match outcome {
        types::NoticeOutcome::Sent(r) => {
            let mut value = receipt_json(&r.receipt);
            value["text"] = json!(r.text);
            value["duplicate"] = json!(r.duplicate);
            value["held"] = json!(false);
            value
        }
        types::NoticeOutcome::Held(h) => json!({
            "held": true,
            "release_at": h.release_at,
            "release_local": h.release_local,
            "key": h.key,
            "to": h.event.to,
        }),
    }
}

pub fn notice_text(outcome: &types::NoticeOutcome) -> String {
    let r = match outcome {
        types::NoticeOutcome::Sent(r) => r,
        types::NoticeOutcome::Held(h) => {
            return format!(
                "Held until {} ({}): it is quiet hours for the customer. `host-harness queue \
                 run` (or `serve`) sends it then.",
                h.release_local, h.release_at
            );
        }
    };
    if r.duplicate {
        format!(
            "Already sent: this event went to {} as {}; nothing was sent again.",
            r.receipt.to, r.receipt.sid
        )
    } else {
        format!("{}\n  “{}”", receipt_text(&r.receipt), r.text)
    }
}

pub fn account_json(a: &types::Account) -> Value {
    json!({
        "connected": true,
        "masked_sid": a.masked_sid,
        "friendly_name": a.friendly_name,
        "status": a.status,
        "account_type": a.account_type,
        "sender": a.sender,
    })
}

pub fn status_json(s: &types::ConnectionStatus) -> Value {
    json!({
        "connected": s.connected,
        "masked_sid": s.masked_sid,
        "sender": s.sender,
        "friendly_name": s.friendly_name,
    })
}

pub fn status_text(s: &types::ConnectionStatus) -> String {
    if s.connected {
        format!(
            "Connected: account {} ({}), sending from {}.",
            s.masked_sid.as_deref().unwrap_or("?"),
            s.friendly_name.as_deref().unwrap_or(""),
            s.sender.as_deref().unwrap_or("?")
        )
    } else {
        "Not connected. Run `host-harness connect --account-sid AC… --from +1…` with the Auth \
         Token in TWILIO_AUTH_TOKEN."
            .into()
    }
}

pub fn receipt_json(r: &types::Receipt) -> Value {
    json!({"sid": r.sid, "to": r.to, "status": r.status, "segments": r.segments})
}

pub fn receipt_text(r: &types::Receipt) -> String {
    let plural = if r.segments == 1 { "" } else { "s" };
    format!(
        "Sent to {}: Twilio {} it as {} ({} segment{plural}).",
        r.to, r.status, r.sid, r.segments
    )
}

pub fn segment_json(info: &types::SegmentInfo, smart: bool) -> Value {
    let mut value = display::segment_json(info);
    value["smart_encoding"] = json!(smart);
    value
}

pub fn segment_text(info: &types::SegmentInfo) -> String {
    let plural = if info.segments == 1 { "" } else { "s" };
    let mut line = format!(
        "{}, {} segment{plural} (about {}), {} characters, {} left in this segment",
        encoding_name(info.encoding),
        info.segments,
        format_money(info.cost_micros),
        info.characters,
        info.remaining_in_segment
    );
    if !info.non_gsm.is_empty() {
        line.push_str(&format!("; UCS-2 because of: {}", info.non_gsm.join(" ")));
    }
    line
}

/// Millionths of a dollar as `$0.016` (at least three decimals, trailing zeros dropped).
pub fn audit_table(rows: &[AuditRow]) -> String {
    if rows.is_empty() {
        return "The audit log is empty.".into();
    }
    // `opt-out-confirmation` and the staff actions are wider than `notify`.
    let what = rows
        .iter()
        .map(|r| r.entry.action.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut text = format!(
        "{:<4} {:<20} {:<what$} {:<13} {:>4} {:>4} {:<10} {:<34} {}",
        "id", "at (UTC)", "what", "to", "len", "segs", "user", "message SID", "result"
    );
    for AuditRow {
        id,
        at,
        entry: r,
        delivery,
    } in rows
    {
        let mut result = match (&r.error_kind, r.twilio_code) {
            (Some(kind), Some(code)) => format!("{kind} (Twilio {code})"),
            (Some(kind), None) => kind.clone(),
            (None, _) => r.status.clone(),
        };
        if let Some(d) = delivery {
            result.push_str(&format!(" → {}", d.status));
            if let Some(code) = d.error_code {
                result.push_str(&format!(" ({code}"));
                if let Some(reason) = &d.reason {
                    result.push_str(&format!(": {reason}"));
                }
                result.push(')');
            }
        }
        if let Some(note) = &r.note {
            result.push_str(&format!("; {note}"));
        }
        text.push_str(&format!(
            "\n{:<4} {:<20} {:<what$} {:<13} {:>4} {:>4} {:<10} {:<34} {}",
            id,
            at,
            r.action,
            r.to,
            r.body_length,
            r.segments,
            r.user,
            r.message_sid.as_deref().unwrap_or("-"),
            result
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_table_fits_its_widest_action_and_shows_notes() {
        use pos_sms_host::storage::AuditEntry;
        let row = |id, action: &str, note: Option<&str>| AuditRow {
            id,
            at: "2026-12-01T17:00:00Z".into(),
            entry: AuditEntry {
                note: note.map(String::from),
                message_sid: Some("SM1".into()),
                status: "queued".into(),
                ..AuditEntry::staff_action(action, "+12125550100", "carol", None)
            },
            delivery: None,
        };
        let table = audit_table(&[
            row(1, "send", Some("quiet hours overridden by carol")),
            row(2, "opt-out-confirmation", None),
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines,
            [
                "id   at (UTC)             what                 to             len segs user       message SID                        result",
                "1    2026-12-01T17:00:00Z send                 +12125550100     0    0 carol      SM1                                queued; quiet hours overridden by carol",
                "2    2026-12-01T17:00:00Z opt-out-confirmation +12125550100     0    0 carol      SM1                                queued",
            ]
        );
    }
}
