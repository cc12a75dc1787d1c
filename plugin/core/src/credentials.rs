//! The store's Twilio credentials: format checks, Basic auth, masking, and the stored form.
//!
//! Formats are checked offline before anything is sent, so a mistyped paste is caught with a
//! message naming the field. Secrets never appear in `Debug` output.

use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::error::{CredentialField, Error};
use super::phone;

/// How the plugin authenticates to Twilio.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// The account's Auth Token: Basic auth as `AccountSid:AuthToken`.
    AuthToken(String),
    /// An API key: Basic auth as `KeySid:KeySecret`.
    ApiKey {
        /// `SK` + 32 hex.
        sid: String,
        /// The key's secret.
        secret: String,
    },
}

/// Who the texts come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// The store's Twilio number in E.164; sent as `From`.
    Number(String),
    /// A Messaging Service SID (`MG` + 32 hex); sent as `MessagingServiceSid`.
    MessagingService(String),
}

impl Sender {
    /// The sender as the store sees it: the number, or the service SID.
    pub fn as_str(&self) -> &str {
        match self {
            Sender::Number(s) | Sender::MessagingService(s) => s,
        }
    }
}

/// Credentials whose formats have been checked.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `AC` + 32 hex.
    pub account_sid: String,
    /// Token or API key.
    pub auth: Auth,
    /// The sender.
    pub sender: Sender,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.auth {
            Auth::AuthToken(_) => "auth-token(<redacted>)".to_string(),
            Auth::ApiKey { sid, .. } => format!("api-key({sid}, <redacted>)"),
        };
        f.debug_struct("Credentials")
            .field("account_sid", &self.account_sid)
            .field("auth", &auth)
            .field("sender", &self.sender)
            .finish()
    }
}

/// `prefix` followed by exactly 32 hex digits.
fn check_sid(value: &str, prefix: &str, field: CredentialField) -> Result<(), Error> {
    let problem = |reason: String| Error::InvalidCredential { field, reason };
    let label = field.label();
    if value.is_empty() {
        return Err(problem(format!(
            "it is empty. Paste the {label} from your Twilio Console."
        )));
    }
    if !value.starts_with(prefix) {
        return Err(problem(format!(
            "it should start with {prefix}. Copy the {label} again from your Twilio Console."
        )));
    }
    let len = value.chars().count();
    if len != 34 {
        return Err(problem(format!(
            "it should be 34 characters ({prefix} and 32 letters or digits); this one has {len}. \
             Copy it again from your Twilio Console."
        )));
    }
    if let Some(bad) = value[2..].chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(problem(format!(
            "'{bad}' can't appear in it: after {prefix} come only the digits 0-9 and letters a-f."
        )));
    }
    Ok(())
}

/// An Auth Token: 32 hex digits.
fn check_token(value: &str) -> Result<(), Error> {
    let problem = |reason: &str| Error::InvalidCredential {
        field: CredentialField::AuthToken,
        reason: reason.to_string(),
    };
    if value.is_empty() {
        return Err(problem(
            "it is empty. Click the eye icon next to the Auth Token in your Twilio Console \
             to reveal it, then copy it.",
        ));
    }
    if value.len() != 32 || !value.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(problem(
            "it should be 32 letters and digits (0-9, a-f). Click the eye icon in your Twilio \
             Console to reveal the whole token, then copy it again.",
        ));
    }
    Ok(())
}

/// An API key secret: 32 letters and digits.
fn check_key_secret(value: &str) -> Result<(), Error> {
    if value.len() != 32 || !value.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::InvalidCredential {
            field: CredentialField::ApiKeySecret,
            reason: "it should be 32 letters and digits, as Twilio showed it when the key was \
                     created. A lost secret can't be shown again: create a new API key."
                .into(),
        });
    }
    Ok(())
}

