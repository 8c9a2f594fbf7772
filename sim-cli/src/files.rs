//! Reading scenario files from disk: UTF-8 checked with a line:col for the first bad
//! byte, a size cap, and `apply: {file: …}` resolved relative to the scenario.

use sim_core::scenario::diagnostic;
use sim_core::scenario::yaml::{decode_utf8, Mark, MAX_INPUT_BYTES};
use sim_core::Source;
use std::path::Path;

/// Reads one file; Err is a rendered diagnostic.
pub fn read_source(path: &str) -> Result<Source, String> {
    let meta = std::fs::metadata(path).map_err(|e| diagnostic::render_plain(path, Mark::new(1, 1), &format!("cannot read: {e}")))?;
    if meta.len() > MAX_INPUT_BYTES as u64 {
        return Err(diagnostic::render_plain(path, Mark::new(1, 1), &format!("file is {} bytes; ksim reads at most {MAX_INPUT_BYTES}", meta.len())));
    }
    let bytes = std::fs::read(path).map_err(|e| diagnostic::render_plain(path, Mark::new(1, 1), &format!("cannot read: {e}")))?;
    let text = decode_utf8(&bytes).map_err(|e| diagnostic::render_plain(path, e.mark, &e.message))?;
    Ok(Source { name: path.to_string(), text: text.to_string() })
}

/// Resolves `rel` against the directory of `from`.
pub fn resolve(from: &str, rel: &str) -> Result<Source, String> {
    let base = Path::new(from).parent().unwrap_or(Path::new("."));
    let p = base.join(rel);
    let name = p.to_string_lossy().to_string();
    let bytes = std::fs::read(&p).map_err(|e| format!("cannot read {name}: {e}"))?;
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(format!("{name} is {} bytes; ksim reads at most {MAX_INPUT_BYTES}", bytes.len()));
    }
    let text = decode_utf8(&bytes).map_err(|e| format!("{name}:{}:{}: {}", e.mark.line, e.mark.col, e.message))?;
    Ok(Source { name, text: text.to_string() })
}

/// Loads the scenario from files, or returns the rendered errors.
pub fn load(paths: &[String]) -> Result<sim_core::Scenario, String> {
    let mut sources = Vec::new();
    for p in paths {
        sources.push(read_source(p)?);
    }
    sim_core::load(&sources, &resolve).map_err(|e| e.render())
}
