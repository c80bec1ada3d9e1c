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
