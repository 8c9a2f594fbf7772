//! Embeds the lessons (lessons/*.yaml) and the scenarios they name, so an installed
//! `ksim` has them wherever it runs.

use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf();
    let dir = root.join("lessons");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "yaml")).collect())
        .unwrap_or_default();
    files.sort();
    let mut out = String::from(
        "/// (lesson file, its text, its scenario's path from the repo root, the scenario's text)\npub const LESSONS: &[(&str, &str, &str, &str)] = &[\n",
    );
    for f in files {
        println!("cargo:rerun-if-changed={}", f.display());
        let text = std::fs::read_to_string(&f).expect("a lesson file reads");
        let scenario = text
            .lines()
            .find_map(|l| l.strip_prefix("scenario:"))
            .map(|s| s.split('#').next().unwrap_or("").trim().trim_matches('"').to_string())
            .unwrap_or_else(|| panic!("{}: no `scenario:` line", f.display()));
        let sp = root.join(&scenario);
        assert!(sp.is_file(), "{}: scenario {scenario} does not exist", f.display());
        println!("cargo:rerun-if-changed={}", sp.display());
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        out.push_str(&format!("    ({name:?}, include_str!({:?}), {scenario:?}, include_str!({:?})),\n", f.display().to_string(), sp.display().to_string()));
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("lessons.rs");
    std::fs::write(dest, out).unwrap();
}
