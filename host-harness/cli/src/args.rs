//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::demo::DEMO_ACCOUNT_SID;

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
    /// Act as if it were this time (RFC 3339, e.g. 2026-12-01T22:30:00Z) for quiet hours and
    /// the held-notice queue: for tests and for trying the rules out. Default: the system
    /// clock.
    #[arg(long, value_name = "TIME", env = "HOST_HARNESS_NOW", value_parser = parse_time)]
    pub now: Option<i64>,
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
    /// Send a text. With no --to, reads JSON lines from stdin, each
    /// {"to": …, "body": …, "user": …} (optionally "purpose", "override_quiet_hours"), sends
    /// --parallel of them at once and writes one JSON result a line, in input order.
    Send {
        /// The recipient: any US format, or international with a leading +.
        #[arg(long, value_name = "NUMBER", requires = "body")]
        to: Option<String>,
        /// The message.
        #[arg(long, value_name = "TEXT", requires = "to")]
        body: Option<String>,
        /// With no --to: how many texts are in flight at once.
        #[arg(long, value_name = "N", default_value = "8", value_parser = crate::batch::parse_parallel)]
        parallel: usize,
        /// The staff user sending it (recorded in the audit log).
        #[arg(long, value_name = "NAME", default_value = "cli")]
        user: String,
        /// Why it is sent: marketing texts need a marketing consent on record (see
        /// `consent grant`).
        #[arg(long, value_enum, default_value_t = PurposeArg::Transactional)]
        purpose: PurposeArg,
        /// Send even though it is outside quiet hours in the customer's time zone (audited
        /// with --user).
        #[arg(long)]
        override_quiet_hours: bool,
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
        /// Which notice. With none, reads JSON lines from stdin, each {"kind": "repair-ready",
        /// "to": …, "customer": …, "event_id": …, "item": …} (or "url" and "amount", or
        /// "time"), sends --parallel at once (paced as always) and writes one JSON result a
        /// line, in input order.
        #[arg(value_enum, requires_all = ["to", "customer", "event_id"])]
        kind: Option<NoticeArg>,
        /// The customer's number.
        #[arg(long, value_name = "NUMBER", requires = "kind")]
        to: Option<String>,
        /// The customer's first name.
        #[arg(long, value_name = "NAME", requires = "kind")]
        customer: Option<String>,
        /// The host's stable id for the event (the same id twice texts once).
        #[arg(long, value_name = "ID", requires = "kind")]
        event_id: Option<String>,
        /// With no KIND: how many notices are in flight at once.
        #[arg(long, value_name = "N", default_value = "8", value_parser = crate::batch::parse_parallel)]
        parallel: usize,
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
    /// List the store's stop list: the numbers that opted out, with when, how and the reply
    /// that did it. With --number, every opt-out and opt-in request of that customer.
    OptOuts {
        /// Show this customer's requests, oldest first (repeats too).
        #[arg(long, value_name = "NUMBER")]
        number: Option<String>,
    },
    /// Put a number on the stop list by hand (the customer asked in person or by phone).
    OptOut {
        /// The customer's number.
        #[arg(long, value_name = "NUMBER")]
        number: String,
        /// The staff user recording it (audited).
        #[arg(long, value_name = "NAME", default_value = "cli")]
        user: String,
    },
    /// Take a number off the stop list, when the customer asked to be texted again.
    OptIn {
        /// The customer's number.
        #[arg(long, value_name = "NUMBER")]
        number: String,
        /// The staff user recording it (audited).
        #[arg(long, value_name = "NAME", default_value = "cli")]
        user: String,
    },
    /// Record, revoke or show a customer's consent to be texted.
    Consent {
        /// What to do.
        #[command(subcommand)]
        action: ConsentAction,
    },
    /// List the automated notices held for quiet hours, or send those that are due.
    Queue {
        /// `run`: send the held notices that are due (safe to run from cron, and twice at
        /// once).
        #[command(subcommand)]
        action: Option<QueueAction>,
    },
    /// Ask Twilio what its callbacks would have said (for a store with no public URL): the
    /// delivery status of recent sends, and whether each send of unknown outcome was sent.
    Sync,
    /// The inbox: one thread per customer, the most recent first, with its last message and
    /// unread replies.
    Inbox,
    /// One customer's conversation, oldest first, with each text's delivery status; marks it
    /// read. Reply with `send --to NUMBER`.
    Thread {
        /// The customer's number.
        #[arg(long, value_name = "NUMBER")]
        number: String,
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
    /// The store's console in a browser: the Twilio card, customers, the Text dialog with
    /// its live counter, the audit log and the inbox.
    Console {
        /// The address to listen on. Anything but loopback lets other machines reach it
        /// (they still need the token).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8791")]
        listen: std::net::SocketAddr,
        /// Run against the built-in fake Twilio with the demo's credentials, customers and a
        /// reply, in a temporary directory (nothing leaves the machine).
        #[arg(long)]
        demo: bool,
        /// The staff name recorded in the audit log for what is done in the console.
        #[arg(long, value_name = "NAME", default_value = "console")]
        user: String,
        /// Serve the page's files from this directory instead of the built-in copies (for
        /// working on the page).
        #[arg(long, value_name = "DIR")]
        assets: Option<PathBuf>,
    },
    /// Tools for integrators.
    Webhook {
        /// What to do.
        #[command(subcommand)]
        action: WebhookAction,
    },
    /// Read or change the host settings the plugin reads (store-name, smart-encoding,
    /// webhook-url, quiet-hours, template.<notice>) and segments-per-second.
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

/// Why a text is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PurposeArg {
    /// About something the customer asked for (the default).
    Transactional,
    /// Promotion: needs a marketing consent on record.
    Marketing,
}

/// How a customer gave consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceArg {
    /// In the store, recorded by staff.
    InStore,
    /// A signed paper form.
    PaperForm,
    /// A web form.
    WebForm,
    /// A text-in keyword.
    TextIn,
}

