//! `ksim events FILE… [--at T] [-n NS | -A] [--for KIND/NAME] [--types Normal,Warning]`:
//! kubectl's `events` command (staging/src/k8s.io/kubectl/pkg/cmd/events/events.go):
//! the Events of a namespace (or all), oldest first (SortableEvents by their last
//! time), with `LAST SEEN` as `printOneEvent` writes it — `2s (x3 over 40s)` for an
//! Event seen more than once —, the object as `Kind/name`, and "No events found in NS
//! namespace." on stderr when there is none.

use crate::print::table;
use crate::run::{simulate, EXIT_BAD_INPUT};
use anstream::{eprintln, print};
use sim_core::api::{Kind, Object};
use sim_core::engine::time::human_duration;

pub struct Args<'a> {
    pub files: &'a [String],
    pub at: Option<&'a str>,
    pub seed: Option<u64>,
    pub namespace: Option<&'a str>,
    pub all: bool,
    pub for_object: Option<&'a str>,
    pub types: Option<&'a str>,
}

pub fn events(a: Args) -> u8 {
    // --for KIND/NAME: the kind as kubectl's RESTMapper resolves it.
    let target = match a.for_object {
        None => None,
        Some(f) => {
            let Some((k, name)) = f.split_once('/') else {
                eprintln!("error: --for must be in resource/name form");
                return EXIT_BAD_INPUT;
            };
            match Kind::from_user(k) {
                Some(kind) if !name.is_empty() => Some((kind, name.to_string())),
                _ => {
                    eprintln!("error: the server doesn't have a resource type {k:?}");
                    return EXIT_BAD_INPUT;
                }
            }
        }
    };
    // --types: Normal and/or Warning, case-insensitive (events.go Validate).
    let types: Option<Vec<String>> = match a.types {
        None => None,
        Some(t) => {
            let mut out = Vec::new();
            for ty in t.split(',').map(str::trim) {
                match ty.to_ascii_lowercase().as_str() {
                    "normal" => out.push("Normal".to_string()),
                    "warning" => out.push("Warning".to_string()),
                    _ => {
                        eprintln!("error: valid --types are Normal or Warning");
                        return EXIT_BAD_INPUT;
                    }
                }
            }
            Some(out)
        }
    };
    let sim = match simulate(a.files, a.at, a.seed) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let ns = a.namespace.unwrap_or("default");
    let now = sim.now;
    let mut list: Vec<_> = sim
        .list(&Kind::Event)
        .into_iter()
        .filter_map(|o| if let Object::Event(e) = &*o { Some(e.clone()) } else { None })
        .filter(|e| a.all || e.metadata.namespace == ns)
        .filter(|e| types.as_ref().is_none_or(|t| t.iter().any(|t| *t == e.type_)))
        .filter(|e| target.as_ref().is_none_or(|(k, n)| e.involved_object.kind == k.name() && &e.involved_object.name == n))
        .collect();
    if list.is_empty() {
        if a.all {
            eprintln!("No events found.");
        } else {
            eprintln!("No events found in {ns} namespace.");
        }
        return 0;
    }
    // SortableEvents: by eventTime(), the last time it was seen (stable for ties).
    list.sort_by_key(|e| e.last_timestamp.get().or(e.first_timestamp.get()).map(|t| t.0));
    let since = |t: Option<sim_core::api::meta::Time>| t.map_or("<unknown>".to_string(), |t| human_duration(now.since(t.0)));
    let mut header = vec!["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"];
    if a.all {
        header.insert(0, "NAMESPACE");
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|e| {
            let first = since(e.first_timestamp.get());
            let interval = if e.count > 1 { format!("{} (x{} over {first})", since(e.last_timestamp.get()), e.count) } else { first };
            let mut r = vec![
                interval,
                e.type_.to_string(),
                e.reason.to_string(),
                format!("{}/{}", e.involved_object.kind, e.involved_object.name),
                e.message.trim().to_string(),
            ];
            if a.all {
                r.insert(0, e.metadata.namespace.to_string());
            }
            r
        })
        .collect();
    print!("{}", table(&header, &rows));
    0
}
