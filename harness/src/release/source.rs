//! Where release folders come from: the `images/` folder compiled into the binary, or an
//! on-disk folder (`HACHAOS_IMAGES_DIR`). Release files are read from here; the image module
//! builds from the same folders ([`crate::image`] depends on this, never the reverse).

use super::{Release, ReleaseError};
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/images.rs"));

/// The release `hachaos image build` and the cluster use when none is named.
pub const DEFAULT_RELEASE: &str = "pg17-pgpool46";

/// Environment variable naming an on-disk folder that replaces the embedded `images/`.
pub const IMAGES_DIR_ENV: &str = "HACHAOS_IMAGES_DIR";

/// The release file of every release folder.
pub const RELEASE_FILE: &str = "release.yaml";

/// One file of a release folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageFile {
    /// Path relative to the release folder, `/`-separated.
    pub path: String,
    /// Unix mode (0o755 for executables, else 0o644): the build context must keep the `x` bit.
    pub mode: u32,
    /// Contents.
    pub contents: Vec<u8>,
}

/// Where release folders are read from.
#[derive(Clone, Debug)]
pub enum ImageSource {
    /// The `images/` folder compiled into this binary.
    Embedded,
    /// An on-disk folder holding `<release>/` sub-folders.
    Dir(PathBuf),
}

impl ImageSource {
    /// `HACHAOS_IMAGES_DIR` if set (and not empty), else the embedded folders.
    pub fn from_env() -> Self {
        match std::env::var_os(IMAGES_DIR_ENV) {
            Some(dir) if !dir.is_empty() => ImageSource::Dir(PathBuf::from(dir)),
            _ => ImageSource::Embedded,
        }
    }

    /// The releases this source holds (folders with a `release.yaml`), sorted.
    pub fn releases(&self) -> Result<Vec<String>, SourceError> {
        let mut names: Vec<String> = match self {
            ImageSource::Embedded => EMBEDDED_FILES
                .iter()
                .filter_map(|(p, _, _)| p.strip_suffix(&format!("/{RELEASE_FILE}")))
                .filter(|r| !r.contains('/'))
                .map(str::to_string)
                .collect(),
            ImageSource::Dir(dir) => std::fs::read_dir(dir)
                .map_err(|source| SourceError::ReadFolder {
                    path: dir.clone(),
                    source,
                })?
                .filter_map(|e| e.ok())
                .filter(|e| e.path().join(RELEASE_FILE).is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
        };
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// The release file of `release`, parsed and validated.
    pub fn release(&self, release: &str) -> Result<Release, SourceError> {
        let file = self
            .folder(release)?
            .into_iter()
            .find(|f| f.path == RELEASE_FILE)
            .ok_or_else(|| self.unknown(release))?;
        let label = match self {
            ImageSource::Embedded => format!("<builtin:images/{release}/{RELEASE_FILE}>"),
            ImageSource::Dir(dir) => dir.join(release).join(RELEASE_FILE).display().to_string(),
        };
        let parsed = Release::from_str(&label, &String::from_utf8_lossy(&file.contents))?;
        if parsed.name != release {
            return Err(SourceError::BadRelease(ReleaseError::Invalid {
                file: label,
                line: None,
                key: "name".into(),
                value: format!("{:?}", parsed.name),
                message: format!("must be the folder's name, `{release}`"),
            }));
        }
        Ok(parsed)
    }

    pub(crate) fn unknown(&self, release: &str) -> SourceError {
        SourceError::UnknownRelease {
            release: release.to_string(),
            known: self.releases().unwrap_or_default(),
        }
    }

    /// Every file of one folder of the source (a release or a recipe), unsorted.
    pub(crate) fn folder(&self, name: &str) -> Result<Vec<ImageFile>, SourceError> {
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(self.unknown(name));
        }
        let files = match self {
            ImageSource::Embedded => {
                let prefix = format!("{name}/");
                EMBEDDED_FILES
                    .iter()
                    .filter_map(|(p, mode, bytes)| {
                        p.strip_prefix(&prefix).map(|rel| ImageFile {
                            path: rel.to_string(),
                            mode: *mode,
                            contents: bytes.to_vec(),
                        })
                    })
                    .collect::<Vec<_>>()
            }
            ImageSource::Dir(dir) => {
                let root = dir.join(name);
                if !root.is_dir() {
                    return Err(self.unknown(name));
                }
                let mut files = Vec::new();
                read_tree(&root, &root, &mut files)?;
                files
            }
        };
        if files.is_empty() {
            return Err(self.unknown(name));
        }
        Ok(files)
    }
}

fn read_tree(root: &Path, dir: &Path, out: &mut Vec<ImageFile>) -> Result<(), SourceError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SourceError::ReadFolder { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(read_err(dir))? {
        let path = entry.map_err(read_err(dir))?.path();
        if path.is_dir() {
            read_tree(root, &path, out)?;
        } else if path.is_file() {
            let contents = std::fs::read(&path).map_err(read_err(&path))?;
            let rel = path.strip_prefix(root).expect("below root");
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push(ImageFile {
                path: rel,
                mode: mode_of(&path),
                contents,
            });
        }
    }
    Ok(())
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o111 != 0 => 0o755,
        _ => 0o644,
    }
}

#[cfg(not(unix))]
fn mode_of(_path: &Path) -> u32 {
    0o644
}

/// Why a release folder could not be found or read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The release names no folder in the image source.
    #[error("unknown image release `{release}` (known: {})", known.join(", "))]
    UnknownRelease {
        /// The requested release.
        release: String,
        /// The releases the source holds.
        known: Vec<String>,
    },
    /// The release file is not usable.
    #[error("release file: {0}")]
    BadRelease(#[from] ReleaseError),
    /// Reading an on-disk image folder (`HACHAOS_IMAGES_DIR`) failed.
    #[error("cannot read image folder {}", path.display())]
    ReadFolder {
        /// The file or folder that could not be read.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}