/// The instances a command that makes one call at a time may have alive: a little room,
/// since a call past the limit only waits.
const ONE_CALL_AT_A_TIME: u32 = 4;

impl Command {
    /// How many instances the command can have alive at once, so the harness reserves no
    /// more pool slots than that (`None`: the library's default). A batch has `--parallel`
    /// in flight; the servers answer many callers at once; every other command makes one
    /// call at a time. Each slot costs the process a stack guard page to set up and its
    /// mappings to tear down: a one-text `send` took 22-25 ms with the default 1,000 slots
    /// and 14-18 ms with 64.
    pub fn instances(&self) -> Option<u32> {
        match self {
            Command::Send {
                to: None, parallel, ..
            }
            | Command::Notify {
                kind: None,
                parallel,
                ..
            } => Some(u32::try_from(*parallel).unwrap_or(u32::MAX)),
            Command::Serve { .. } | Command::Console { .. } | Command::Demo => None,
            _ => Some(ONE_CALL_AT_A_TIME),
        }
    }
}

impl SourceArg {
    /// The name the store keeps.
    pub fn name(self) -> &'static str {
        match self {
            SourceArg::InStore => "in-store",
            SourceArg::PaperForm => "paper-form",
            SourceArg::WebForm => "web-form",
            SourceArg::TextIn => "text-in",
        }
    }
}

/// Consent commands.
#[derive(Debug, Subcommand)]
pub enum ConsentAction {
    /// Record a consent, kept as evidence.
    Grant {
        /// The customer's number.
        #[arg(long, value_name = "NUMBER")]
        number: String,
        /// What it covers.
        #[arg(long, value_enum)]
        purpose: PurposeArg,
        /// How it was given.
        #[arg(long, value_enum)]
        source: SourceArg,
        /// The staff user recording it.
        #[arg(long, value_name = "NAME")]
        user: String,
        /// The words the customer agreed to, a form's reference, …
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Revoke the consents in force (of one purpose, or all).
    Revoke {
        /// The customer's number.
        #[arg(long, value_name = "NUMBER")]
        number: String,
        /// Only this purpose [default: every purpose].
        #[arg(long, value_enum)]
        purpose: Option<PurposeArg>,
        /// The staff user recording it.
        #[arg(long, value_name = "NAME")]
        user: String,
        /// Why.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Show every consent recorded for a number, revoked ones too.
    Show {
        /// The customer's number.
        #[arg(long, value_name = "NUMBER")]
        number: String,
    },
}

/// Queue commands.
#[derive(Debug, Subcommand)]
pub enum QueueAction {
    /// Send the held notices that are due now.
    Run,
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
        /// `store-name`, `smart-encoding`, `webhook-url`, `quiet-hours` (`09:00-20:00`), …
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

/// Parses an RFC 3339 time into Unix seconds.
pub fn parse_time(text: &str) -> Result<i64, String> {
    text.trim()
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .map_err(|e| format!("'{text}' is not an RFC 3339 time like 2026-12-01T22:30:00Z ({e})"))
}

/// Parses a price in dollars (`0.008`, up to six decimals) into millionths.
pub fn parse_price(text: &str) -> Result<u64, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_in_dollars() {
        assert_eq!(parse_price("0.008"), Ok(8_000));
        assert_eq!(parse_price("0.0079"), Ok(7_900));
        assert_eq!(parse_price("1"), Ok(1_000_000));
        assert_eq!(parse_price(".5"), Ok(500_000));
        for bad in ["", ".", "0.0000001", "-1", "1e3", "$0.008", "abc"] {
            assert!(parse_price(bad).is_err(), "{bad}");
        }
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

    #[test]
    fn each_command_reserves_the_instances_it_can_use() {
        let instances = |args: &[&str]| {
            let cli = Cli::try_parse_from([&["host-harness"], args].concat()).unwrap();
            cli.command.instances()
        };
        assert_eq!(instances(&["send", "--parallel", "64"]), Some(64));
        assert_eq!(instances(&["send"]), Some(8));
        assert_eq!(instances(&["notify", "--parallel", "3"]), Some(3));
        assert_eq!(
            instances(&["send", "--to", "+12125550100", "--body", "hi"]),
            Some(4)
        );
        assert_eq!(instances(&["status"]), Some(4));
        assert_eq!(instances(&["segments", "hi"]), Some(4));
        assert_eq!(instances(&["serve"]), None);
        assert_eq!(instances(&["console"]), None);
    }
}
