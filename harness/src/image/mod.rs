//! Node images built locally from Debian packages (no registry), cached by content hash.
//!
//! A *release* is a folder `images/<release>/` (e.g. `pg17-pgpool46`) holding the recipe
//! (`rootfs.sh`, run by `mmdebstrap`, and `import.changes`, the `docker import --change` lines),
//! a `Dockerfile` that only copies `rootfs/` over the imported base, and the files it copies. The
//! folders are embedded in the binary ([`ImageSource::Embedded`]) so the harness works from any
//! working directory; `HACHAOS_IMAGES_DIR` points at an on-disk folder instead. Reading those
//! folders and their release files belongs to [`crate::release`] (re-exported here); this module
//! only builds, and depends on `release`, never the reverse.
//!
//! The image tag is `hachaos-node:<release>-<sha256 of every file, 12 hex>`: an unchanged recipe is a
//! cache hit (one inspect), any changed byte is a new tag. The imported base has its own tag hashed
//! over the recipe files only, so editing a script rebuilds in seconds without re-running
//! mmdebstrap.

mod build;
mod error;
mod source;

pub use build::{
    build_image, ensure_image, require_image, BuildOptions, ImageEvent, ImageRef, Phase,
};
pub use error::ImageError;
pub use source::{ImageFile, ImageSource, ReleaseFiles, DEFAULT_RELEASE, IMAGES_DIR_ENV};
