//! `hachaos image build|tag`: build (or name) the node image of a release.

use super::output::{errln, outln, OutputFormat};
use super::{report_error, Outcome};
use crate::exit_code::{ExitCode, ExitStatus};
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
    ///   hachaos image build --release pg15-pgpool43 --release pg18-pgpool47   # concurrently
    ///   HACHAOS_IMAGES_DIR=./images hachaos image build
    #[command(verbatim_doc_comment)]
    Build {
        /// The image folder under images/; repeat it to build several releases concurrently
        /// (their mmdebstrap downloads and docker steps overlap).
        #[arg(long, default_value = DEFAULT_RELEASE)]
        release: Vec<String>,
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
                e.exit_code()
            }
        },
        ImageCommand::Build {
            release,
            force,
            format,
        } => build(&release, force, format),
    }
}

fn build(releases: &[String], force: bool, format: OutputFormat) -> Outcome {
    let options = BuildOptions {
        source: ImageSource::from_env(),
        force,
    };
    // Bad input (an unknown release) is reported before touching Docker.
    for release in releases {
        if let Err(e) = options.source.load(release) {
            report_error(&e);
            return e.exit_code();
        }
    }
    let mut seen = std::collections::HashSet::new();
    let releases: Vec<String> = releases
        .iter()
        .filter(|r| seen.insert(r.as_str()))
        .cloned()
        .collect();
    let several = releases.len() > 1;
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
                return e.exit_code();
            }
        };
        // Independent releases build concurrently: one's download overlaps another's import.
        let builds = releases.iter().map(|release| {
            let (docker, options) = (&docker, &options);
            async move {
                let prefix = if several {
                    format!("[{release}] ")
                } else {
                    String::new()
                };
                let result =
                    image::build_image(docker, release, options, |e| print_event(&prefix, e)).await;
                (prefix, result)
            }
        });
        let mut code = ExitCode::Pass;
        let mut images = Vec::new();
        for ((prefix, result), release) in futures_util::future::join_all(builds)
            .await
            .into_iter()
            .zip(&releases)
        {
            match result {
                Ok(image) => {
                    errln!(
                        "{prefix}{} {} in {:.1}s",
                        if image.built { "built" } else { "cached" },
                        image.tag,
                        started.elapsed().as_secs_f64()
                    );
                    match format {
                        OutputFormat::Json => images.push(serde_json::json!({
                            "release": release, "tag": image.tag,
                            "id": image.id, "built": image.built,
                        })),
                        OutputFormat::Text => outln!("{}", image.tag),
                    }
                }
                Err(e) => {
                    super::output::emit(super::output::Stream::Err, format_args!("{prefix}"));
                    report_error(&e);
                    code = e.exit_code();
                }
            }
        }
        if format == OutputFormat::Json {
            // One object whatever the number of releases: `images` has one entry per release
            // that built (or was cached), in the order given.
            super::output::print_json(&serde_json::json!({
                "format_version": 1,
                "images": images,
                "elapsed_ms": started.elapsed().as_millis() as u64,
            }));
        }
        code
    })
}

fn print_event(prefix: &str, event: ImageEvent) {
    match event {
        ImageEvent::Started { phase, detail } => errln!("{prefix}{phase}: {detail} ..."),
        ImageEvent::Finished { phase, elapsed } => {
            errln!("{prefix}{phase}: done in {:.1}s", elapsed.as_secs_f64())
        }
        ImageEvent::Cached { phase, tag } => errln!("{prefix}{phase}: cached {tag}"),
    }
}
