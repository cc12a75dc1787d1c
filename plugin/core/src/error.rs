//! The plugin's one error type, and the sentences store staff read for it.
//!
//! Every case mirrors a case of the WIT `error` variant one to one (the component glue converts
//! between them without logic). Messages follow the store-facing help article's tone: say what
//! happened, then what to do about it.

/// Which credential field a format problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialField {
    /// The Account SID.
    AccountSid,
    /// The Auth Token.
    AuthToken,
    /// The API key SID.
    ApiKeySid,
    /// The API key secret.
    ApiKeySecret,
    /// The sender number or Messaging Service SID.
    Sender,
}

impl CredentialField {
    /// The field's name as the Twilio Console labels it.
    pub fn label(self) -> &'static str {
        match self {
            CredentialField::AccountSid => "Account SID",
            CredentialField::AuthToken => "Auth Token",
            CredentialField::ApiKeySid => "API key SID",
            CredentialField::ApiKeySecret => "API key secret",
            CredentialField::Sender => "phone number",
        }
    }
}

/// An error Twilio returned, as its JSON body and HTTP status described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioError {
    /// Twilio's error code, when the body had one.
    pub code: Option<u32>,
    /// Twilio's own message (or a description of the response when it had none).
    pub message: String,
    /// Twilio's documentation link for the code.
    pub more_info: Option<String>,
    /// The HTTP status of the response.
    pub http_status: u16,
}

/// Everything that can go wrong in the plugin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No credentials are stored.
    #[error(
        "Twilio is not connected yet. Paste your Account SID, Auth Token and phone number in \
         the Twilio settings and click Connect Twilio."
    )]
    NotConnected,
    /// A credential is not in Twilio's format; found before any request.
    #[error("The {} doesn't look right: {reason}", field.label())]
    InvalidCredential {
        /// The field at fault.
        field: CredentialField,
        /// What is wrong with it and how to fix it.
        reason: String,
    },
    /// Twilio rejected the credentials (20003 / HTTP 401).
    #[error(
        "Twilio rejected these credentials. Double-check the Account SID (starts with AC, 34 \
         chars) and Auth Token. Both come from your Twilio Console home page."
    )]
    CredentialsRejected,
    /// The phone number cannot become E.164; the text says why.
    #[error("That phone number can't be texted: {0}")]
    InvalidPhone(String),
    /// The body is empty or only white space.
    #[error("The message is empty. Type a message to send.")]
    EmptyBody,
    /// The body has more than 1600 characters; the payload is its length.
    #[error(
        "The message is {0} characters long; Twilio accepts at most {MAX_BODY_CHARS}. Shorten \
         it or split it into two texts."
    )]
    BodyTooLong(u32),
    /// Twilio cannot deliver SMS to the number (21612, 21614).
    #[error(
        "The 'To' phone number is not currently reachable via SMS. Common causes: it's a \
         landline, the recipient has blocked your number, or the number is on a do-not-text \
         list. Check Twilio's Messaging Logs for the specific error."
    )]
    RecipientUnreachable(TwilioError),
    /// The recipient opted out with STOP (21610).
    #[error(
        "This customer has opted out of your texts (they replied STOP or asked not to be \
         texted). No text will go to them from any of your numbers until they text START."
    )]
    RecipientOptedOut,
    /// The account may not text the destination's country (21408).
    #[error(
        "Your Twilio account isn't allowed to text this country. Turn the country on in the \
         Twilio Console under Messaging → Settings → Geo permissions."
    )]
    RegionNotPermitted,
    /// Twilio asked to slow down (429 / 20429), with the seconds it asked to wait.
    #[error(
        "Twilio is busy with too many requests from your account. Nothing was sent; try again \
         in {}.",
        match .0 { Some(secs) => format!("{secs} seconds"), None => "a minute".to_string() }
    )]
    RateLimited(Option<u32>),
    /// The request left but no answer came: the message may have been sent.
    #[error(
        "The message went to Twilio but no answer came back ({0}), so it may or may not have \
         been sent. Check Twilio's Messaging Logs before sending it again."
    )]
    OutcomeUnknown(String),
    /// The host's network policy refused the destination.
    #[error(
        "This system does not allow the SMS plugin to reach {0}. Nothing was sent; ask your \
         administrator to check the plugin's network permissions."
    )]
    DeniedByHost(String),
    /// Any other error Twilio returned.
    #[error("{}", describe_twilio(.0))]
    Twilio(TwilioError),
    /// The request did not reach Twilio; safe to retry.
    #[error(
        "Couldn't reach Twilio ({0}). Nothing was sent; check the internet connection and try \
         again."
    )]
    Network(String),
    /// A webhook request was refused; nothing was recorded.
    #[error("A webhook request was refused and nothing was recorded: {0}")]
    WebhookRejected(String),
    /// A notice's template or event cannot be used; nothing was sent.
    #[error("The notice was not sent: {0}")]
    InvalidNotice(String),
    /// It is quiet hours in the customer's time zone; nothing was sent.
    #[error(
        "It's {} for this customer ({}), outside the store's texting hours ({}). Nothing was \
         sent; texting opens again at {} their time. Send it then, or override quiet hours \
         if the customer asked for the text now.",
        .0.local_time, .0.zone, .0.window, .0.opens_local
    )]
    QuietHours(Box<QuietHoursDetail>),
    /// A marketing text to a customer with no marketing consent on record.
    #[error(
        "This customer has no marketing consent on record, so the promotion was not sent. \
         Record their written consent first (who agreed, when and how), or send it as a \
         transactional text if it is about something they asked for."
    )]
    NoConsent,
    /// Anything else.
    #[error("Something went wrong: {0}")]
    Other(String),
}

