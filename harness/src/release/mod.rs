//! Releases as data: `images/<release>/release.yaml` says how a release's node image is built (or
//! which image to use), the versions inside, the ports and log files the harness reads, the
//! commands it runs, the log grammar, and which pgpool-II parameter names its configuration takes.
//! Adding a release is adding a folder; bringing your own image is writing one such file.

mod dialect;
mod file;
mod source;
mod workaround;

pub use dialect::{Dialects, PgpoolVersion, Spelling, VersionError};
pub use file::{Apt, Build, Commands, Logs, Ports, Release, ReleaseError, Versions};
pub use source::{
    ImageFile, ImageSource, SourceError, DEFAULT_RELEASE, IMAGES_DIR_ENV, RELEASE_FILE,
};
pub use workaround::{records as workaround_records, Workaround, WorkaroundRecord};

use crate::grammar::GrammarDef;
use std::path::Path;

impl Release {
    /// A release of the image source (`images/<name>/release.yaml`, embedded or
    /// `HACHAOS_IMAGES_DIR`).
    pub fn builtin(name: &str) -> Result<Release, SourceError> {
        ImageSource::from_env().release(name)
    }

    /// The default release, compiled in (its file is unit-tested).
    pub fn default_builtin() -> Release {
        ImageSource::Embedded
            .release(DEFAULT_RELEASE)
            .expect("the default release file parses (unit-tested)")
    }

    /// The release's log grammar: a built-in profile, or a profile file relative to
    /// `release_file`.
    pub fn grammar_def(
        &self,
        release_file: Option<&Path>,
    ) -> Result<GrammarDef, crate::grammar::GrammarError> {
        match self.grammar_file(release_file) {
            Some(path) => GrammarDef::from_path(&path),
            None => GrammarDef::builtin(&self.grammar),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_release_parses_and_has_its_grammar() {
        let names = ImageSource::Embedded.releases().unwrap();
        assert!(names.contains(&"pg17-pgpool46".to_string()), "{names:?}");
        assert!(names.contains(&"pg15-pgpool43".to_string()), "{names:?}");
        for name in names {
            let r = ImageSource::Embedded.release(&name).unwrap();
            assert_eq!(r.name, name);
            r.grammar_def(None).unwrap();
        }
        assert_eq!(Release::default_builtin().name, DEFAULT_RELEASE);
    }
}
