//! `connect`, `disconnect` and `status`: the Twilio card of the settings page.

use std::process::ExitCode;

use pos_sms_host::{Harness, types};
use serde_json::json;

use crate::env_secret;
use crate::output::{Fail, Out, account_json, status_json, status_text};

/// The Auth Token, or an API key, from the environment variables the flags name.
pub fn auth(
    auth_token_env: &str,
    api_key_sid: Option<String>,
    api_key_secret_env: &str,
) -> Result<types::Auth, Fail> {
    Ok(match api_key_sid {
        Some(sid) => types::Auth::ApiKey(types::ApiKey {
            sid,
            secret: env_secret(api_key_secret_env, "API key secret")?,
        }),
        None => types::Auth::AuthToken(env_secret(auth_token_env, "Auth Token")?),
    })
}

/// `connect`.
pub async fn connect(
    harness: &Harness,
    account_sid: String,
    auth: types::Auth,
    sender: String,
    out: Out,
) -> Result<ExitCode, Fail> {
    let account = harness
        .connect(types::Credentials {
            account_sid,
            auth,
            sender,
        })
        .await?;
    out.print(&account_json(&account), || {
        format!(
            "Connected to Twilio account {} ({}, {} account, {}); texts come from {}.",
            account.masked_sid,
            account.friendly_name,
            account.account_type,
            account.status,
            account.sender
        )
    });
    Ok(ExitCode::SUCCESS)
}

/// `disconnect`.
pub async fn disconnect(harness: &Harness, out: Out) -> Result<ExitCode, Fail> {
    harness.disconnect().await?;
    out.print(&json!({"connected": false}), || {
        "Disconnected: the Twilio credentials were removed. Your Twilio account is unchanged."
            .into()
    });
    Ok(ExitCode::SUCCESS)
}

/// `status`.
pub async fn status(harness: &Harness, out: Out) -> Result<ExitCode, Fail> {
    let s = harness.status().await?;
    out.print(&status_json(&s), || status_text(&s));
    Ok(ExitCode::SUCCESS)
}
