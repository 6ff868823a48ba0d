//! `yingpan`: serve the CRM, initialise a database, load demo data, run the pool recycle.

mod bench;
mod demo;

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use yingpan_domain::person::{DisplayName, NewPassword, Role, Username};
use yingpan_exchange::mailer::SmtpSettings;
use yingpan_store::{NewUser, Store};
use yingpan_web::{AppState, Clock, Config};

#[derive(Parser)]
#[command(
    name = "yingpan",
    version,
    about = "营盘 Yingpan — customer and sales-force management"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new database with one organization and its first admin.
    Init {
        #[arg(long, env = "YINGPAN_DB")]
        db: String,
        #[arg(long)]
        org: String,
        #[arg(long)]
        admin: String,
        #[arg(long)]
        password: String,
    },
    /// Serve the web UI and the API.
    Serve {
        #[arg(long, env = "YINGPAN_DB")]
        db: String,
        #[arg(long, default_value = "127.0.0.1:8080", env = "YINGPAN_LISTEN")]
        listen: String,
        /// Mark session cookies Secure (set this behind HTTPS).
        #[arg(long, env = "YINGPAN_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Behind a reverse proxy: take the client's address from X-Forwarded-For (login throttling).
        #[arg(long, env = "YINGPAN_TRUST_PROXY")]
        trust_proxy: bool,
        /// Run the pool recycle every N minutes (0 = never; run `yingpan pool recycle` from cron instead).
        #[arg(long, default_value_t = 10, env = "YINGPAN_RECYCLE_EVERY_MINUTES")]
        recycle_every_minutes: u64,
        /// A PostgreSQL streaming standby of --db for lists, search, statistics and reports
        /// (repeat for several, or comma-separate in YINGPAN_READ_DB). A standby that lags or
        /// is gone is passed over; the primary answers.
        #[arg(long = "read-db", env = "YINGPAN_READ_DB", value_delimiter = ',')]
        read_db: Vec<String>,
    },
    /// Create (or reuse) a demo database with a realistic sales organization, then serve it.
    Demo {
        #[arg(long, default_value = "sqlite://yingpan-demo.db")]
        db: String,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Number of demo customers.
        #[arg(long, default_value_t = 300)]
        customers: usize,
        /// Load the data and exit instead of serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[arg(long, env = "YINGPAN_DB")]
        db: String,
        /// Also recount every organization's figures rollups and statistics cube from the raw
        /// rows (after rows were written or repaired outside Yingpan), in one transaction per
        /// organization.
        #[arg(long)]
        rebuild_rollups: bool,
    },
    /// Import customers from a CSV file (UTF-8 or GBK; header row with name / 客户名称 …), with
    /// the duplicate check, in one transaction.
    Import {
        #[arg(long, env = "YINGPAN_DB")]
        db: String,
        /// The CSV file.
        #[arg(long)]
        file: std::path::PathBuf,
        /// Username of the person importing (the audit trail names them).
        #[arg(long = "as")]
        importer: String,
        /// Username of the owner of the imported customers (default: the importer).
        #[arg(long)]
        owner: Option<String>,
        /// Import the good rows and list the others (default: all or nothing).
        #[arg(long)]
        skip_rejected: bool,
        /// Check every row and write nothing: what would be imported and what refused.
        #[arg(long)]
        dry_run: bool,
        /// What the file holds: customers, contacts, activities (follow-ups) or orders.
        #[arg(long, default_value = "customers")]
        kind: String,
        /// Which field a column fills, as HEADER=FIELD (name, kind, phone, email, address,
        /// region, industry, source, notes, owner, custom.<key>; empty for none), once per
        /// column; remembered for files with the same columns. Default: by the headers' names.
        #[arg(long = "map", value_name = "HEADER=FIELD")]
        map: Vec<String>,
        /// The language of the messages: zh-CN or en (default: from LANG, else zh-CN).
        #[arg(long)]
        lang: Option<String>,
    },
    /// Export the customers a person may see as CSV or Excel (the columns `import` reads).
    Export {
        #[arg(long, env = "YINGPAN_DB")]
        db: String,
        /// Username whose visibility applies (an admin or director exports everything).
        #[arg(long = "as")]
        viewer: String,
        /// The file to write: CSV, or an Excel workbook when the name ends in .xlsx.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Copy a SQLite database to a file while it is in use (PostgreSQL: use pg_dump).
    Backup {
        #[arg(long, env = "YINGPAN_DB")]
        db: String,
        /// The backup file to create (must not exist).
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Replace a SQLite database with a backup (stop the server first; PostgreSQL: pg_restore).
    Restore {
        /// The backup file made by `yingpan backup`.
        #[arg(long)]
        from: std::path::PathBuf,
        #[arg(long, env = "YINGPAN_DB")]
        db: String,
        /// Replace the database if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Generate a synthetic organization and measure the server against it (see README).
    Bench(bench::BenchArgs),
    /// The public pool (公海).
    Pool {
        #[command(subcommand)]
        command: PoolCommand,
    },
}

#[derive(Subcommand)]
enum PoolCommand {
    /// Return every customer past its protection period to the pool.
    Recycle {
        #[arg(long, env = "YINGPAN_DB")]
        db: String,
    },
}

fn clock() -> Result<Clock, String> {
    let clock = Clock::from_env()?;
    if let Clock::Fixed(t) = clock {
        tracing::warn!(
            "YINGPAN_FAKE_NOW is set: the clock is frozen at {t}. Never use this in production."
        );
        eprintln!("WARNING: YINGPAN_FAKE_NOW is set; \"now\" is frozen at {t}");
    }
    Ok(clock)
}

/// The pool recycle and the weekly reports on a schedule. Safe with several servers: the
/// recycle is idempotent and takes a per-organization lock on PostgreSQL; a weekly report
/// compiled twice is overwritten with the same figures.
fn schedule_recycle(store: Store, clock: Clock, every_minutes: u64) {
    if every_minutes == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(every_minutes * 60));
        loop {
            tick.tick().await;
            match store.recycle(clock.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    moved = n,
                    "pool recycle returned customers to the public pool"
                ),
                Err(e) => tracing::error!(error = %e, "pool recycle failed"),
            }
            if let Err(e) = store.optimize().await {
                tracing::error!(error = %e, "planner statistics update failed");
            }
            // Monday's weekly reports; compiles only what is missing, so every tick may ask.
            match store.compile_due_weekly_reports(clock.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reports = n, "weekly reports compiled"),
                Err(e) => tracing::error!(error = %e, "weekly report compilation failed"),
            }
        }
    });
}

