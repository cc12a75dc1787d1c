//! Every request: the checks of [`crate::auth`], then the page's files or the JSON API under
//! `/api/` (each endpoint is documented in the README, for integrators).

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::Response;
use pos_sms_host::display::segment_json;
use pos_sms_host::storage::AuditQuery;
use pos_sms_host::{CustomerError, Error, types};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::State;
use crate::assets;
use crate::auth::Refusal;
use crate::http_util::{ApiError, Cache, json_answer, respond};

/// The page's requests are a few KB; a 1600-character text in UCS-2 JSON is under 10 KB.
const MAX_BODY: usize = 64 * 1024;

/// Audit rows per page, unless asked; and at most.
const AUDIT_PAGE: u32 = 25;
const AUDIT_PAGE_MAX: u32 = 200;

type Answer = Response<Full<Bytes>>;

/// Answers one request.
pub(crate) async fn handle(
    state: &State,
    request: hyper::Request<hyper::body::Incoming>,
) -> Answer {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let api = path.strip_prefix("/api/").map(str::to_string);
    let is_api = api.is_some();
    let refuse = |refusal| refused(refusal, is_api);
    if let Err(r) = state.access.check_host(&parts.headers) {
        return refuse(r);
    }
    // The start-up URL's token is traded for a cookie, and dropped from the address bar.
    if path == "/"
        && let Some(token) = query_param(parts.uri.query(), "token")
    {
        if !state.access.is_token(&token) {
            return refuse(Refusal::NoToken);
        }
        let mut answer = respond(
            StatusCode::SEE_OTHER,
            "text/plain; charset=utf-8",
            Cache::NoStore,
            "",
        );
        let headers = answer.headers_mut();
        headers.insert(header::LOCATION, HeaderValue::from_static("/"));
        if let Ok(cookie) = HeaderValue::from_str(&state.access.set_cookie()) {
            headers.insert(header::SET_COOKIE, cookie);
        }
        return answer;
    }
    if let Err(r) = state.access.check_token(&parts.headers) {
        return refuse(r);
    }
    let Some(api) = api else {
        return page(state, &parts.method, &path);
    };
    if parts.method != Method::GET
        && parts.method != Method::HEAD
        && let Err(r) = state.access.check_change(&parts.headers)
    {
        return refuse(r);
    }
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "the request body is over 64 KiB; a text is at most 1600 characters",
            )
            .answer();
        }
    };
    let call = Call {
        state,
        method: &parts.method,
        query: parts.uri.query(),
        body: &body,
    };
    match route(&call, &api).await {
        Ok((StatusCode::NO_CONTENT, _)) => respond(
            StatusCode::NO_CONTENT,
            "application/json",
            Cache::NoStore,
            "",
        ),
        Ok((status, value)) => json_answer(status, &value),
        Err(e) => {
            if e.status.is_server_error() {
                log::warn!("console: {} /api/{api}: {}", parts.method, e.message);
            }
            e.answer()
        }
    }
}

/// The answer to a request refused by [`crate::auth`]: JSON for the API, a sentence for a
/// person otherwise.
fn refused(refusal: Refusal, api: bool) -> Answer {
    let (status, kind, message) = match refusal {
        Refusal::NoToken => (
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "This console needs its access token. Open the URL that `host-harness console` \
             printed when it started (it ends in ?token=…).",
        ),
        Refusal::ForeignHost => (
            StatusCode::FORBIDDEN,
            "forbidden",
            "This console answers only at its own address (localhost or an IP address, with its \
             port). The request named another host, as a page on another site reaching for it \
             would (DNS rebinding): open the URL the console printed.",
        ),
        Refusal::Csrf => (
            StatusCode::FORBIDDEN,
            "forbidden",
            "A change needs the console's X-CSRF-Token header (from GET /api/session) and no \
             foreign Origin; reload the console's page and try again.",
        ),
    };
    log::warn!("console: refused a request: {message}");
    if api {
        ApiError::new(status, kind, message).answer()
    } else {
        respond(
            status,
            "text/plain; charset=utf-8",
            Cache::NoStore,
            format!("{message}\n"),
        )
    }
}

