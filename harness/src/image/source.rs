//! The build context of a release (its recipe folder with the release folder laid over it) and
//! its content hash. Where the folders come from is [`crate::release::ImageSource`].

use super::ImageError;
use crate::release::{Dialects, Release};
pub use crate::release::{ImageFile, ImageSource, DEFAULT_RELEASE, IMAGES_DIR_ENV};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The file the harness writes into the build context from the release's `build:` section
/// (`SUITE=...`, `PG_MAJOR=...`), read by `rootfs.sh` and passed to `docker build` as build args.
pub const BUILD_ENV: &str = "build.env";

/// Files that make up the imported base layer (everything else only feeds the `COPY`).
const BASE_FILES: &[&str] = &["rootfs.sh", "import.changes", BUILD_ENV];

impl ImageSource {
    /// The build context of `release`: its recipe folder with the release folder laid over it,
    /// the pgpool template rendered for the release's pgpool version, and `build.env`; sorted by
    /// path. A release that names an image built elsewhere has nothing to build.
    pub fn load(&self, release: &str) -> Result<ReleaseFiles, ImageError> {
        self.load_release(&self.release(release)?)
    }

    /// [`load`](ImageSource::load) for a release file already read.
    pub fn load_release(&self, spec: &Release) -> Result<ReleaseFiles, ImageError> {
        let release = spec.name.as_str();
        let (Some(build), Some(env)) = (&spec.build, spec.build_env()) else {
            return Err(ImageError::NotBuilt {
                release: release.to_string(),
                image: spec.image.clone().unwrap_or_default(),
            });
        };
        let mut by_path: std::collections::BTreeMap<String, ImageFile> = self
            .folder(&build.recipe)
            .map_err(|_| ImageError::MissingFile {
                release: release.to_string(),
                file: format!("the recipe folder `{}` named by build.recipe", build.recipe),
            })?
            .into_iter()
            .map(|f| (f.path.clone(), f))
            .collect();
        for f in self.folder(release)? {
            by_path.insert(f.path.clone(), f);
        }
        let template = format!("rootfs/{}", spec.pgpool_template.trim_start_matches('/'));
        if let Some(t) = by_path.get_mut(&template) {
            let text = String::from_utf8_lossy(&t.contents).into_owned();
            // Release-level values are filled in at build time (node-level `@@...@@` ones at
            // every start, by the entrypoint).
            let text = text.replace(
                "@@RELEASE_FAILOVER_COMMAND@@",
                &spec.commands.failover.replace('\'', "''"),
            );
            t.contents = Dialects::builtin()
                .render(&text, spec.versions.pgpool)
                .into_bytes();
        }
        let env: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        by_path.insert(
            BUILD_ENV.to_string(),
            ImageFile {
                path: BUILD_ENV.to_string(),
                mode: 0o644,
                contents: env.into_bytes(),
            },
        );
        let release_files = ReleaseFiles {
            release: release.to_string(),
            files: by_path.into_values().collect(),
        };
        for required in [
            "Dockerfile",
            "rootfs.sh",
            "import.changes",
            template.as_str(),
        ] {
            if release_files.get(required).is_none() {
                return Err(ImageError::MissingFile {
                    release: release.to_string(),
                    file: required.to_string(),
                });
            }
        }
        Ok(release_files)
    }
}

/// The files of one release folder, sorted by path.
#[derive(Clone, Debug)]
pub struct ReleaseFiles {
    /// The release name (the folder's name).
    pub release: String,
    /// Its files.
    pub files: Vec<ImageFile>,
}

impl ReleaseFiles {
    /// The file at `path` (relative to the release folder).
    pub fn get(&self, path: &str) -> Option<&ImageFile> {
        self.files.iter().find(|f| f.path == path)
    }

    /// 12 hex chars of a sha256 over every file (path, mode, length, contents).
    pub fn content_hash(&self) -> String {
        hash_files(self.files.iter())
    }

    /// The hash of the files that make up the imported base (`rootfs.sh`, `import.changes`).
    pub fn base_hash(&self) -> String {
        hash_files(
            self.files
                .iter()
                .filter(|f| BASE_FILES.contains(&f.path.as_str())),
        )
    }

    /// The node image tag, `hachaos-node:<release>-<content hash>`.
    pub fn tag(&self) -> String {
        format!("hachaos-node:{}-{}", self.release, self.content_hash())
    }

    /// The imported base image tag, `hachaos-node-base:<release>-<base hash>`.
    pub fn base_tag(&self) -> String {
        format!("hachaos-node-base:{}-{}", self.release, self.base_hash())
    }

    /// Writes the folder into `dir` (the build context), keeping the executable bits.
    pub fn materialize(&self, dir: &Path) -> Result<(), ImageError> {
        for file in &self.files {
            let dest = dir.join(&file.path);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| ImageError::io(format!("create {}", parent.display()), e))?;
            }
            std::fs::write(&dest, &file.contents)
                .map_err(|e| ImageError::io(format!("write {}", dest.display()), e))?;
            set_mode(&dest, file.mode)?;
        }
        Ok(())
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<(), ImageError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| ImageError::io(format!("chmod {}", path.display()), e))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<(), ImageError> {
    Ok(())
}

