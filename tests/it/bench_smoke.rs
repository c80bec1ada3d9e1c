//! The benchmark script at tiny sizes, so it cannot rot unnoticed. It asserts only that every
//! benchmark produced a row; the numbers are for BENCHMARKS.md, not for tests.

#[test]
fn bench_script_runs_at_smoke_sizes() {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_annie-dispatch"));
    let floor = bin.parent().unwrap().join("examples").join("csv_floor");
    if !floor.exists() {
        // `cargo test` builds examples; a filtered build may not have. Say so instead of passing.
        panic!(
            "{} is missing: run `cargo build --examples`",
            floor.display()
        );
    }
    let out = std::process::Command::new("bash")
        .arg("bench/run.sh")
        .arg("--smoke")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("BIN", bin)
        .env("FLOOR", &floor)
        .env_remove("ANNIE_API_KEY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for row in [
        "| preview, 200 rows |",
        "| preview, 2000 rows |",
        "| rate precision:",
        "| at the limit with jitter:",
        "| sandbox allows",
        "| ceiling:",
    ] {
        assert!(stdout.contains(row), "missing `{row}`:\n{stdout}");
    }
    assert!(stdout.contains("12/12 sent"), "{stdout}");
}

/// The script that proves two builds write the same previews: a build against itself agrees on
/// all four previews (and its streamed previews with its whole-export ones), and an export that
/// differs is caught (a binary that writes another table
/// is simulated by a wrapper that appends a line to it).
#[test]
fn preview_comparison_script_agrees_with_itself_and_catches_a_difference() {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_annie-dispatch"));
    let run = |old: &std::path::Path| {
        std::process::Command::new("bash")
            .args(["bench/compare_previews.sh"])
            .arg(old)
            .arg(bin)
            .args(["30", "120"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap()
    };
    let same = run(bin);
    let stdout = String::from_utf8_lossy(&same.stdout);
    assert!(
        same.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&same.stderr)
    );
    for case in ["small", "large", "group", "wide"] {
        assert!(stdout.contains(&format!("{case}: same: yes")), "{stdout}");
    }
    for case in ["small", "large"] {
        let line = format!("{case} streamed = whole export: yes");
        assert!(stdout.contains(&line), "{stdout}");
    }

    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other-build");
    std::fs::write(
        &other,
        format!(
            "#!/bin/sh\n\"{}\" \"$@\"; status=$?\necho extra\nexit $status\n",
            bin.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&other, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let differ = run(&other);
    let stdout = String::from_utf8_lossy(&differ.stdout);
    assert_eq!(differ.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("small: same: no (table differs)"),
        "{stdout}"
    );
}
