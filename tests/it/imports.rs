//! The import graph between the files of `src/`: no file may import another that imports it back,
//! directly or round a cycle (docs/development.md, "Imports point one way").
//!
//! A file imports the modules its `crate::`, `super::` and child-module paths name (tests and
//! comments aside). No cycle is left; [`KNOWN`] is where one would be named (each as the sorted
//! files of one strongly connected group): any other cycle fails, and so does a listed one that
//! is gone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Cycles allowed to remain, as module paths: none. The list stays so that a cycle, should one
/// ever have to be tolerated for a while, is named here rather than hidden.
const KNOWN: &[&[&str]] = &[];

/// `src/dispatch/mod.rs` → `dispatch`, `src/dispatch/gate.rs` → `dispatch::gate`, `src/lib.rs`
/// → `crate`.
fn module_of(rel: &Path) -> String {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    match parts.as_slice() {
        [only] if only == "lib" || only == "main" => "crate".to_string(),
        _ => parts.join("::"),
    }
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<(String, PathBuf)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            out.push((module_of(&rel), path));
        }
    }
}

/// The code of a file without its test module and its comments.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            // `//` inside a string ("https://...") is rare in code that names modules; a line
            // cut short there loses nothing this check reads.
            Some(at) => &l[..at],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path a file names: `crate::a::b`, `super::c`, `child::d`, and each leaf of a
