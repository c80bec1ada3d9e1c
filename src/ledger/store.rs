//! The ledger file itself: opening it (with the run lock), and the keyed hash phone numbers are
//! stored under. What it records is in the sibling modules, one `impl Ledger` each.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use sha2::{Digest, Sha256};

use super::schema;

/// Another process holds the ledger's run lock.
#[derive(Debug, thiserror::Error)]
#[error(
    "another annie-dispatch run is using the ledger `{}` (lock `{}` is held); wait for it to \
     finish: two runs at once could call the same patient twice",
    ledger.display(),
    lock.display()
)]
pub struct LedgerBusy {
    pub ledger: PathBuf,
    pub lock: PathBuf,
}

/// The ledger file has more than one name (hard links). Refused wherever the ledger is opened:
/// SQLite keeps its journal beside the name it opens, so two runs through two names keep two
/// journals for one database and lose what one of them records; and each name would have a lock
/// of its own, so both runs would send.
#[derive(Debug, thiserror::Error)]
#[error(
    "the ledger `{}` has {links} names (hard links to one file): SQLite keeps its journal beside \
     the name it opens, so runs through two names can lose what they record, and each name has a \
     lock of its own, so two runs at once could call the same patient twice. Remove the extra \
     name (`find FOLDER -samefile {}` lists them) and name the ledger by one path in every \
     config (a symlink to it is fine)",
    ledger.display(),
    ledger.display()
)]
pub(crate) struct LedgerLinked {
    pub(crate) ledger: PathBuf,
    pub(crate) links: u64,
}

/// An open ledger. Writable ledgers hold an exclusive lock for the whole run.
pub struct Ledger {
    pub(super) conn: Connection,
    pub(super) salt: String,
    /// False for a ledger older than [`schema::LOCATION_VERSION`] opened read-only (a preview):
    /// its attempts all belong to the single practice.
    pub(super) has_locations: bool,
    pub(super) path: PathBuf,
    _lock: Option<File>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("path", &self.path).finish()
    }
}

impl Ledger {
    /// Whether a run started now would find the ledger's lock held by another run (`check`
    /// asks, without creating anything or keeping the lock).
    pub fn check_not_busy(path: &Path) -> anyhow::Result<()> {
        let lock_path = lock_path(path);
        let Ok(lock) = File::open(&lock_path) else {
            // No lock file: no run has used this ledger yet.
            return Ok(());
        };
        match lock.try_lock() {
            Err(std::fs::TryLockError::WouldBlock) => Err(LedgerBusy {
                ledger: path.to_path_buf(),
                lock: lock_path,
            }
            .into()),
            // Taken (and let go as the file closes), or a file system without locks, which a
            // run would meet too.
            _ => Ok(()),
        }
    }

    /// Opens (creating if needed) the ledger for a sending run, and takes its lock: a second
    /// run on the same ledger refuses to start instead of calling the same patients.
    pub fn open(path: &Path) -> anyhow::Result<Ledger> {
        // Before the lock: a second name has a lock of its own.
        check_one_name(path)?;
        let lock_path = lock_path(path);
        let lock = crate::private_file::open_or_create(&lock_path).with_context(|| {
            format!(
                "cannot create the ledger lock file `{}`",
                lock_path.display()
            )
        })?;
        if lock.try_lock().is_err() {
            return Err(LedgerBusy {
                ledger: path.to_path_buf(),
                lock: lock_path,
            }
            .into());
        }
        let mut ledger = Ledger::connect(path)?;
        ledger._lock = Some(lock);
        Ok(ledger)
    }

    /// Whether a sending run could open (or create) the ledger at `path`, without creating or
    /// locking anything: `run` asks before it opens it, and `check` asks the same question, so
    /// both say the same thing.
    pub fn check_writable(path: &Path) -> anyhow::Result<()> {
        let fail = |why: String| {
            anyhow::anyhow!(
                "cannot write the ledger `{}` ({why}); set [state] ledger to a writable path",
                path.display()
            )
        };
        if path.exists() {
            File::options()
                .append(true)
                .open(path)
                .map_err(|e| fail(e.kind().to_string()))?;
            return Ok(());
        }
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !folder.is_dir() {
            return Err(fail(format!(
                "its folder `{}` does not exist",
                folder.display()
            )));
        }
        tempfile::Builder::new()
            .prefix(".annie-dispatch-probe")
            .tempfile_in(folder)
            .map_err(|e| fail(format!("its folder `{}`: {}", folder.display(), e.kind())))?;
        Ok(())
    }

