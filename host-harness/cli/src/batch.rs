//! `send` and `notify` with no recipient on the command line: JSON lines from stdin, sent
//! `--parallel` at a time through one harness, one JSON result a line in input order.
//!
//! Every guarantee of a single send holds for each line: its pending audit row is on disk
//! before its request leaves (concurrent sends share the fsync, see the host's group
//! commit), an answer that never came reads as outcome unknown, and notices keep their
//! once-only claim and the store's pacing.

use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;
use std::sync::Arc;

use futures::{FutureExt as _, StreamExt as _};
use pos_sms_host::{Error, Harness, Session, types};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::args::{NoticeArg, PurposeArg};
use crate::messages;
use crate::output::{Fail, Out, batch_exit, notice_json, receipt_json};

/// The most sends `--parallel` may keep in flight.
pub const MAX_PARALLEL: usize = 256;

/// Reads `--parallel`: a whole number from 1 to [`MAX_PARALLEL`].
pub fn parse_parallel(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_PARALLEL).contains(&n) => Ok(n),
        _ => Err(format!(
            "--parallel is how many texts are in flight at once, a whole number from 1 to \
             {MAX_PARALLEL}, not '{text}'"
        )),
    }
}

/// One line of `send`'s input.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendLine {
    to: String,
    body: String,
    #[serde(default = "default_user")]
    user: String,
    #[serde(default)]
    purpose: Option<String>,
    #[serde(default)]
    override_quiet_hours: bool,
}

fn default_user() -> String {
    "cli".into()
}

/// One line of `notify`'s input.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoticeLine {
    kind: String,
    to: String,
    customer: String,
    event_id: String,
    #[serde(default)]
    item: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    amount: Option<String>,
    #[serde(default)]
    time: Option<String>,
    #[serde(default = "default_automation")]
    user: String,
}

fn default_automation() -> String {
    "automation".into()
}

/// `send` from stdin.
pub async fn send(harness: Harness, parallel: usize) -> Result<ExitCode, Fail> {
    let batch = run(harness, parallel, "texts", |sessions, line| async move {
        let outgoing = send_line(&line)?;
        let mut lane = sessions.take().await?;
        let receipt = lane.session.send(outgoing).await;
        sessions.give_back(lane, &receipt);
        Ok(receipt_json(&receipt?))
    });
    on_workers(batch).await
}

/// `notify` from stdin.
pub async fn notify(harness: Harness, parallel: usize) -> Result<ExitCode, Fail> {
    let batch = run(harness, parallel, "notices", |sessions, line| async move {
        let event = notice_line(&line)?;
        let mut lane = sessions.take().await?;
        let outcome = lane.session.notify(event).await;
        sessions.give_back(lane, &outcome);
        Ok(notice_json(&outcome?))
    });
    on_workers(batch).await
}

/// How many lines one plugin instance serves before it is retired and the next line starts a
/// fresh one: what a call leaves behind in the instance's memory (a leak, a fragmented heap)
/// cannot pile up past this many calls.
pub const CALLS_PER_INSTANCE: u32 = 100;

/// The plugin instances a batch's lines share. A line takes an idle one, or starts one if
/// none is idle, and gives it back when its call is done, so a batch at `--parallel` P runs
/// on about P instances, each serving up to [`CALLS_PER_INSTANCE`] lines in turn. Starting
/// and ending an instance for every line (a store, a WASI context, the plugin's start-up, a
/// pool slot's memory restored) was a third of a send's CPU: 3,000 sends at --parallel 64
/// took 0.65 s of CPU (0.45 s) with an instance a line, 0.43 s (0.34 s) with these.
///
/// Within one batch, then, a line's call can see what an earlier line's call on the same
/// instance left in the plugin's memory (ours keeps nothing between calls). A call of
/// another command, process or store never can, and an instance whose call ended in a trap,
/// a limit or a storage failure is dropped rather than reused, as [`Session`] asks.
struct Sessions {
    harness: Harness,
    idle: std::sync::Mutex<Vec<Lane>>,
}

/// An instance and how many calls it has served.
struct Lane {
    session: Session,
    calls: u32,
}

