//! Reading `/proc/<pid>/mountinfo` (from the host, into a container's mount namespace) to find
//! which filesystem holds a path and whether it is read-only.

/// One mount, as far as the disk fault needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mount {
    /// Where it is mounted (inside the container).
    pub mount_point: String,
    /// Per-mount options (`rw,relatime`).
    pub options: Vec<String>,
    /// Filesystem type (`ext4`).
    pub fstype: String,
    /// The source (`/dev/loop3`).
    pub source: String,
    /// The device number as mountinfo gives it (`7:3`): what a file on this mount reports as
    /// its `st_dev`.
    pub device: String,
    /// Superblock options (`rw,errors=remount-ro`).
    pub super_options: Vec<String>,
}

impl Mount {
    /// Read-only at the mount or superblock level, including ext4's emergency read-only state.
    ///
    /// Older kernels turn an ext4 error under `errors=remount-ro` into a real remount (`ro` in
    /// the superblock options). Since Linux 6.x ext4 no longer sets `SB_RDONLY` for this: the
    /// mount still reads `rw` and the superblock options gain `emergency_ro` (seen here on
    /// 6.18: `rw,errors=remount-ro,emergency_ro`), while every write fails with EROFS.
    pub fn read_only(&self) -> bool {
        self.options.iter().any(|o| o == "ro")
            || self
                .super_options
                .iter()
                .any(|o| o == "ro" || o == "emergency_ro")
    }

    /// The device number (`7:3` → (7, 3)).
    pub fn major_minor(&self) -> Option<(u32, u32)> {
        let (a, b) = self.device.split_once(':')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    }

    /// `loop3` for `/dev/loop3`.
    pub fn loop_device(&self) -> Option<&str> {
        let name = self.source.strip_prefix("/dev/")?;
        (name.starts_with("loop")
            && name[4..].chars().all(|c| c.is_ascii_digit())
            && name.len() > 4)
            .then_some(name)
    }
}

/// `\040` and friends in mountinfo paths.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = u8::from_str_radix(&s[i + 1..i + 4], 8).unwrap_or(b'?');
            out.push(v as char);
            i += 4;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    out
}

/// Parses mountinfo text.
pub(crate) fn parse(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (pre, post) = line.split_once(" - ")?;
            let pre: Vec<&str> = pre.split(' ').collect();
            let post: Vec<&str> = post.split(' ').collect();
            if pre.len() < 6 || post.len() < 3 {
                return None;
            }
            Some(Mount {
                device: pre[2].to_string(),
                mount_point: unescape(pre[4]),
                options: pre[5].split(',').map(str::to_string).collect(),
                fstype: post[0].to_string(),
                source: unescape(post[1]),
                super_options: post[2].split(',').map(str::to_string).collect(),
            })
        })
        .collect()
}

/// The mount holding `path`: the longest mount point that is a prefix of it (the last one
/// mounted wins among equals, as the kernel does).
pub(crate) fn holding<'a>(mounts: &'a [Mount], path: &str) -> Option<&'a Mount> {
    let under = |mp: &str| {
        mp == "/"
            || path == mp
            || path
                .strip_prefix(mp)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    mounts
        .iter()
        .enumerate()
        .filter(|(_, m)| under(&m.mount_point))
        .max_by_key(|(i, m)| (m.mount_point.len(), *i))
        .map(|(_, m)| m)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
600 500 0:52 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/x
601 600 0:53 / /proc rw,nosuid - proc proc rw
650 600 7:3 / /var/lib/postgresql rw,relatime - ext4 /dev/loop3 rw,errors=remount-ro
";

    #[test]
    fn pgdata_under_a_loop_mount_is_found_with_its_device() {
        let mounts = parse(SAMPLE);
        let m = holding(&mounts, "/var/lib/postgresql/17/main").unwrap();
        assert_eq!(m.fstype, "ext4");
        assert_eq!(m.loop_device(), Some("loop3"));
        assert_eq!(m.major_minor(), Some((7, 3)));
        assert!(m.super_options.contains(&"errors=remount-ro".to_string()));
        assert!(!m.read_only());
    }

    #[test]
    fn a_path_on_the_overlay_root_is_not_loop_backed() {
        let mounts = parse(SAMPLE);
        let m = holding(&mounts, "/var/lib/postgresqlx/data").unwrap();
        assert_eq!(m.mount_point, "/");
        assert_eq!(m.loop_device(), None);
    }

    /// Recorded in a node (Linux 6.18) after `echo 1 > /sys/fs/ext4/loop0/trigger_fs_error`:
    /// the volume, then the loop-backed ext4 stacked on the same mount point.
    const AFTER_ERROR: &str = "\
162 159 254:0 /var/lib/docker/volumes/v/_data /var/lib/postgresql/data rw,relatime master:1 - ext4 /dev/vda rw,discard
130 162 7:0 / /var/lib/postgresql/data rw,relatime - ext4 /dev/loop0 rw,errors=remount-ro,emergency_ro
";

    #[test]
    fn an_ext4_in_emergency_read_only_state_reads_as_read_only() {
        let mounts = parse(AFTER_ERROR);
        let m = holding(&mounts, "/var/lib/postgresql/data/pgdata").unwrap();
        assert_eq!(m.loop_device(), Some("loop0"));
        assert!(m.read_only());
    }

    #[test]
    fn a_loop_mount_stacked_over_the_volume_holds_pgdata() {
        let text = AFTER_ERROR.replace(",emergency_ro", "");
        let mounts = parse(&text);
        let m = holding(&mounts, "/var/lib/postgresql/data/pgdata").unwrap();
        assert_eq!(m.source, "/dev/loop0");
        assert!(!m.read_only());
        // Without the loop mount, the volume holds it and it is not loop-backed.
        let volume_only: String = text.lines().next().unwrap().to_string() + "\n";
        let mounts = parse(&volume_only);
        let m = holding(&mounts, "/var/lib/postgresql/data/pgdata").unwrap();
        assert_eq!(m.loop_device(), None);
    }

    #[test]
    fn a_remounted_filesystem_reads_as_read_only() {
        let text = SAMPLE.replace(
            "rw,relatime - ext4 /dev/loop3 rw,",
            "ro,relatime - ext4 /dev/loop3 ro,",
        );
        let mounts = parse(&text);
        assert!(holding(&mounts, "/var/lib/postgresql/17/main")
            .unwrap()
            .read_only());
    }
}
