//! The `host-harness` command line: each command parses its flags, calls the library, and
//! prints the result as text or (with `--json`) one JSON object per result on stdout.
//!
//! Exit codes: 0 success, 1 a plugin, Twilio or host error (a sentence on stderr), 2 a usage
//! error.

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::{Value, json};

use crate::fake_twilio::{FakeConfig, FakeTwilio};
use crate::policy::{Origin, OutboundPolicy};
use crate::store::AuditRow;
use crate::types;
use crate::{Harness, HarnessConfig, HarnessError, Session};

/// Sends SMS through the store's Twilio account by running the pos:sms plugin in wasmtime.
#[derive(Debug, Parser)]
#[command(name = "host-harness", version, about, max_term_width = 100)]
pub struct Cli {
    /// Where the database and compiled-plugin cache live [default: the platform's data
    /// directory, e.g. ~/.local/share/pos-sms-host].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Load this plugin .wasm instead of the one built into the harness.
    #[arg(long, value_name = "FILE")]
    pub plugin: Option<PathBuf>,
    /// That plugin's manifest [default: FILE.manifest.json beside the .wasm].
    #[arg(long, value_name = "FILE", requires = "plugin")]
    pub manifest: Option<PathBuf>,
    /// Run this installed plugin (see `install`) instead of the built-in one.
    #[arg(long, value_name = "ID", conflicts_with = "plugin")]
    pub installed: Option<String>,
    /// Grant the plugin this destination (scheme://host:port; repeat for more). Replaces the
    /// default grant, https://api.twilio.com:443. A request leaves only when the plugin's
    /// manifest also declares it.
    #[arg(long = "grant", value_name = "ORIGIN")]
    pub grants: Vec<String>,
    /// Send the plugin's Twilio requests to this base URL instead (a fake or mock Twilio),
    /// e.g. http://127.0.0.1:4010.
    #[arg(long, value_name = "URL", env = "TWILIO_API_URL")]
    pub twilio_url: Option<String>,
    /// Print one JSON object per result on stdout.
    #[arg(long)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the store's Twilio credentials against Twilio and keep them.
    Connect {
        /// The Account SID (AC followed by 32 hex characters).
        #[arg(long, value_name = "AC…")]
        account_sid: String,
        /// The store's Twilio number (+15551234567) or a Messaging Service SID (MG…).
        #[arg(long, value_name = "NUMBER")]
        from: String,
        /// The environment variable holding the Auth Token (never a flag, so it stays out of
        /// shell history and process lists).
        #[arg(long, value_name = "VAR", default_value = "TWILIO_AUTH_TOKEN")]
        auth_token_env: String,
        /// Authenticate with this API key (SK…) instead of the Auth Token.
        #[arg(long, value_name = "SK…")]
        api_key_sid: Option<String>,
        /// The environment variable holding the API key's secret.
        #[arg(long, value_name = "VAR", default_value = "TWILIO_API_KEY_SECRET")]
        api_key_secret_env: String,
    },
    /// Forget the stored credentials.
    Disconnect,
    /// Show whether Twilio is connected.
    Status,
    /// Send a text.
    Send {
        /// The recipient: any US format, or international with a leading +.
        #[arg(long, value_name = "NUMBER")]
        to: String,
        /// The message.
        #[arg(long, value_name = "TEXT")]
        body: String,
        /// The staff user sending it (recorded in the audit log).
        #[arg(long, value_name = "NAME", default_value = "cli")]
        user: String,
    },
    /// Send the test message ("Send Test SMS").
    Test {
        /// The recipient.
        #[arg(long, value_name = "NUMBER")]
        to: String,
        /// The staff user sending it.
        #[arg(long, value_name = "NAME", default_value = "cli")]
        user: String,
    },
    /// Count characters and billable segments. With no TEXT, reads JSON lines from stdin, each
    /// a string or {"text": …, "smart_encoding": …}, and writes one JSON line for each.
    Segments {
        /// Replace look-alike characters (curly quotes, long dashes) before counting.
        #[arg(long)]
        smart_encoding: bool,
        /// The price of one segment, for the cost estimate [default: 0.008, Twilio's US price].
        #[arg(long, value_name = "DOLLARS", value_parser = parse_price)]
        price: Option<u64>,
        /// The texts to count.
        text: Vec<String>,
    },
    /// Turn phone numbers into E.164. With no TEXT, reads JSON lines (strings) from stdin.
    Phone {
        /// The numbers, as typed.
        text: Vec<String>,
    },
    /// Show the newest rows of the audit log.
    Audit {
        /// How many rows.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Send an automated notice: once per --event-id, paced to segments-per-second.
    Notify {
        /// Which notice.
        #[arg(value_enum)]
        kind: NoticeArg,
        /// The customer's number.
        #[arg(long, value_name = "NUMBER")]
        to: String,
        /// The customer's first name.
        #[arg(long, value_name = "NAME")]
        customer: String,
        /// The host's stable id for the event (the same id twice texts once).
        #[arg(long, value_name = "ID")]
        event_id: String,
        /// The item (repair-ready, custom-order-arrived).
        #[arg(long)]
        item: Option<String>,
        /// The payment link (payment-link).
        #[arg(long)]
        url: Option<String>,
        /// The amount, as it should read (payment-link), e.g. '$412.50'.
        #[arg(long)]
        amount: Option<String>,
        /// When, as it should read (appointment-reminder), e.g. 'tomorrow at 2:30pm'.
        #[arg(long)]
        time: Option<String>,
        /// Who or what triggered it.
        #[arg(long, value_name = "NAME", default_value = "automation")]
        user: String,
    },
    /// Make an ed25519 signing key: KEY (secret, mode 0600) and KEY.pub.
    Keygen {
        /// Where to write the secret key.
        #[arg(long, value_name = "KEY")]
        out: PathBuf,
    },
    /// Package the built-in plugin for the marketplace: one reproducible, signed archive.
    Package {
        /// The archive to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The publisher's signing key (from `keygen`).
        #[arg(long, value_name = "KEY")]
        sign: PathBuf,
        /// The publisher's name.
        #[arg(long, value_name = "NAME", default_value = "pos-sms")]
        publisher: String,
    },
    /// Trust a publisher's public key (KEY.pub) for `install`.
    Trust {
        /// The public key file.
        key: PathBuf,
    },
    /// Verify and install a plugin package.
    Install {
        /// The package.
        file: PathBuf,
    },
    /// Replace an installed plugin with a newer package (keeps its secrets and history).
    Upgrade {
        /// The package.
        file: PathBuf,
        /// Allow a version that is not newer.
        #[arg(long)]
        force: bool,
    },
    /// Remove an installed plugin.
    Uninstall {
        /// The plugin's id.
        id: String,
        /// Also delete the secrets it stored.
        #[arg(long)]
        purge_secrets: bool,
    },
    /// List installed plugins.
    List,
    /// Show the texts customers sent to the store's number.
    Replies {
        /// Only replies from this number (E.164).
        #[arg(long, value_name = "NUMBER")]
        number: Option<String>,
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Serve the webhook endpoint Twilio posts delivery updates and replies to.
    Serve {
        /// The address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8790")]
        listen: std::net::SocketAddr,
        /// The public base URL Twilio calls (scheme://host[:port]), when it differs from the
        /// Host header this server sees (behind a proxy or tunnel). Signatures are checked
        /// against it.
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
    },
    /// Tools for integrators.
    Webhook {
        /// What to do.
        #[command(subcommand)]
        action: WebhookAction,
    },
    /// Read or change the host settings the plugin reads (store-name, smart-encoding,
    /// webhook-url).
    Config {
        /// What to do.
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Run the fake Twilio in the foreground. It accepts the Account SID with the token in
    /// TWILIO_AUTH_TOKEN and prints its base URL.
    FakeTwilio {
        /// The port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// The Account SID the fake accepts.
        #[arg(long, value_name = "AC…", default_value = DEMO_ACCOUNT_SID)]
        account_sid: String,
    },
    /// Start the fake Twilio in-process, connect, count, send, and show the audit log (in a
    /// temporary data directory; your own data is not touched).
    Demo,
}

/// The automated notices.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum NoticeArg {
    /// A repair is ready for pickup (--item).
    RepairReady,
    /// A special order arrived (--item).
    CustomOrderArrived,
    /// A payment link (--url, --amount).
    PaymentLink,
    /// An appointment reminder (--time).
    AppointmentReminder,
}

/// Webhook tools.
#[derive(Debug, Subcommand)]
pub enum WebhookAction {
    /// Check an X-Twilio-Signature with the Auth Token in TWILIO_AUTH_TOKEN: exit 0 when
    /// valid, 1 when not (with the reason).
    Verify {
        /// The full URL Twilio called, exactly as configured in Twilio.
        #[arg(long, value_name = "URL")]
        url: String,
        /// The X-Twilio-Signature header's value.
        #[arg(long, value_name = "SIG")]
        signature: String,
        /// The POST parameters as a JSON list of [key, value] pairs (repeats allowed).
        #[arg(
            long,
            value_name = "JSON",
            conflicts_with = "body",
            required_unless_present = "body"
        )]
        params: Option<String>,
        /// A raw JSON body (its SHA-256 must be in the URL's bodySHA256).
        #[arg(long, value_name = "TEXT")]
        body: Option<String>,
    },
}

