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
//!
//! When ksim's output changes on purpose, `KSIM_README_BLESS=1 cargo test -p sim-cli
//! --test readme` writes what each command printed into README.md (keeping the `…`
//! elisions where a line of the same shape is found) and fails, so the diff is reviewed
//! before it is committed.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

#[derive(Debug)]
struct Block {
    lang: String,
    line: usize,
    indent: usize,
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
        out.push(Block { lang: lang.trim().to_string(), line: i + 1, indent, body, skip: skip.take() });
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

/// The README lines a bless writes for a command that printed `got` where the README
/// shows `want`: all of `got` when `want` elides nothing; otherwise `want`'s shape, each
/// shown line replaced by the printed line most like it (the longest common prefix and
/// suffix) at or after the previous one, and whatever follows the last shown line.
fn bless(want: &[String], got: &[&str]) -> Vec<String> {
    if !want.iter().any(|l| l.trim() == "…") {
        return got.iter().map(|l| l.to_string()).collect();
    }
    let score = |a: &str, b: &str| {
        if a.trim_end() == b.trim_end() {
            return usize::MAX;
        }
        let prefix = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
        let suffix = a.chars().rev().zip(b.chars().rev()).take_while(|(x, y)| x == y).count();
        prefix + suffix
    };
    let mut out = Vec::new();
    let mut pos = 0;
    for (i, w) in want.iter().enumerate() {
        if w.trim() == "…" {
            out.push(w.clone());
            continue;
        }
        if pos >= got.len() {
            break;
        }
        let j = if i > 0 && want[i - 1].trim() == "…" {
            // The first of the best: max_by_key keeps the last, so compare reversed.
            (pos..got.len()).rev().max_by_key(|&j| score(w, got[j])).unwrap_or(pos)
        } else {
            pos
        };
        out.push(got[j].to_string());
        pos = j + 1;
    }
    if want.last().is_some_and(|l| l.trim() != "…") {
        out.extend(got[pos.min(got.len())..].iter().map(|l| l.to_string()));
    }
    out
}

#[test]
fn every_readme_block_does_what_the_readme_shows() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let dir = scratch();
    let mut failures = Vec::new();
    let mut blessed: Vec<(usize, usize, usize, Vec<String>)> = Vec::new();
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
                let mut new_body = Vec::new();
                for (i, (cmd, want)) in cmds.iter().enumerate() {
                    let got: Vec<&str> = parts.get(i).map(|p| p.lines().collect()).unwrap_or_default();
                    new_body.push(format!("$ {cmd}"));
                    if matches(want, &got) {
                        new_body.extend(want.iter().cloned());
                    } else {
                        failures.push(format!("README.md:{}: `{cmd}` printed\n{}\n--- the README shows ---\n{}", b.line, got.join("\n"), want.join("\n")));
                        new_body.extend(bless(want, &got));
                    }
                }
                if new_body != b.body {
                    blessed.push((b.line, b.body.len(), b.indent, new_body));
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
    if std::env::var_os("KSIM_README_BLESS").is_some() && !blessed.is_empty() {
        // Replace each block's body, last first so earlier line numbers stay valid.
        let mut lines: Vec<String> = readme.lines().map(str::to_string).collect();
        for (fence, len, indent, body) in blessed.into_iter().rev() {
            let pad = " ".repeat(indent);
            let body = body.into_iter().map(|l| if l.is_empty() { l } else { format!("{pad}{l}") });
            lines.splice(fence..fence + len, body);
        }
        std::fs::write(root().join("README.md"), lines.join("\n") + "\n").unwrap();
        failures.insert(0, "KSIM_README_BLESS: README.md rewritten with what ksim printed; review `git diff README.md`".into());
    }
    assert!(sessions >= 5 && scripts >= 2, "the README has {sessions} console and {scripts} sh blocks");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_bless_keeps_the_elisions_and_takes_the_lines_most_alike() {
    let e = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let want = e(&["head", "…", "pod/web-abcde created", "…", "fingerprint: 1"]);
    let got = ["head", "node up", "pod/web-xyzzy created", "pod/web-qqqqq created", "fingerprint: 2"];
    assert_eq!(bless(&want, &got), e(&["head", "…", "pod/web-xyzzy created", "…", "fingerprint: 2"]));
    assert!(matches(&bless(&want, &got), &got));
    assert_eq!(bless(&e(&["a"]), &["b", "c"]), e(&["b", "c"]));
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
