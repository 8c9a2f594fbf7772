//! Arbitrary bytes → the scenario loader. It must never panic: bad input is a
//! `LoadError` with diagnostics, never a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sim_core::scenario::yaml::decode_utf8;
use sim_core::{load, Source};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = decode_utf8(data) else { return };
    let sources = [Source { name: "fuzz.yaml".into(), text: text.to_string() }];
    if let Err(e) = load(&sources, &|_, r| Err(r.to_string())) {
        // Rendering the diagnostics (with quoted source lines) must not panic either.
        let _ = e.to_string();
    }
});
