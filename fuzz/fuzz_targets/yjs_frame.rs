#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pairprog::fuzzing::yjs_frame(data));