/// Host settings commands.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Set a setting.
    Set {
        /// `store-name` or `smart-encoding`.
        key: String,
        /// The value (`true`/`false` for smart-encoding).
        value: String,
    },
    /// Remove a setting.
    Unset {
        /// The setting.
        key: String,
    },
    /// List every setting.
    List,
}

/// The settings the plugin reads (plus `template.<notice>` for each notice).
const CONFIG_KEYS: [&str; 4] = [
    "store-name",
    "smart-encoding",
    "webhook-url",
    "segments-per-second",
];
/// The notices whose templates a store may override with `template.<notice>`.
const NOTICE_KINDS: [&str; 4] = [
    "repair-ready",
    "custom-order-arrived",
    "payment-link",
    "appointment-reminder",
];

/// The demo's account (not a real one).
pub const DEMO_ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
/// The demo's Auth Token (not a real one).
pub const DEMO_AUTH_TOKEN: &str = "0123456789abcdef0123456789abcdef";
/// Twilio's magic "valid" test sender.
pub const DEMO_SENDER: &str = "+15005550006";

/// A failure that ends the command, with its exit code.
struct Fail {
    code: u8,
    kind: String,
    message: String,
    twilio_code: Option<u32>,
}

impl Fail {
    fn usage(message: impl Into<String>) -> Fail {
        Fail {
            code: 2,
            kind: "usage".into(),
            message: message.into(),
            twilio_code: None,
        }
    }
}

