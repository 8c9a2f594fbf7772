//! Shared helpers for sim-cli's integration tests: the `ksim` binary run from the
//! repository's root.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

/// `ksim ARGS…` run in the repository's root.
pub fn ksim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ksim")).args(args).current_dir(root()).output().expect("ksim runs")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The fingerprint `ksim run` prints (hex, without `sha256:`).
pub fn fingerprint(out: &Output) -> String {
    text(&out.stdout).lines().find_map(|l| l.strip_prefix("fingerprint: sha256:")).expect("a fingerprint line").to_string()
}