/// Tells superiors about service tickets past a deadline, every minute. Several servers may
/// run this: each deadline is escalated once (the ticket's flag is stamped in the same
/// transaction as the message).
fn schedule_ticket_deadlines(store: Store, clock: Clock, email: bool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            match store.escalate_overdue_tickets(email, clock.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deadlines = n, "overdue service tickets escalated"),
                Err(e) => tracing::error!(error = %e, "ticket deadline escalation failed"),
            }
        }
    });
}

/// Sends queued campaign messages every five seconds (e-mail when SMTP is configured, SMS
/// through each company's gateway). Several servers may run this: each message is claimed by
/// exactly one of them, and a claim left by a server that died is taken over.
fn schedule_campaigns(store: Store, clock: Clock, sender: yingpan_exchange::campaign::Sender) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            match sender.round(&store, clock.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(messages = n, "campaign messages handled"),
                Err(e) => tracing::error!(error = %e, "campaign sending failed"),
            }
        }
    });
}

/// Every minute, PostgreSQL's customer tally changes folded into the tally (`Store::compact_tally`).
fn schedule_tally_compaction(store: Store) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = store.compact_tally().await {
                tracing::warn!(error = %e, "folding the customer tally");
            }
        }
    });
}

/// Every two seconds, the customers changed since the last fold folded into the statistics
/// cube (`Store::fold_statistics`); readers add what is not folded yet, so this keeps them fast,
/// not right.
fn schedule_statistics_fold(store: Store) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        loop {
            tick.tick().await;
            if let Err(e) = store.fold_statistics().await {
                tracing::warn!(error = %e, "folding the statistics cube");
            }
        }
    });
}

/// Every second, which standbys may serve reads (`Store::check_replicas`).
fn schedule_replica_checks(store: Store) {
    if !store.has_replicas() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = store.check_replicas().await {
                tracing::warn!(error = %e, "checking the read replicas");
            }
        }
    });
}

/// Sends due webhook and group-robot deliveries every five seconds. Several servers may run
/// this: each delivery is claimed by exactly one of them, and one left by a server that died
/// is taken over.
fn schedule_webhooks(store: Store, clock: Clock, email: bool) {
    tokio::spawn(async move {
        let deliverer = yingpan_exchange::webhook::Deliverer::new(email);
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            match deliverer.round(&store, clock.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(delivered = n, "webhook deliveries sent"),
                Err(e) => tracing::error!(error = %e, "webhook delivery failed"),
            }
        }
    });
}

