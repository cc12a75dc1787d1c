//! `send`, `test` and `notify`: the texts a store sends.

use std::process::ExitCode;

use pos_sms_host::{Harness, types};

use crate::args::{NoticeArg, PurposeArg};
use crate::output::{Fail, Out, notice_json, notice_text, receipt_json, receipt_text};

/// The WIT purpose for the flag.
pub fn purpose(arg: PurposeArg) -> types::Purpose {
    match arg {
        PurposeArg::Transactional => types::Purpose::Transactional,
        PurposeArg::Marketing => types::Purpose::Marketing,
    }
}

/// `send`.
pub async fn send(
    harness: &Harness,
    outgoing: types::Outgoing,
    out: Out,
) -> Result<ExitCode, Fail> {
    let receipt = harness.send(outgoing).await?;
    out.print(&receipt_json(&receipt), || receipt_text(&receipt));
    Ok(ExitCode::SUCCESS)
}

/// `test`: "Send Test SMS".
pub async fn test(harness: &Harness, to: &str, user: &str, out: Out) -> Result<ExitCode, Fail> {
    let receipt = harness.test(to, user).await?;
    out.print(&receipt_json(&receipt), || receipt_text(&receipt));
    Ok(ExitCode::SUCCESS)
}

/// `notify`.
pub async fn notify(
    harness: &Harness,
    event_id: String,
    to: String,
    customer_first_name: String,
    notice: types::NoticeKind,
    user: String,
    out: Out,
) -> Result<ExitCode, Fail> {
    let receipt = harness
        .notify(types::NoticeEvent {
            event_id,
            to,
            customer_first_name,
            notice,
            user,
        })
        .await?;
    out.print(&notice_json(&receipt), || notice_text(&receipt));
    Ok(ExitCode::SUCCESS)
}

/// How the input names a notice's fields: flags on the command line, keys on a JSON line.
#[derive(Debug, Clone, Copy)]
pub enum Spelling {
    Flag,
    Key,
}

/// The notice a `notify` command line (or JSON line) describes, or which field it lacks.
pub fn notice_kind(
    kind: NoticeArg,
    item: Option<String>,
    url: Option<String>,
    amount: Option<String>,
    time: Option<String>,
    spelling: Spelling,
) -> Result<types::NoticeKind, Fail> {
    let need = |value: Option<String>, field: &str| {
        value.ok_or_else(|| {
            Fail::usage(match spelling {
                Spelling::Flag => format!("this notice needs --{field}"),
                Spelling::Key => format!("this notice needs \"{field}\""),
            })
        })
    };
    Ok(match kind {
        NoticeArg::RepairReady => types::NoticeKind::RepairReady(need(item, "item")?),
        NoticeArg::CustomOrderArrived => types::NoticeKind::CustomOrderArrived(need(item, "item")?),
        NoticeArg::PaymentLink => types::NoticeKind::PaymentLink(types::PaymentLink {
            url: need(url, "url")?,
            amount: need(amount, "amount")?,
        }),
        NoticeArg::AppointmentReminder => {
            types::NoticeKind::AppointmentReminder(need(time, "time")?)
        }
    })
}