fn hash_files<'a>(files: impl Iterator<Item = &'a ImageFile>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"hachaos-image-v1\0");
    for f in files {
        // Length-prefixed fields: no two different file sets hash the same byte stream.
        hasher.update((f.path.len() as u64).to_le_bytes());
        hasher.update(f.path.as_bytes());
        hasher.update(f.mode.to_le_bytes());
        hasher.update((f.contents.len() as u64).to_le_bytes());
        hasher.update(&f.contents);
    }
    hex::encode(hasher.finalize())[..12].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::SourceError;

    fn release(files: &[(&str, u32, &str)]) -> ReleaseFiles {
        ReleaseFiles {
            release: "r1".into(),
            files: files
                .iter()
                .map(|(p, m, c)| ImageFile {
                    path: p.to_string(),
                    mode: *m,
                    contents: c.as_bytes().to_vec(),
                })
                .collect(),
        }
    }

    fn sample() -> ReleaseFiles {
        release(&[
            ("Dockerfile", 0o644, "FROM x\n"),
            ("import.changes", 0o644, "ENV A=1\n"),
            ("rootfs.sh", 0o755, "mmdebstrap\n"),
            ("rootfs/usr/local/bin/x", 0o755, "#!/bin/sh\n"),
        ])
    }

    #[test]
    fn hash_is_twelve_hex_chars_and_stable() {
        let h = sample().content_hash();
        assert_eq!(h.len(), 12);
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(h, sample().content_hash());
    }

    #[test]
    fn hash_changes_when_a_file_changes() {
        let mut changed = sample();
        changed.files[3].contents.push(b'#');
        assert_ne!(sample().content_hash(), changed.content_hash());
    }

    #[test]
    fn hash_changes_when_a_file_is_added_renamed_or_loses_its_x_bit() {
        let base = sample().content_hash();
        let mut added = sample();
        added.files.push(ImageFile {
            path: "z".into(),
            mode: 0o644,
            contents: vec![],
        });
        assert_ne!(base, added.content_hash());
        let mut renamed = sample();
        renamed.files[3].path = "rootfs/usr/local/bin/y".into();
        assert_ne!(base, renamed.content_hash());
        let mut mode = sample();
        mode.files[3].mode = 0o644;
        assert_ne!(base, mode.content_hash());
    }

    #[test]
    fn base_hash_ignores_files_outside_the_recipe() {
        let mut script_changed = sample();
        script_changed.files[3].contents = b"#!/bin/sh\necho\n".to_vec();
        assert_eq!(sample().base_hash(), script_changed.base_hash());
        assert_ne!(sample().tag(), script_changed.tag());
        let mut recipe_changed = sample();
        recipe_changed.files[2].contents = b"mmdebstrap --x\n".to_vec();
        assert_ne!(sample().base_hash(), recipe_changed.base_hash());
    }

    #[test]
    fn tags_name_release_and_hash() {
        let r = sample();
        assert_eq!(r.tag(), format!("hachaos-node:r1-{}", r.content_hash()));
        assert_eq!(
            r.base_tag(),
            format!("hachaos-node-base:r1-{}", r.base_hash())
        );
    }

    #[test]
    fn embedded_default_release_is_complete() {
        let files = ImageSource::Embedded.load(DEFAULT_RELEASE).unwrap();
        assert!(
            files
                .get("rootfs/usr/local/bin/hachaos-entrypoint")
                .unwrap()
                .mode
                & 0o111
                != 0
        );
        assert!(ImageSource::Embedded
            .releases()
            .unwrap()
            .contains(&DEFAULT_RELEASE.to_string()));
    }

    #[test]
    fn on_disk_folder_hashes_like_the_embedded_one() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../images");
        let disk = ImageSource::Dir(dir).load(DEFAULT_RELEASE).unwrap();
        let embedded = ImageSource::Embedded.load(DEFAULT_RELEASE).unwrap();
        assert_eq!(disk.content_hash(), embedded.content_hash());
    }

    #[test]
    fn unknown_release_names_the_known_ones() {
        let err = ImageSource::Embedded.load("nope").unwrap_err().to_string();
        assert!(err.contains("unknown image release `nope`"), "{err}");
        assert!(err.contains(DEFAULT_RELEASE), "{err}");
        assert!(matches!(
            ImageSource::Embedded.load("../x"),
            Err(ImageError::Source(SourceError::UnknownRelease { .. }))
        ));
    }

    #[test]
    fn materialize_keeps_the_executable_bit() {
        let dir = std::env::temp_dir().join(format!("hachaos-test-mat-{}", std::process::id()));
        sample().materialize(&dir).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let m = std::fs::metadata(dir.join("rootfs/usr/local/bin/x")).unwrap();
            assert_eq!(m.permissions().mode() & 0o777, 0o755);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