/// Sends queued e-mail every 30 seconds. Several servers may run this: each message is claimed
/// by exactly one of them.
fn schedule_mail(store: Store, clock: Clock, smtp: SmtpSettings) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            tick.tick().await;
            match yingpan_exchange::mailer::send_pending(&store, &smtp, clock.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sent = n, "e-mail notifications sent"),
                Err(e) => tracing::error!(error = %e, "e-mail sending failed"),
            }
        }
    });
}

async fn serve(
    store: Store,
    clock: Clock,
    listen: &str,
    secure_cookies: bool,
    trust_proxy: bool,
) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%addr, "serving");
    println!("Yingpan is serving on http://{addr}/");
    let smtp = SmtpSettings::from_env().map_err(|e| e.to_string())?;
    if let Some(smtp) = &smtp {
        schedule_mail(store.clone(), clock, smtp.clone());
    }
    schedule_ticket_deadlines(store.clone(), clock, smtp.is_some());
    schedule_webhooks(store.clone(), clock, smtp.is_some());
    // Opt-out links in campaign e-mail point here: the address customers reach the server by.
    let public_url =
        std::env::var("YINGPAN_PUBLIC_URL").unwrap_or_else(|_| format!("http://{addr}"));
    schedule_campaigns(
        store.clone(),
        clock,
        yingpan_exchange::campaign::Sender {
            smtp: smtp.clone(),
            public_url,
            http: reqwest::Client::new(),
        },
    );
    let state = AppState {
        store,
        clock,
        config: std::sync::Arc::new(Config {
            secure_cookies,
            smtp,
            trust_proxy,
            ..Config::default()
        }),
    };
    yingpan_web::serve(listener, state)
        .await
        .map_err(|e| e.to_string())
}

/// The visibility of an active person, for commands that act as them.
async fn viewer_for(store: &Store, username: &str) -> Result<yingpan_store::Viewer, String> {
    let user = match store.user_for_login(username).await {
        Ok(Some((u, _))) if u.active => u,
        Ok(_) => return Err(format!("no active person with username {username:?}")),
        Err(e) => return Err(e.to_string()),
    };
    let org = store
        .organization(user.org_id)
        .await
        .map_err(|e| e.to_string())?;
    Ok(yingpan_store::Viewer {
        org_id: user.org_id,
        user_id: user.id,
        role: user.role,
        scope: yingpan_domain::person::scope_for(user.role, org.settings.clerk_visibility),
    })
}

