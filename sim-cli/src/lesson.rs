//! `ksim lesson list|show|run NAME [--lang en|ko]`: the guided lessons, one per concept of
//! the course (lessons/NN-NAME.yaml, embedded at build time with the scenarios they
//! run). A lesson is a bundled scenario — whose expectations prove the point — and a
//! short text in English and Korean: the concept, what to look at, a question to
//! predict before the run, the answer as the run shows it, and commands to explore.

use crate::run::EXIT_BAD_INPUT;
use serde::Deserialize;
use std::io::Write;

include!(concat!(env!("OUT_DIR"), "/lessons.rs"));

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Text {
    en: String,
    ko: String,
}

impl Text {
    fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => self.en.trim(),
            Lang::Ko => self.ko.trim(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Lesson {
    name: String,
    scenario: String,
    title: Text,
    concept: Text,
    look: Text,
    question: Text,
    answer: Text,
    #[serde(rename = "try")]
    try_: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ko,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "ko" => Some(Lang::Ko),
            _ => None,
        }
    }
}

/// Words of the frame around a lesson's text.
fn word(lang: Lang, en: &'static str) -> &'static str {
    if lang == Lang::En {
        return en;
    }
    match en {
        "Lesson" => "레슨",
        "Look at" => "살펴볼 것",
        "Predict" => "예측해 보기",
        "Answer" => "답",
        "Try" => "더 해 보기",
        "Run it" => "실행하기",
        "NAME" => "이름",
        "TITLE" => "제목",
        other => other,
    }
}

/// Every lesson, in course order (the file names' numbers).
fn all() -> Vec<(usize, Lesson, &'static str, &'static str)> {
    LESSONS
        .iter()
        .enumerate()
        .map(|(i, (file, text, _, scenario_text))| {
            let docs = sim_core::scenario::yaml::parse_documents(text).unwrap_or_else(|e| panic!("lessons/{file}: {e}"));
            let doc = docs.first().unwrap_or_else(|| panic!("lessons/{file}: empty"));
            let l: Lesson = serde_json::from_value(doc.value.clone()).unwrap_or_else(|e| panic!("lessons/{file}: {e}"));
            (i + 1, l, *file, *scenario_text)
        })
        .collect()
}

/// Terminal columns of a string: Hangul and CJK characters take two.
fn columns(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFF00..=0xFF60 => 2,
            _ => 1,
        })
        .sum()
}

/// Wraps prose at 88 columns (the lessons' texts are single paragraphs).
fn wrap(text: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for w in text.split_whitespace() {
        if !line.is_empty() && columns(&line) + 1 + columns(w) > 88 - indent.len() {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Where the lesson's scenario is read from: the repository's copy when `ksim` runs from
/// it (or was built from it), else the embedded text written to a temporary file.
fn scenario_path(l: &Lesson, text: &str) -> std::io::Result<String> {
    if std::path::Path::new(&l.scenario).is_file() {
        return Ok(l.scenario.clone());
    }
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(&l.scenario);
    if built.is_file() {
        return Ok(built.display().to_string());
    }
    let dir = std::env::temp_dir().join(format!("ksim-lessons-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let p = dir.join(std::path::Path::new(&l.scenario).file_name().unwrap_or_default());
    std::fs::write(&p, text)?;
    Ok(p.display().to_string())
}

fn header(out: &mut impl Write, n: usize, l: &Lesson, lang: Lang) {
    let _ = writeln!(out, "{} {n} · {} — {}", word(lang, "Lesson"), l.name, l.title.get(lang));
    let _ = writeln!(out);
    let _ = write!(out, "{}", wrap(l.concept.get(lang), ""));
    let _ = writeln!(out);
    let _ = writeln!(out, "{}:", word(lang, "Look at"));
    let _ = write!(out, "{}", wrap(l.look.get(lang), "  "));
    let _ = writeln!(out);
    let _ = writeln!(out, "{}:", word(lang, "Predict"));
    let _ = write!(out, "{}", wrap(l.question.get(lang), "  "));
}

fn tries(out: &mut impl Write, l: &Lesson, path: &str, lang: Lang) {
    let _ = writeln!(out, "{}:", word(lang, "Try"));
    for t in &l.try_ {
        let _ = writeln!(out, "  {}", t.replace("FILE", path));
    }
}

fn find(name: &str) -> Result<(usize, Lesson, &'static str), u8> {
    let lessons = all();
    let names: Vec<String> = lessons.iter().map(|(_, l, _, _)| l.name.clone()).collect();
    match lessons.into_iter().find(|(_, l, _, _)| l.name == name) {
        Some((n, l, _, text)) => Ok((n, l, text)),
        None => {
            eprintln!("error: lesson {name:?} not found: the lessons are {}", names.join(", "));
            Err(EXIT_BAD_INPUT)
        }
    }
}

/// `lesson list -o json`: every lesson with its texts in both languages and its
/// scenario's name (what the web page's Lessons menu reads).
pub fn list_json() -> u8 {
    let both = |t: &Text| serde_json::json!({"en": t.en.trim(), "ko": t.ko.trim()});
    let v: Vec<serde_json::Value> = all()
        .into_iter()
        .map(|(n, l, _, _)| {
            let scenario = std::path::Path::new(&l.scenario).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            serde_json::json!({
                "order": n, "name": l.name, "scenario": scenario,
                "title": both(&l.title), "concept": both(&l.concept), "look": both(&l.look),
                "question": both(&l.question), "answer": both(&l.answer), "try": l.try_,
            })
        })
        .collect();
    println!("{}", serde_json::to_string_pretty(&v).expect("lessons serialize"));
    0
}

pub fn list(lang: Lang) -> u8 {
    let rows: Vec<Vec<String>> = all().into_iter().map(|(n, l, _, _)| vec![format!("{n:>2}"), l.name.clone(), l.title.get(lang).to_string()]).collect();
    let h = ["#", word(lang, "NAME"), word(lang, "TITLE")];
    print!("{}", crate::print::table(&h, &rows));
    0
}

pub fn show(name: &str, lang: Lang) -> u8 {
    let (n, l, _) = match find(name) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let mut out = anstream::stdout();
    header(&mut out, n, &l, lang);
    let _ = writeln!(out);
    tries(&mut out, &l, &l.scenario, lang);
    let _ = writeln!(out);
    let _ = writeln!(out, "{}: ksim lesson run {}{}", word(lang, "Run it"), l.name, if lang == Lang::Ko { " --lang ko" } else { "" });
    0
}

pub fn run(name: &str, lang: Lang, seed: Option<u64>) -> u8 {
    let (n, l, text) = match find(name) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let path = match scenario_path(&l, text) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot write the lesson's scenario: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    {
        let mut out = anstream::stdout();
        header(&mut out, n, &l, lang);
        let _ = writeln!(out);
        let _ = out.flush();
    }
    let code = crate::run::run(std::slice::from_ref(&path), seed, None, None, None, 40, false, false);
    let mut out = anstream::stdout();
    let _ = writeln!(out);
    let _ = writeln!(out, "{}:", word(lang, "Answer"));
    let _ = write!(out, "{}", wrap(l.answer.get(lang), "  "));
    let _ = writeln!(out);
    tries(&mut out, &l, &path, lang);
    code
}
