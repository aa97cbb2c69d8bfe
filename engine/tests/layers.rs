//! The engine's contexts depend one way: each may use only the contexts
//! below it (see the crate's documentation). This reads the source and
//! fails on any path into a higher context — `use crate::tenancy::…` in
//! `publishing/` — and on any call of an `Engine` method that only a
//! higher context defines, which an import check alone would miss.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lowest first.
const CONTEXTS: &[&str] = &[
    "platform",
    "people",
    "publishing",
    "tenancy",
    "authz",
    "provisioning",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source of each context, file by file.
fn sources() -> BTreeMap<usize, Vec<(PathBuf, String)>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    for (level, context) in CONTEXTS.iter().enumerate() {
        let mut files = Vec::new();
        rust_files(&src.join(context), &mut files);
        assert!(!files.is_empty(), "no source for the context {context}");
        let files = files
            .into_iter()
            .map(|path| {
                let text = std::fs::read_to_string(&path).unwrap();
                (path, text)
            })
            .collect();
        out.insert(level, files);
    }
    out
}

/// A path as the reader knows it: from the crate's `src/`.
fn shown(path: &Path) -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    path.strip_prefix(&src)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn ident_at(text: &str, start: usize) -> &str {
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The contexts a file names: `crate::x` paths, and the first segment of
/// each item of `use crate::{x, y::z}`.
fn contexts_named(text: &str) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let after = at + "crate::".len();
        if text[after..].starts_with('{') {
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in text[after..].char_indices() {
                match c {
                    '{' => {
                        depth += 1;
                        item_start = depth == 1;
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => item_start = true,
                    c if c.is_whitespace() => {}
                    _ if item_start && depth == 1 => {
                        named.insert(ident_at(text, after + i).to_owned());
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            named.insert(ident_at(text, after).to_owned());
        }
    }
    named
}

/// Names of the functions a file defines.
fn functions_defined(text: &str) -> BTreeSet<String> {
    text.match_indices("fn ")
        .filter(|(at, _)| *at == 0 || !text.as_bytes()[at - 1].is_ascii_alphanumeric())
        .map(|(at, _)| ident_at(text, at + 3).to_owned())
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn no_context_imports_one_above_it() {
    let mut wrong = Vec::new();
    for (level, files) in sources() {
        for (path, text) in files {
            for named in contexts_named(&text) {
                if let Some(higher) = CONTEXTS.iter().position(|c| *c == named) {
                    if higher > level {
                        wrong.push(format!("{} uses crate::{named}", shown(&path)));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layering:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_context_calls_a_use_case_of_one_above_it() {
    let sources = sources();
    // Functions by the one context that defines them; a name defined in
    // several contexts says nothing about which is meant, so it is left out.
    let mut owner: BTreeMap<String, Option<usize>> = BTreeMap::new();
    for (level, files) in &sources {
        for (_, text) in files {
            for name in functions_defined(text) {
                owner
                    .entry(name)
                    .and_modify(|o| {
                        if *o != Some(*level) {
                            *o = None;
                        }
                    })
                    .or_insert(Some(*level));
            }
        }
    }
    let mut wrong = Vec::new();
    for (level, files) in &sources {
        for (path, text) in files {
            for receiver in ["self.", "engine."] {
                for (at, _) in text.match_indices(receiver) {
                    let name = ident_at(text, at + receiver.len());
                    let called = text[at + receiver.len() + name.len()..].starts_with('(');
                    if let Some(Some(defined)) = owner.get(name) {
                        if called && defined > level {
                            wrong.push(format!(
                                "{} calls {name}, a use case of {}",
                                shown(path),
                                CONTEXTS[*defined]
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "calls against the layering:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checks_see_what_they_look_for() {
    let text = "use crate::{platform::audit, tenancy::{Tenant, Actor}, Engine};\n\
                let x = crate::authz::keys::KEY;";
    let named = contexts_named(text);
    for expected in ["platform", "tenancy", "Engine", "authz"] {
        assert!(named.contains(expected), "{expected} in {named:?}");
    }
    assert!(!named.contains("Tenant"), "{named:?}");
    let defined = functions_defined("pub(crate) async fn registry_changed(&self) {}\nfn a() {}");
    assert!(defined.contains("registry_changed") && defined.contains("a"));
}