/// Why a text cannot go now: the customer's local time is outside the store's window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuietHoursDetail {
    /// The customer's (closed) time zone, `America/New_York`.
    pub zone: String,
    /// Their local time now, `9:14 pm`.
    pub local_time: String,
    /// The store's window, `08:00-21:00`.
    pub window: String,
    /// When texting opens in every zone of the number, Unix seconds.
    pub opens_at_unix: i64,
    /// The same, RFC 3339 UTC.
    pub opens_at: String,
    /// The same, their local time, `8:00 am`.
    pub opens_local: String,
}

/// The longest body Twilio accepts, in characters.
pub const MAX_BODY_CHARS: usize = 1600;

impl Error {
    /// The case's stable name, as in the WIT variant (`recipient-opted-out`). Hosts and the
    /// audit log use it as the error's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NotConnected => "not-connected",
            Error::InvalidCredential { .. } => "invalid-credential",
            Error::CredentialsRejected => "credentials-rejected",
            Error::InvalidPhone(_) => "invalid-phone",
            Error::EmptyBody => "empty-body",
            Error::BodyTooLong(_) => "body-too-long",
            Error::RecipientUnreachable(_) => "recipient-unreachable",
            Error::RecipientOptedOut => "recipient-opted-out",
            Error::RegionNotPermitted => "region-not-permitted",
            Error::RateLimited(_) => "rate-limited",
            Error::OutcomeUnknown(_) => "outcome-unknown",
            Error::DeniedByHost(_) => "denied-by-host",
            Error::Twilio(_) => "twilio",
            Error::Network(_) => "network",
            Error::WebhookRejected(_) => "webhook-rejected",
            Error::InvalidNotice(_) => "invalid-notice",
            Error::QuietHours(_) => "quiet-hours",
            Error::NoConsent => "no-consent",
            Error::Other(_) => "other",
        }
    }

    /// The Twilio error code behind this error, when Twilio gave one (or the case stands for
    /// exactly one code).
    pub fn twilio_code(&self) -> Option<u32> {
        match self {
            Error::CredentialsRejected => Some(20003),
            Error::RecipientOptedOut => Some(21610),
            Error::RegionNotPermitted => Some(21408),
            Error::RecipientUnreachable(e) | Error::Twilio(e) => e.code,
            _ => None,
        }
    }
}

