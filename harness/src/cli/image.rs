//! `hachaos image build|tag`: build (or name) the node image of a release.

use super::output::{errln, outln, OutputFormat};
use super::{report_error, Outcome};
use crate::exit_code::ExitCode;
use crate::image::{self, BuildOptions, ImageEvent, ImageSource, DEFAULT_RELEASE};
use std::time::Instant;

/// Arguments of `hachaos image`.
#[derive(Debug, clap::Args)]
pub struct ImageArgs {
    /// What to do with the image.
    #[command(subcommand)]
    pub command: ImageCommand,
}

/// The `hachaos image` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ImageCommand {
    /// Build the node image from Debian packages (a cache hit when the recipe is unchanged).
    ///
    /// Examples:
    ///   hachaos image build
    ///   hachaos image build --release pg17-pgpool46 --force
    ///   HACHAOS_IMAGES_DIR=./images hachaos image build
    #[command(verbatim_doc_comment)]
    Build {
        /// The image folder under images/.
        #[arg(long, default_value = DEFAULT_RELEASE)]
        release: String,
        /// Rebuild even if the image (and its base) already exist.
        #[arg(long)]
        force: bool,
        /// Output format (progress stays on stderr).
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Print the tag the image of a release has (no Docker needed), e.g. for compose/.
    Tag {
        /// The image folder under images/.
        #[arg(long, default_value = DEFAULT_RELEASE)]
        release: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
}

pub(crate) fn run(args: ImageArgs) -> Outcome {
    match args.command {
        ImageCommand::Tag { release, format } => match ImageSource::from_env().load(&release) {
            Ok(files) if format == OutputFormat::Json => {
                super::output::print_json(&serde_json::json!({
                    "format_version": 1, "release": release, "tag": files.tag(),
                }));
                ExitCode::Pass
            }
            Ok(files) => {
                outln!("{}", files.tag());
                ExitCode::Pass
            }
            Err(e) => {
                report_error(&e);
                ExitCode::BadInput
            }
        },
        ImageCommand::Build {
            release,
            force,
            format,
        } => build(&release, force, format),
    }
}

fn build(release: &str, force: bool, format: OutputFormat) -> Outcome {
    let options = BuildOptions {
        source: ImageSource::from_env(),
        force,
    };
    // Bad input (an unknown release) is reported before touching Docker.
    if let Err(e) = options.source.load(release) {
        report_error(&e);
        return ExitCode::BadInput;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            report_error(&e);
            return ExitCode::Unknown;
        }
    };
    let started = Instant::now();
    runtime.block_on(async {
        let docker = match crate::docker::connect().await {
            Ok(d) => d,
            Err(e) => {
                report_error(&e);
                return ExitCode::Environment;
            }
        };
        match image::build_image(&docker, release, &options, print_event).await {
            Ok(image) => {
                errln!(
                    "{} {} in {:.1}s",
                    if image.built { "built" } else { "cached" },
                    image.tag,
                    started.elapsed().as_secs_f64()
                );
                match format {
                    OutputFormat::Json => super::output::print_json(&serde_json::json!({
                        "format_version": 1, "release": release, "tag": image.tag,
                        "id": image.id, "built": image.built,
                        "elapsed_ms": started.elapsed().as_millis() as u64,
                    })),
                    OutputFormat::Text => outln!("{}", image.tag),
                }
                ExitCode::Pass
            }
            Err(e) => {
                report_error(&e);
                ExitCode::Environment
            }
        }
    })
}

fn print_event(event: ImageEvent) {
    match event {
        ImageEvent::Started { phase, detail } => errln!("{phase}: {detail} ..."),
        ImageEvent::Finished { phase, elapsed } => {
            errln!("{phase}: done in {:.1}s", elapsed.as_secs_f64())
        }
        ImageEvent::Cached { phase, tag } => errln!("{phase}: cached {tag}"),
    }
}
