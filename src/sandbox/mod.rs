//! `annie-dispatch sandbox`: a local stand-in for the Annie API to rehearse against.
//!
//! It enforces what the API documentation states (auth, required fields, E.164 numbers, the
//! configured from-numbers and allowlist, 500-character texts, legal hours, the per-number rules
//! and the organisation rate limit with its headers), keeps the conversations it "started" so
//! they can be listed and read back, and can inject faults deterministically (seeded) — including
//! the nasty kind where a request fails but the call was started anyway. Where the docs are silent
//! (error codes for each refusal), the choices are documented in docs/sandbox.md ("Status codes").

mod config;
mod faults;
mod handlers;
mod state;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use chrono_tz::Tz;
use tokio::sync::oneshot;

pub use config::SandboxConfig;
pub use faults::{FailKind, Faults};
use state::SandboxState;

/// A running sandbox. Dropping it without [`Sandbox::stop`] leaves the server to the runtime.
pub struct Sandbox {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Sandbox {
    /// Binds and starts serving. Refuses addresses other than loopback unless `allow_remote`:
    /// a sandbox is for this machine.
    pub async fn start(config: SandboxConfig, allow_remote: bool) -> anyhow::Result<Sandbox> {
        if !config.listen.ip().is_loopback() && !allow_remote {
            anyhow::bail!(
                "the sandbox listens on loopback only; {} is not a loopback address (pass --allow-remote to insist)",
                config.listen
            );
        }
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(SandboxState::new(config)?);
        let app = handlers::router(state);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Sandbox {
            addr,
            shutdown: Some(tx),
            task,
        })
    }

    /// The API base URL, e.g. `http://127.0.0.1:8787/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving (waits briefly for open requests).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut self.task).await;
        self.task.abort();
    }
}

/// Starts an in-process sandbox per location for `run --sandbox` (each an organisation of its
/// own, configured from the location's settings: its from-numbers, every destination allowed,
/// its zone and rate, the run's clock), and points each location at its sandbox.
pub async fn start_for_run(s: &mut crate::settings::Settings) -> anyhow::Result<Vec<Sandbox>> {
    let mut sandboxes = Vec::new();
    for location in &mut s.locations {
        let numbers = location.caller_numbers();
        let mut config = SandboxConfig::local(
            crate::settings::SANDBOX_KEY,
            &numbers[0],
            location.practice.timezone,
        );
        config.rpm = location.dispatch.requests_per_minute.get();
        config.from_numbers = numbers;
        config.now = Some(s.now);
        let sandbox = Sandbox::start(config, false).await?;
        if let Some(api) = &mut location.api {
            api.base_url = sandbox.base_url();
        }
        tracing::info!(location = %location.id, url = %sandbox.base_url(), "dispatching to an in-process sandbox");
        sandboxes.push(sandbox);
    }
    Ok(sandboxes)
}

/// `annie-dispatch sandbox`: serves until SIGINT/SIGTERM.
pub async fn serve(args: &crate::cli::SandboxArgs) -> anyhow::Result<()> {
    let run_config = match &args.config {
        Some(path) => Some(crate::config::LoadedConfig::load(path)?),
        None => None,
    };
    let region = phonenumber::country::Id::US;
    let e164 = |n: &str| {
        crate::normalise::phone::parse(n, region)
            .map(|p| String::from(p.e164))
            .map_err(|p| anyhow::anyhow!("`{n}` {}", p.describe()))
    };
    let mut from_numbers = args
        .from_numbers
        .iter()
        .map(|n| e164(n))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if let Some(c) = &run_config {
        let practice = c.file.practice.from_number.iter();
        let locations = c
            .file
            .locations
            .iter()
            .flat_map(|l| std::iter::once(&l.from_number).chain(l.from_numbers.values()));
        for number in practice.chain(locations) {
            from_numbers.push(e164(number.get_ref())?);
        }
    }
    if from_numbers.is_empty() {
        anyhow::bail!("the sandbox needs a number to call from: pass --from-number or --config");
    }
    let zone_name = args
        .timezone
        .clone()
        .or_else(|| {
            let c = run_config.as_ref()?;
            let first = c.file.locations.first().map(|l| &l.timezone);
            c.file
                .practice
                .timezone
                .as_ref()
                .or(first)
                .map(|z| z.get_ref().clone())
        })
        .unwrap_or_else(|| "America/Chicago".to_string());
    let timezone: Tz = zone_name
        .parse()
        .map_err(|_| anyhow::anyhow!("`{zone_name}` is not an IANA time zone name"))?;
    let fail_kind = FailKind::parse(&args.fail_kind).ok_or_else(|| {
        anyhow::anyhow!("--fail-kind must be one of 500, 502, 503, reset, timeout, garbage")
    })?;
    for (name, v) in [
        ("--fail-rate", args.fail_rate),
        ("--created-anyway", args.created_anyway),
    ] {
        if !(0.0..=1.0).contains(&v) {
            anyhow::bail!("{name} must be between 0 and 1");
        }
    }
    let allowlist = match args.allow.is_empty() {
        true => None,
        false => Some(
            args.allow
                .iter()
                .map(|n| e164(n))
                .collect::<anyhow::Result<HashSet<_>>>()?,
        ),
    };
    let opt_outs = args
        .opt_outs
        .iter()
        .map(|n| e164(n))
        .collect::<anyhow::Result<HashSet<_>>>()?;
    let config = SandboxConfig {
        listen: args.listen,
        api_key: args.api_key.clone(),
        from_numbers,
        allowlist,
        timezone,
        rpm: args.rpm.max(1),
        now: args.now.map(|t| t.with_timezone(&Utc)),
        close_after: args.close_after,
        opt_outs,
        log: args.log.clone(),
        faults: Faults {
            seed: args.seed,
            latency: args.latency,
            latency_jitter: args.latency_jitter,
            fail_rate: args.fail_rate,
            fail_kind,
            created_anyway: args.created_anyway,
            hang: args.hang,
        },
    };
    let sandbox = Sandbox::start(config, args.allow_remote).await?;
    crate::logging::line(&format!(
        "sandbox listening on {} (API key `{}`); Ctrl-C to stop",
        sandbox.base_url(),
        args.api_key
    ));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    sandbox.stop().await;
    Ok(())
}