impl From<HarnessError> for Fail {
    fn from(e: HarnessError) -> Fail {
        match e {
            HarnessError::Plugin(p) => Fail {
                code: 1,
                kind: p.kind().into(),
                twilio_code: p.twilio_code(),
                message: p.message,
            },
            HarnessError::Host(e) => Fail::from(e),
        }
    }
}

impl From<anyhow::Error> for Fail {
    fn from(e: anyhow::Error) -> Fail {
        Fail {
            code: 1,
            kind: "host".into(),
            message: format!("{e:#}"),
            twilio_code: None,
        }
    }
}

/// How results are printed.
#[derive(Clone, Copy)]
struct Out {
    json: bool,
}

impl Out {
    fn print(&self, value: &Value, text: impl FnOnce() -> String) {
        let mut stdout = std::io::stdout().lock();
        let line = if self.json { value.to_string() } else { text() };
        // A closed stdout (a pipe into `head`) is not an error worth a panic.
        let _ = writeln!(stdout, "{line}");
    }

    fn error_value(fail: &Fail) -> Value {
        json!({"error": {"kind": fail.kind, "message": fail.message, "twilio_code": fail.twilio_code}})
    }

    fn fail(&self, fail: &Fail) {
        if self.json {
            self.print(&Out::error_value(fail), String::new);
        }
        eprintln!("error: {}", fail.message);
    }
}

/// Parses `args` and runs the command. Usage errors exit 2; with `--json` they are also
/// printed as a JSON error object on stdout.
pub fn main_with_args(args: Vec<std::ffi::OsString>) -> ExitCode {
    let json = args.iter().any(|a| a == "--json");
    match Cli::try_parse_from(&args) {
        Ok(cli) => run(cli),
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            ExitCode::SUCCESS
        }
        Err(e) => {
            if json {
                let rendered = e.render().to_string();
                let message = rendered
                    .lines()
                    .next()
                    .unwrap_or("usage error")
                    .trim_start_matches("error: ")
                    .to_string();
                Out { json }.print(&Out::error_value(&Fail::usage(message)), String::new);
            }
            let _ = e.print();
            ExitCode::from(2)
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let out = Out { json: cli.json };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(dispatch(cli, out)) {
        Ok(code) => code,
        Err(fail) => {
            out.fail(&fail);
            ExitCode::from(fail.code)
        }
    }
}

fn default_data_dir() -> Result<PathBuf, Fail> {
    directories::ProjectDirs::from("", "", "pos-sms-host")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| {
            Fail::usage("could not find a home directory for the data; pass --data-dir DIR")
        })
}

fn policy(twilio_url: Option<&str>, grants: &[String]) -> Result<OutboundPolicy, Fail> {
    let mut policy = match twilio_url {
        None => OutboundPolicy::default(),
        Some(url) => {
            let origin: Origin = url
                .parse()
                .map_err(|e| Fail::usage(format!("--twilio-url: {e}")))?;
            OutboundPolicy::with_fake_twilio(origin)
        }
    };
    if !grants.is_empty() {
        policy.grants = grants
            .iter()
            .map(|g| g.parse().map_err(|e| Fail::usage(format!("--grant: {e}"))))
            .collect::<Result<_, _>>()?;
    }
    Ok(policy)
}