    /// Opens an existing ledger to record conversations (`outcomes`), without the run lock and
    /// without creating it.
    ///
    /// The lock keeps two *sending* runs from calling one patient twice; `outcomes` places no
    /// calls and writes only the `conversations` table, in short transactions that SQLite
    /// serialises with a running `run`'s (WAL, busy timeout). So it may run while a nightly run
    /// waits for calling hours with the lock held. A missing ledger is an error, not a new file:
    /// it means the config or results file is not the run's, and a fresh ledger there would
    /// hold opt-outs that no run reads.
    pub fn open_existing(path: &Path) -> anyhow::Result<Ledger> {
        if !path.exists() {
            anyhow::bail!(
                "the ledger `{}` does not exist, so what the calls showed (opt-outs, unanswered \
                 calls) cannot be recorded for the next run. Pass the --config and --results of \
                 the run that made the calls (the ledger is `[state] ledger` in the config, or \
                 annie-dispatch.ledger.sqlite3 beside the config file)",
                path.display()
            );
        }
        check_one_name(path)?;
        Ledger::connect(path)
    }

    /// Opens (creating if needed) and migrates the database, without the run lock.
    fn connect(path: &Path) -> anyhow::Result<Ledger> {
        // Private before SQLite opens it: its journal files take the database's permissions.
        crate::private_file::prepare_database(path)
            .with_context(|| format!("cannot create the ledger `{}`", path.display()))?;
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open the ledger `{}`", path.display()))?;
        let salt = schema::prepare(&conn)
            .with_context(|| format!("cannot prepare the ledger `{}`", path.display()))?;
        Ok(Ledger {
            conn,
            salt,
            has_locations: true,
            path: path.to_path_buf(),
            _lock: None,
        })
    }

    /// Opens the ledger for reading only (a preview): no lock, nothing created. `None` when there
    /// is no ledger yet.
    pub fn open_read_only(path: &Path) -> anyhow::Result<Option<Ledger>> {
        if !path.exists() {
            return Ok(None);
        }
        check_one_name(path)?;
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("cannot open the ledger `{}`", path.display()))?;
        let salt = schema::read_salt(&conn)
            .and_then(|salt| schema::for_reading(&conn).map(|()| salt))
            .with_context(|| format!("cannot read the ledger `{}`", path.display()))?;
        let has_locations = schema::version(&conn)? >= schema::LOCATION_VERSION;
        Ok(Some(Ledger {
            conn,
            salt,
            has_locations,
            path: path.to_path_buf(),
            _lock: None,
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The keyed hash that stands for a phone number in the ledger.
    pub fn number_key(&self, e164: &str) -> String {
        let digest = Sha256::digest(format!("{}:{e164}", self.salt).as_bytes());
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }
}

/// The lock file beside the ledger. Given as the settings give it (the file's own path, symlinks
/// followed), every path to the ledger has this one lock.
pub fn lock_path(ledger: &Path) -> PathBuf {
    crate::settings::paths::ledger_lock(ledger)
}

/// Refuses a ledger file with more than one name ([`LedgerLinked`]). A missing file (a new
/// ledger) has none to refuse.
fn check_one_name(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(path) {
        Ok(meta) if meta.nlink() > 1 => Err(LedgerLinked {
            ledger: path.to_path_buf(),
            links: meta.nlink(),
        }
        .into()),
        _ => Ok(()),
    }
}

/// Annie's status if it looks like an enum value (`CLOSED`), else `OTHER`: the ledger keeps no
/// free text from the API.
pub(super) fn enum_like(status: &str) -> &str {
    let ok = !status.is_empty()
        && status.len() <= 32
        && status
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if ok {
        status
    } else {
        "OTHER"
    }
}

pub(super) fn parse_stamp(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}
