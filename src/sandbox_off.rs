//! The sandbox in a build without it (`cargo install --no-default-features`): the commands stay
//! (so help, completions and the man page are the same in every build), and say how to get it.
//! A production binary without the sandbox carries no web server.

const MISSING: &str = "this annie-dispatch was built without the sandbox (--no-default-features); \
     rehearse with --dry-run, or install the default build (`cargo install --path .`) to use \
     --sandbox and `annie-dispatch sandbox`";

/// Stands in for a running sandbox; none is ever made.
pub enum Sandbox {}

impl Sandbox {
    pub async fn stop(self) {
        match self {}
    }
}

pub async fn start_for_run(_: &mut crate::settings::Settings) -> anyhow::Result<Vec<Sandbox>> {
    anyhow::bail!(MISSING)
}

pub async fn serve(_: &crate::cli::SandboxArgs) -> anyhow::Result<()> {
    anyhow::bail!(MISSING)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_sandbox_commands_say_how_to_get_the_sandbox() {
        let args = <crate::cli::Cli as clap::Parser>::parse_from(["annie-dispatch", "sandbox"]);
        let crate::cli::Command::Sandbox(args) = &args.command else {
            panic!("parsed as another command")
        };
        let e = super::serve(args).await.unwrap_err().to_string();
        assert!(e.contains("built without the sandbox"), "{e}");
        assert!(e.contains("cargo install --path ."), "{e}");
    }
}
