//! Reading messages back from Twilio, for stores whose webhooks never arrive: the delivery
//! status of a sent message, and whether a send whose answer never came created a message.
//!
//! Both are GETs, so making them again is safe: a request with no answer is a network error
//! here, never an unknown outcome, and Twilio's 429 is honoured as for every request
//! ([`service::with_retries`]).

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::error::Error;
use super::service::{self, DeliveryRecord, Host};
use super::twilio::{self, Receipt};
use super::webhook::{DeliveryStatus, delivery_error_reason};

/// Statuses of a message Twilio holds but has not handed to a carrier yet.
const NOT_SENT_YET: [&str; 5] = ["accepted", "scheduled", "queued", "sending", "receiving"];

/// At most this many pages (of fifty) are read to resolve one send.
pub const MAX_PAGES: usize = 10;

/// What Twilio's list says about a send whose answer never came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Twilio created it: this is the message.
    Sent(Receipt),
    /// Twilio has no such message: nothing was sent, and sending again is safe.
    NotSent,
    /// The list cannot say for certain; the text says why.
    StillUnknown(String),
}

/// A send whose outcome is unknown, as the host's records have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSend {
    /// The customer's number in E.164.
    pub to: String,
    /// The text, exactly as it was sent.
    pub body: String,
    /// When it was sent, Unix seconds.
    pub sent_at: i64,
    /// Message SIDs the host already knows belong to other sends, which cannot be this one.
    pub known_sids: Vec<String>,
}

impl UnknownSend {
    /// Whether `message` could be this send: same number, same text, and no other send's.
    fn could_be(&self, message: &twilio::Message) -> bool {
        message.body == self.body
            && message.to == self.to
            && !self.known_sids.contains(&message.sid)
    }
}

/// Fetches message `message_sid` and records its status through the host exactly as a
/// status callback would (the host keeps the highest-ranked status, so a poll never
/// overwrites a final one).
pub fn poll_delivery(host: &impl Host, message_sid: &str) -> Result<DeliveryRecord, Error> {
    let connection = service::stored(host).ok_or(Error::NotConnected)?;
    if !twilio::is_message_sid(message_sid) {
        return Err(Error::Other(format!(
            "'{message_sid}' is not a message SID (SM or MM and 32 hex digits)"
        )));
    }
    let request = twilio::fetch_message_request(&connection.credentials, message_sid);
    let message = service::with_retries(
        host,
        &request,
        service::read_failed,
        twilio::parse_message_response,
    )?;
    let status = DeliveryStatus::parse(&message.status);
    let record = DeliveryRecord {
        message_sid: message.sid,
        status: status.as_str().to_string(),
        rank: status.rank(),
        error_code: message.error_code,
        reason: message
            .error_code
            .and_then(delivery_error_reason)
            .map(str::to_string),
    };
    host.record_delivery(record.clone()).map_err(|e| {
        Error::Other(format!(
            "the host could not record the delivery status: {e}"
        ))
    })?;
    Ok(record)
}

/// The UTC day of `unix`, `YYYY-MM-DD`, formatted by hand (as `compliance` does) to keep
/// jiff's printer out of the component.
fn utc_day(unix: i64) -> Result<String, Error> {
    // jiff's error is not put into words: its Display alone is about 130 KB of component.
    let t = Timestamp::from_second(unix)
        .map_err(|_| Error::Other(format!("the send's time {unix} is out of range")))?;
    let day = TimeZone::UTC.to_datetime(t).date();
    Ok(format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        day.month(),
        day.day()
    ))
}

/// Lists the account's messages to the send's number from the store's sender, sent from the
/// day before the send to the day after (and, when none matches, the newest ones not sent
/// yet, which have no date sent), and looks for its text among those no other send owns.
/// One match: it was sent. None: it was not. More: it cannot be told which.
pub fn resolve_unknown(host: &impl Host, send: &UnknownSend) -> Result<Resolution, Error> {
    let connection = service::stored(host).ok_or(Error::NotConnected)?;
    let first_day = utc_day(send.sent_at.saturating_sub(86_400))?;
    let last_day = utc_day(send.sent_at.saturating_add(86_400))?;
    let mut request = Some(twilio::list_messages_request(
        &connection.credentials,
        &send.to,
        &first_day,
        &last_day,
    ));
    let mut matches = Vec::new();
    let mut pages = 0;
    while let Some(this) = request.take() {
        if pages == MAX_PAGES {
            return Ok(Resolution::StillUnknown(format!(
                "more than {} messages went to {} around that day, too many to look through; \
                 check Twilio's Messaging Logs",
                MAX_PAGES * 50,
                send.to
            )));
        }
        pages += 1;
        let page = service::with_retries(
            host,
            &this,
            service::read_failed,
            twilio::parse_message_page,
        )?;
        matches.extend(page.messages.into_iter().filter(|m| send.could_be(m)));
        request = page
            .next_page_uri
            .as_deref()
            .and_then(|uri| twilio::next_page_request(&connection.credentials, uri));
    }
    if matches.is_empty() {
        // A message Twilio accepted but has not sent yet has no date sent, so the filter above
        // cannot see it: look among the newest messages to the number for one still waiting.
        let recent = twilio::list_recent_messages_request(&connection.credentials, &send.to);
        let page = service::with_retries(
            host,
            &recent,
            service::read_failed,
            twilio::parse_message_page,
        )?;
        matches.extend(
            page.messages
                .into_iter()
                .filter(|m| NOT_SENT_YET.contains(&m.status.as_str()) && send.could_be(m)),
        );
    }
    Ok(match matches.len() {
        0 => Resolution::NotSent,
        1 => {
            let m = matches.remove(0);
            Resolution::Sent(Receipt {
                sid: m.sid,
                to: m.to,
                status: m.status,
                segments: m.segments,
            })
        }
        n => Resolution::StillUnknown(format!(
            "{n} messages with this text went to {} around that day and none is known to \
             another send, so it cannot be told which is this one; check Twilio's Messaging \
             Logs",
            send.to
        )),
    })
}