/// Plain words for the Twilio codes a store meets most; Twilio's own message otherwise.
fn describe_twilio(e: &TwilioError) -> String {
    let advice = match e.code {
        Some(21606) | Some(21212) => Some(
            "Your sender number isn't a message-capable Twilio number on this account. Check \
             that the phone number in the Twilio settings is one you bought in Twilio.",
        ),
        Some(21211) => Some(
            "Twilio says this isn't a valid phone number. Check the number on the customer's \
             record and try again.",
        ),
        Some(21608) => Some(
            "Your Twilio trial account can only text numbers you have verified in the Twilio \
             Console. Verify this number, or upgrade the account.",
        ),
        Some(20404) => Some(
            "Twilio could not find this account. Check the Account SID in the Twilio settings.",
        ),
        Some(21617) => Some("The message is too long for Twilio. Shorten it and try again."),
        _ if e.http_status == 503 => Some(
            "Twilio is temporarily unavailable, so nothing was sent. Try again in a few minutes.",
        ),
        _ => None,
    };
    let text = match advice {
        Some(text) => text.to_string(),
        None => format!("Twilio could not send this message: {}", e.message),
    };
    match e.code {
        Some(code) => format!("{text} (Twilio error {code}, HTTP {})", e.http_status),
        None => format!("{text} (HTTP {})", e.http_status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_article_wording_is_kept() {
        assert!(
            Error::CredentialsRejected
                .to_string()
                .starts_with("Twilio rejected these credentials")
        );
        let unreachable = Error::RecipientUnreachable(TwilioError {
            code: Some(21612),
            message: String::new(),
            more_info: None,
            http_status: 400,
        });
        assert!(
            unreachable
                .to_string()
                .starts_with("The 'To' phone number is not currently reachable via SMS")
        );
        assert_eq!(unreachable.twilio_code(), Some(21612));
    }

    #[test]
    fn twilio_errors_name_the_code() {
        let e = Error::Twilio(TwilioError {
            code: Some(21606),
            message: "The 'From' phone number provided is not valid".into(),
            more_info: None,
            http_status: 400,
        });
        assert_eq!(
            e.to_string(),
            "Your sender number isn't a message-capable Twilio number on this account. Check \
             that the phone number in the Twilio settings is one you bought in Twilio. \
             (Twilio error 21606, HTTP 400)"
        );
        let unknown = Error::Twilio(TwilioError {
            code: None,
            message: "Bad Gateway".into(),
            more_info: None,
            http_status: 502,
        });
        assert_eq!(
            unknown.to_string(),
            "Twilio could not send this message: Bad Gateway (HTTP 502)"
        );
        let unavailable = Error::Twilio(TwilioError {
            code: None,
            message: "Service Unavailable".into(),
            more_info: None,
            http_status: 503,
        });
        assert_eq!(
            unavailable.to_string(),
            "Twilio is temporarily unavailable, so nothing was sent. Try again in a few \
             minutes. (HTTP 503)"
        );
    }

    fn twilio(code: Option<u32>, http_status: u16) -> Error {
        Error::Twilio(TwilioError {
            code,
            message: "Twilio's own words".into(),
            more_info: None,
            http_status,
        })
    }

    #[test]
    fn each_common_twilio_code_has_its_sentence() {
        for (code, sentence) in [
            (
                21212,
                "Your sender number isn't a message-capable Twilio number on this account. \
                 Check that the phone number in the Twilio settings is one you bought in Twilio.",
            ),
            (
                21211,
                "Twilio says this isn't a valid phone number. Check the number on the \
                 customer's record and try again.",
            ),
            (
                21608,
                "Your Twilio trial account can only text numbers you have verified in the \
                 Twilio Console. Verify this number, or upgrade the account.",
            ),
            (
                20404,
                "Twilio could not find this account. Check the Account SID in the Twilio \
                 settings.",
            ),
            (
                21617,
                "The message is too long for Twilio. Shorten it and try again.",
            ),
        ] {
            assert_eq!(
                twilio(Some(code), 400).to_string(),
                format!("{sentence} (Twilio error {code}, HTTP 400)")
            );
        }
        // A code with no sentence of its own keeps Twilio's words, unless Twilio is down.
        assert_eq!(
            twilio(Some(30001), 400).to_string(),
            "Twilio could not send this message: Twilio's own words (Twilio error 30001, \
             HTTP 400)"
        );
        assert_eq!(
            twilio(Some(30001), 503).to_string(),
            "Twilio is temporarily unavailable, so nothing was sent. Try again in a few \
             minutes. (Twilio error 30001, HTTP 503)"
        );
        // A code's own sentence wins over the 503 one.
        assert!(
            twilio(Some(20404), 503)
                .to_string()
                .starts_with("Twilio could not find this account.")
        );
        assert_eq!(
            twilio(None, 400).to_string(),
            "Twilio could not send this message: Twilio's own words (HTTP 400)"
        );
    }

    #[test]
    fn every_case_has_its_sentence_and_code() {
        let detail = TwilioError {
            code: Some(21614),
            message: String::new(),
            more_info: None,
            http_status: 400,
        };
        let cases: [(Error, &str, Option<u32>); 16] = [
            (
                Error::NotConnected,
                "Twilio is not connected yet. Paste your Account SID, Auth Token and phone \
                 number in the Twilio settings and click Connect Twilio.",
                None,
            ),
            (
                Error::InvalidCredential {
                    field: CredentialField::ApiKeySid,
                    reason: "it is empty.".into(),
                },
                "The API key SID doesn't look right: it is empty.",
                None,
            ),
            (
                Error::CredentialsRejected,
                "Twilio rejected these credentials. Double-check the Account SID (starts with \
                 AC, 34 chars) and Auth Token. Both come from your Twilio Console home page.",
                Some(20003),
            ),
            (
                Error::InvalidPhone("too short.".into()),
                "That phone number can't be texted: too short.",
                None,
            ),
            (
                Error::EmptyBody,
                "The message is empty. Type a message to send.",
                None,
            ),
            (
                Error::BodyTooLong(1601),
                "The message is 1601 characters long; Twilio accepts at most 1600. Shorten it \
                 or split it into two texts.",
                None,
            ),
            (
                Error::RecipientUnreachable(detail),
                "The 'To' phone number is not currently reachable via SMS. Common causes: it's \
                 a landline, the recipient has blocked your number, or the number is on a \
                 do-not-text list. Check Twilio's Messaging Logs for the specific error.",
                Some(21614),
            ),
            (
                Error::RecipientOptedOut,
                "This customer has opted out of your texts (they replied STOP or asked not to \
                 be texted). No text will go to them from any of your numbers until they text \
                 START.",
                Some(21610),
            ),
            (
                Error::RegionNotPermitted,
                "Your Twilio account isn't allowed to text this country. Turn the country on \
                 in the Twilio Console under Messaging → Settings → Geo permissions.",
                Some(21408),
            ),
            (
                Error::RateLimited(Some(7)),
                "Twilio is busy with too many requests from your account. Nothing was sent; \
                 try again in 7 seconds.",
                None,
            ),
            (
                Error::RateLimited(None),
                "Twilio is busy with too many requests from your account. Nothing was sent; \
                 try again in a minute.",
                None,
            ),
            (
                Error::OutcomeUnknown("timed out".into()),
                "The message went to Twilio but no answer came back (timed out), so it may or \
                 may not have been sent. Check Twilio's Messaging Logs before sending it again.",
                None,
            ),
            (
                Error::DeniedByHost("https://api.twilio.com".into()),
                "This system does not allow the SMS plugin to reach https://api.twilio.com. \
                 Nothing was sent; ask your administrator to check the plugin's network \
                 permissions.",
                None,
            ),
            (
                Error::Network("refused".into()),
                "Couldn't reach Twilio (refused). Nothing was sent; check the internet \
                 connection and try again.",
                None,
            ),
            (
                Error::WebhookRejected("bad signature".into()),
                "A webhook request was refused and nothing was recorded: bad signature",
                None,
            ),
            (
                Error::InvalidNotice("no template".into()),
                "The notice was not sent: no template",
                None,
            ),
        ];
        for (error, sentence, code) in cases {
            assert_eq!(error.to_string(), sentence, "{error:?}");
            assert_eq!(error.twilio_code(), code, "{error:?}");
        }
        assert_eq!(
            Error::Other("x".into()).to_string(),
            "Something went wrong: x"
        );
    }

    #[test]
    fn each_field_has_its_console_label() {
        let labels = [
            CredentialField::AccountSid,
            CredentialField::AuthToken,
            CredentialField::ApiKeySid,
            CredentialField::ApiKeySecret,
            CredentialField::Sender,
        ]
        .map(CredentialField::label);
        assert_eq!(
            labels,
            [
                "Account SID",
                "Auth Token",
                "API key SID",
                "API key secret",
                "phone number"
            ]
        );
    }

    #[test]
    fn kinds_match_the_wit_case_names() {
        let t = || TwilioError {
            code: None,
            message: String::new(),
            more_info: None,
            http_status: 500,
        };
        let s = String::new;
        let kinds = [
            Error::NotConnected,
            Error::InvalidCredential {
                field: CredentialField::Sender,
                reason: s(),
            },
            Error::CredentialsRejected,
            Error::InvalidPhone(s()),
            Error::EmptyBody,
            Error::BodyTooLong(1601),
            Error::RecipientUnreachable(t()),
            Error::RecipientOptedOut,
            Error::RegionNotPermitted,
            Error::RateLimited(None),
            Error::OutcomeUnknown(s()),
            Error::DeniedByHost(s()),
            Error::Twilio(t()),
            Error::Network(s()),
            Error::WebhookRejected(s()),
            Error::InvalidNotice(s()),
            Error::Other(s()),
        ]
        .map(|e| e.kind());
        assert_eq!(
            kinds,
            [
                "not-connected",
                "invalid-credential",
                "credentials-rejected",
                "invalid-phone",
                "empty-body",
                "body-too-long",
                "recipient-unreachable",
                "recipient-opted-out",
                "region-not-permitted",
                "rate-limited",
                "outcome-unknown",
                "denied-by-host",
                "twilio",
                "network",
                "webhook-rejected",
                "invalid-notice",
                "other",
            ]
        );
        assert_eq!(Error::RateLimited(Some(3)).twilio_code(), None);
        assert_eq!(Error::Twilio(t()).twilio_code(), None);
    }
}