impl Credentials {
    /// Checks every field's format and returns the cleaned credentials. Surrounding white
    /// space (a common paste accident, and a cause of Twilio's 20003) is removed first. The
    /// sender may be a number in any format `phone::normalize` accepts, or an `MG` SID.
    pub fn parse(account_sid: &str, auth: Auth, sender: &str) -> Result<Credentials, Error> {
        let account_sid = account_sid.trim().to_string();
        check_sid(&account_sid, "AC", CredentialField::AccountSid)?;
        let auth = match auth {
            Auth::AuthToken(token) => {
                let token = token.trim().to_string();
                check_token(&token)?;
                Auth::AuthToken(token)
            }
            Auth::ApiKey { sid, secret } => {
                let (sid, secret) = (sid.trim().to_string(), secret.trim().to_string());
                check_sid(&sid, "SK", CredentialField::ApiKeySid)?;
                check_key_secret(&secret)?;
                Auth::ApiKey { sid, secret }
            }
        };
        let sender = sender.trim();
        let sender = if sender.starts_with("MG") {
            check_sid(sender, "MG", CredentialField::Sender)?;
            Sender::MessagingService(sender.to_string())
        } else {
            let number = phone::normalize(sender).map_err(|reason| Error::InvalidCredential {
                field: CredentialField::Sender,
                reason: format!(
                    "{reason} Use your Twilio number in +15551234567 format, or a Messaging \
                     Service SID (MG…)."
                ),
            })?;
            Sender::Number(number)
        };
        Ok(Credentials {
            account_sid,
            auth,
            sender,
        })
    }

    /// The `Authorization` header value.
    pub fn authorization(&self) -> String {
        let (user, pass) = match &self.auth {
            Auth::AuthToken(token) => (self.account_sid.as_str(), token.as_str()),
            Auth::ApiKey { sid, secret } => (sid.as_str(), secret.as_str()),
        };
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        format!("Basic {encoded}")
    }

    /// The Account SID with all but its last four characters hidden: `AC…9f3a`.
    pub fn masked_sid(&self) -> String {
        mask_sid(&self.account_sid)
    }
}

/// `AC…` and the last four characters of a SID.
pub fn mask_sid(sid: &str) -> String {
    let tail: String = sid
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{}…{tail}", sid.get(..2).unwrap_or(""))
}

/// What the plugin keeps in the host's secret store under [`SECRET_NAME`]: one JSON value,
/// so connecting replaces it in a single write and nothing is left half-stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConnection {
    /// The checked credentials.
    pub credentials: Credentials,
    /// The account's friendly name as Twilio reported it at connect time.
    pub friendly_name: String,
}

/// The secret's name in the host's store.
pub const SECRET_NAME: &str = "twilio-connection";

/// The first member of every stored value: which format it is in.
const STORED_FORMAT: &str = "sms-plugin/twilio-connection/1";

/// The stored value's JSON members, in the order they are written.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredJson {
    format: String,
    account_sid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auth_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_key_sid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_key_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    messaging_service_sid: Option<String>,
    friendly_name: String,
}

impl StoredConnection {
    /// The value to store: a JSON object of strings, always in this order, e.g.
    /// `{"format":"sms-plugin/twilio-connection/1","account_sid":"AC…","auth_token":"…",
    /// "number":"+1…","friendly_name":"…"}`. An API key is stored as `api_key_sid` and
    /// `api_key_secret` in place of `auth_token`; a Messaging Service as
    /// `messaging_service_sid` in place of `number`.
    pub fn to_secret(&self) -> String {
        let c = &self.credentials;
        let (auth_token, api_key_sid, api_key_secret) = match &c.auth {
            Auth::AuthToken(token) => (Some(token.clone()), None, None),
            Auth::ApiKey { sid, secret } => (None, Some(sid.clone()), Some(secret.clone())),
        };
        let (number, messaging_service_sid) = match &c.sender {
            Sender::Number(number) => (Some(number.clone()), None),
            Sender::MessagingService(sid) => (None, Some(sid.clone())),
        };
        let stored = StoredJson {
            format: STORED_FORMAT.into(),
            account_sid: c.account_sid.clone(),
            auth_token,
            api_key_sid,
            api_key_secret,
            number,
            messaging_service_sid,
            friendly_name: self.friendly_name.clone(),
        };
        // A struct of strings always serializes.
        serde_json::to_string(&stored).unwrap_or_default()
    }

