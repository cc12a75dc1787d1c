//! `segments` and `phone`: the live counter and phone normalization, one text at a time or
//! as JSON lines from stdin, all in one plugin instance.

use std::io::BufRead as _;
use std::process::ExitCode;

use pos_sms_host::{Harness, Session};
use serde_json::{Value, json};

use crate::output::{Fail, Out, batch_exit, segment_json, segment_text};

/// A fresh instance (after a host failure the old one is gone).
async fn fresh(harness: &Harness) -> Result<Session, Fail> {
    Ok(harness.session().await?)
}

/// `segments`.
pub async fn segments(
    harness: &Harness,
    smart: bool,
    price: Option<u64>,
    texts: Vec<String>,
    out: Out,
) -> Result<ExitCode, Fail> {
    let mut session = fresh(harness).await?;
    if !texts.is_empty() {
        for text in texts {
            let info = session.segment_count(&text, smart, price).await?;
            out.print(&segment_json(&info, smart), || segment_text(&info));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (mut failed, mut total) = (0_usize, 0_usize);
    for (index, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.map_err(|e| Fail::host(format!("reading stdin: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        total += 1;
        let parsed =
            parse_segment_line(&line, smart).map_err(|why| format!("line {}: {why}", index + 1));
        let value = match parsed {
            Ok((text, smart)) => match session.segment_count(&text, smart, price).await {
                Ok(info) => segment_json(&info, smart),
                Err(e) => {
                    session = fresh(harness).await?;
                    failed += 1;
                    Out::error_value(&Fail::from(e))
                }
            },
            Err(message) => {
                failed += 1;
                Out::error_value(&Fail::usage(message))
            }
        };
        // stdin mode always writes JSON: it is for machines.
        Out { json: true }.print(&value, String::new);
    }
    Ok(batch_exit(failed, total, "lines"))
}

/// A JSON-lines input: `"text"` or `{"text": "…", "smart_encoding": true}`.
fn parse_segment_line(line: &str, default_smart: bool) -> Result<(String, bool), String> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::String(text)) => Ok((text, default_smart)),
        Ok(Value::Object(map)) => {
            let text = map
                .get("text")
                .and_then(Value::as_str)
                .ok_or("the object needs a \"text\" string")?;
            let smart = match map.get("smart_encoding") {
                None | Some(Value::Null) => default_smart,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err("\"smart_encoding\" must be true or false".into()),
            };
            Ok((text.to_string(), smart))
        }
        Ok(_) => Err("expected a JSON string or {\"text\": …}".into()),
        Err(e) => Err(format!("not JSON ({e}); quote the text as a JSON string")),
    }
}

pub async fn phones(harness: &Harness, texts: Vec<String>, out: Out) -> Result<ExitCode, Fail> {
    let mut session = fresh(harness).await?;
    let (mut failed, mut total) = (0_usize, 0_usize);
    let from_stdin = texts.is_empty();
    let inputs: Box<dyn Iterator<Item = Result<String, String>>> = if from_stdin {
        Box::new(
            std::io::stdin()
                .lock()
                .lines()
                .enumerate()
                .filter(|(_, l)| l.as_ref().map_or(true, |l| !l.trim().is_empty()))
                .map(|(i, line)| {
                    let line = line.map_err(|e| format!("reading stdin: {e}"))?;
                    match serde_json::from_str::<Value>(&line) {
                        Ok(Value::String(s)) => Ok(s),
                        _ => Err(format!(
                            "line {}: expected a JSON string such as \"(555) 123-4567\"",
                            i + 1
                        )),
                    }
                }),
        )
    } else {
        Box::new(texts.into_iter().map(Ok))
    };
    let out = if from_stdin { Out { json: true } } else { out };
    for input in inputs {
        total += 1;
        let input = match input {
            Ok(input) => input,
            Err(message) => {
                failed += 1;
                out.print(&Out::error_value(&Fail::usage(message)), String::new);
                continue;
            }
        };
        match session.normalize_phone(&input).await {
            Ok(e164) => out.print(&json!({"input": input, "e164": e164}), || {
                format!("{input} → {e164}")
            }),
            Err(e) => {
                failed += 1;
                let fail = Fail::from(e);
                if fail.kind == "host" {
                    session = fresh(harness).await?;
                }
                let value = json!({"input": input, "error": Out::error_value(&fail)["error"]});
                out.print(&value, || format!("{input} → {}", fail.message));
            }
        }
    }
    Ok(batch_exit(failed, total, "phone numbers"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_lines() {
        assert_eq!(
            parse_segment_line("\"hi\"", false),
            Ok(("hi".into(), false))
        );
        assert_eq!(
            parse_segment_line(r#"{"text":"hi","smart_encoding":true}"#, false),
            Ok(("hi".into(), true))
        );
        assert_eq!(
            parse_segment_line(r#"{"text":"hi"}"#, true),
            Ok(("hi".into(), true))
        );
        assert_eq!(
            parse_segment_line("42", false),
            Err("expected a JSON string or {\"text\": …}".into())
        );
        assert_eq!(
            parse_segment_line(r#"{"body":"hi"}"#, false),
            Err("the object needs a \"text\" string".into())
        );
        assert!(
            parse_segment_line("hi there", false)
                .unwrap_err()
                .starts_with("not JSON")
        );
    }
}
