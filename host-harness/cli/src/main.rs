//! `host-harness`: the command line over `pos-sms-host`. Each command group has its module;
//! each parses nothing itself (that is [`args`]), calls the library, and prints through
//! [`output`] as text or (with `--json`) one JSON object per result on stdout.
//!
//! Exit codes: 0 success, 1 a plugin, Twilio or host error (a sentence on stderr), 2 a usage
//! error.

mod account;
mod args;
mod batch;
mod compliance;
mod console;
mod count;
mod demo;
mod fake;
mod inbox;
mod logger;
mod messages;
mod output;
mod plugins;
mod records;
mod webhooks;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser as _;
use pos_sms_host::error::PackageError;
use pos_sms_host::origin::Origin;
use pos_sms_host::policy::OutboundPolicy;
use pos_sms_host::{Error, Harness, HarnessConfig};

use crate::args::{Cli, Command};
use crate::output::{Fail, Out};

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
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
fn run(cli: Cli) -> ExitCode {
    logger::install(matches!(cli.command, Command::Serve { .. }));
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

async fn dispatch(cli: Cli, out: Out) -> Result<ExitCode, Fail> {
    // Commands that load no plugin.
    match &cli.command {
        Command::FakeTwilio { port, account_sid } => {
            let token = env_secret("TWILIO_AUTH_TOKEN", "Auth Token the fake should accept")?;
            return fake::run(*port, account_sid, &token, out).await;
        }
        Command::Demo => return demo::run(out).await,
        Command::Console {
            listen,
            demo: true,
            user,
            assets,
        } => return console::demo(*listen, user, assets.clone()).await,
        Command::Webhook { action } => return webhooks::verify(action, out),
        Command::Keygen { .. }
        | Command::Package { .. }
        | Command::Trust { .. }
        | Command::Install { .. }
        | Command::Upgrade { .. }
        | Command::Uninstall { .. }
        | Command::List => return plugins::run(&cli.command, &data_dir(&cli)?, out),
        _ => {}
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
            let auth = account::auth(&auth_token_env, api_key_sid, &api_key_secret_env)?;
            account::connect(&harness, account_sid, auth, from, out).await
        }
        Command::Disconnect => account::disconnect(&harness, out).await,
        Command::Status => account::status(&harness, out).await,
        Command::Send {
            to: None, parallel, ..
        } => batch::send(harness, parallel).await,
        Command::Send {
            to: Some(to),
            body,
            user,
            purpose,
            override_quiet_hours,
            parallel: _,
        } => {
            let outgoing = pos_sms_host::types::Outgoing {
                to,
                body: body.unwrap_or_default(),
                user,
                purpose: messages::purpose(purpose),
                override_quiet_hours,
            };
            messages::send(&harness, outgoing, out).await
        }
        Command::Inbox => inbox::inbox(&harness, out),
        Command::Sync => inbox::sync(&harness, out).await,
        Command::Thread { number } => inbox::thread(&harness, &number, out).await,
        Command::OptOuts { number: None } => compliance::opt_outs(&harness, out),
        Command::OptOuts {
            number: Some(number),
        } => compliance::history(&harness, &number, out).await,
        Command::OptOut { number, user } => {
            compliance::opt_out(&harness, &number, &user, out).await
        }
        Command::OptIn { number, user } => compliance::opt_in(&harness, &number, &user, out).await,
        Command::Consent { action } => compliance::consent(&harness, action, out).await,
        Command::Queue { action } => compliance::queue(&harness, action, out).await,
        Command::Test { to, user } => messages::test(&harness, &to, &user, out).await,
        Command::Notify {
            kind: None,
            parallel,
            ..
        } => batch::notify(harness, parallel).await,
        Command::Notify {
            kind: Some(kind),
            to,
            customer,
            event_id,
            item,
            url,
            amount,
            time,
            user,
            parallel: _,
        } => {
            // clap requires these with a KIND.
            let (to, customer, event_id) = (
                to.unwrap_or_default(),
                customer.unwrap_or_default(),
                event_id.unwrap_or_default(),
            );
            let notice =
                messages::notice_kind(kind, item, url, amount, time, messages::Spelling::Flag)?;
            messages::notify(&harness, event_id, to, customer, notice, user, out).await
        }
        Command::Segments {
            smart_encoding,
            price,
            text,
        } => count::segments(&harness, smart_encoding, price, text, out).await,
        Command::Phone { text } => count::phones(&harness, text, out).await,
        Command::Audit { limit } => records::audit(&harness, limit, out),
        Command::Replies { number, limit } => {
            records::replies(&harness, number.as_deref(), limit, out)
        }
        Command::Config { action } => records::config(&harness, action, out),
        Command::Serve { listen, public_url } => webhooks::serve(harness, listen, public_url).await,
        Command::Console {
            listen,
            demo: false,
            user,
            assets,
        } => console::run(harness, console::options(listen, user, assets, false)).await,
        Command::FakeTwilio { .. }
        | Command::Demo
        | Command::Console { .. }
        | Command::Webhook { .. }
        | Command::Keygen { .. }
        | Command::Package { .. }
        | Command::Trust { .. }
        | Command::Install { .. }
        | Command::Upgrade { .. }
        | Command::Uninstall { .. }
        | Command::List => Ok(ExitCode::SUCCESS),
    }
}

fn default_data_dir() -> Result<PathBuf, Fail> {
    directories::ProjectDirs::from("", "", "pos-sms-host")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| {
            Fail::usage("could not find a home directory for the data; pass --data-dir DIR")
        })
}

/// The host's outbound policy from `--twilio-url` and `--grant`.
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

/// Opens the harness the global flags describe.
fn open(cli: &Cli) -> Result<Harness, Fail> {
    let data_dir = data_dir(cli)?;
    let mut config = HarnessConfig::new(&data_dir);
    config.plugin.clone_from(&cli.plugin);
    config.manifest.clone_from(&cli.manifest);
    if let Some(instances) = cli.command.instances() {
        config.max_instances = instances;
    }
    // An installed plugin runs with the grant recorded when it was installed, unless
    // --grant says otherwise.
    let mut grants = cli.grants.clone();
    if let Some(id) = &cli.installed {
        let installed =
            pos_sms_host::package::installed_plugin(&data_dir, id).map_err(|e| match e {
                Error::Package(PackageError::NotInstalled { .. }) => {
                    Fail::usage(format!("{id} is not installed; see `host-harness list`"))
                }
                other => Fail::from(other),
            })?;
        config.plugin = Some(installed.wasm());
        if grants.is_empty() {
            grants = installed.granted.clone();
        }
    }
    config.policy = policy(cli.twilio_url.as_deref(), &grants)?;
    if let Some(now) = cli.now {
        config.clock = std::sync::Arc::new(pos_sms_host::runtime::clock::ManualClock::at(now));
    }
    Ok(Harness::open(config)?)
}

/// A secret from the environment variable `var`, never a flag.
fn env_secret(var: &str, what: &str) -> Result<String, Fail> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(Fail::usage(format!(
            "{var} is not set. Export the {what} first (export {var}=…); it is read from the \
             environment so it never appears in shell history or process lists."
        ))),
    }
}
