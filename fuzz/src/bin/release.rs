//! AFL target: `hachaos::fuzzing::release` (see ../../README.md).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        hachaos::fuzzing::release(data);
    });
}
