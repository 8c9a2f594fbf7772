//! Compiler-style rendering of scenario errors (rustc-like: a header, then the source line in a
//! numbered gutter with a caret under the column).
//!
//! ```text
//! error: scenarios/web.yaml:14:7: spec.replicas: Invalid value: -1: must be greater than or equal to 0
//!    |
//! 14 |       replicas: -1
//!    |       ^
//! ```
//!
//! Output has no trailing newline. Tabs in the shown line become 4 spaces (and the caret moves
//! with them), other control characters become U+FFFD, lines longer than 200 characters are cut
//! to a 200-character window around the column (`...` marks the cuts). A mark outside the
//! source gives only the header line.

use super::yaml::Mark;

/// Longest stretch of a source line that is shown.
pub const MAX_SNIPPET_CHARS: usize = 200;
const TAB: &str = "    ";
const CUT: &str = "...";

/// The most characters of a value (a name, a label, an annotation, a check) that a
/// message quotes; the rest is counted, not shown.
pub use crate::api::validation::MAX_VALUE_CHARS;
/// The most characters of a whole message (a last resort for a message that quotes a
/// value some other way).
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// Where to cut `s` to keep `max` characters (None: it is short enough).
fn cut_at(s: &str, max: usize) -> Option<usize> {
    s.char_indices().nth(max).map(|(i, _)| i)
}

/// `s`, or its first `MAX_VALUE_CHARS` characters followed by `… (N more bytes)`.
pub fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    match cut_at(s, MAX_VALUE_CHARS) {
        None => std::borrow::Cow::Borrowed(s),
        Some(i) => std::borrow::Cow::Owned(format!("{}… ({} more bytes)", &s[..i], s.len() - i)),
    }
}

/// `s` quoted (as Go's `%q` and Rust's `{:?}` quote it), clipped outside the quotes:
/// `"aaaa…"… (N more bytes)`.
pub fn clip_quoted(s: &str) -> String {
    match cut_at(s, MAX_VALUE_CHARS) {
        None => format!("{s:?}"),
        Some(i) => format!("{:?}… ({} more bytes)", &s[..i], s.len() - i),
    }
}

/// A whole message kept to `MAX_MESSAGE_CHARS` characters.
pub fn clip_message(s: &str) -> std::borrow::Cow<'_, str> {
    match cut_at(s, MAX_MESSAGE_CHARS) {
        None => std::borrow::Cow::Borrowed(s),
        Some(i) => std::borrow::Cow::Owned(format!("{}… ({} more bytes)", &s[..i], s.len() - i)),
    }
}

/// The header line alone: `error: {file}:{line}:{col}: {message}`.
pub fn render_plain(file: &str, mark: Mark, message: &str) -> String {
    format!("error: {}:{}:{}: {}", clip(file), mark.line, mark.col, clip_message(message))
}

/// The header line and the source snippet with a caret under `mark`.
pub fn render(file: &str, src: &str, mark: Mark, message: &str) -> String {
    let head = render_plain(file, mark, message);
    let Some(line) = source_line(src, mark.line) else {
        return head;
    };
    let Some(col0) = (mark.col as usize).checked_sub(1) else {
        return head;
    };
    let chars: Vec<char> = line.chars().collect();
    if col0 > chars.len() {
        return head;
    }
    let (start, end) = if chars.len() <= MAX_SNIPPET_CHARS {
        (0, chars.len())
    } else {
        let start = col0.saturating_sub(MAX_SNIPPET_CHARS / 2).min(chars.len() - MAX_SNIPPET_CHARS);
        (start, start + MAX_SNIPPET_CHARS)
    };
    let mut shown = String::new();
    let mut caret = 0usize;
    if start > 0 {
        shown.push_str(CUT);
        caret += CUT.len();
    }
    for (i, &c) in chars[start..end].iter().enumerate() {
        let width = match c {
            '\t' => {
                shown.push_str(TAB);
                TAB.len()
            }
            c if c.is_control() => {
                shown.push('\u{fffd}');
                1
            }
            c => {
                shown.push(c);
                1
            }
        };
        if start + i < col0 {
            caret += width;
        }
    }
    if end < chars.len() {
        shown.push_str(CUT);
    }
    let gutter = mark.line.to_string();
    let pad = " ".repeat(gutter.len());
    let code = format!("{gutter} | {shown}");
    format!("{head}\n{pad} |\n{}\n{pad} | {}^", code.trim_end(), " ".repeat(caret))
}

