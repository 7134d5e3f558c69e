//! The command line: raw arguments (clap) are turned into validated requests and handed to the
//! library. Each subcommand lives in its own file with its `Args` and `run`.

mod analyze;
mod args;
mod cluster_cmds;
mod compare_cmd;
mod completions;
mod doctor_cmd;
mod explore_cmd;
mod image;
mod jobs_arg;
mod list_faults;
mod net_delayer;
mod output;
mod qualify_cmd;
mod qualify_report_cmd;
mod release_arg;
mod report_cmd;
mod run_cmd;
mod runtime;
mod suite_cmd;
mod suite_progress;
mod validate;

pub use args::{Cli, Command};

use crate::exit_code::ExitCode;
use clap::Parser;
use output::errln;

/// Parses the process arguments, runs the command and returns the process exit status.
pub fn main() -> i32 {
    let cli = Cli::parse();
    output::set_color(cli.color);
    output::init_tracing(cli.verbose);
    // `analyze --profile-file` takes a grammar file: not the old spelling of `--release-file`.
    if !matches!(cli.command, Command::Analyze(_)) {
        warn_deprecated_flags(std::env::args().skip(1));
    }
    let code = match cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Up(args) => cluster_cmds::up(args),
        Command::Status(args) => cluster_cmds::status(args),
        Command::Down(args) => cluster_cmds::down(args),
        Command::Clean(args) => cluster_cmds::clean(args),
        Command::Run(args) => run_cmd::run(args),
        Command::Validate(args) => validate::run(args),
        Command::ListFaults(args) => list_faults::run(args),
        Command::Image(args) => image::run(args),
        Command::Report(args) => report_cmd::run(args),
        Command::Compare(args) => compare_cmd::run(args),
        Command::Qualify(args) => qualify_cmd::run(args),
        Command::QualifyReport(args) => qualify_report_cmd::run(args),
        Command::Completions(args) => completions::completions(args),
        Command::Man(args) => completions::man(args),
        Command::Doctor(args) => doctor_cmd::run(args),
        Command::Explore(args) => explore_cmd::run(args),
        Command::NetDelayer(args) => net_delayer::run(args),
    };
    output::finish(code)
}

/// Old spellings clap still accepts (as aliases), each with the flag that replaces it.
const DEPRECATED_FLAGS: &[(&str, &str)] = &[("--profile-file", "--release-file")];

/// Warns once per old flag spelling on the command line.
fn warn_deprecated_flags(args: impl Iterator<Item = String>) {
    let mut warned: Vec<&str> = Vec::new();
    for arg in args {
        if arg == "--" {
            break;
        }
        for (old, new) in DEPRECATED_FLAGS {
            let used = arg == *old || arg.starts_with(&format!("{old}="));
            if used && !warned.contains(old) {
                warned.push(old);
                errln!("warning: `{old}` is deprecated: use `{new}` (it takes a release file)");
            }
        }
    }
}

/// The image to boot: `explicit` if given (it must exist), else the release's image: built if
/// missing, or (for a release naming an image built elsewhere) checked to be there.
pub(crate) async fn image_for(
    docker: &bollard::Docker,
    release: &crate::release::Release,
    explicit: Option<&str>,
    progress: &mut output::Progress,
) -> Result<String, ExitCode> {
    if let Some(tag) = explicit {
        return Ok(tag.to_string());
    }
    let result = match &release.image {
        Some(image) => crate::image::require_image(docker, &release.name, image).await,
        None => {
            crate::image::ensure_image(docker, &release.name, |event| match event {
                crate::image::ImageEvent::Started { phase, detail } => {
                    progress.phase(&format!("image {phase}: {detail}"))
                }
                crate::image::ImageEvent::Finished { phase, elapsed } => progress.phase(&format!(
                    "image {phase}: done in {:.1} s",
                    elapsed.as_secs_f64()
                )),
                crate::image::ImageEvent::Cached { .. } => {}
            })
            .await
        }
    };
    match result {
        Ok(image) => Ok(image.tag),
        Err(e) => {
            report_error(&e);
            Err(match e {
                crate::image::ImageError::Source(
                    crate::release::SourceError::UnknownRelease { .. }
                    | crate::release::SourceError::BadRelease(_),
                ) => ExitCode::BadInput,
                _ => ExitCode::Environment,
            })
        }
    }
}

/// The engine (API version negotiated), a progress printer, and the image to boot (see
/// [`image_for`]); what went wrong is printed and becomes the exit code.
pub(crate) async fn engine_and_image(
    release: &crate::release::Release,
    explicit: Option<&str>,
) -> Result<(bollard::Docker, output::Progress, String), ExitCode> {
    let docker = match crate::docker::connect().await {
        Ok(d) => d,
        Err(e) => return Err(cluster_cmds::fail(&e.into())),
    };
    let mut progress = output::Progress::new();
    let image = image_for(&docker, release, explicit, &mut progress).await?;
    Ok((docker, progress, image))
}

/// Prints an error the way every command does: `error: ` plus lowercase fragments joined by `: `.
pub(crate) fn report_error(err: &dyn std::error::Error) {
    errln!("error: {}", crate::ErrorChain(err));
}

/// Shorthand used by subcommands.
pub(crate) type Outcome = ExitCode;