fn data_dir(cli: &Cli) -> Result<PathBuf, Fail> {
    match &cli.data_dir {
        Some(d) => Ok(d.clone()),
        None => default_data_dir(),
    }
}

/// The commands that manage installed plugins (they load no plugin themselves).
fn manage_plugins(cli: &Cli, out: Out) -> Result<Option<ExitCode>, Fail> {
    use crate::package::{self, Installed, Mode};
    let describe = |p: &Installed| {
        format!(
            "{} {} (API {}, from {}), may reach: {}",
            p.id,
            p.version,
            p.api_version,
            p.publisher,
            if p.granted.is_empty() {
                "nothing".to_string()
            } else {
                p.granted.join(", ")
            }
        )
    };
    let data = data_dir(cli)?;
    let done = |p: &Installed, verb: &str| {
        out.print(&json!(p), || format!("{verb} {}", describe(p)));
        Ok(Some(ExitCode::SUCCESS))
    };
    match &cli.command {
        Command::Trust { key } => {
            let key = package::trust(&data, key)?;
            out.print(&json!({"trusted": key}), || {
                format!("Packages signed with {key} will now install.")
            });
            Ok(Some(ExitCode::SUCCESS))
        }
        Command::Install { file } => {
            done(&package::install(&data, file, Mode::Install)?, "Installed")
        }
        Command::Upgrade { file, force } => done(
            &package::install(&data, file, Mode::Upgrade { force: *force })?,
            "Upgraded to",
        ),
        Command::Uninstall { id, purge_secrets } => done(
            &package::uninstall(&data, id, *purge_secrets)?,
            "Uninstalled",
        ),
        Command::List => {
            let store = crate::store::HostStore::open(&data)?;
            let plugins = store.installed_plugins()?;
            if !out.json && plugins.is_empty() {
                out.print(&Value::Null, || "No plugins are installed.".into());
            }
            for p in &plugins {
                out.print(&json!(p), || describe(p));
            }
            Ok(Some(ExitCode::SUCCESS))
        }
        _ => Ok(None),
    }
}

fn open(cli: &Cli) -> Result<Harness, Fail> {
    let data_dir = data_dir(cli)?;
    let mut config = HarnessConfig::new(&data_dir);
    config.plugin.clone_from(&cli.plugin);
    config.manifest.clone_from(&cli.manifest);
    // An installed plugin runs with the grant recorded when it was installed, unless
    // --grant says otherwise.
    let mut grants = cli.grants.clone();
    if let Some(id) = &cli.installed {
        let installed = crate::store::HostStore::open(&data_dir)?
            .installed_plugin(id)?
            .ok_or_else(|| {
                Fail::usage(format!("{id} is not installed; see `host-harness list`"))
            })?;
        config.plugin = Some(installed.wasm());
        if grants.is_empty() {
            grants = installed.granted.clone();
        }
    }
    config.policy = policy(cli.twilio_url.as_deref(), &grants)?;
    Ok(Harness::open(config)?)
}

fn env_secret(var: &str, what: &str) -> Result<String, Fail> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(Fail::usage(format!(
            "{var} is not set. Export the {what} first (export {var}=…); it is read from the \
             environment so it never appears in shell history or process lists."
        ))),
    }
}