/// The page's files.
fn page(state: &State, method: &Method, path: &str) -> Answer {
    let name = match path {
        "/" | "/index.html" => "index.html",
        other => match other.strip_prefix("/assets/") {
            Some(name) if name != "index.html" => name,
            _ => return not_found(),
        },
    };
    let Some(asset) = assets::find(name) else {
        return not_found();
    };
    if method != Method::GET && method != Method::HEAD {
        let mut answer = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "the page's files are only read (GET)",
        )
        .answer();
        answer
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return answer;
    }
    match assets::read(asset, state.assets_dir.as_deref()) {
        Ok(bytes) => {
            let cache = if asset.name == "index.html" {
                Cache::NoStore
            } else {
                Cache::Revalidate
            };
            respond(StatusCode::OK, asset.content_type, cache, bytes)
        }
        Err(e) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "host",
            format!("could not read the page's file {name}: {e}"),
        )
        .answer(),
    }
}

fn not_found() -> Answer {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "there is nothing at this address",
    )
    .answer()
}

/// The value of `name` in a query string.
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// One API request.
struct Call<'a> {
    state: &'a State,
    method: &'a Method,
    query: Option<&'a str>,
    body: &'a Bytes,
}

impl Call<'_> {
    /// The JSON body as `T`.
    fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(self.body).map_err(|e| {
            ApiError::bad_request(format!(
                "the request body is not the JSON this endpoint takes ({e}); the README's \
                 \"The console's API\" lists its fields"
            ))
        })
    }

    fn param(&self, name: &str) -> Option<String> {
        query_param(self.query, name).filter(|v| !v.trim().is_empty())
    }
}

type Routed = Result<(StatusCode, Value), ApiError>;

fn ok(value: Value) -> Routed {
    Ok((StatusCode::OK, value))
}

/// Which endpoint, by method and path.
async fn route(call: &Call<'_>, path: &str) -> Routed {
    let parts: Vec<&str> = path.split('/').collect();
    let m = call.method;
    match parts.as_slice() {
        ["session"] if m == Method::GET => session(call),
        ["twilio"] if m == Method::GET => twilio_status(call).await,
        ["twilio", "connect"] if m == Method::POST => connect(call).await,
        ["twilio", "disconnect"] if m == Method::POST => disconnect(call).await,
        ["twilio", "test"] if m == Method::POST => test_sms(call).await,
        ["customers"] if m == Method::GET => customers(call),
        ["customers"] if m == Method::POST => add_customer(call).await,
        ["customers", id] if m == Method::PUT => update_customer(call, id).await,
        ["customers", id] if m == Method::DELETE => delete_customer(call, id),
        ["segments"] if m == Method::POST => segments(call).await,
        ["send"] if m == Method::POST => send(call).await,
        ["audit"] if m == Method::GET => audit(call).await,
        ["sync"] if m == Method::POST => sync(call).await,
        ["inbox"] if m == Method::GET => inbox(call),
        ["threads", number] if m == Method::GET => thread(call, number).await,
        other => Err(match allowed(other) {
            Some(allow) => ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                format!("/api/{path} takes {allow}, not {m}"),
            ),
            None => ApiError::new(
                StatusCode::NOT_FOUND,
                "not-found",
                format!(
                    "there is no /api/{path}; the README's \"The console's API\" lists the endpoints"
                ),
            ),
        }),
    }
}

/// The methods a known path takes.
fn allowed(segments: &[&str]) -> Option<&'static str> {
    Some(match segments {
        ["session" | "twilio" | "audit" | "inbox"] | ["threads", _] => "GET",
        ["twilio", "connect" | "disconnect" | "test"] | ["segments" | "send" | "sync"] => "POST",
        ["customers"] => "GET or POST",
        ["customers", _] => "PUT or DELETE",
        _ => return None,
    })
}

/// Where a plugin error's sentence goes, by what was asked.
#[derive(Clone, Copy)]
enum Form {
    Connect,
    Send,
    Customer,
    Number,
}

