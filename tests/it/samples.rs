//! Every shipped sample, with the config the README pairs it with, passes a preview run.

use std::process::Command;

fn preview(config: &str, input: &str, now: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    Command::new(env!("CARGO_BIN_EXE_annie-dispatch"))
        .current_dir(root)
        .env_remove("ANNIE_API_KEY")
        .args([
            "--no-progress",
            "run",
            "--dry-run",
            "--config",
            config,
            "--input",
            input,
            "--now",
            now,
        ])
        .arg("--results")
        .arg(dir.path().join("r.csv"))
        .output()
        .unwrap()
}

#[test]
fn readme_preview_command_plans_real_calls() {
    for input in [
        "samples/opendental-appointments.csv",
        "samples/opendental-appointments.json",
    ] {
        let out = preview("config.example.toml", input, "2026-11-23T18:30:00-06:00");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{input}\n{stdout}\n{stderr}");
        assert_eq!(stdout.matches("dry_run").count(), 5, "{input}\n{stdout}");
        assert!(stderr.contains("10 rows: 5 dry_run, 5 skipped"), "{stderr}");
    }
}

#[test]
fn dentrix_sample_previews() {
    let out = preview(
        "samples/dentrix.toml",
        "samples/dentrix-appointments.csv",
        "2026-11-23T18:30:00-05:00",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout.matches("dry_run").count(), 3, "{stdout}");
    assert!(stdout.contains("already confirmed (FIRM)"), "{stdout}");
}
