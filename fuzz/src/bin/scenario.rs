//! AFL target: `hachaos::fuzzing::scenario` (see ../../README.md).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        hachaos::fuzzing::scenario(data);
    });
}