impl Sessions {
    fn new(harness: Harness) -> Sessions {
        Sessions {
            harness,
            idle: std::sync::Mutex::default(),
        }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Lane>> {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn take(&self) -> Result<Lane, Error> {
        let idle = self.idle().pop();
        match idle {
            Some(lane) => Ok(lane),
            None => Ok(Lane {
                session: self.harness.session().await?,
                calls: 0,
            }),
        }
    }

    /// Keeps `lane` for a later line, unless it has served its [`CALLS_PER_INSTANCE`] or its
    /// call ended in an error after which [`Session`] asks for a new instance: the plugin's
    /// own errors and the host's refusals leave the instance as it was.
    fn give_back<T>(&self, mut lane: Lane, result: &Result<T, Error>) {
        lane.calls += 1;
        let reusable = matches!(result, Ok(_) | Err(Error::Plugin(_) | Error::Refused(_)));
        if reusable && lane.calls < CALLS_PER_INSTANCE {
            self.idle().push(lane);
        }
    }
}

/// Runs a batch as a task on the runtime's workers, not on the thread that waits for the
/// command: each send's result then reaches the batch's loop without waking that thread (a
/// futex wake and two context switches a send, a tenth of a batch's system calls).
async fn on_workers(
    batch: impl Future<Output = Result<ExitCode, Fail>> + Send + 'static,
) -> Result<ExitCode, Fail> {
    tokio::spawn(batch)
        .await
        .map_err(|e| Fail::host(format!("the batch stopped unexpectedly: {e}")))?
}

/// Reads stdin's lines, runs `handle` on each with at most `parallel` in flight, and prints
/// the results in input order as they are ready.
async fn run<F, Fut>(
    harness: Harness,
    parallel: usize,
    what: &'static str,
    handle: F,
) -> Result<ExitCode, Fail>
where
    F: Fn(Arc<Sessions>, String) -> Fut + Send + Sync + Copy + 'static,
    Fut: Future<Output = Result<Value, Fail>> + Send + 'static,
{
    let sessions = Arc::new(Sessions::new(harness));
    // stdin is read on a thread of its own, so a slow producer never stalls the sends.
    let (lines_tx, lines_rx) = tokio::sync::mpsc::channel::<Result<String, Fail>>(1024);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            // A line that is not UTF-8 is that line's error, and the lines after it are
            // still read; a failed read ends the input (the next read would fail the same).
            let (line, stop) = match line {
                Ok(line) => (Ok(line), false),
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => (
                    Err(Fail::usage(
                        "this line is not UTF-8 text; write one JSON object a line",
                    )),
                    false,
                ),
                Err(e) => (
                    Err(Fail::host(format!(
                        "reading stdin failed ({e}), so no line after this one was read"
                    ))),
                    true,
                ),
            };
            if lines_tx.blocking_send(line).is_err() || stop {
                break;
            }
        }
    });
    let inputs = tokio_stream(lines_rx)
        .enumerate()
        .filter(|(_, line)| {
            let blank = matches!(line, Ok(l) if l.trim().is_empty());
            std::future::ready(!blank)
        })
        .map(|(index, line)| {
            let sessions = sessions.clone();
            tokio::spawn(async move {
                let result = match line {
                    Ok(line) => handle(sessions, line).await,
                    Err(fail) => Err(fail),
                };
                (index + 1, result)
            })
        })
        .buffered(parallel);
    futures::pin_mut!(inputs);
    let (mut failed, mut total) = (0_usize, 0_usize);
    let mut stdout = std::io::BufWriter::new(std::io::stdout());
    loop {
        // Results that are ready go out in one write; the buffer is flushed before waiting,
        // so a reader has each result as soon as no other is ready.
        let joined = match inputs.next().now_or_never() {
            Some(next) => next,
            None => {
                let _ = stdout.flush();
                inputs.next().await
            }
        };
        let Some(joined) = joined else { break };
        let (line, result) =
            joined.map_err(|e| Fail::host(format!("a send stopped unexpectedly: {e}")))?;
        total += 1;
        let value = match result {
            Ok(mut value) => {
                value["line"] = json!(line);
                value
            }
            Err(fail) => {
                failed += 1;
                let mut value = Out::error_value(&fail);
                value["line"] = json!(line);
                value
            }
        };
        // A closed stdout (a pipe into `head`) is not an error worth a panic.
        let _ = writeln!(stdout, "{value}");
    }
    let _ = stdout.flush();
    Ok(batch_exit(failed, total, what))
}

/// A receiver as a stream.
fn tokio_stream<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures::Stream<Item = T> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

fn parse<'a, T: Deserialize<'a>>(line: &'a str, example: &str) -> Result<T, Fail> {
    serde_json::from_str(line).map_err(|e| {
        Fail::usage(format!(
            "this line is not a {example} ({e}); write one JSON object a line"
        ))
    })
}

