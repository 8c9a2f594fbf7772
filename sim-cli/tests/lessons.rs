//! The lessons (lessons/*.yaml): every file is a lesson in both languages, numbered in
//! course order, on a bundled scenario; `ksim lesson run` passes its scenario's
//! expectations and prints the question before the run and the answer after it; each
//! lesson's scenario is clean over 20 seeds (`ksim check --seeds 20`).

mod common;

use common::{ksim, root, text};
use std::path::PathBuf;

/// Every lesson, in order: its file name and its document.
fn lessons() -> Vec<(String, serde_json::Value)> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(root().join("lessons")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "yaml")).collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let src = std::fs::read_to_string(f).unwrap();
            let docs = sim_core::scenario::yaml::parse_documents(&src).unwrap();
            (f.file_name().unwrap().to_string_lossy().into_owned(), docs[0].value.clone())
        })
        .collect()
}

#[test]
fn every_lesson_is_complete_in_both_languages_and_in_order() {
    let all = lessons();
    assert!(all.len() >= 18, "one lesson per concept of the course: {}", all.len());
    for (i, (file, l)) in all.iter().enumerate() {
        let name = l["name"].as_str().unwrap();
        assert_eq!(file, &format!("{:02}-{name}.yaml", i + 1), "numbered in course order");
        assert!(root().join(l["scenario"].as_str().unwrap()).is_file(), "{file}: its scenario exists");
        for field in ["title", "concept", "look", "question", "answer"] {
            for lang in ["en", "ko"] {
                let t = l[field][lang].as_str().unwrap_or_else(|| panic!("{file}: {field}.{lang}"));
                assert!(!t.trim().is_empty(), "{file}: {field}.{lang} is empty");
            }
            // The Korean text is Korean (Hangul), not a copy of the English.
            assert!(l[field]["ko"].as_str().unwrap().chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)), "{file}: {field}.ko");
        }
        let tries = l["try"].as_array().unwrap();
        assert!(!tries.is_empty() && tries.iter().all(|t| t.as_str().unwrap().starts_with("ksim ") && t.as_str().unwrap().contains("FILE")), "{file}: try");
    }
    let list = ksim(&["lesson", "list"]);
    assert!(list.status.success());
    let listed = text(&list.stdout);
    for (_, l) in &all {
        assert!(listed.contains(l["name"].as_str().unwrap()), "{listed}");
    }
    let ko = text(&ksim(&["lesson", "list", "--lang", "ko"]).stdout);
    assert!(ko.contains("이름") && ko.contains(all[0].1["title"]["ko"].as_str().unwrap().trim()), "{ko}");
}

#[test]
fn every_lesson_runs_with_its_question_first_and_answer_last() {
    for (file, l) in lessons() {
        let name = l["name"].as_str().unwrap();
        let out = ksim(&["lesson", "run", name]);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{file}: exit {:?}\n{stdout}\n{}", out.status.code(), text(&out.stderr));
        let q = stdout.find("Predict:").unwrap_or_else(|| panic!("{file}: no question\n{stdout}"));
        let run = stdout.find("fingerprint: sha256:").unwrap_or_else(|| panic!("{file}: no run\n{stdout}"));
        let a = stdout.find("Answer:").unwrap_or_else(|| panic!("{file}: no answer\n{stdout}"));
        assert!(q < run && run < a, "{file}: question, run, answer in that order");
    }
    let ko = ksim(&["lesson", "show", "scheduler", "--lang", "ko"]);
    assert!(ko.status.success() && text(&ko.stdout).contains("예측해 보기:"), "{}", text(&ko.stdout));
    let missing = ksim(&["lesson", "run", "nosuch"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).starts_with("error: lesson \"nosuch\" not found: the lessons are cluster, "), "{}", text(&missing.stderr));
}

#[test]
fn every_lesson_scenario_is_clean_over_20_seeds() {
    for (file, l) in lessons() {
        let scenario = l["scenario"].as_str().unwrap();
        let out = ksim(&["check", scenario, "--seeds", "20"]);
        assert!(out.status.success(), "{file}: {scenario}\n{}{}", text(&out.stdout), text(&out.stderr));
    }
}
