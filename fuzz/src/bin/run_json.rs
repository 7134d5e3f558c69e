//! AFL target: `hachaos::fuzzing::run_json` (see ../../README.md).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        hachaos::fuzzing::run_json(data);
    });
}
