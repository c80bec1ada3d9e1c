//! Files that hold patient data are private to the user running the tool (mode 0600).
//!
//! Results, outcomes, `--emit-requests` bodies, HTML reports, the ledger and the sandbox's
//! request log name patients, appointments or numbers. A nightly job usually runs with a umask of
//! 022, which would leave them readable by every account on the machine, so every one of them is
//! created here, with mode 0600. The process umask still applies on top (so an operator's
//! stricter umask, 077 or 277, wins), and a file that already exists (written by an older
//! version, or created by hand) loses its group and other permissions: nothing here ever widens
//! a file's permissions.
//!
//! Files rewritten whole (the outcomes file) are written to a temporary file in the same folder,
//! also 0600, and renamed over the old one, so a reader never sees half a file and an
//! interruption never loses the rows it had.

use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Owner read and write only.
pub const MODE: u32 = 0o600;

/// Creates (or truncates) a private file for writing.
pub(crate) fn create(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(MODE)
        .open(path)?;
    tighten(&file, path)?;
    Ok(file)
}

/// Writes a whole private file (created or truncated), like `std::fs::write`.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    create(path)?.write_all(bytes)
}

/// Opens a private file for writing without truncating it, creating it if needed (a lock file,
/// a database about to be opened by SQLite).
pub(crate) fn open_or_create(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(MODE)
        .open(path)?;
    tighten(&file, path)?;
    Ok(file)
}

/// Makes an SQLite database private before SQLite opens it: creates the file 0600 if it is
/// missing (SQLite would create it with 0644 less the umask), and tightens it and any journal
/// files already beside it. SQLite gives the journal files it creates later (`-wal`, `-shm`,
/// `-journal`) the database file's permissions.
pub(crate) fn prepare_database(path: &Path) -> io::Result<()> {
    drop(open_or_create(path)?);
    for suffix in crate::settings::paths::JOURNAL_SUFFIXES {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        let journal = Path::new(&name);
        match File::open(journal) {
            Ok(file) => tighten(&file, journal)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Replaces `path` with what `write` produces, atomically: a private temporary file in the same
/// folder is written, flushed to disk and renamed over `path`. If anything fails, `path` is left
/// as it was and the temporary file is removed.
pub(crate) fn replace(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&File>) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(Permissions::from_mode(MODE))
        .tempfile_in(dir)?;
    {
        let mut out = BufWriter::new(temp.as_file());
        write(&mut out)?;
        out.flush()?;
    }
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Removes group and other permissions from a regular file that has them (one that existed
/// before we opened it). Devices and pipes (`--results /dev/stdout`) are left alone.
fn tighten(file: &File, path: &Path) -> io::Result<()> {
    let meta = file.metadata()?;
    let mode = meta.permissions().mode();
    if !meta.is_file() || mode & 0o077 == 0 {
        return Ok(());
    }
    file.set_permissions(Permissions::from_mode(mode & 0o7700))
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "`{}` is readable by other users and its permissions cannot be narrowed \
                     ({e}); remove it or `chmod 600` it, then rerun",
                    path.display()
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_files_are_private_and_existing_ones_are_narrowed_never_widened() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.csv");
        create(&new).unwrap();
        assert_eq!(mode(&new), 0o600);

        let old = dir.path().join("old.csv");
        std::fs::write(&old, "x").unwrap();
        std::fs::set_permissions(&old, Permissions::from_mode(0o644)).unwrap();
        create(&old).unwrap();
        assert_eq!(mode(&old), 0o600);

        let stricter = dir.path().join("stricter.csv");
        std::fs::write(&stricter, "x").unwrap();
        std::fs::set_permissions(&stricter, Permissions::from_mode(0o400)).unwrap();
        open_or_create(&stricter).unwrap();
        assert_eq!(mode(&stricter), 0o400, "never widened");
    }

    #[test]
    fn a_replaced_file_is_private_and_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outcomes.csv");
        std::fs::write(&path, "old\n").unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        replace(&path, |w| w.write_all(b"new\n")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(mode(&path), 0o600);

        let failed = replace(&path, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("interrupted"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn a_database_and_its_journals_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("ledger.sqlite3");
        prepare_database(&db).unwrap();
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        for name in ["ledger.sqlite3", "ledger.sqlite3-wal", "ledger.sqlite3-shm"] {
            let path = dir.path().join(name);
            assert!(path.exists(), "{name}");
            assert_eq!(mode(&path), 0o600, "{name}");
        }
    }
}