/// The answer for a library error: the same sentences the CLI prints, with the field they
/// belong beside.
fn api_error(e: Error, form: Form) -> ApiError {
    use types::Error as E;
    let plugin = match e {
        Error::Plugin(p) => p,
        Error::Refused(r) => r.plugin,
        Error::Customer(c) => {
            let field = match c {
                CustomerError::NotFound(_) => {
                    return ApiError::new(StatusCode::NOT_FOUND, "not-found", c.to_string());
                }
                _ => "name",
            };
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-customer",
                c.to_string(),
            )
            .at(field);
        }
        Error::Unsupported { .. } | Error::Invalid(_) => {
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unsupported",
                e.to_string(),
            );
        }
        other => {
            return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "host", other.to_string());
        }
    };
    let mut message = plugin.message.clone();
    if matches!(plugin.error, E::OutcomeUnknown(_)) {
        // The console can find out: staff should not guess and send it twice.
        message.push_str(
            " Do not send it again yet: press “Check with Twilio” in the Audit Log, which asks \
             Twilio whether it has it.",
        );
    }
    let status = match &plugin.error {
        E::OutcomeUnknown(_)
        | E::Network(_)
        | E::RateLimited(_)
        | E::Twilio(_)
        | E::DeniedByHost(_) => StatusCode::BAD_GATEWAY,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let sender_code = matches!(plugin.twilio_code(), Some(21212 | 21606));
    let field = match (form, &plugin.error) {
        (Form::Connect, E::InvalidCredential(p)) => Some(match p.field {
            types::CredentialField::AccountSid => "account_sid",
            types::CredentialField::Sender => "phone_number",
            _ => "auth_token",
        }),
        (Form::Connect, E::CredentialsRejected) => Some("auth_token"),
        (Form::Connect, E::InvalidPhone(_)) => Some("phone_number"),
        (Form::Connect, _) if sender_code => Some("phone_number"),
        (
            Form::Send,
            E::InvalidPhone(_)
            | E::RecipientUnreachable(_)
            | E::RecipientOptedOut
            | E::RegionNotPermitted
            | E::NoConsent
            | E::QuietHours(_),
        ) => Some("to"),
        (Form::Send, E::EmptyBody | E::BodyTooLong(_)) => Some("body"),
        (Form::Customer, E::InvalidPhone(_)) => Some("phone"),
        (Form::Number, E::InvalidPhone(_)) => Some("number"),
        _ => None,
    };
    ApiError {
        status,
        kind: plugin.kind().to_string(),
        message,
        field,
        twilio_code: plugin.twilio_code(),
    }
}

fn host_error(e: Error) -> ApiError {
    api_error(e, Form::Number)
}

fn session(call: &Call<'_>) -> Routed {
    let harness = &call.state.harness;
    let config = |key| harness.get_config(key).map_err(host_error);
    let store_name = config("store-name")?.filter(|n| !n.trim().is_empty());
    let smart = config("smart-encoding")?.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    ok(json!({
        "csrf_token": call.state.access.csrf(),
        "user": call.state.user,
        "demo": call.state.demo,
        "store_name": store_name,
        "api_version": harness.manifest().api_version.to_string(),
        "smart_encoding": smart,
    }))
}

fn status_json(s: &types::ConnectionStatus) -> Value {
    json!({
        "connected": s.connected,
        "masked_sid": s.masked_sid,
        "friendly_name": s.friendly_name,
        "sender": s.sender,
    })
}