/// Line `line` (1-based) of `src`, without its line break.
fn source_line(src: &str, line: u32) -> Option<&str> {
    let n = (line as usize).checked_sub(1)?;
    let l = src.split('\n').nth(n)?;
    Some(l.strip_suffix('\r').unwrap_or(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc() {
        let src = (1..=13).map(|i| format!("l{i}\n")).collect::<String>() + "      replicas: -1\n      other: 1\n";
        let got = render("scenarios/web.yaml", &src, Mark::new(14, 7), "spec.replicas: Invalid value: -1: must be greater than or equal to 0");
        let want = "\
error: scenarios/web.yaml:14:7: spec.replicas: Invalid value: -1: must be greater than or equal to 0
   |
14 |       replicas: -1
   |       ^";
        assert_eq!(got, want);
    }

    #[test]
    fn single_digit_gutter_and_crlf() {
        let got = render("a.yaml", "kind: Pod\r\nspec: 1\r\n", Mark::new(2, 7), "boom");
        assert_eq!(got, "error: a.yaml:2:7: boom\n  |\n2 | spec: 1\n  |       ^");
    }

    #[test]
    fn tabs_expand_consistently_with_the_caret() {
        let got = render("t.yaml", "a:\n\tb: 1\n", Mark::new(2, 2), "tabs");
        assert_eq!(got, "error: t.yaml:2:2: tabs\n  |\n2 |     b: 1\n  |     ^");
    }

    #[test]
    fn caret_at_end_of_line_and_empty_line() {
        let got = render("e.yaml", "a: [1,\n", Mark::new(2, 1), "unexpected eof");
        assert_eq!(got, "error: e.yaml:2:1: unexpected eof\n  |\n2 |\n  | ^");
        let got = render("e.yaml", "ab", Mark::new(1, 3), "x");
        assert_eq!(got, "error: e.yaml:1:3: x\n  |\n1 | ab\n  |   ^");
    }

    #[test]
    fn outside_the_source_gives_the_header_only() {
        let plain = render_plain("f.yaml", Mark::new(9, 1), "m");
        assert_eq!(plain, "error: f.yaml:9:1: m");
        assert_eq!(render("f.yaml", "a: 1\n", Mark::new(9, 1), "m"), plain);
        assert_eq!(render("f.yaml", "a: 1\n", Mark::new(1, 9), "m"), "error: f.yaml:1:9: m");
        assert_eq!(render("f.yaml", "a: 1\n", Mark::new(0, 0), "m"), "error: f.yaml:0:0: m");
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let line = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        let got = render("l.yaml", &line, Mark::new(1, 501), "here");
        let lines: Vec<&str> = got.lines().collect();
        assert_eq!(lines.len(), 4);
        let code = lines[2].strip_prefix("1 | ").unwrap();
        assert_eq!(code.chars().count(), MAX_SNIPPET_CHARS + 2 * CUT.len());
        assert!(code.starts_with("...a") && code.ends_with("b..."));
        let caret = lines[3].strip_prefix("  | ").unwrap();
        assert_eq!(caret.len() - 1, code.find('X').unwrap());
        // Near the start: no leading cut.
        let got = render("l.yaml", &line, Mark::new(1, 3), "start");
        let code_line = got.lines().nth(2).unwrap();
        assert!(code_line.starts_with("1 | aaa") && code_line.ends_with("..."));
        assert!(got.ends_with("\n  |   ^"));
        // Near the end: no trailing cut, caret under the last character, then just past it.
        let got = render("l.yaml", &line, Mark::new(1, 1001), "end");
        let lines: Vec<&str> = got.lines().collect();
        assert!(lines[2].ends_with('b') && lines[2].starts_with("1 | ..."));
        assert_eq!(lines[3].len(), lines[2].len());
        let got = render("l.yaml", &line, Mark::new(1, 1002), "eol");
        let lines: Vec<&str> = got.lines().collect();
        assert_eq!(lines[3].len(), lines[2].len() + 1);
    }

    #[test]
    fn long_values_and_messages_are_cut_with_a_count() {
        assert_eq!(clip("short"), "short");
        let long = "é".repeat(300);
        assert_eq!(clip(&long), format!("{}… (200 more bytes)", "é".repeat(200)));
        assert_eq!(clip_quoted("a\"b"), "\"a\\\"b\"");
        assert_eq!(clip_quoted(&"x".repeat(1000)), format!("\"{}\"… (800 more bytes)", "x".repeat(200)));
        let plain = render_plain(&"f".repeat(10_000), Mark::new(1, 1), &"m".repeat(1 << 20));
        assert!(plain.len() < 2400, "{} bytes", plain.len());
        assert!(plain.ends_with(&format!("… ({} more bytes)", (1 << 20) - MAX_MESSAGE_CHARS)));
    }
}