async fn dispatch(cli: Cli, out: Out) -> Result<ExitCode, Fail> {
    match &cli.command {
        Command::FakeTwilio { port, account_sid } => {
            let token = env_secret("TWILIO_AUTH_TOKEN", "Auth Token the fake should accept")?;
            return fake_twilio(*port, account_sid, &token, out).await;
        }
        Command::Demo => return demo(out).await,
        Command::Keygen { out: key } => {
            let public = crate::package::keygen(key)?;
            out.print(&json!({"public_key": public}), || {
                format!(
                    "Wrote {} (secret, keep it safe) and {} (public key {public}).",
                    key.display(),
                    crate::package::public_path(key).display()
                )
            });
            return Ok(ExitCode::SUCCESS);
        }
        Command::Package {
            out: file,
            sign,
            publisher,
        } => {
            let key = crate::package::read_signing_key(sign)?;
            let bytes = crate::package::build(
                crate::EMBEDDED_PLUGIN,
                crate::manifest::EMBEDDED_MANIFEST,
                &crate::package::user_readme(include_str!("../../README.md")),
                publisher,
                &key,
            )?;
            std::fs::write(file, &bytes)
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", file.display()))?;
            out.print(&json!({"package": file, "bytes": bytes.len()}), || {
                format!("Wrote {} ({} bytes).", file.display(), bytes.len())
            });
            return Ok(ExitCode::SUCCESS);
        }
        Command::Webhook {
            action:
                WebhookAction::Verify {
                    url,
                    signature,
                    params,
                    body,
                },
        } => {
            let token = env_secret("TWILIO_AUTH_TOKEN", "Auth Token")?;
            return verify_webhook(
                &token,
                url,
                signature,
                params.as_deref(),
                body.as_deref(),
                out,
            );
        }
        _ => {}
    }
    if let Some(code) = manage_plugins(&cli, out)? {
        return Ok(code);
    }
    let harness = open(&cli)?;
    match cli.command {
        Command::Connect {
            account_sid,
            from,
            auth_token_env,
            api_key_sid,
            api_key_secret_env,
        } => {
            let auth = match api_key_sid {
                Some(sid) => types::Auth::ApiKey(types::ApiKey {
                    sid,
                    secret: env_secret(&api_key_secret_env, "API key secret")?,
                }),
                None => types::Auth::AuthToken(env_secret(&auth_token_env, "Auth Token")?),
            };
            let account = harness
                .connect(types::Credentials {
                    account_sid,
                    auth,
                    sender: from,
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
        }
        Command::Disconnect => {
            harness.disconnect().await?;
            out.print(&json!({"connected": false}), || {
                "Disconnected: the Twilio credentials were removed. Your Twilio account is \
                 unchanged."
                    .into()
            });
        }
        Command::Status => {
            let s = harness.status().await?;
            out.print(&status_json(&s), || status_text(&s));
        }
        Command::Send { to, body, user } => {
            let receipt = harness.send(types::Outgoing { to, body, user }).await?;
            out.print(&receipt_json(&receipt), || receipt_text(&receipt));
        }
        Command::Test { to, user } => {
            let receipt = harness.test(&to, &user).await?;
            out.print(&receipt_json(&receipt), || receipt_text(&receipt));
        }
        Command::Segments {
            smart_encoding,
            price,
            text,
        } => return segments(&harness, smart_encoding, price, text, out).await,
        Command::Phone { text } => return phones(&harness, text, out).await,
        Command::Audit { limit } => {
            let rows = harness.audit(limit)?;
            if out.json {
                for row in &rows {
                    out.print(&json!(row), String::new);
                }
            } else {
                out.print(&Value::Null, || audit_table(&rows));
            }
        }
        Command::Config { action } => match action {
            ConfigAction::Set { key, value } => {
                check_config_key(&key)?;
                if key == "smart-encoding" && !matches!(value.as_str(), "true" | "false") {
                    return Err(Fail::usage(format!(
                        "smart-encoding is true or false, not '{value}'"
                    )));
                }
                if key == "segments-per-second" && !value.parse::<u32>().is_ok_and(|n| n > 0) {
                    return Err(Fail::usage(format!(
                        "segments-per-second is a whole number above 0, not '{value}'"
                    )));
                }
                harness.set_config(&key, &value)?;
                out.print(&json!({"key": key, "value": value}), || {
                    format!("{key} = {value}")
                });
            }
            ConfigAction::Unset { key } => {
                check_config_key(&key)?;
                harness.unset_config(&key)?;
                out.print(&json!({"key": key, "value": null}), || {
                    format!("{key} removed")
                });
            }
            ConfigAction::List => {
                for (key, value) in harness.list_config()? {
                    out.print(&json!({"key": key, "value": value}), || {
                        format!("{key} = {value}")
                    });
                }
            }
        },
        Command::Notify {
            kind,
            to,
            customer,
            event_id,
            item,
            url,
            amount,
            time,
            user,
        } => {
            let notice = notice_kind(kind, item, url, amount, time)?;
            let receipt = harness
                .notify(types::NoticeEvent {
                    event_id,
                    to,
                    customer_first_name: customer,
                    notice,
                    user,
                })
                .await?;
            out.print(&notice_json(&receipt), || notice_text(&receipt));
        }
        Command::Replies { number, limit } => {
            let replies = harness.replies(number.as_deref(), limit)?;
            if out.json {
                for reply in &replies {
                    out.print(&json!(reply), String::new);
                }
            } else if replies.is_empty() {
                out.print(&Value::Null, || "No replies yet.".into());
            }
            for r in replies.iter().filter(|_| !out.json) {
                let keyword = r
                    .keyword
                    .as_deref()
                    .map(|k| format!(" [{k}]"))
                    .unwrap_or_default();
                out.print(&Value::Null, || {
                    format!("{}  {} → {}: {}{keyword}", r.at, r.from, r.to, r.body)
                });
            }
        }
        Command::Serve { listen, public_url } => {
            return crate::serve::run(harness, listen, public_url.as_deref())
                .await
                .map(|()| ExitCode::SUCCESS)
                .map_err(Fail::from);
        }
        Command::FakeTwilio { .. }
        | Command::Demo
        | Command::Webhook { .. }
        | Command::Keygen { .. }
        | Command::Package { .. }
        | Command::Trust { .. }
        | Command::Install { .. }
        | Command::Upgrade { .. }
        | Command::Uninstall { .. }
        | Command::List => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn check_config_key(key: &str) -> Result<(), Fail> {
    let template = key
        .strip_prefix("template.")
        .is_some_and(|kind| NOTICE_KINDS.contains(&kind));
    if CONFIG_KEYS.contains(&key) || template {
        Ok(())
    } else {
        Err(Fail::usage(format!(
            "unknown setting '{key}'; the plugin reads {}, and template.<notice> for {}",
            CONFIG_KEYS.join(", "),
            NOTICE_KINDS.join(", ")
        )))
    }
}

/// The notice a `notify` command line describes, or which flag it lacks.
fn notice_kind(
    kind: NoticeArg,
    item: Option<String>,
    url: Option<String>,
    amount: Option<String>,
    time: Option<String>,
) -> Result<types::NoticeKind, Fail> {
    let need = |value: Option<String>, flag: &str| {
        value.ok_or_else(|| Fail::usage(format!("this notice needs --{flag}")))
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

fn notice_json(r: &types::NoticeReceipt) -> Value {
    let mut value = receipt_json(&r.receipt);
    value["text"] = json!(r.text);
    value["duplicate"] = json!(r.duplicate);
    value
}

fn notice_text(r: &types::NoticeReceipt) -> String {
    if r.duplicate {
        format!(
            "Already sent: this event went to {} as {}; nothing was sent again.",
            r.receipt.to, r.receipt.sid
        )
    } else {
        format!("{}\n  “{}”", receipt_text(&r.receipt), r.text)
    }
}

fn account_json(a: &types::Account) -> Value {
    json!({
        "connected": true,
        "masked_sid": a.masked_sid,
        "friendly_name": a.friendly_name,
        "status": a.status,
        "account_type": a.account_type,
        "sender": a.sender,
    })
}

fn status_json(s: &types::ConnectionStatus) -> Value {
    json!({
        "connected": s.connected,
        "masked_sid": s.masked_sid,
        "sender": s.sender,
        "friendly_name": s.friendly_name,
    })
}

fn status_text(s: &types::ConnectionStatus) -> String {
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

fn receipt_json(r: &types::Receipt) -> Value {
    json!({"sid": r.sid, "to": r.to, "status": r.status, "segments": r.segments})
}

fn receipt_text(r: &types::Receipt) -> String {
    let plural = if r.segments == 1 { "" } else { "s" };
    format!(
        "Sent to {}: Twilio {} it as {} ({} segment{plural}).",
        r.to, r.status, r.sid, r.segments
    )
}

fn encoding_name(e: types::Encoding) -> &'static str {
    match e {
        types::Encoding::Gsm7 => "GSM-7",
        types::Encoding::Ucs2 => "UCS-2",
    }
}

fn segment_json(info: &types::SegmentInfo, smart: bool) -> Value {
    json!({
        "encoding": encoding_name(info.encoding),
        "segments": info.segments,
        "characters": info.characters,
        "unicode_scalars": info.unicode_scalars,
        "non_gsm": info.non_gsm,
        "remaining_in_segment": info.remaining_in_segment,
        "cost_micros": info.cost_micros,
        "smart_encoding": smart,
        "text": info.text,
    })
}

fn segment_text(info: &types::SegmentInfo) -> String {
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

/// Parses a price in dollars (`0.008`, up to six decimals) into millionths.
fn parse_price(text: &str) -> Result<u64, String> {
    let bad =
        || format!("'{text}' is not a price; write dollars with up to six decimals, like 0.0079");
    let (whole, frac) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if (whole.is_empty() && frac.is_empty())
        || frac.len() > 6
        || !whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let frac: u64 = format!("{frac:0<6}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(1_000_000)
        .and_then(|w| w.checked_add(frac))
        .ok_or_else(bad)
}

/// Millionths of a dollar as `$0.016` (at least three decimals, trailing zeros dropped).
fn format_money(micros: u64) -> String {
    let frac = format!("{:06}", micros % 1_000_000);
    let frac = frac.trim_end_matches('0');
    let frac = format!("{frac:0<3}");
    format!("${}.{frac}", micros / 1_000_000)
}

/// A fresh session after `n` host failures would loop forever on a broken plugin.
async fn fresh(harness: &Harness) -> Result<Session, Fail> {
    Ok(harness.session().await?)
}

async fn segments(
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
        let line = line.map_err(|e| anyhow::anyhow!("reading stdin: {e}"))?;
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

async fn phones(harness: &Harness, texts: Vec<String>, out: Out) -> Result<ExitCode, Fail> {
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

/// Exit 1, with a sentence on stderr, when some inputs of a batch failed.
fn batch_exit(failed: usize, total: usize, what: &str) -> ExitCode {
    if failed == 0 {
        return ExitCode::SUCCESS;
    }
    eprintln!("error: {failed} of {total} {what} could not be handled; each has its reason above");
    ExitCode::from(1)
}

/// `webhook verify`: checks a signature with the same code the plugin runs.
fn verify_webhook(
    token: &str,
    url: &str,
    signature: &str,
    params: Option<&str>,
    body: Option<&str>,
    out: Out,
) -> Result<ExitCode, Fail> {
    use sms_plugin::core::webhook::{self, WebhookRequest};
    let (content_type, body) = match (params, body) {
        (Some(params), _) => {
            let pairs: Vec<(String, String)> = serde_json::from_str(params).map_err(|e| {
                Fail::usage(format!(
                    "--params must be a JSON list of [key, value] pairs, like \
                     [[\"MessageSid\",\"SM…\"],[\"MessageStatus\",\"delivered\"]]: {e}"
                ))
            })?;
            let mut form = url::form_urlencoded::Serializer::new(String::new());
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

fn audit_table(rows: &[AuditRow]) -> String {
    if rows.is_empty() {
        return "The audit log is empty.".into();
    }
    let mut text = format!(
        "{:<4} {:<20} {:<6} {:<13} {:>4} {:>4} {:<10} {:<34} {}",
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
        text.push_str(&format!(
            "\n{:<4} {:<20} {:<6} {:<13} {:>4} {:>4} {:<10} {:<34} {}",
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

async fn fake_twilio(
    port: u16,
    account_sid: &str,
    token: &str,
    out: Out,
) -> Result<ExitCode, Fail> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let fake = FakeTwilio::start(FakeConfig::new(account_sid, token), addr)
        .await
        .map_err(|e| anyhow::anyhow!("could not listen on {addr}: {e}"))?;
    out.print(
        &json!({"base_url": fake.base_url(), "account_sid": account_sid}),
        || {
            format!(
                "Fake Twilio listening on {} for account {account_sid} (Ctrl-C to stop).\n\
                 Point the harness at it: host-harness --twilio-url {} …",
                fake.base_url(),
                fake.base_url()
            )
        },
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| anyhow::anyhow!("waiting for Ctrl-C: {e}"))?;
    fake.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

async fn demo(out: Out) -> Result<ExitCode, Fail> {
    let dir = tempfile::Builder::new()
        .prefix("host-harness-demo")
        .tempdir()
        .map_err(|e| anyhow::anyhow!("creating a temporary directory: {e}"))?;
    let fake = FakeTwilio::start(
        FakeConfig::new(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN),
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("starting the fake Twilio: {e}"))?;
    let mut config = HarnessConfig::new(dir.path());
    config.policy = policy(Some(&fake.base_url()), &[])?;
    let harness = Harness::open(config.clone())?;
    harness.set_config("store-name", "Gems & Co Jewellers")?;
    // The webhook endpoint, so the fake's delivery callbacks come back into the audit log.
    let webhooks = crate::serve::WebhookServer::start(
        std::sync::Arc::new(Harness::open(config)?),
        ([127, 0, 0, 1], 0).into(),
        None,
        false,
    )
    .await?;
    harness.set_config("webhook-url", &format!("{}/twilio", webhooks.url()))?;
    let say = |title: &str, value: Value, text: String| {
        out.print(&json!({"step": title, "result": value}), || {
            format!("\n== {title}\n{text}")
        });
    };
    if !out.json {
        println!(
            "host-harness demo: the plugin runs in wasmtime; its requests to \
             https://api.twilio.com go to a fake Twilio at {} (data in {}).",
            fake.base_url(),
            dir.path().display()
        );
    }

    let account = harness
        .connect(types::Credentials {
            account_sid: DEMO_ACCOUNT_SID.into(),
            auth: types::Auth::AuthToken(DEMO_AUTH_TOKEN.into()),
            sender: DEMO_SENDER.into(),
        })
        .await?;
    say(
        "Connect Twilio",
        account_json(&account),
        format!(
            "Connected to {} ({}), texts come from {}.",
            account.friendly_name, account.masked_sid, account.sender
        ),
    );
    let status = harness.status().await?;
    say("Status", status_json(&status), status_text(&status));

    let samples = [
        ("Hi Sam, your ring repair is ready for pickup!", false),
        ("Your custom order has arrived 💍 Come see it!", false),
        ("We’re open “late” tonight — see you soon", false),
        ("We’re open “late” tonight — see you soon", true),
    ];
    let mut lines = Vec::new();
    let mut values = Vec::new();
    for (text, smart) in samples {
        let info = harness.segment_count(text, smart, None).await?;
        let mode = if smart { " (smart encoding)" } else { "" };
        lines.push(format!("{text:?}{mode}\n    → {}", segment_text(&info)));
        values.push(segment_json(&info, smart));
    }
    say("Live counter", Value::Array(values), lines.join("\n"));

    let typed = "(212) 555-0100";
    let e164 = harness.normalize_phone(typed).await?;
    say(
        "Phone number",
        json!({"input": typed, "e164": e164}),
        format!("{typed} → {e164}"),
    );

    let receipt = harness
        .send(types::Outgoing {
            to: typed.into(),
            body: "Hi Sam, your ring repair is ready for pickup at Gems & Co. See you soon!".into(),
            user: "alice".into(),
        })
        .await?;
    say(
        "Send a text",
        receipt_json(&receipt),
        receipt_text(&receipt),
    );

    let receipt = harness.test(DEMO_SENDER, "alice").await?;
    say(
        "Send Test SMS",
        receipt_json(&receipt),
        receipt_text(&receipt),
    );

    let repair = || types::NoticeEvent {
        event_id: "repair-1042-ready".into(),
        to: typed.into(),
        customer_first_name: "Sam".into(),
        notice: types::NoticeKind::RepairReady("ring resizing".into()),
        user: "automation".into(),
    };
    let first = harness.notify(repair()).await?;
    let again = harness.notify(repair()).await?;
    say(
        "Automated notice (repair 1042 is ready), triggered twice",
        json!([notice_json(&first), notice_json(&again)]),
        format!("{}\n{}", notice_text(&first), notice_text(&again)),
    );

    // Twilio's magic number for a recipient who texted STOP.
    let refused = harness
        .send(types::Outgoing {
            to: "+15005550004".into(),
            body: "Your appointment is tomorrow at 2pm.".into(),
            user: "bob".into(),
        })
        .await;
    match refused {
        Err(e) => {
            let fail = Fail::from(e);
            say(
                "A customer who texted STOP",
                Out::error_value(&fail)["error"].clone(),
                format!("error ({}): {}", fail.kind, fail.message),
            );
        }
        Ok(r) => say(
            "A customer who texted STOP",
            receipt_json(&r),
            "unexpectedly sent".into(),
        ),
    }

    // Three texts went out; the fake reports each sent, then delivered (bounded wait).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while fake.callbacks().len() < 6 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let rows = harness.audit(20)?;
    say(
        "Audit log",
        Value::Array(rows.iter().map(|r| json!(r)).collect()),
        audit_table(&rows),
    );

    harness.disconnect().await?;
    let status = harness.status().await?;
    say("Disconnect", status_json(&status), status_text(&status));
    webhooks.shutdown().await;
    fake.shutdown().await;
    Ok(ExitCode::SUCCESS)
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

    #[test]
    fn prices_in_dollars() {
        assert_eq!(parse_price("0.008"), Ok(8_000));
        assert_eq!(parse_price("0.0079"), Ok(7_900));
        assert_eq!(parse_price("1"), Ok(1_000_000));
        assert_eq!(parse_price(".5"), Ok(500_000));
        for bad in ["", ".", "0.0000001", "-1", "1e3", "$0.008", "abc"] {
            assert!(parse_price(bad).is_err(), "{bad}");
        }
        assert_eq!(format_money(8_000), "$0.008");
        assert_eq!(format_money(16_000), "$0.016");
        assert_eq!(format_money(23_700), "$0.0237");
        assert_eq!(format_money(1_500_000), "$1.500");
        assert_eq!(format_money(0), "$0.000");
    }

    #[test]
    fn cli_parses_the_documented_contract() {
        let cli = Cli::try_parse_from([
            "host-harness",
            "--data-dir",
            "/tmp/x",
            "--json",
            "send",
            "--to",
            "(212) 555-0100",
            "--body",
            "hi",
        ])
        .unwrap();
        assert!(cli.json);
        assert!(matches!(cli.command, Command::Send { ref user, .. } if user == "cli"));
        let e = Cli::try_parse_from(["host-harness", "send", "--to", "1"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }
}
