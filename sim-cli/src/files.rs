//! Reading scenario files from disk: UTF-8 checked with a line:col for the first bad
//! byte, a size cap, and `apply: {file: …}` resolved relative to the scenario.
//!
//! The size cap is enforced on the bytes actually read, never on the size a file
//! reports: pipes, `/dev/stdin`, `/dev/zero` and other devices report 0, so every read
//! stops after `MAX_INPUT_BYTES + 1` bytes, whatever the source.

use sim_core::scenario::diagnostic;
use sim_core::scenario::yaml::{decode_utf8, Mark, MAX_INPUT_BYTES, MAX_TOTAL_INPUT_BYTES};
use sim_core::Source;
use std::cell::RefCell;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Whether a command-line word names a scenario file rather than an object (`ksim get
/// pods NAME FILE…`): an existing path, or a YAML file name.
pub fn looks_like_file(a: &str) -> bool {
    Path::new(a).exists() || a.ends_with(".yaml") || a.ends_with(".yml")
}

/// Reads at most `MAX_INPUT_BYTES` from `path`; Err is the reason, in words.
fn read_capped(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let cap = MAX_INPUT_BYTES as u64;
    // A regular file says how big it is: refuse a big one without reading it.
    if let Ok(meta) = file.metadata() {
        if meta.is_file() && meta.len() > cap {
            return Err(format!("file is {} bytes; ksim reads at most {MAX_INPUT_BYTES}", meta.len()));
        }
        if meta.is_dir() {
            return Err("cannot read: is a directory".into());
        }
    }
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(format!("more than {MAX_INPUT_BYTES} bytes; ksim reads at most {MAX_INPUT_BYTES}"));
    }
    Ok(bytes)
}

/// Reads one file; Err is a rendered diagnostic.
pub fn read_source(path: &str) -> Result<Source, String> {
    let bytes = read_capped(Path::new(path)).map_err(|e| diagnostic::render_plain(path, Mark::new(1, 1), &e))?;
    let text = decode_utf8(&bytes).map_err(|e| diagnostic::render_plain(path, e.mark, &e.message))?;
    Ok(Source { name: path.to_string(), text: text.to_string() })
}

/// Resolves `rel` against the directory of `from`.
pub fn resolve(from: &str, rel: &str) -> Result<Source, String> {
    let p = resolved_path(from, rel);
    let name = p.to_string_lossy().to_string();
    let bytes = read_capped(&p).map_err(|e| format!("{name}: {e}"))?;
    let text = decode_utf8(&bytes).map_err(|e| format!("{name}:{}:{}: {}", e.mark.line, e.mark.col, e.message))?;
    Ok(Source { name, text: text.to_string() })
}

/// Where `apply: {file: rel}` written in `from` points.
fn resolved_path(from: &str, rel: &str) -> PathBuf {
    Path::new(from).parent().unwrap_or(Path::new(".")).join(rel)
}

/// Whether two paths name the same file (the same inode where there are inodes, else the
/// same canonical path); false when either cannot be looked at.
pub fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else { return false };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if ma.dev() == mb.dev() && ma.ino() == mb.ino() {
            return true;
        }
    }
    let _ = (ma, mb);
    matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
}

/// A scenario and every file it was read from (the command line's, then the
/// `apply: {file: …}` ones, in the order they were read).
pub struct Loaded {
    pub scenario: sim_core::Scenario,
    pub inputs: Vec<PathBuf>,
}

/// Loads the scenario from files, or returns the rendered errors.
pub fn load(paths: &[String]) -> Result<sim_core::Scenario, String> {
    load_with_inputs(paths).map(|l| l.scenario)
}

/// Loads the scenario and lists the files it read. The same file given twice on the
/// command line is an error (its documents would all be applied twice).
pub fn load_with_inputs(paths: &[String]) -> Result<Loaded, String> {
    for (i, p) in paths.iter().enumerate() {
        if let Some(first) = paths[..i].iter().find(|q| same_file(Path::new(q), Path::new(p))) {
            let m = if first == p { format!("{p} is given twice") } else { format!("{p} is the same file as {first}") };
            return Err(format!("error: {m}: give each file once\n"));
        }
    }
    let mut sources = Vec::new();
    let mut total = 0usize;
    for p in paths {
        let src = read_source(p)?;
        total += src.text.len();
        if total > MAX_TOTAL_INPUT_BYTES {
            let m = format!("reading {p} brings the input to {total} bytes; ksim reads at most {MAX_TOTAL_INPUT_BYTES} in all");
            return Err(diagnostic::render_plain(p, Mark::new(1, 1), &m));
        }
        sources.push(src);
    }
    let applied: RefCell<Vec<PathBuf>> = RefCell::new(Vec::new());
    let resolver = |from: &str, rel: &str| {
        applied.borrow_mut().push(resolved_path(from, rel));
        resolve(from, rel)
    };
    let scenario = sim_core::load(&sources, &resolver).map_err(|e| e.render())?;
    let mut inputs: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    inputs.extend(applied.into_inner());
    Ok(Loaded { scenario, inputs })
}
