//! The part of kubectl's JSONPath (k8s.io/client-go/util/jsonpath) that `get -o
//! jsonpath=`, `-o custom-columns=` and `--sort-by` are mostly used with: field paths
//! `.a.b`, indices `[N]` (negative from the end), every element `[*]`, and a template of
//! literal text and `{…}` expressions. Ranges, filters, unions and recursive descent are
//! refused with a clear error rather than guessed at. Written here because no maintained
//! Rust crate implements Kubernetes' dialect (its templates and printing rules).

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
enum Step {
    Field(String),
    Index(i64),
    All,
}

/// Parses `.metadata.name`, `.spec.containers[0].image`, `.items[*].metadata.name` (the
/// leading `.` optional, `$` allowed).
fn parse_path(expr: &str) -> Result<Vec<Step>, String> {
    let e = expr.trim();
    let e = e.strip_prefix('$').unwrap_or(e);
    let unsupported = |what: &str| format!("ksim's jsonpath does not support {what} (in {expr:?}): use .field, [N] and [*]");
    if e.contains("..") {
        return Err(unsupported("recursive descent (..)"));
    }
    if e.contains("?(") || e.starts_with("range") || e == "end" {
        return Err(unsupported("filters and ranges"));
    }
    // kubectl accepts a path without its leading dot (`metadata.name`).
    let dotted;
    let e = if e.is_empty() || e.starts_with('.') || e.starts_with('[') {
        e
    } else {
        dotted = format!(".{e}");
        dotted.as_str()
    };
    let mut steps = Vec::new();
    let mut rest = e;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end == 0 {
                return Err(format!("invalid jsonpath {expr:?}"));
            }
            steps.push(Step::Field(r[..end].to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else { return Err(format!("unterminated [ in {expr:?}")) };
            let inner = r[..end].trim();
            if inner == "*" {
                steps.push(Step::All);
            } else if let Ok(n) = inner.parse::<i64>() {
                steps.push(Step::Index(n));
            } else if let Some(f) = inner.strip_prefix('\'').and_then(|f| f.strip_suffix('\'')) {
                steps.push(Step::Field(f.to_string()));
            } else {
                return Err(unsupported(&format!("[{inner}]")));
            }
            rest = &r[end + 1..];
        } else {
            return Err(format!("invalid jsonpath {expr:?}"));
        }
    }
    Ok(steps)
}

/// Every value the path reaches.
fn eval<'a>(v: &'a Value, steps: &[Step]) -> Vec<&'a Value> {
    let Some((first, rest)) = steps.split_first() else { return vec![v] };
    match first {
        Step::Field(f) => v.get(f).map_or(Vec::new(), |x| eval(x, rest)),
        Step::Index(n) => {
            let Some(a) = v.as_array() else { return Vec::new() };
            let i = if *n < 0 { a.len() as i64 + n } else { *n };
            usize::try_from(i).ok().and_then(|i| a.get(i)).map_or(Vec::new(), |x| eval(x, rest))
        }
        Step::All => match v {
            Value::Array(a) => a.iter().flat_map(|x| eval(x, rest)).collect(),
            Value::Object(m) => m.values().flat_map(|x| eval(x, rest)).collect(),
            _ => Vec::new(),
        },
    }
}

/// How jsonpath prints a value: strings bare, other values as JSON.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The values a path gives for an object, printed (what a custom column shows: several
/// joined with `,`; none: `<none>`).
pub fn column(v: &Value, expr: &str) -> Result<String, String> {
    let found = eval(v, &parse_path(expr)?);
    Ok(if found.is_empty() { "<none>".into() } else { found.iter().map(|x| show(x)).collect::<Vec<_>>().join(",") })
}

/// The first value a path gives (what --sort-by compares), or None.
pub fn first(v: &Value, expr: &str) -> Result<Option<Value>, String> {
    Ok(eval(v, &parse_path(expr)?).first().map(|x| (*x).clone()))
}

/// A template: literal text and `{expr}`s, each expression's values space-separated.
pub fn template(v: &Value, tpl: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = tpl;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else { return Err(format!("unclosed action in {tpl:?}")) };
        let expr = &rest[start + 1..start + end];
        let found = eval(v, &parse_path(expr)?);
        out.push_str(&found.iter().map(|x| show(x)).collect::<Vec<_>>().join(" "));
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Ok(out.replace("\\n", "\n").replace("\\t", "\t"))
}

/// Orders two --sort-by values as kubectl's sort does for the types it meets: numbers
/// numerically, strings (and RFC 3339 times) lexically, missing values first.
pub fn compare(a: &Option<Value>, b: &Option<Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, _) => Ordering::Less,
        (_, None) => Ordering::Greater,
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(Ordering::Equal),
        (Some(x), Some(y)) => show(x).cmp(&show(y)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_indices_and_templates() {
        let pod = json!({"metadata": {"name": "web-1", "labels": {"app": "web"}}, "spec": {"containers": [{"image": "nginx"}, {"image": "envoy"}]}});
        assert_eq!(column(&pod, ".metadata.name").unwrap(), "web-1");
        assert_eq!(column(&pod, "metadata.name").unwrap(), "web-1");
        assert_eq!(column(&pod, ".spec.containers[*].image").unwrap(), "nginx,envoy");
        assert_eq!(column(&pod, ".spec.containers[-1].image").unwrap(), "envoy");
        assert_eq!(column(&pod, ".status.podIP").unwrap(), "<none>");
        assert_eq!(column(&pod, ".metadata.labels['app']").unwrap(), "web");
        let list = json!({"items": [pod.clone(), {"metadata": {"name": "web-2"}}]});
        assert_eq!(template(&list, "{.items[*].metadata.name}").unwrap(), "web-1 web-2");
        assert_eq!(template(&pod, "name={.metadata.name}\\n").unwrap(), "name=web-1\n");
        assert!(template(&list, "{range .items[*]}{.metadata.name}{end}").is_err());
        assert!(column(&pod, "..name").is_err());
    }
}
