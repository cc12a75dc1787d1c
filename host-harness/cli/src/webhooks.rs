//! `serve` (the webhook endpoint Twilio posts to) and `webhook verify` (a signature check
//! for integrators).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use pos_sms_host::Harness;
use pos_sms_host::serve::WebhookServer;
use serde_json::json;
use sms_core::webhook::{self, WebhookRequest};

use crate::args::WebhookAction;
use crate::env_secret;
use crate::output::{Fail, Out};

/// `serve`: serves until Ctrl-C.
pub async fn serve(
    harness: Harness,
    listen: SocketAddr,
    public_url: Option<String>,
) -> Result<ExitCode, Fail> {
    let server = WebhookServer::start(Arc::new(harness), listen, public_url).await?;
    println!(
        "Listening for Twilio webhooks at {}/twilio (Ctrl-C to stop). Set the webhook-url \
         setting, and the number's incoming-message webhook in Twilio, to the public form of \
         that URL (https://…/twilio).",
        server.url()
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Fail::host(format!("waiting for Ctrl-C: {e}")))?;
    server.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// `webhook verify`.
pub fn verify(action: &WebhookAction, out: Out) -> Result<ExitCode, Fail> {
    let WebhookAction::Verify {
        url,
        signature,
        params,
        body,
    } = action;
    let token = env_secret("TWILIO_AUTH_TOKEN", "Auth Token")?;
    check(
        &token,
        url,
        signature,
        params.as_deref(),
        body.as_deref(),
        out,
    )
}

/// `webhook verify`: checks a signature with the same code the plugin runs.
fn check(
    token: &str,
    url: &str,
    signature: &str,
    params: Option<&str>,
    body: Option<&str>,
    out: Out,
) -> Result<ExitCode, Fail> {
    let (content_type, body) = match (params, body) {
        (Some(params), _) => {
            let pairs: Vec<(String, String)> = serde_json::from_str(params).map_err(|e| {
                Fail::usage(format!(
                    "--params must be a JSON list of [key, value] pairs, like \
                     [[\"MessageSid\",\"SM…\"],[\"MessageStatus\",\"delivered\"]]: {e}"
                ))
            })?;
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.extend_pairs(&pairs);
            (
                "application/x-www-form-urlencoded",
                form.finish().into_bytes(),
            )
        }
        (None, Some(body)) => ("application/json", body.as_bytes().to_vec()),
        (None, None) => return Err(Fail::usage("give --params JSON or --body TEXT")),
    };
    let request = WebhookRequest {
        url: url.to_string(),
        headers: vec![
            ("X-Twilio-Signature".into(), signature.to_string()),
            ("Content-Type".into(), content_type.into()),
        ],
        body,
    };
    match webhook::verify(token, &request) {
        Ok(()) => {
            out.print(&json!({"valid": true}), || {
                "Valid: Twilio signed this request.".into()
            });
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let message = e.to_string();
            out.print(&json!({"valid": false, "reason": message}), || {
                format!("Invalid: {message}")
            });
            Ok(ExitCode::from(1))
        }
    }
}