async fn twilio_status(call: &Call<'_>) -> Routed {
    let status = call.state.harness.status().await.map_err(host_error)?;
    ok(status_json(&status))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectForm {
    account_sid: String,
    auth_token: String,
    phone_number: String,
}

async fn connect(call: &Call<'_>) -> Routed {
    let form: ConnectForm = call.json()?;
    let credentials = types::Credentials {
        account_sid: form.account_sid.trim().to_string(),
        auth: types::Auth::AuthToken(form.auth_token.trim().to_string()),
        sender: form.phone_number.trim().to_string(),
    };
    let account = call
        .state
        .harness
        .connect(credentials)
        .await
        .map_err(|e| api_error(e, Form::Connect))?;
    ok(json!({
        "connected": true,
        "masked_sid": account.masked_sid,
        "friendly_name": account.friendly_name,
        "sender": account.sender,
        "status": account.status,
        "account_type": account.account_type,
    }))
}

async fn disconnect(call: &Call<'_>) -> Routed {
    let harness = &call.state.harness;
    harness.disconnect().await.map_err(host_error)?;
    ok(status_json(&harness.status().await.map_err(host_error)?))
}

fn receipt_json(r: &types::Receipt) -> Value {
    json!({"sid": r.sid, "to": r.to, "status": r.status, "segments": r.segments})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestForm {
    to: String,
}

async fn test_sms(call: &Call<'_>) -> Routed {
    let form: TestForm = call.json()?;
    let receipt = call
        .state
        .harness
        .test(&form.to, &call.state.user)
        .await
        .map_err(|e| api_error(e, Form::Send))?;
    ok(receipt_json(&receipt))
}

fn customers(call: &Call<'_>) -> Routed {
    let list = call.state.harness.customers().map_err(host_error)?;
    ok(json!({ "customers": list }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerForm {
    name: String,
    phone: String,
}

async fn add_customer(call: &Call<'_>) -> Routed {
    let form: CustomerForm = call.json()?;
    let customer = call
        .state
        .harness
        .add_customer(&form.name, &form.phone)
        .await
        .map_err(|e| api_error(e, Form::Customer))?;
    Ok((StatusCode::CREATED, json!(customer)))
}

fn customer_id(id: &str) -> Result<i64, ApiError> {
    id.parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("'{id}' is not a customer id; ids are the numbers GET /api/customers gives"),
        )
    })
}

async fn update_customer(call: &Call<'_>, id: &str) -> Routed {
    let id = customer_id(id)?;
    let form: CustomerForm = call.json()?;
    let customer = call
        .state
        .harness
        .update_customer(id, &form.name, &form.phone)
        .await
        .map_err(|e| api_error(e, Form::Customer))?;
    ok(json!(customer))
}

fn delete_customer(call: &Call<'_>, id: &str) -> Routed {
    let id = customer_id(id)?;
    call.state
        .harness
        .delete_customer(id)
        .map_err(|e| api_error(e, Form::Customer))?;
    Ok((StatusCode::NO_CONTENT, Value::Null))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SegmentsForm {
    body: String,
    #[serde(default)]
    smart_encoding: bool,
}

/// The live counter: the plugin's own `segment-count`, the code that decides the bill.
async fn segments(call: &Call<'_>) -> Routed {
    let form: SegmentsForm = call.json()?;
    let mut session = call.state.harness.session().await.map_err(host_error)?;
    let info = session
        .segment_count(&form.body, form.smart_encoding, None)
        .await
        .map_err(host_error)?;
    let substitutions = match session.smart_substitutions(&form.body).await {
        Ok(list) => list,
        // A 0.1.0 plugin cannot say; the counter still counts.
        Err(Error::Unsupported { .. }) => Vec::new(),
        Err(e) => return Err(host_error(e)),
    };
    let mut value = segment_json(&info);
    value["substitutions"] = substitutions
        .iter()
        .map(|s| json!({"original": s.original, "replacement": s.replacement, "count": s.count}))
        .collect();
    ok(value)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendForm {
    to: String,
    body: String,
    #[serde(default)]
    smart_encoding: bool,
    #[serde(default)]
    override_quiet_hours: bool,
}

async fn send(call: &Call<'_>) -> Routed {
    let form: SendForm = call.json()?;
    let mut session = call.state.harness.session().await.map_err(host_error)?;
    // What the counter showed is what is sent: the plugin's smart encoding, when asked.
    let body = if form.smart_encoding {
        session
            .segment_count(&form.body, true, None)
            .await
            .map_err(host_error)?
            .text
    } else {
        form.body
    };
    let receipt = session
        .send(types::Outgoing {
            to: form.to,
            body,
            user: call.state.user.clone(),
            purpose: types::Purpose::Transactional,
            override_quiet_hours: form.override_quiet_hours,
        })
        .await
        .map_err(|e| api_error(e, Form::Send))?;
    ok(receipt_json(&receipt))
}

async fn audit(call: &Call<'_>) -> Routed {
    let harness = &call.state.harness;
    let limit = match call.param("limit") {
        None => AUDIT_PAGE,
        Some(text) => match text.parse::<u32>() {
            Ok(n) if (1..=AUDIT_PAGE_MAX).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "limit is '{text}'; give a number from 1 to {AUDIT_PAGE_MAX}"
                ))
                .at("limit"));
            }
        },
    };
    let before = match call.param("before") {
        None => None,
        Some(text) => Some(text.parse::<i64>().map_err(|_| {
            ApiError::bad_request(format!(
                "before is '{text}'; give the id of the last row of the page before (next_before)"
            ))
            .at("before")
        })?),
    };
    let number = match call.param("number") {
        None => None,
        Some(text) => Some(
            harness
                .normalize_phone(&text)
                .await
                .map_err(|e| api_error(e, Form::Number))?,
        ),
    };
    let rows = harness
        .audit_page(&AuditQuery {
            limit,
            before,
            recipient: number.as_deref(),
        })
        .map_err(host_error)?;
    let next_before = (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    ok(json!({"entries": rows, "next_before": next_before}))
}

async fn sync(call: &Call<'_>) -> Routed {
    let report = call.state.harness.sync().await.map_err(host_error)?;
    let (polled, resolved, failed) = (
        report.polled.len(),
        report.resolved.len(),
        report.failed.len(),
    );
    let mut summary = format!(
        "Checked with Twilio: {polled} delivery status(es) read, {resolved} send(s) of unknown \
         outcome looked for."
    );
    for failure in &report.failed {
        summary.push_str(&format!(" {}: {}", failure.what, failure.why));
    }
    ok(json!({"summary": summary, "polled": polled, "resolved": resolved, "failed": failed}))
}

fn inbox(call: &Call<'_>) -> Routed {
    let harness = &call.state.harness;
    let threads = harness.inbox().map_err(host_error)?;
    ok(json!({ "threads": threads }))
}

async fn thread(call: &Call<'_>, number: &str) -> Routed {
    let harness = &call.state.harness;
    let number = percent_decode(number);
    let messages = harness
        .thread(&number)
        .await
        .map_err(|e| api_error(e, Form::Number))?;
    let number = harness.normalize_phone(&number).await.map_err(host_error)?;
    let name = harness.customer_name(&number).map_err(host_error)?;
    ok(json!({"number": number, "name": name, "messages": messages}))
}

/// A path segment with its `%XX` escapes decoded (`%2B1212…` is `+1212…`).
fn percent_decode(segment: &str) -> String {
    form_urlencoded::parse(format!("x={}", segment.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_segment_keeps_its_plus_and_decodes_escapes() {
        assert_eq!(percent_decode("%2B12125550123"), "+12125550123");
        assert_eq!(percent_decode("+12125550123"), "+12125550123");
        assert_eq!(percent_decode("(212)%20555-0100"), "(212) 555-0100");
    }

    #[test]
    fn each_known_path_names_its_methods() {
        assert_eq!(allowed(&["session"]), Some("GET"));
        assert_eq!(allowed(&["threads", "+1"]), Some("GET"));
        assert_eq!(allowed(&["twilio", "connect"]), Some("POST"));
        assert_eq!(allowed(&["send"]), Some("POST"));
        assert_eq!(allowed(&["customers"]), Some("GET or POST"));
        assert_eq!(allowed(&["customers", "3"]), Some("PUT or DELETE"));
        assert_eq!(allowed(&["nope"]), None);
        assert_eq!(allowed(&["twilio", "nope"]), None);
    }
}
