//! AFL target: `hachaos::fuzzing::log_scan` (see ../../README.md).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        hachaos::fuzzing::log_scan(data);
    });
}
