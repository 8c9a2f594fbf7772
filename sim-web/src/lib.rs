//! sim-web: wasm front end (its own issue).
