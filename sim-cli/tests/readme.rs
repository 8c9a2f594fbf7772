//! The README, run as a student would follow it: `ksim` on the PATH (the README installs
//! it with `cargo install --path sim-cli`; here the binary this test suite built stands
//! in for it), every code block run in order in one scratch directory that sees the
//! repository's files.
//!
//! - ```` ```console ```` blocks are terminal sessions: each `$ command` runs (in one
//!   shell per block, so variables carry over) and what it prints — stdout and stderr,
//!   as a terminal shows them — must be exactly the lines shown under it. A line that is
//!   only `…` stands for any number of lines.
//! - ```` ```sh ```` blocks must run without error. Lines starting with `cargo ` or
//!   `scripts/` are the setup steps this suite has already done (building and installing
//!   ksim, running the tests, building the web site) and are not run again — what
//!   follows `cargo … && ` on the same line is; a block preceded by
//!   `<!-- readme-test: skip REASON -->` is not run at all (a server).
//! - Other blocks (yaml, plain) are not commands.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

#[derive(Debug)]
struct Block {
    lang: String,
    line: usize,
    body: Vec<String>,
    skip: Option<String>,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    let mut skip = None;
    while let Some((i, l)) = lines.next() {
        let t = l.trim_start();
        if let Some(reason) = t.strip_prefix("<!-- readme-test: skip ").and_then(|r| r.strip_suffix("-->")) {
            skip = Some(reason.trim().to_string());
            continue;
        }
        let Some(lang) = t.strip_prefix("```") else { continue };
        let indent = l.len() - t.len();
        let mut body = Vec::new();
        for (_, l) in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                break;
            }
            body.push(l.get(indent..).unwrap_or(l.trim_start()).to_string());
        }
        out.push(Block { lang: lang.trim().to_string(), line: i + 1, body, skip: skip.take() });
    }
    out
}

/// A scratch directory with the repository's top-level folders linked in.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ksim-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(root()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') || name == "target" {
            continue;
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(entry.path(), dir.join(&name)).unwrap();
    }
    dir
}

fn shell(dir: &Path, script: &str) -> (bool, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_ksim")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash").arg("-c").arg(script).current_dir(dir).env("PATH", path).env("NO_COLOR", "1").output().expect("bash runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Whether `actual` lines match `expected`, where a line `…` matches any run of lines.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e.trim() == "…" => (0..=actual.len()).any(|k| matches(rest, &actual[k..])),
        Some((e, rest)) => actual.first().is_some_and(|a| a.trim_end() == e.trim_end()) && matches(rest, &actual[1..]),
    }
}

const MARK: &str = "\u{1e}ksim-readme-command";

#[test]
fn every_readme_block_does_what_the_readme_shows() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let dir = scratch();
    let mut failures = Vec::new();
    let (mut sessions, mut scripts) = (0, 0);
    for b in blocks(&readme) {
        if b.skip.is_some() {
            continue;
        }
        match b.lang.as_str() {
            "console" => {
                sessions += 1;
                // Commands and the output shown under each.
                let mut cmds: Vec<(String, Vec<String>)> = Vec::new();
                for l in &b.body {
                    match l.strip_prefix("$ ") {
                        Some(c) => cmds.push((c.to_string(), Vec::new())),
                        None => match cmds.last_mut() {
                            Some(c) => c.1.push(l.clone()),
                            None => failures.push(format!("README.md:{}: output before any `$ command`", b.line)),
                        },
                    }
                }
                let script: String = cmds.iter().map(|(c, _)| format!("printf '%s\\n' '{MARK}'\n{{ {c}\n}} 2>&1\n")).collect();
                let (_, out) = shell(&dir, &script);
                let parts: Vec<&str> = out.split(&format!("{MARK}\n")).skip(1).collect();
                for (i, (cmd, want)) in cmds.iter().enumerate() {
                    let got: Vec<&str> = parts.get(i).map(|p| p.lines().collect()).unwrap_or_default();
                    if !matches(want, &got) {
                        failures.push(format!("README.md:{}: `{cmd}` printed\n{}\n--- the README shows ---\n{}", b.line, got.join("\n"), want.join("\n")));
                    }
                }
            }
            "sh" => {
                scripts += 1;
                // `cargo install … && ksim run …`: the install is done, the rest runs.
                let script: String = b
                    .body
                    .iter()
                    .filter_map(|l| {
                        let t = l.trim_start();
                        if t.starts_with("scripts/") {
                            None
                        } else if t.starts_with("cargo ") {
                            t.split_once("&& ").map(|(_, rest)| format!("{rest}\n"))
                        } else {
                            Some(format!("{l}\n"))
                        }
                    })
                    .collect();
                let (ok, out) = shell(&dir, &format!("set -e\n{script}"));
                if !ok {
                    failures.push(format!("README.md:{}: the sh block failed:\n{out}", b.line));
                }
            }
            _ => {}
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(sessions >= 5 && scripts >= 2, "the README has {sessions} console and {scripts} sh blocks");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_elision_line_matches_any_run_of_lines() {
    let e = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(matches(&e(&["a", "…", "d"]), &["a", "b", "c", "d"]));
    assert!(matches(&e(&["a", "…", "d"]), &["a", "d"]));
    assert!(!matches(&e(&["a", "…", "d"]), &["a", "b"]));
    assert!(!matches(&e(&["a", "b"]), &["a", "c"]));
    assert!(matches(&e(&["a", "…"]), &["a", "x", "y"]));
}
