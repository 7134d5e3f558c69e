//! Errors of the image module (lowercase fragments, joined with `: ` by the CLI).

/// Why a node image could not be found, hashed or built.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The lock that makes concurrent builds of one image build it once could not be taken.
    #[error("image build lock")]
    Lock(#[source] crate::slots::SlotError),
    /// The release folder could not be found or read, or its release file is not usable.
    #[error(transparent)]
    Source(#[from] crate::release::SourceError),
    /// A release folder lacks a file the build needs.
    #[error("image release `{release}` has no `{file}`")]
    MissingFile {
        /// The release.
        release: String,
        /// The missing file, relative to the release folder.
        file: String,
    },
    /// The release names an image built elsewhere: there is nothing to build.
    #[error("release `{release}` uses the image `{image}` built elsewhere: nothing to build here (load it with `docker load` or `docker build`)")]
    NotBuilt {
        /// The release.
        release: String,
        /// The image it names.
        image: String,
    },
    /// A release's foreign image is not in the engine.
    #[error("release `{release}` names the image `{image}`, which the Docker engine does not have (there is no registry here: `docker load` or `docker build` it first)")]
    ImageMissing {
        /// The release.
        release: String,
        /// The image it names.
        image: String,
    },
    /// A program the build runs is not installed.
    #[error("`{program}` not found in PATH: install the apt package `{package}`")]
    ToolMissing {
        /// The program (`mmdebstrap`, `docker`).
        program: &'static str,
        /// The Debian package that provides it.
        package: &'static str,
    },
    /// The Docker engine refused an API call.
    #[error("docker engine: {action}")]
    Docker {
        /// What was asked of the engine.
        action: String,
        /// The engine's error.
        #[source]
        source: bollard::errors::Error,
    },
    /// A build step (mmdebstrap, docker import, docker build) failed.
    #[error("{step} failed ({status}); last output:\n{tail}")]
    StepFailed {
        /// The step, e.g. `mmdebstrap`.
        step: &'static str,
        /// Its exit status.
        status: String,
        /// The last lines it printed.
        tail: String,
    },
    /// Local I/O (temporary build context, spawning a process) failed.
    #[error("{context}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl ImageError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        ImageError::Io {
            context: context.into(),
            source,
        }
    }
}
