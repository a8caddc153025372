//! The kernel's shape, checked: no source file in `kernel/` over 600 lines
//! (test files aside), and no import circle between the source files of a
//! crate.
//!
//! File A depends on file B when A names an item of B: in a `use`, or in a
//! `crate::…`, `super::…` or `self::…` path. `pub use` lines of `lib.rs`
//! and `mod.rs` files are an index, not a dependency: a path through one is
//! followed to the file that defines the item. Test modules (from
//! `#[cfg(test)]` on) do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The longest source file, in lines.
const MAX_LINES: usize = 600;

fn kernel_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kernel")
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// Whether `path` (under `kernel/`) is a test or bench file: a `tests/` or
/// `benches/` directory of a crate, or a `tests.rs` module.
fn is_test_file(path: &Path) -> bool {
    let Ok(inside) = path.strip_prefix(kernel_dir()) else {
        return false;
    };
    inside
        .components()
        .any(|c| c.as_os_str() == "tests" || c.as_os_str() == "benches")
        || inside.file_name().is_some_and(|n| n == "tests.rs")
}

#[test]
fn no_kernel_source_file_is_over_600_lines() {
    let mut long = Vec::new();
    for path in sources(&kernel_dir()) {
        if is_test_file(&path) {
            continue;
        }
        let lines = std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .count();
        if lines > MAX_LINES {
            long.push(format!("{} ({lines} lines)", path.display()));
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// A crate's source files by module path (`["orders", "write"]`).
struct Crate {
    files: BTreeMap<Vec<String>, PathBuf>,
}

impl Crate {
    fn read(src: &Path) -> Crate {
        let mut files = BTreeMap::new();
        for path in sources(src) {
            let Ok(relative) = path.strip_prefix(src) else {
                continue;
            };
            let mut module: Vec<String> = relative
                .iter()
                .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_owned())
                .collect();
            match module.last().map(String::as_str) {
                Some("lib" | "main") if module.len() == 1 => module.clear(),
                Some("mod") => {
                    module.pop();
                }
                _ => {}
            }
            // The binary's main.rs is its own crate root; the library's
            // lib.rs is the one the others name as `crate`.
            if relative == Path::new("main.rs") && src.join("lib.rs").exists() {
                continue;
            }
            files.insert(module, path);
        }
        Crate { files }
    }

    /// The file that defines what `path` names, from `module`'s file.
    fn resolve(&self, module: &[String], path: &[String], depth: u32) -> Option<Vec<String>> {
        let mut absolute: Vec<String> = match path.first().map(String::as_str) {
            Some("crate") => Vec::new(),
            Some("super") => {
                let mut m = module.to_vec();
                m.pop();
                m
            }
            Some("self") => module.to_vec(),
            _ => return None,
        };
        let mut rest = path[1..].iter();
        for segment in rest.by_ref() {
            if segment == "super" {
                absolute.pop();
                continue;
            }
            let mut deeper = absolute.clone();
            deeper.push(segment.clone());
            if self.files.contains_key(&deeper) {
                absolute = deeper;
            } else {
                // An item of `absolute`'s file; re-exports lead on.
                if depth < 8
                    && let Some(target) = self.reexport(&absolute, segment)
                {
                    return self.resolve(&absolute, &target, depth + 1);
                }
                break;
            }
        }
        Some(absolute)
    }

    /// Where an index file's `pub use` says `name` comes from.
    fn reexport(&self, module: &[String], name: &str) -> Option<Vec<String>> {
        let path = self.files.get(module)?;
        let is_index = path
            .file_name()
            .is_some_and(|n| n == "mod.rs" || n == "lib.rs");
        if !is_index {
            return None;
        }
        let code = code_of(&std::fs::read_to_string(path).ok()?);
        for (public, used) in uses(&code) {
            if public && used.last().is_some_and(|last| last == name) {
                let mut relative = vec!["self".to_owned()];
                match used.first().map(String::as_str) {
                    Some("crate" | "super" | "self") => return Some(used),
                    _ => relative.extend(used),
                }
                return Some(relative);
            }
        }
        None
    }
}

/// The code of a file without comments and its test module.
fn code_of(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `use` item of `code`: whether it is `pub use`, and each path it
/// brings in (groups expanded).
fn uses(code: &str) -> Vec<(bool, Vec<String>)> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("use ") {
        let before = code[..at].trim_end();
        let boundary = before.is_empty() || before.ends_with([';', '}', '{', ']']);
        let public = before.ends_with("pub") || before.ends_with("pub(crate)");
        if !boundary && !public {
            continue;
        }
        let Some(end) = code[at..].find(';') else {
            continue;
        };
        // `a as b` keeps `a`: mark the rename before white space goes.
        let tree: String = code[at + 4..at + end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(" as ", "#")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        for path in expand(&tree) {
            found.push((public, path));
        }
    }
    found
}

/// `a::{b, c::d}` → `[a, b]`, `[a, c, d]`.
fn expand(tree: &str) -> Vec<Vec<String>> {
    let Some(open) = tree.find('{') else {
        let path = tree.split('#').next().unwrap_or(tree);
        return vec![
            path.split("::")
                .filter(|s| !s.is_empty() && *s != "*")
                .map(str::to_owned)
                .collect(),
        ];
    };
    let prefix: Vec<String> = tree[..open]
        .split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|part| {
            expand(part).into_iter().map(|tail| {
                let mut path = prefix.clone();
                if tail.first().is_some_and(|t| t == "self") {
                    path.extend(tail.into_iter().skip(1));
                } else {
                    path.extend(tail);
                }
                path
            })
        })
        .collect()
}

/// `crate::a::b` paths used in code outside `use` items.
fn inline_paths(code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for root in ["crate::", "super::"] {
        for (at, _) in code.match_indices(root) {
            let before = code[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: Vec<String> = code[at..]
                .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .next()
                .unwrap_or_default()
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            found.push(path);
        }
    }
    found
}

#[test]
fn no_import_circle_between_the_kernels_source_files() {
    let mut circles = Vec::new();
    let mut checked = 0;
    for krate in [
        "api",
        "bundled",
        "core",
        "identity",
        "plugin-host",
        "store",
        "xingji",
    ] {
        let src = kernel_dir().join(krate).join("src");
        let krate = Crate::read(&src);
        let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for (module, path) in &krate.files {
            let code = code_of(&std::fs::read_to_string(path).unwrap_or_default());
            let index = path
                .file_name()
                .is_some_and(|n| n == "mod.rs" || n == "lib.rs");
            let mut paths: Vec<Vec<String>> = uses(&code)
                .into_iter()
                .filter(|(public, _)| !(index && *public))
                .map(|(_, path)| path)
                .collect();
            paths.extend(inline_paths(&code));
            for used in paths {
                if let Some(target) = krate.resolve(module, &used, 0)
                    && target != *module
                    && krate.files.contains_key(&target)
                {
                    edges.entry(module.clone()).or_default().insert(target);
                }
            }
            checked += 1;
        }
        for circle in find_circles(&edges) {
            let names: Vec<String> = circle
                .iter()
                .map(|m| krate.files[m].display().to_string())
                .collect();
            circles.push(names.join(" → "));
        }
    }
    assert!(
        checked > 50,
        "only {checked} files read: is the kernel there?"
    );
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

/// One circle through each strongly connected set of files.
fn find_circles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    let mut circles = Vec::new();
    let mut reported: BTreeSet<Vec<String>> = BTreeSet::new();
    for start in edges.keys() {
        if reported.contains(start) {
            continue;
        }
        // Depth-first from `start`, looking for a way back to it.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == start {
                    reported.extend(path.iter().cloned());
                    let mut circle = path.clone();
                    circle.push(start.clone());
                    circles.push(circle);
                    stack.clear();
                    break;
                }
                if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    circles
}

#[test]
fn test_files_are_told_apart_inside_the_kernel_only() {
    let kernel = kernel_dir();
    assert!(is_test_file(&kernel.join("core/tests/orders.rs")));
    assert!(is_test_file(&kernel.join("xingji/src/cli/tests.rs")));
    assert!(!is_test_file(&kernel.join("store/src/sqlite.rs")));
    assert!(!is_test_file(&kernel.join("core/src/orders/write.rs")));
}

#[test]
fn the_checker_sees_a_circle_and_reads_use_groups() {
    assert_eq!(
        expand("crate::orders::{write::{Orders,present},lifecycle::Step}"),
        vec![
            vec!["crate", "orders", "write", "Orders"],
            vec!["crate", "orders", "write", "present"],
            vec!["crate", "orders", "lifecycle", "Step"],
        ]
    );
    let m = |s: &str| vec![s.to_owned()];
    let mut edges = BTreeMap::new();
    edges.insert(m("a"), BTreeSet::from([m("b")]));
    edges.insert(m("b"), BTreeSet::from([m("c")]));
    edges.insert(m("c"), BTreeSet::from([m("a")]));
    edges.insert(m("d"), BTreeSet::from([m("a")]));
    let circles = find_circles(&edges);
    assert_eq!(circles.len(), 1, "{circles:?}");
    assert_eq!(circles[0].len(), 4);
}