fn send_line(line: &str) -> Result<types::Outgoing, Fail> {
    let line: SendLine = parse(line, r#"{"to": …, "body": …, "user": …}"#)?;
    let purpose = match line.purpose.as_deref() {
        None | Some("transactional") => PurposeArg::Transactional,
        Some("marketing") => PurposeArg::Marketing,
        Some(other) => {
            return Err(Fail::usage(format!(
                "\"purpose\" is \"transactional\" or \"marketing\", not \"{other}\""
            )));
        }
    };
    Ok(types::Outgoing {
        to: line.to,
        body: line.body,
        user: line.user,
        purpose: messages::purpose(purpose),
        override_quiet_hours: line.override_quiet_hours,
    })
}

fn notice_line(line: &str) -> Result<types::NoticeEvent, Fail> {
    let line: NoticeLine = parse(
        line,
        r#"{"kind": "repair-ready", "to": …, "customer": …, "event_id": …, "item": …}"#,
    )?;
    let kind = <NoticeArg as clap::ValueEnum>::from_str(&line.kind, false).map_err(|_| {
        Fail::usage(format!(
            "\"kind\" is repair-ready, custom-order-arrived, payment-link or \
             appointment-reminder, not \"{}\"",
            line.kind
        ))
    })?;
    let notice = messages::notice_kind(
        kind,
        line.item,
        line.url,
        line.amount,
        line.time,
        messages::Spelling::Key,
    )?;
    Ok(types::NoticeEvent {
        event_id: line.event_id,
        to: line.to,
        customer_first_name: line.customer,
        notice,
        user: line.user,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_is_one_to_the_cap() {
        assert_eq!(parse_parallel("8"), Ok(8));
        assert_eq!(parse_parallel("1"), Ok(1));
        assert_eq!(parse_parallel("256"), Ok(256));
        for bad in ["0", "257", "-1", "eight", ""] {
            let e = parse_parallel(bad).unwrap_err();
            assert!(e.contains("from 1 to 256"), "{e}");
        }
    }

    #[test]
    fn send_lines() {
        let o = send_line(r#"{"to":"+15558675310","body":"hi","user":"sam"}"#).unwrap();
        assert_eq!(
            (o.to.as_str(), o.body.as_str(), o.user.as_str()),
            ("+15558675310", "hi", "sam")
        );
        assert_eq!(o.purpose, types::Purpose::Transactional);
        assert!(!o.override_quiet_hours);
        let o = send_line(r#"{"to":"1","body":"b","purpose":"marketing"}"#).unwrap();
        assert_eq!(
            (o.user.as_str(), o.purpose),
            ("cli", types::Purpose::Marketing)
        );

        let unknown = send_line(r#"{"to":"1","body":"b","bdy":"x"}"#).unwrap_err();
        assert_eq!(unknown.kind, "usage");
        assert!(
            unknown.message.contains("unknown field `bdy`"),
            "{}",
            unknown.message
        );
        let missing = send_line(r#"{"to":"1"}"#).unwrap_err();
        assert!(
            missing.message.contains("missing field `body`"),
            "{}",
            missing.message
        );
        let purpose = send_line(r#"{"to":"1","body":"b","purpose":"promo"}"#).unwrap_err();
        assert!(
            purpose.message.contains("not \"promo\""),
            "{}",
            purpose.message
        );
        let not_json = send_line("to=1").unwrap_err();
        assert!(not_json.message.contains("one JSON object a line"));
    }

    #[test]
    fn notice_lines() {
        let e = notice_line(
            r#"{"kind":"payment-link","to":"1","customer":"Priya","event_id":"e1",
                "url":"https://pay.example.com/x","amount":"$4"}"#,
        )
        .unwrap();
        assert_eq!((e.event_id.as_str(), e.user.as_str()), ("e1", "automation"));
        assert!(matches!(e.notice, types::NoticeKind::PaymentLink(ref p) if p.amount == "$4"));
        let kind =
            notice_line(r#"{"kind":"sale","to":"1","customer":"A","event_id":"e"}"#).unwrap_err();
        assert!(kind.message.contains("not \"sale\""), "{}", kind.message);
        let item = notice_line(r#"{"kind":"repair-ready","to":"1","customer":"A","event_id":"e"}"#)
            .unwrap_err();
        assert_eq!(item.message, "this notice needs \"item\"");
    }
}
