//! Timestamps as logs write them, parsed by hand: they sit at fixed positions and this runs on
//! every timed line that matters, where a regex or chrono's format parser would cost more.

use crate::timeline::WallTime;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// How many leading `-` a banner line may carry before its timestamp
/// (`-----------------2022-08-30 15:39:23 failover beging-----`).
const MAX_LEADING_DASHES: usize = 40;

fn digits(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

/// Parses `HH:MM:SS[.fraction]` at the start of `s`; returns the time, its fractional digits and
/// the bytes consumed.
pub fn parse_time_of_day(s: &[u8]) -> Option<(NaiveTime, u8, usize)> {
    if s.len() < 8 || s[2] != b':' || s[5] != b':' {
        return None;
    }
    let (h, m, sec) = (digits(&s[0..2])?, digits(&s[3..5])?, digits(&s[6..8])?);
    // 60 is a leap second (kept as :59); anything above is not a time.
    if sec > 60 {
        return None;
    }
    let mut used = 8;
    let mut nanos = 0u32;
    let mut precision = 0u8;
    if s.len() > 9 && s[8] == b'.' && s[9].is_ascii_digit() {
        used = 9;
        while used < s.len() && s[used].is_ascii_digit() {
            if precision < 9 {
                nanos = nanos * 10 + u32::from(s[used] - b'0');
                precision += 1;
            }
            used += 1;
        }
        nanos *= 10u32.pow(9 - u32::from(precision));
    }
    let t = NaiveTime::from_hms_nano_opt(h, m, sec.min(59), nanos)?;
    Some((t, precision, used))
}

/// Parses `YYYY-MM-DD[ T]HH:MM:SS[.fraction]` at the start of `s`. Any zone that follows is
/// ignored: logs rarely agree on zones and all files of one cluster share one.
pub fn parse_datetime(s: &[u8]) -> Option<WallTime> {
    if s.len() < 19 || s[4] != b'-' || s[7] != b'-' || (s[10] != b' ' && s[10] != b'T') {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        digits(&s[0..4])? as i32,
        digits(&s[5..7])?,
        digits(&s[8..10])?,
    )?;
    let (time, precision, _) = parse_time_of_day(&s[11..])?;
    Some(WallTime {
        at: NaiveDateTime::new(date, time),
        precision,
    })
}

/// Where a line's leading timestamp starts, if it has one: at 0, or after a run of `-`.
/// This is the cheap test run on every line; it only looks at a few bytes.
pub fn timestamp_start(line: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < line.len() && i < MAX_LEADING_DASHES && line[i] == b'-' {
        i += 1;
    }
    let rest = &line[i..];
    let looks = rest.len() >= 19
        && rest[0].is_ascii_digit()
        && rest[3].is_ascii_digit()
        && rest[4] == b'-'
        && rest[7] == b'-'
        && rest[13] == b':'
        && rest[16] == b':';
    looks.then_some(i)
}

/// The wall time a line starts with (see [`timestamp_start`]).
pub fn leading_time(line: &[u8]) -> Option<WallTime> {
    let at = timestamp_start(line)?;
    parse_datetime(&line[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_second_timestamps_keep_zero_precision() {
        let t = parse_datetime(b"2022-08-30 15:38:09: pid 1").unwrap();
        assert_eq!(t.precision, 0);
        assert_eq!(t.render(), "2022-08-30T15:38:09");
    }

    #[test]
    fn millisecond_timestamps_keep_three_digits() {
        let t = parse_datetime(b"2026-11-25 12:00:01.123 UTC [7]").unwrap();
        assert_eq!(t.precision, 3);
        assert_eq!(t.render(), "2026-11-25T12:00:01.123");
    }

    #[test]
    fn banner_lines_have_a_timestamp_after_their_dashes() {
        let t = leading_time(b"-----------------2022-08-30 15:39:23 failover beging---").unwrap();
        assert_eq!(t.render(), "2022-08-30T15:39:23");
    }

    #[test]
    fn table_rows_and_prose_are_not_timestamps() {
        assert!(leading_time(b"0 | | 54321 | up | 0.500000 | primary").is_none());
        assert!(leading_time(b"2022-13-45 99:99:99 nonsense").is_none());
        assert!(leading_time(b"").is_none());
    }
}