async fn run(cli: Cli) -> Result<(), String> {
    let clock = clock()?;
    match cli.command {
        Command::Init {
            db,
            org,
            admin,
            password,
        } => {
            let store = Store::connect(&db).await.map_err(|e| e.to_string())?;
            let admin = NewUser {
                username: Username::parse(&admin).map_err(|e| e.to_string())?,
                password_hash: yingpan_web::hash_password(
                    NewPassword::parse_for(&password, &[&admin, &org])
                        .map_err(|e| e.to_string())?
                        .expose(),
                ),
                display_name: DisplayName::parse(&admin).map_err(|e| e.to_string())?,
                role: Role::Admin,
                superior_id: None,
            };
            let (org, user) = store
                .init_organization(&org, admin, clock.now())
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "Created organization {:?} (id {}) with admin {:?}",
                org.name, org.id, user.username
            );
            Ok(())
        }
        Command::Serve {
            db,
            listen,
            secure_cookies,
            trust_proxy,
            recycle_every_minutes,
            read_db,
        } => {
            let store = Store::open(&db)
                .await
                .and_then(|s| s.with_replicas(&read_db))
                .map_err(|e| e.to_string())?;
            if !store.has_data().await.map_err(|e| e.to_string())? {
                return Err(format!(
                    "{db} holds no organization yet; run `yingpan init` first"
                ));
            }
            schedule_recycle(store.clone(), clock, recycle_every_minutes);
            schedule_replica_checks(store.clone());
            schedule_tally_compaction(store.clone());
            schedule_statistics_fold(store.clone());
            serve(store, clock, &listen, secure_cookies, trust_proxy).await
        }
        Command::Bench(args) => bench::run(args).await,
        Command::Export { db, viewer, out } => {
            let store = Store::open(&db).await.map_err(|e| e.to_string())?;
            let viewer = viewer_for(&store, &viewer).await?;
            let refused = |e: yingpan_exchange::ExchangeError| match e {
                yingpan_exchange::ExchangeError::Forbidden => {
                    "salespeople may not export customers (the data belongs to the company)"
                        .to_string()
                }
                e => e.to_string(),
            };
            let now = chrono::Utc::now();
            // An .xlsx file name asks for an Excel workbook, anything else for CSV.
            let (bytes, rows) = if out
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
            {
                yingpan_exchange::export::export_xlsx(&store, &viewer, now)
                    .await
                    .map_err(refused)?
            } else {
                let (csv, rows) = yingpan_exchange::export::export_csv(&store, &viewer, now)
                    .await
                    .map_err(refused)?;
                (csv.into_bytes(), rows)
            };
            std::fs::write(&out, &bytes).map_err(|e| format!("{}: {e}", out.display()))?;
            println!("Exported {rows} customers to {}.", out.display());
            Ok(())
        }
        Command::Backup { db, out } => {
            let store = Store::open(&db).await.map_err(|e| e.to_string())?;
            if out.exists() {
                return Err(format!("{} exists; choose a new file", out.display()));
            }
            store
                .backup_to(&out.to_string_lossy())
                .await
                .map_err(|e| e.to_string())?;
            println!("Backed up {db} to {}.", out.display());
            Ok(())
        }
        Command::Restore { from, db, force } => {
            Store::restore_sqlite(&from, &db, force)
                .await
                .map_err(|e| e.to_string())?;
            println!("Restored {} to {db}.", from.display());
            Ok(())
        }
        Command::Import {
            db,
            file,
            importer,
            owner,
            skip_rejected,
            dry_run,
            kind,
            map,
            lang,
        } => {
            let locale = cli_locale(lang.as_deref())?;
            if kind != "customers" {
                let kind = yingpan_domain::record_import::RecordKind::parse(&kind)
                    .map_err(|e| format!("--kind: {}", e.message))?;
                let store = Store::open(&db).await.map_err(|e| e.to_string())?;
                let viewer = viewer_for(&store, &importer).await?;
                let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
                let text = yingpan_exchange::import::spreadsheet_text(&bytes)
                    .map_err(|e| e.to_string())?;
                let options = yingpan_store::ImportOptions {
                    owner: None,
                    skip_rejected,
                    dry_run,
                };
                let o = yingpan_exchange::import::import_records(
                    &store,
                    &viewer,
                    kind,
                    &text,
                    options,
                    clock.now(),
                )
                .await
                .map_err(|e| e.to_string())?;
                for r in o.rejected.iter().take(50) {
                    eprintln!("{}", yingpan_web::import::rejection_words(locale, r));
                }
                if o.aborted && !o.dry_run {
                    return Err(yingpan_web::import::import_words(
                        locale,
                        "aborted_records",
                        0,
                        "",
                    ));
                }
                let words =
                    |key: &str, n: usize| yingpan_web::import::import_words(locale, key, n, "");
                println!(
                    "{} · {} · {}{}",
                    words("records_created", o.created),
                    words("records_updated", o.updated),
                    words("records_unchanged", o.unchanged),
                    if o.dry_run {
                        format!(" · {}", words("nothing_written", 0))
                    } else {
                        String::new()
                    }
                );
                return Ok(());
            }
            let mapping = if map.is_empty() {
                None
            } else {
                Some(
                    map.iter()
                        .map(|m| {
                            m.split_once('=')
                                .map(|(h, f)| (h.trim().to_string(), f.trim().to_string()))
                                .ok_or_else(|| format!("--map {m:?}: write HEADER=FIELD"))
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                )
            };
            let store = Store::open(&db).await.map_err(|e| e.to_string())?;
            let person = |name: String| {
                let store = store.clone();
                async move {
                    match store.user_for_login(&name).await {
                        Ok(Some((u, _))) if u.active => Ok(u),
                        Ok(_) => Err(format!("no active person with username {name:?}")),
                        Err(e) => Err(e.to_string()),
                    }
                }
            };
            let viewer = viewer_for(&store, &importer).await?;
            let owner = match owner {
                Some(o) => Some(person(o).await?.id),
                None => None,
            };
            let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let started = std::time::Instant::now();
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            let words =
                |key: &str, n: usize, s: &str| yingpan_web::import::import_words(locale, key, n, s);
            let (checking, writing) = (words("cli_checking", 0, ""), words("cli_writing", 0, ""));
            let progress = |step: yingpan_store::ImportStep| {
                let (msg, done, total) = match step {
                    yingpan_store::ImportStep::Checked(d, t) => (&checking, d, t),
                    yingpan_store::ImportStep::Written(d, t) => (&writing, d, t),
                };
                bar.set_message(msg.clone());
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            };
            let outcome = yingpan_exchange::import::import(
                &store,
                &viewer,
                &yingpan_exchange::import::spreadsheet_text(&bytes).map_err(|e| e.to_string())?,
                mapping.as_deref(),
                yingpan_store::ImportOptions {
                    owner,
                    skip_rejected,
                    dry_run,
                },
                &progress,
                clock.now(),
            )
            .await
            .map_err(|e| e.to_string())?;
            bar.finish_and_clear();
            for r in outcome.rejected.iter().take(50) {
                eprintln!("{}", yingpan_web::import::rejection_words(locale, r));
            }
            if outcome.rejected.len() > 50 {
                eprintln!("{}", words("cli_more", outcome.rejected.len() - 50, ""));
            }
            let secs = started.elapsed().as_secs_f64();
            if outcome.dry_run {
                println!("{}", words("cli_dry_run", outcome.new.len(), ""));
                return Ok(());
            }
            if outcome.aborted {
                return Err(words("cli_aborted", outcome.rejected.len(), ""));
            }
            let took = format!(
                "{secs:.2} s, {:.0} rows/s",
                outcome.imported as f64 / secs.max(1e-9)
            );
            println!("{}", words("cli_done", outcome.imported, &took));
            if !outcome.rejected.is_empty() {
                println!("{}", words("cli_skipped", outcome.rejected.len(), ""));
            }
            Ok(())
        }
        Command::Demo {
            db,
            listen,
            customers,
            no_serve,
        } => {
            let store = Store::connect(&db).await.map_err(|e| e.to_string())?;
            if store.has_data().await.map_err(|e| e.to_string())? {
                println!("Reusing the demo data already in {db}.");
            } else {
                println!("Creating demo data in {db} …");
                demo::load(&store, clock.now(), customers)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            demo::print_logins();
            if no_serve {
                return Ok(());
            }
            let shown = listen.replace("0.0.0.0", "127.0.0.1");
            println!("Open http://{shown}/ in a browser.");
            schedule_recycle(store.clone(), clock, 10);
            serve(store, clock, &listen, false, false).await
        }
        Command::Migrate {
            db,
            rebuild_rollups,
        } => {
            let store = Store::open(&db).await.map_err(|e| e.to_string())?;
            println!("Migrations applied.");
            if rebuild_rollups {
                let started = std::time::Instant::now();
                let n = store
                    .rebuild_all_rollups()
                    .await
                    .map_err(|e| e.to_string())?;
                println!(
                    "Rollups of {n} organization(s) rebuilt in {:.1} s.",
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
        Command::Pool {
            command: PoolCommand::Recycle { db },
        } => {
            let store = Store::open(&db).await.map_err(|e| e.to_string())?;
            let moved = store
                .recycle(clock.now())
                .await
                .map_err(|e| e.to_string())?;
            println!("Returned {moved} customers to the public pool.");
            Ok(())
        }
    }
}

/// Password hashing allocates ~19 MiB per login on the blocking threads. glibc raises its mmap
/// threshold after the first such buffer is freed, so later ones come from per-thread arenas and
/// stay with the process (4 GiB after a login flood). A fixed threshold keeps large buffers
/// mmapped: freed memory goes back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_allocations() {
    // SAFETY: mallopt only tunes glibc's allocator; it is called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_allocations() {}

fn main() -> ExitCode {
    return_large_allocations();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("YINGPAN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The language of the command's messages: `--lang`, else the environment's (`LC_ALL`,
/// `LANG`), else Simplified Chinese.
fn cli_locale(flag: Option<&str>) -> Result<yingpan_domain::person::Locale, String> {
    use yingpan_domain::person::Locale;
    if let Some(f) = flag {
        return Locale::parse(f).map_err(|_| format!("--lang {f:?}: use zh-CN or en"));
    }
    let env = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_default();
    Ok(if env.starts_with("en") {
        Locale::En
    } else {
        Locale::ZhCn
    })
}