    /// Reads a stored value; `None` when it is not one this plugin wrote: one JSON object with
    /// exactly one kind of auth and one kind of sender, in [`STORED_FORMAT`], each a string.
    pub fn from_secret(value: &str) -> Option<StoredConnection> {
        if value.trim_start().as_bytes().first() != Some(&b'{') {
            return None;
        }
        let stored: StoredJson = serde_json::from_str(value).ok()?;
        if stored.format != STORED_FORMAT {
            return None;
        }
        let auth = match (stored.auth_token, stored.api_key_sid, stored.api_key_secret) {
            (Some(token), None, None) => Auth::AuthToken(token),
            (None, Some(sid), Some(secret)) => Auth::ApiKey { sid, secret },
            _ => return None,
        };
        let sender = match (stored.number, stored.messaging_service_sid) {
            (Some(number), None) => Sender::Number(number),
            (None, Some(sid)) => Sender::MessagingService(sid),
            _ => return None,
        };
        Some(StoredConnection {
            credentials: Credentials {
                account_sid: stored.account_sid,
                auth,
                sender,
            },
            friendly_name: stored.friendly_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SID: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaa9f3a";
    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    fn field_of(e: Error) -> CredentialField {
        match e {
            Error::InvalidCredential { field, .. } => field,
            other => panic!("expected invalid-credential, got {other:?}"),
        }
    }

    #[test]
    fn parses_and_cleans() {
        let c = Credentials::parse(
            &format!(" {SID}\n"),
            Auth::AuthToken(format!("{TOKEN} ")),
            "(555) 123-4567",
        )
        .unwrap();
        assert_eq!(c.account_sid, SID);
        assert_eq!(c.sender, Sender::Number("+15551234567".into()));
        assert_eq!(c.masked_sid(), "AC…9f3a");
        // base64("ACaaaaaaaaaaaaaaaaaaaaaaaaaaaa9f3a:0123456789abcdef0123456789abcdef")
        assert_eq!(
            c.authorization(),
            "Basic QUNhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhOWYzYTowMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg=="
        );
    }

    #[test]
    fn each_field_is_named() {
        let token = || Auth::AuthToken(TOKEN.into());
        assert_eq!(
            field_of(Credentials::parse("AC123", token(), "+15551234567").unwrap_err()),
            CredentialField::AccountSid
        );
        let e = Credentials::parse("AC123", token(), "+15551234567").unwrap_err();
        assert_eq!(
            e.to_string(),
            "The Account SID doesn't look right: it should be 34 characters (AC and 32 letters \
             or digits); this one has 5. Copy it again from your Twilio Console."
        );
        assert_eq!(
            field_of(
                Credentials::parse(SID, Auth::AuthToken("abc".into()), "+15551234567").unwrap_err()
            ),
            CredentialField::AuthToken
        );
        assert_eq!(
            field_of(Credentials::parse(SID, token(), "12").unwrap_err()),
            CredentialField::Sender
        );
        let key = Auth::ApiKey {
            sid: "SK00000000000000000000000000000000".into(),
            secret: "short".into(),
        };
        assert_eq!(
            field_of(Credentials::parse(SID, key, "+15551234567").unwrap_err()),
            CredentialField::ApiKeySecret
        );
        let bad_sid = Auth::ApiKey {
            sid: "AC00000000000000000000000000000000".into(),
            secret: "s".repeat(32),
        };
        assert_eq!(
            field_of(Credentials::parse(SID, bad_sid, "+15551234567").unwrap_err()),
            CredentialField::ApiKeySid
        );
        assert_eq!(
            field_of(
                Credentials::parse(&SID.replace('a', "g"), token(), "+15551234567").unwrap_err()
            ),
            CredentialField::AccountSid
        );
    }

    #[test]
    fn api_key_and_messaging_service() {
        let c = Credentials::parse(
            SID,
            Auth::ApiKey {
                sid: "SK00000000000000000000000000000001".into(),
                secret: "abcdefghijklmnopqrstuvwxyz012345".into(),
            },
            "MG00000000000000000000000000000002",
        )
        .unwrap();
        assert_eq!(
            c.sender,
            Sender::MessagingService("MG00000000000000000000000000000002".into())
        );
        assert!(c.authorization().starts_with("Basic U0sw"));
    }

    #[test]
    fn debug_hides_secrets_and_stored_form_round_trips() {
        let c = Credentials::parse(SID, Auth::AuthToken(TOKEN.into()), "+15551234567").unwrap();
        assert!(!format!("{c:?}").contains(TOKEN));
        let stored = StoredConnection {
            credentials: c,
            friendly_name: "Gems & Co".into(),
        };
        let back = StoredConnection::from_secret(&stored.to_secret()).unwrap();
        assert_eq!(back, stored);
        assert!(!format!("{back:?}").contains(TOKEN));
        assert_eq!(StoredConnection::from_secret("not json"), None);
    }

    fn connection(auth: Auth, sender: Sender) -> StoredConnection {
        StoredConnection {
            credentials: Credentials {
                account_sid: SID.into(),
                auth,
                sender,
            },
            friendly_name: "Gems \"&\" Co\n".into(),
        }
    }

    #[test]
    fn stored_form_is_pinned() {
        let token = connection(
            Auth::AuthToken(TOKEN.into()),
            Sender::Number("+15551234567".into()),
        );
        assert_eq!(
            token.to_secret(),
            format!(
                r#"{{"format":"sms-plugin/twilio-connection/1","account_sid":"{SID}","auth_token":"{TOKEN}","number":"+15551234567","friendly_name":"Gems \"&\" Co\n"}}"#
            )
        );
        let key = connection(
            Auth::ApiKey {
                sid: "SK1".into(),
                secret: "s3cr3t".into(),
            },
            Sender::MessagingService("MG2".into()),
        );
        assert_eq!(
            key.to_secret(),
            format!(
                r#"{{"format":"sms-plugin/twilio-connection/1","account_sid":"{SID}","api_key_sid":"SK1","api_key_secret":"s3cr3t","messaging_service_sid":"MG2","friendly_name":"Gems \"&\" Co\n"}}"#
            )
        );
        for stored in [token, key] {
            assert_eq!(
                StoredConnection::from_secret(&stored.to_secret()),
                Some(stored.clone())
            );
        }
        let debug = format!(
            "{:?}",
            connection(
                Auth::ApiKey {
                    sid: "SK1".into(),
                    secret: "s3cr3t".into(),
                },
                Sender::Number("+1".into()),
            )
        );
        assert!(
            debug.contains("SK1") && !debug.contains("s3cr3t"),
            "{debug}"
        );
    }

    #[test]
    fn from_secret_refuses_what_it_did_not_write() {
        let f = r#""format":"sms-plugin/twilio-connection/1""#;
        let a = r#""account_sid":"AC1""#;
        let t = r#""auth_token":"t""#;
        let n = r#""number":"+1""#;
        let name = r#""friendly_name":"x""#;
        let good = format!("{{{f},{a},{t},{n},{name}}}");
        assert!(StoredConnection::from_secret(&good).is_some());
        // White space between tokens, or another order of members, is still the same JSON.
        let same = StoredConnection::from_secret(&good);
        for variant in [
            format!(" {{ {f} , {a},{t},{n},{name} }}\n"),
            format!("{{{a},{f},{t},{n},{name}}}"),
            format!("{{{f},{a},{n},{t},{name}}}"),
            format!("{{{name},{n},{t},{a},{f}}}"),
        ] {
            assert_eq!(StoredConnection::from_secret(&variant), same, "{variant}");
        }
        for refused in [
            String::new(),
            "null".into(),
            "[]".into(),
            "{}".into(),
            format!("[{f}]"),
            // serde's earlier shape.
            format!(
                r#"{{"credentials":{{"account_sid":"{SID}","auth":{{"auth_token":"{TOKEN}"}},"sender":{{"number":"+15551234567"}}}},"friendly_name":"x"}}"#
            ),
            // Another format version.
            format!(r#"{{"format":"sms-plugin/twilio-connection/2",{a},{t},{n},{name}}}"#),
            // A member missing, added, repeated or not a string.
            format!("{{{a},{t},{n},{name}}}"),
            format!("{{{f},{t},{n},{name}}}"),
            format!("{{{f},{a},{n},{name}}}"),
            format!("{{{f},{a},{t},{name}}}"),
            format!("{{{f},{a},{t},{n}}}"),
            format!("{{{f},{a},{t},{n},{name},\"extra\":\"\"}}"),
            format!("{{{f},{a},{t},{n},{name},{name}}}"),
            format!("{{{f},{f},{a},{t},{n},{name}}}"),
            format!("{{{f},{a},{t},{t},{n},{name}}}"),
            format!(r#"{{{f},{a},"api_key_sid":"SK1",{n},{name}}}"#),
            format!(r#"{{{f},{a},{t},"api_key_sid":"SK1","api_key_secret":"s",{n},{name}}}"#),
            format!(r#"{{{f},{a},{t},{n},"messaging_service_sid":"MG1",{name}}}"#),
            // The members as an array (serde would read a struct from one).
            r#"["sms-plugin/twilio-connection/1","AC1","t",null,null,"+1",null,"x"]"#.to_string(),
            format!(r#"{{{f},{a},{t},"api_key_secret":"s",{n},{name}}}"#),
            format!(r#"{{{f},"account_sid":null,{t},{n},{name}}}"#),
            format!(r#"{{{f},{a},"auth_token":1,{n},{name}}}"#),
            format!(r#"{{{f},{a},{t},{n},"friendly_name":["x"]}}"#),
            format!(r#"{{{f},{a},{t},"messaging_service":"MG1",{name}}}"#),
            // Not a complete JSON document.
            good.trim_end_matches('}').to_string(),
            format!("{good}{good}"),
        ] {
            assert_eq!(StoredConnection::from_secret(&refused), None, "{refused}");
        }
    }

    /// Arbitrary strings in every field, either kind of auth and of sender. (`Auth` has no
    /// `Debug`, which proptest's strategies need, so whole connections are drawn: their
    /// `Debug` redacts the secrets.)
    fn any_connection() -> impl Strategy<Value = StoredConnection> {
        (
            any::<String>(),
            any::<Option<String>>(),
            any::<String>(),
            any::<bool>(),
            any::<String>(),
            any::<String>(),
        )
            .prop_map(
                |(account_sid, key_sid, secret, service, sender, friendly_name)| StoredConnection {
                    credentials: Credentials {
                        account_sid,
                        auth: match key_sid {
                            Some(sid) => Auth::ApiKey { sid, secret },
                            None => Auth::AuthToken(secret),
                        },
                        sender: if service {
                            Sender::MessagingService(sender)
                        } else {
                            Sender::Number(sender)
                        },
                    },
                    friendly_name,
                },
            )
    }

    proptest! {
        #[test]
        fn stored_form_round_trips(stored in any_connection()) {
            let secret = stored.to_secret();
            prop_assert!(serde_json::from_str::<serde_json::Value>(&secret).is_ok());
            prop_assert_eq!(StoredConnection::from_secret(&secret), Some(stored));
        }

        #[test]
        fn from_secret_never_panics(value in any::<String>()) {
            let _ = StoredConnection::from_secret(&value);
        }
    }
}