/// `use x::{a, b::{c}}` tree, as absolute module paths (unresolved).
fn paths(module: &str, text: &str) -> Vec<Vec<String>> {
    let own: Vec<String> = match module {
        "crate" => Vec::new(),
        m => m.split("::").map(str::to_string).collect(),
    };
    let parent: Vec<String> = own[..own.len().saturating_sub(1)].to_vec();
    let children: BTreeSet<String> =
        regex::Regex::new(r"(?m)^\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+([a-z_0-9]+)\s*;")
            .unwrap()
            .captures_iter(text)
            .map(|c| c[1].to_string())
            .collect();
    let mut found = Vec::new();
    let absolute = |first: &str, rest: &[&str]| -> Option<Vec<String>> {
        let mut path = match first {
            "crate" => Vec::new(),
            "super" => parent.clone(),
            "self" => own.clone(),
            child if children.contains(child) => {
                let mut p = own.clone();
                p.push(child.to_string());
                p
            }
            _ => return None,
        };
        path.extend(rest.iter().map(|s| s.to_string()));
        Some(path)
    };
    // `use` trees, braces expanded.
    let uses = regex::Regex::new(r"(?m)^\s*(?:pub(?:\([a-z]+\))?\s+)?use\s+([^;]+);").unwrap();
    for c in uses.captures_iter(text) {
        for leaf in expand(c[1].trim()) {
            let parts: Vec<&str> = leaf.split("::").map(str::trim).collect();
            if let Some(p) = absolute(parts[0], &parts[1..]) {
                found.push(p);
            }
        }
    }
    // Paths written inline.
    let inline =
        regex::Regex::new(r"\b(crate|super|[a-z_][a-z0-9_]*)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
            .unwrap();
    for c in inline.captures_iter(text) {
        let rest: Vec<&str> = c[2].split("::").filter(|s| !s.is_empty()).collect();
        if let Some(p) = absolute(&c[1], &rest) {
            found.push(p);
        }
    }
    found
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e` (`self` in a group names the group).
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let leaf = tree.split(" as ").next().unwrap_or(tree).trim();
        return vec![leaf.to_string()];
    };
    let prefix = tree[..open].trim_end_matches("::").trim();
    let close = tree.rfind('}').filter(|c| *c > open).unwrap_or(tree.len());
    let inner = &tree[open + 1..close];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .filter(|item| !item.trim().is_empty())
        .flat_map(|item| {
            expand(item)
                .into_iter()
                .map(|leaf| match leaf.as_str() {
                    "self" => prefix.to_string(),
                    _ if prefix.is_empty() => leaf,
                    _ => format!("{prefix}::{leaf}"),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// File → the files it imports.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut graph = BTreeMap::new();
    for (module, path) in &files {
        if path.ends_with("main.rs") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let mut targets = BTreeSet::new();
        for p in paths(module, &code(&text)) {
            // The longest prefix that is a file; none means an item of `lib.rs` itself.
            let target = (1..=p.len())
                .rev()
                .map(|n| p[..n].join("::"))
                .find(|m| modules.contains(m))
                .unwrap_or_else(|| "crate".to_string());
            if &target != module {
                targets.insert(target);
            }
        }
        graph.insert(module.clone(), targets);
    }
    graph
}

/// The strongly connected groups of more than one file (Tarjan), each sorted.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<Vec<String>> {
    struct Tarjan<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: BTreeSet<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    group.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.found.insert(group);
                }
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: BTreeSet::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.found
}

#[test]
fn no_file_imports_one_that_imports_it_back_beyond_the_known_cycles() {
    let graph = graph();
    let found = cycles(&graph);
    let known: BTreeSet<Vec<String>> = KNOWN
        .iter()
        .map(|c| c.iter().map(|m| m.to_string()).collect())
        .collect();
    let describe = |c: &Vec<String>| -> String {
        let edges: Vec<String> = c
            .iter()
            .flat_map(|m| {
                graph[m]
                    .iter()
                    .filter(|t| c.contains(t))
                    .map(move |t| format!("{m} -> {t}"))
            })
            .collect();
        edges.join(", ")
    };
    let new: Vec<String> = found.difference(&known).map(describe).collect();
    assert!(
        new.is_empty(),
        "a new import cycle between files (break it; the cycles now: {found:?}): {}",
        new.join("; ")
    );
    assert_eq!(
        found, known,
        "a known cycle is gone or smaller: set KNOWN to the cycles now"
    );
}

#[test]
fn the_check_sees_imports_of_every_kind() {
    assert_eq!(
        expand("crate::{a, b::{c, self}, d as e}"),
        ["crate::a", "crate::b::c", "crate::b", "crate::d"]
    );
    let text = "use super::x::Y;\nmod child;\nfn f() { crate::z::w(); child::g(); }\n";
    let found = paths("p::q", text);
    let as_text: Vec<String> = found.iter().map(|p| p.join("::")).collect();
    assert!(as_text.contains(&"p::x::Y".to_string()), "{as_text:?}");
    assert!(as_text.contains(&"z::w".to_string()), "{as_text:?}");
    assert!(
        as_text.contains(&"p::q::child::g".to_string()),
        "{as_text:?}"
    );
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    g.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(
        cycles(&g),
        BTreeSet::from([vec!["a".to_string(), "b".to_string()]])
    );
}

/// The layers, lowest first, and the files in each: a module path names its file and the files
/// under it, unless a longer path is listed too. A file may import files of its own layer and of
/// the layers below, never above (docs/development.md, "Layers"). Test modules are not checked.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "settings and model",
        &[
            "api::body",
            "calling_day",
            "cli",
            "clock",
            "config",
            "csv_cells",
            "exit",
            "export::columns",
            "export::path",
            "export::record",
            "hours",
            "ledger::records",
            "locations",
            "normalise::nanp",
            "normalise::nanp_metadata",
            "normalise::phone",
            "normalise::policy",
            "placement",
            "practice",
            "reason",
            "results",
            "secrets",
            "settings",
            "templates",
        ],
    ),
    (
        "stages",
        &[
            "column_values",
            "households",
            "languages",
            "normalise",
            "number_rules",
            "optout",
            "conversations",
            "plan",
            "render",
            "report::chart",
            "report::words",
            "schedule",
            "select",
        ],
    ),
    (
        "io",
        &[
            "api",
            "dispatch::gate",
            "export",
            "ledger",
            "logging",
            "oauth",
            "preview",
            "private_file",
            "report",
            "results::writer",
        ],
    ),
    (
        "engine",
        &[
            "collect",
            "dispatch",
            "engine",
            "guard",
            "history",
            "outputs",
            "recall",
            "reconcile",
            "services",
            "signals",
        ],
    ),
    ("commands", &["cmd", "crate", "sandbox", "sandbox_off"]),
];

/// The layer a file belongs to: its rank (0 is the lowest) and name.
fn layer_of(module: &str) -> Option<(usize, &'static str)> {
    let mut best: Option<(usize, usize, &'static str)> = None;
    for (rank, (name, members)) in LAYERS.iter().enumerate() {
        for member in *members {
            let inside = module == *member || module.starts_with(&format!("{member}::"));
            if inside && best.is_none_or(|(len, _, _)| member.len() > len) {
                best = Some((member.len(), rank, name));
            }
        }
    }
    best.map(|(_, rank, name)| (rank, name))
}

/// Every import that points to a higher layer, and every file no layer names.
fn upward_imports(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let is_test = |m: &str| m == "tests" || m.ends_with("::tests");
    let mut found = BTreeSet::new();
    for (from, targets) in graph.iter().filter(|(m, _)| !is_test(m)) {
        let Some((rank, name)) = layer_of(from) else {
            found.insert(format!("{from} is in no layer (add it to LAYERS)"));
            continue;
        };
        for to in targets {
            let problem = match layer_of(to) {
                Some((to_rank, to_name)) if to_rank > rank => {
                    format!("{from} ({name}) imports {to} ({to_name})")
                }
                Some(_) => continue,
                None => format!("{to} is in no layer (add it to LAYERS)"),
            };
            found.insert(problem);
        }
    }
    found.into_iter().collect()
}

#[test]
fn no_file_imports_one_from_a_higher_layer() {
    let found = upward_imports(&graph());
    assert!(
        found.is_empty(),
        "imports that point up (move the type down, or the importing code up):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_layer_check_sees_an_import_that_points_up() {
    let mut g = BTreeMap::new();
    g.insert("select".to_string(), BTreeSet::from(["ledger".to_string()]));
    g.insert(
        "ledger".to_string(),
        BTreeSet::from(["ledger::records".to_string()]),
    );
    g.insert("mystery".to_string(), BTreeSet::new());
    assert_eq!(
        upward_imports(&g),
        [
            "mystery is in no layer (add it to LAYERS)",
            "select (stages) imports ledger (io)",
        ]
    );
    assert_eq!(layer_of("ledger::records"), Some((0, "settings and model")));
    assert_eq!(layer_of("ledger::store"), Some((2, "io")));
    assert_eq!(layer_of("crate"), Some((4, "commands")));
}

#[test]
fn lib_rs_declares_each_module_under_its_layer() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let heading = regex::Regex::new(r"^// (\d)\. ").unwrap();
    let declaration = regex::Regex::new(r"^pub(?:\(crate\))? mod ([a-z_]+);").unwrap();
    let mut layer = None;
    let mut checked = 0;
    for line in lib.lines() {
        if let Some(c) = heading.captures(line) {
            layer = Some(c[1].parse::<usize>().unwrap() - 1);
        } else if let Some(c) = declaration.captures(line) {
            let module = &c[1];
            let declared = layer.unwrap_or_else(|| panic!("`mod {module}` under no layer heading"));
            let listed = layer_of(module).map(|(rank, _)| rank);
            assert_eq!(
                listed,
                Some(declared),
                "`mod {module}` is under layer {} in lib.rs but LAYERS says {listed:?}",
                declared + 1
            );
            checked += 1;
        }
    }
    assert!(
        checked > 40,
        "only {checked} module declarations read from lib.rs"
    );
}

/// The stages are pure: no file, network or database crate in their code (tests aside), so a
/// stage can be read and tested knowing nothing of HTTP, SQLite or files.
#[test]
fn the_stages_touch_no_file_network_or_database() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    let io = [
        "std::fs",
        "tokio::fs",
        "reqwest",
        "rusqlite",
        "File::",
        "OpenOptions",
    ];
    let mut found = Vec::new();
    for (module, path) in &files {
        if layer_of(module).map(|(rank, _)| rank) != Some(1) || module.ends_with("::tests") {
            continue;
        }
        let text = code(&std::fs::read_to_string(path).unwrap());
        for word in io.iter().filter(|w| text.contains(*w)) {
            found.push(format!("{module} uses {word}"));
        }
    }
    assert!(
        found.is_empty(),
        "I/O in a stage (move it to the engine or an I/O module): {found:?}"
    );
}
