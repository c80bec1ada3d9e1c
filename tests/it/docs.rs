//! The documentation against the code: the configuration reference covers every key of
//! `config.example.toml` and of the config parser (and names no key that does not exist), every
//! `annie-dispatch` command shown in the README, `docs/` and `contrib/` parses with the real
//! command line, and every link between the pages points at a file and heading that exist.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use annie_dispatch::cli::Cli;
use clap::{CommandFactory, FromArgMatches};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The Markdown pages the README leads to: the README, every `docs/*.md`, contrib's README.
fn markdown_pages() -> Vec<String> {
    let mut pages = vec!["README.md".to_string(), "contrib/README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

// ---------------------------------------------------------------------------------------------
// Markdown: fenced blocks, headings and their anchors.

/// A fenced code block: its info string and its lines with their 1-based line numbers.
struct Fence {
    lang: String,
    lines: Vec<(usize, String)>,
}

fn fences(text: &str) -> Vec<Fence> {
    let mut out = Vec::new();
    let mut open: Option<Fence> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            match open.take() {
                Some(fence) => out.push(fence),
                None => {
                    open = Some(Fence {
                        lang: info.trim().to_lowercase(),
                        lines: Vec::new(),
                    })
                }
            }
        } else if let Some(fence) = open.as_mut() {
            fence.lines.push((i + 1, line.to_string()));
        }
    }
    assert!(open.is_none(), "an unclosed code fence");
    out
}

/// Lines outside fenced code blocks, with their 1-based numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut in_fence = false;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence {
            out.push((i + 1, line));
        }
    }
    out
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Every heading of a page: (line, level, text).
fn headings(text: &str) -> Vec<(usize, usize, String)> {
    prose_lines(text)
        .into_iter()
        .filter_map(|(n, line)| {
            let level = line.chars().take_while(|&c| c == '#').count();
            let rest = line.get(level..)?;
            (level > 0 && rest.starts_with(' ')).then(|| (n, level, rest.trim().to_string()))
        })
        .collect()
}

/// The anchors of a page, with GitHub's `-1`, `-2` for repeated headings.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for (_, _, heading) in headings(text) {
        let base = slug(&heading);
        let count = seen.entry(base.clone()).or_insert(0);
        out.insert(match *count {
            0 => base.clone(),
            n => format!("{base}-{n}"),
        });
        *count += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The configuration reference.

/// A section of `config.example.toml` as its header is written (without the comment marker),
/// the name it is documented under, and its keys with their lines.
struct ExampleSection {
    header: String,
    keys: Vec<(String, usize)>,
}

/// `[api]` → `api`, `[[locations]]` → `locations`, `[templates.by_type."New Patient"]` →
/// `templates.by_type`: the name a section is documented under.
fn section_name(header: &str) -> Option<String> {
    let re = regex::Regex::new(r#"^\[\[?([a-z_]+(?:\.[a-z_]+)*)((?:\."[^"]*")*)\]\]?$"#).unwrap();
    re.captures(header.trim()).map(|c| c[1].to_string())
}

/// Every section header and every key of `config.example.toml`, commented out or not. Keys are
/// lines `key = ...` or `# key = ...` (also `# # key`), plus `or: key = ...` alternatives in a
/// comment (`start_date`, `start_time`).
fn example_sections() -> BTreeMap<String, ExampleSection> {
    let text = read("config.example.toml");
    let header = regex::Regex::new(r"^(?:#\s*)?(\[\[?[^\]\s][^\]]*\]\]?)\s*$").unwrap();
    let key = regex::Regex::new(r"^(?:#\s*)*([a-z_][a-z0-9_]*)\s*=\s").unwrap();
    let alternative = regex::Regex::new(r"\bor:\s+([a-z_][a-z0-9_]*)\s*=\s").unwrap();
    let also = regex::Regex::new(r"\band\s+([a-z_][a-z0-9_]*)\s*=\s").unwrap();
    let mut sections: BTreeMap<String, ExampleSection> = BTreeMap::new();
    let mut current: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if let Some(c) = header.captures(line) {
            let name = section_name(&c[1]).unwrap_or_else(|| {
                panic!("config.example.toml:{n}: a section header I cannot read")
            });
            sections.entry(name.clone()).or_insert(ExampleSection {
                header: c[1].to_string(),
                keys: Vec::new(),
            });
            current = Some(name);
            continue;
        }
        let Some(section) = current.as_ref() else {
            continue;
        };
        let entry = sections.get_mut(section).unwrap();
        if let Some(c) = key.captures(line) {
            entry.keys.push((c[1].to_string(), n));
            // A key's trailing comment may name its alternatives: `# or: a = "..." and b = "..."`.
            if let Some(comment) = line.find("# or:").map(|at| &line[at..]) {
                for c in alternative
                    .captures_iter(comment)
                    .chain(also.captures_iter(comment))
                {
                    entry.keys.push((c[1].to_string(), n));
                }
            }
        }
    }
    sections
}

/// The keys the config parser accepts in a section, as its "unknown field" error lists them: a
/// section with one made-up key, parsed by the real parser.
fn accepted_keys(header: &str) -> BTreeSet<String> {
    let text = format!("{header}\nzz_not_a_key = 1\n");
    let Err(e) = annie_dispatch::config::LoadedConfig::parse(Path::new("probe.toml"), text) else {
        panic!("{header} accepted a made-up key");
    };
    let message = e.to_string();
    let Some(at) = message.find("expected") else {
        panic!("{header}: no list of expected keys in: {message}");
    };
    let list = &message[at..];
    let list = &list[..list.find('\n').unwrap_or(list.len())];
    let keys: BTreeSet<String> = regex::Regex::new(r"`([a-z_0-9]+)`")
        .unwrap()
        .captures_iter(list)
        .map(|c| c[1].to_string())
        .collect();
    assert!(!keys.is_empty(), "{header}: no keys in: {message}");
    keys
}

/// configuration.md, cut at every heading that names a section (`` ### `[api]` ``): the
/// section's name, the heading's line and the text under it (to the next heading of the same
/// or a higher level).
fn documented_sections(text: &str) -> BTreeMap<String, (usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let all = headings(text);
    let code = regex::Regex::new(r"`([^`]+)`").unwrap();
    let mut out = BTreeMap::new();
    for (k, (line, level, heading)) in all.iter().enumerate() {
        let Some(name) = code
            .captures_iter(heading)
            .find_map(|c| section_name(&c[1]))
        else {
            continue;
        };
        let end = all[k + 1..]
            .iter()
            .find(|(_, l, _)| l <= level)
            .map_or(lines.len(), |(n, _, _)| n - 1);
        let body = lines[*line..end].join("\n");
        let previous = out.insert(name.clone(), (*line, body));
        assert!(
            previous.is_none(),
            "docs/configuration.md:{line}: a second heading for [{name}]"
        );
    }
    out
}

/// The first cells (`` `key` ``) of the table rows in a piece of Markdown, with their lines
/// relative to the piece (header and separator rows skipped).
fn table_keys(body: &str) -> Vec<(String, usize)> {
    let cell = regex::Regex::new(r"^\|\s*`([^`]+)`\s*\|").unwrap();
    body.lines()
        .enumerate()
        .filter_map(|(i, line)| cell.captures(line).map(|c| (c[1].to_string(), i)))
        .collect()
}

#[test]
fn configuration_reference_covers_every_key_of_the_example_and_of_the_parser() {
    let page = "docs/configuration.md";
    let text = read(page);
    let documented = documented_sections(&text);
    let example = example_sections();
    assert!(
        example.len() >= 15 && example.values().map(|s| s.keys.len()).sum::<usize>() >= 80,
        "config.example.toml read as too few sections or keys: the reader is broken"
    );
    let mentions = |body: &str, key: &str| body.contains(&format!("`{key}`"));
    let mut problems = Vec::new();

    for (name, section) in &example {
        let Some((line, body)) = documented.get(name) else {
            problems.push(format!(
                "config.example.toml: section {} has no heading naming `{}` in {page}",
                section.header, section.header
            ));
            continue;
        };
        for (key, n) in &section.keys {
            if !mentions(body, key) {
                problems.push(format!(
                    "config.example.toml:{n}: key `{key}` of {} is not documented under its \
                     heading ({page}:{line})",
                    section.header
                ));
            }
        }
        // Every key the parser accepts here is documented too (sub-tables have their own
        // heading), and every key in the section's tables exists.
        let accepted = accepted_keys(&section.header);
        for key in &accepted {
            let sub_table = example.contains_key(&format!("{name}.{key}"));
            if !sub_table && !mentions(body, key) {
                problems.push(format!(
                    "{page}:{line}: [{name}] accepts `{key}` (src/config/), but it is not \
                     documented under this heading"
                ));
            }
        }
        let in_example: BTreeSet<&str> = section.keys.iter().map(|(k, _)| k.as_str()).collect();
        for (key, offset) in table_keys(body) {
            if !in_example.contains(key.as_str()) && !accepted.contains(&key) {
                problems.push(format!(
                    "{page}:{}: `{key}` is documented under [{name}], but neither \
                     config.example.toml nor the config parser has such a key",
                    line + 1 + offset
                ));
            }
        }
    }
    for name in documented.keys() {
        if !example.contains_key(name) {
            problems.push(format!(
                "{page}: a heading names [{name}], which config.example.toml does not have"
            ));
        }
    }
    // Every top-level section the parser accepts is in the example (and so, above, documented).
    for top in accepted_keys("") {
        if !example.contains_key(&top) {
            problems.push(format!(
                "the config parser accepts [{top}], which config.example.toml does not show"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn the_configuration_check_catches_a_missing_key() {
    // The reader finds commented-out keys and alternatives named in a comment.
    let example = example_sections();
    let keys =
        |s: &str| -> Vec<String> { example[s].keys.iter().map(|(k, _)| k.clone()).collect() };
    assert!(keys("api.oauth").contains(&"token_url".to_string()));
    assert!(keys("input.columns").contains(&"start_date".to_string()));
    assert!(keys("input.columns").contains(&"start_time".to_string()));
    assert!(keys("templates.by_type").contains(&"context".to_string()));
    assert!(keys("locations").contains(&"hours_end".to_string()));
    assert_eq!(example["locations"].header, "[[locations]]");
    // The parser's list for a section, as the check reads it.
    let accepted = accepted_keys("[dispatch]");
    assert!(accepted.contains("server_error_attempts") && accepted.contains("breaker_after"));
    assert!(accepted_keys("").contains("locations"));
    // A section's documentation without one key no longer mentions it.
    let text = read("docs/configuration.md");
    let documented = documented_sections(&text);
    let (_, body) = &documented["hours"];
    assert!(body.contains("`recipient_end`"));
    let cut = text.replace("| `recipient_end` |", "| |");
    assert!(!documented_sections(&cut)["hours"]
        .1
        .contains("`recipient_end`"));
}

// ---------------------------------------------------------------------------------------------
// Every command shown parses.

/// A command line to check: where it is written, and the words after `annie-dispatch`.
#[derive(Debug)]
struct Invocation {
    place: String,
    text: String,
    args: Vec<String>,
    /// A synopsis (`[--flag VALUE]`): check the subcommand and flag names only.
    synopsis: bool,
}

/// Shell words and operators of one logical line. Quotes, `$(...)` and backticks stay inside
/// their word; `;`, `&&`, `||`, `|`, `&`, `(`, `)` separate commands; a redirection and its
/// target are dropped; `#` at the start of a word ends the line.
fn shell_words(line: &str) -> Vec<Option<String>> {
    let chars: Vec<char> = line.chars().collect();
    let mut out: Vec<Option<String>> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut skip_next_word = false;
    let mut i = 0;
    let finish =
        |word: &mut String, in_word: &mut bool, skip: &mut bool, out: &mut Vec<Option<String>>| {
            if *in_word {
                if *skip {
                    *skip = false;
                } else {
                    out.push(Some(std::mem::take(word)));
                }
            }
            word.clear();
            *in_word = false;
        };
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => {
                finish(&mut word, &mut in_word, &mut skip_next_word, &mut out);
                i += 1;
            }
            '#' if !in_word => break,
            ';' | '|' | '&' | '(' | ')' => {
                finish(&mut word, &mut in_word, &mut skip_next_word, &mut out);
                out.push(None);
                i += 1;
                while i < chars.len() && matches!(chars[i], '|' | '&') {
                    i += 1;
                }
            }
            '>' | '<' => {
                // `2>` : the digits before belong to the operator.
                if in_word && word.chars().all(|c| c.is_ascii_digit()) {
                    word.clear();
                    in_word = false;
                } else {
                    finish(&mut word, &mut in_word, &mut skip_next_word, &mut out);
                }
                i += 1;
                while i < chars.len() && chars[i] == '>' {
                    i += 1;
                }
                if i < chars.len() && chars[i] == '&' {
                    i += 1;
                    while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '-') {
                        i += 1;
                    }
                } else {
                    skip_next_word = true;
                }
            }
            '\'' => {
                in_word = true;
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    word.push(chars[i]);
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                in_word = true;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    word.push(chars[i]);
                    i += 1;
                }
                i += 1;
            }
            '\\' => {
                in_word = true;
                if i + 1 < chars.len() {
                    word.push(chars[i + 1]);
                }
                i += 2;
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                in_word = true;
                word.push_str("$(");
                i += 2;
                let mut depth = 1;
                while i < chars.len() {
                    match chars[i] {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    word.push(chars[i]);
                    i += 1;
                    if depth == 0 {
                        break;
                    }
                }
            }
            '`' => {
                in_word = true;
                word.push(c);
                i += 1;
                while i < chars.len() && chars[i] != '`' {
                    word.push(chars[i]);
                    i += 1;
                }
                word.push('`');
                i += 1;
            }
            _ => {
                in_word = true;
                word.push(c);
                i += 1;
            }
        }
    }
    finish(&mut word, &mut in_word, &mut skip_next_word, &mut out);
    out
}

/// The `annie-dispatch` invocations in one logical shell line: a command whose program is
/// `annie-dispatch` (any path), after environment assignments and `sudo -u USER`, `exec`,
/// `env`, `time` or `nohup`; or `cargo run ... -- ARGS`.
fn invocations_in(place: &str, line: &str) -> Vec<Invocation> {
    let assignment = regex::Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*=").unwrap();
    let words = shell_words(line);
    let mut out = Vec::new();
    for command in words.split(|w| w.is_none()) {
        let mut words: Vec<&str> = command.iter().map(|w| w.as_deref().unwrap()).collect();
        loop {
            match words.first().copied() {
                Some(w) if assignment.is_match(w) => {
                    words.remove(0);
                }
                Some("exec" | "env" | "time" | "nohup" | "{" | "!") => {
                    words.remove(0);
                }
                Some("sudo") => {
                    words.remove(0);
                    while let Some(w) = words.first().copied() {
                        if !w.starts_with('-') {
                            break;
                        }
                        words.remove(0);
                        if matches!(w, "-u" | "-g") && !words.is_empty() {
                            words.remove(0);
                        }
                    }
                }
                _ => break,
            }
        }
        let Some(program) = words.first() else {
            continue;
        };
        let args: Option<Vec<String>> = if program.rsplit('/').next() == Some("annie-dispatch") {
            Some(words[1..].iter().map(|w| w.to_string()).collect())
        } else if *program == "cargo" && words.get(1) == Some(&"run") {
            let dashes = words.iter().position(|w| *w == "--");
            Some(dashes.map_or_else(Vec::new, |at| {
                words[at + 1..].iter().map(|w| w.to_string()).collect()
            }))
        } else {
            None
        };
        if let Some(args) = args {
            out.push(Invocation {
                place: place.to_string(),
                text: line.trim().to_string(),
                args,
                synopsis: false,
            });
        }
    }
    out
}

/// Joins lines that end in a backslash: (first line's number, the joined line).
fn logical_lines(lines: &[(usize, String)]) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut continuing = false;
    for (n, line) in lines {
        let (text, more) = match line.trim_end().strip_suffix('\\') {
            Some(t) => (t.to_string(), true),
            None => (line.clone(), false),
        };
        if continuing {
            out.last_mut().unwrap().1.push(' ');
            out.last_mut().unwrap().1.push_str(text.trim_start());
        } else {
            out.push((*n, text));
        }
        continuing = more;
    }
    out
}

/// A crontab's job lines: (line, the command after the schedule, `\%` read as `%`).
fn cron_commands(lines: &[(usize, String)]) -> Vec<(usize, String)> {
    let schedule = regex::Regex::new(r"^\s*(?:@\w+|(?:\S+\s+){4}\S+)\s+(.*)$").unwrap();
    lines
        .iter()
        .filter(|(_, l)| {
            let t = l.trim_start();
            !t.is_empty()
                && !t.starts_with('#')
                && !regex::Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*\s*=")
                    .unwrap()
                    .is_match(t)
        })
        .map(|(n, l)| {
            let command = schedule
                .captures(l)
                .unwrap_or_else(|| panic!("line {n}: a cron line without a schedule: {l}"))[1]
                .replace("\\%", "%");
            (*n, command)
        })
        .collect()
}

/// The invocations in one Markdown page's fenced blocks.
fn page_invocations(page: &str) -> Vec<Invocation> {
    let mut out = Vec::new();
    for fence in fences(&read(page)) {
        match fence.lang.as_str() {
            "" | "sh" | "bash" | "shell" | "console" => {
                let lines: Vec<(usize, String)> = if fence.lang == "console" {
                    // Commands follow a `$ ` prompt (and its continuations); the rest is output.
                    let mut kept = Vec::new();
                    let mut continuing = false;
                    for (n, l) in &fence.lines {
                        if let Some(command) = l.strip_prefix("$ ") {
                            kept.push((*n, command.to_string()));
                        } else if continuing {
                            kept.push((*n, l.clone()));
                        } else {
                            continue;
                        }
                        continuing = l.trim_end().ends_with('\\');
                    }
                    kept
                } else {
                    fence.lines.clone()
                };
                for (n, line) in logical_lines(&lines) {
                    out.extend(invocations_in(&format!("{page}:{n}"), &line));
                }
            }
            "cron" | "crontab" => {
                for (n, line) in cron_commands(&fence.lines) {
                    out.extend(invocations_in(&format!("{page}:{n}"), &line));
                }
            }
            "text" => {
                // A synopsis: `annie-dispatch SUBCOMMAND [--flag VALUE] ...`, continued on
                // indented lines.
                let mut joined: Vec<(usize, String)> = Vec::new();
                for (n, l) in &fence.lines {
                    if l.starts_with("annie-dispatch ") {
                        joined.push((*n, l.clone()));
                    } else if l.starts_with(' ') && !l.trim().is_empty() {
                        if let Some(last) = joined.last_mut() {
                            last.1.push(' ');
                            last.1.push_str(l.trim());
                        }
                    }
                }
                for (n, line) in joined {
                    let args = line
                        .replace(['[', ']'], " ")
                        .split_whitespace()
                        .skip(1)
                        .map(str::to_string)
                        .collect();
                    out.push(Invocation {
                        place: format!("{page}:{n}"),
                        text: line.clone(),
                        args,
                        synopsis: true,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// The invocations in `contrib/crontab` and the systemd units' `ExecStart=` lines.
fn contrib_invocations() -> Vec<Invocation> {
    let mut out = Vec::new();
    let crontab: Vec<(usize, String)> = read("contrib/crontab")
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect();
    for (n, line) in cron_commands(&crontab) {
        out.extend(invocations_in(&format!("contrib/crontab:{n}"), &line));
    }
    let mut units: Vec<PathBuf> = std::fs::read_dir(root().join("contrib/systemd"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "service"))
        .collect();
    units.sort();
    let sh_c = regex::Regex::new(r"^\S*sh\s+-c\s+'(.*)'$").unwrap();
    for unit in units {
        let rel = unit.strip_prefix(root()).unwrap().display().to_string();
        let lines: Vec<(usize, String)> = std::fs::read_to_string(&unit)
            .unwrap()
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.to_string()))
            .collect();
        for (n, line) in logical_lines(&lines) {
            let Some(value) = line.trim().strip_prefix("ExecStart=") else {
                continue;
            };
            // systemd writes `%` as `%%`; a `sh -c '...'` wrapper holds the real command.
            let value = value.replace("%%", "%");
            let command = sh_c
                .captures(value.trim())
                .map_or(value.clone(), |c| c[1].to_string());
            out.extend(invocations_in(&format!("{rel}:{n}"), &command));
        }
    }
    out
}

/// Why an invocation does not parse with the real command line, if it does not.
fn check_invocation(inv: &Invocation) -> Result<(), String> {
    let command = Cli::command();
    if inv.synopsis {
        let mut sub: Option<&clap::Command> = None;
        for word in &inv.args {
            if let Some(flag) = word.strip_prefix('-') {
                let flag = flag.split('=').next().unwrap();
                let known = |c: &clap::Command| {
                    c.get_arguments().any(|a| match flag.strip_prefix('-') {
                        Some(long) => a.get_long() == Some(long),
                        None => flag.chars().all(|f| a.get_short() == Some(f)),
                    })
                };
                if !known(&command) && !sub.is_some_and(known) {
                    return Err(format!("no option `{word}`"));
                }
            } else if sub.is_none() {
                sub = Some(
                    command
                        .find_subcommand(word)
                        .ok_or_else(|| format!("no subcommand `{word}`"))?,
                );
            }
        }
        return sub.map(|_| ()).ok_or_else(|| "no subcommand".to_string());
    }
    let argv = std::iter::once("annie-dispatch".to_string()).chain(inv.args.iter().cloned());
    match command.try_get_matches_from(argv) {
        Ok(matches) => Cli::from_arg_matches(&matches)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) if !e.use_stderr() => Ok(()), // --help, --version
        Err(e) => Err(e.render().to_string()),
    }
}

fn all_invocations() -> Vec<Invocation> {
    let mut all: Vec<Invocation> = markdown_pages()
        .iter()
        .flat_map(|page| page_invocations(page))
        .collect();
    all.extend(contrib_invocations());
    all
}

#[test]
fn every_command_in_the_readme_docs_and_contrib_parses() {
    let all = all_invocations();
    let count = |prefix: &str| all.iter().filter(|i| i.place.starts_with(prefix)).count();
    // The scanner must find the commands it is meant to check.
    for (prefix, at_least) in [
        ("README.md:", 4),
        ("docs/operations.md:", 8),
        ("docs/sandbox.md:", 3),
        ("docs/configuration.md:", 1),
        ("contrib/crontab:", 2),
        ("contrib/systemd/annie-dispatch.service:", 1),
        ("contrib/systemd/annie-dispatch-outcomes.service:", 1),
    ] {
        assert!(
            count(prefix) >= at_least,
            "found {} commands in {prefix} (expected at least {at_least}): {:#?}",
            count(prefix),
            all.iter()
                .filter(|i| i.place.starts_with(prefix))
                .collect::<Vec<_>>()
        );
    }
    let problems: Vec<String> = all
        .iter()
        .filter_map(|inv| {
            check_invocation(inv).err().map(|e| {
                format!(
                    "{}: `{}`\n    {}",
                    inv.place,
                    inv.text,
                    e.trim().replace('\n', "\n    ")
                )
            })
        })
        .collect();
    assert!(
        problems.is_empty(),
        "commands that do not parse:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_command_check_finds_and_rejects_bad_commands() {
    let find = |line: &str| invocations_in("x.md:1", line);
    // Prefixes, redirections, `$(...)` words, cron's `||` and `&&` chains.
    let inv = find(
        "umask 077; set -a; . /etc/env; cd /var && /usr/local/bin/annie-dispatch -q run \
         --config p.toml --input exports/a-$(date +%F).csv >> d.log 2>&1 || { s=$?; echo x; }",
    );
    assert_eq!(inv.len(), 1, "{inv:?}");
    assert_eq!(
        inv[0].args,
        [
            "-q",
            "run",
            "--config",
            "p.toml",
            "--input",
            "exports/a-$(date +%F).csv"
        ]
    );
    assert!(check_invocation(&inv[0]).is_ok());
    let inv = find("sudo -u annie ANNIE_API_KEY=k annie-dispatch check --config a.toml");
    assert_eq!(inv.len(), 1, "{inv:?}");
    let inv = find("ANNIE_API_KEY=k annie-dispatch check --config a.toml # a comment --nope");
    assert_eq!(inv[0].args, ["check", "--config", "a.toml"]);
    let inv = find("cargo run -q -- run --config c.toml --input i.csv --dry-run --wide");
    assert!(check_invocation(&inv[0]).is_ok());
    // Arguments to other programs are not invocations.
    assert!(find("install -m 0755 target/release/annie-dispatch /usr/local/bin/").is_empty());
    assert!(find("journalctl -u annie-dispatch").is_empty());

    // Each kind of mistake fails.
    for bad in [
        "annie-dispatch run --config c.toml --input i.csv --bogus",
        "annie-dispatch run --config c.toml",
        "annie-dispatch frobnicate --config c.toml",
        "annie-dispatch run --config c.toml --input i.csv --limit many",
        "annie-dispatch run --config c.toml --input i.csv --now tomorrow",
        "annie-dispatch run --config c.toml --input i.csv --dry-run --sandbox",
        "annie-dispatch outcomes --config c.toml --results r.csv --input i.csv",
    ] {
        let inv = find(bad);
        assert_eq!(inv.len(), 1, "{bad}");
        assert!(check_invocation(&inv[0]).is_err(), "{bad} passed");
    }
    // A synopsis is checked for its subcommand and option names.
    let synopsis = |args: &[&str]| Invocation {
        place: "x.md:1".into(),
        text: String::new(),
        args: args.iter().map(|a| a.to_string()).collect(),
        synopsis: true,
    };
    assert!(check_invocation(&synopsis(&["run", "--config", "FILE", "--limit", "N"])).is_ok());
    assert!(check_invocation(&synopsis(&["-v", "outcomes", "--out", "FILE"])).is_ok());
    assert!(check_invocation(&synopsis(&["run", "--out", "FILE"])).is_err());
    assert!(check_invocation(&synopsis(&["runn", "--config", "FILE"])).is_err());
}

// ---------------------------------------------------------------------------------------------
// Links.

/// Pages another engineer is writing; a link to one is allowed until it exists.
const PENDING: [&str; 0] = [];

#[test]
fn every_link_between_the_pages_points_at_a_file_and_heading_that_exist() {
    let link = regex::Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    let code_span = regex::Regex::new(r"`[^`]*`").unwrap();
    let mut pages = markdown_pages();
    pages.push("BENCHMARKS.md".into());
    let mut problems = Vec::new();
    let mut checked = 0;
    for page in &pages {
        let text = read(page);
        let dir = Path::new(page).parent().unwrap();
        for (n, line) in prose_lines(&text) {
            let line = code_span.replace_all(line, "");
            for c in link.captures_iter(&line) {
                let target = &c[1];
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                checked += 1;
                let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
                let file = if path.is_empty() {
                    PathBuf::from(page)
                } else {
                    normalise(&dir.join(path))
                };
                let rel = file.display().to_string();
                if !root().join(&file).exists() {
                    if !PENDING.contains(&rel.as_str()) {
                        problems.push(format!("{page}:{n}: `{target}`: no file {rel}"));
                    }
                    continue;
                }
                if !anchor.is_empty() && !anchors(&read(&rel)).contains(anchor) {
                    problems.push(format!(
                        "{page}:{n}: `{target}`: no heading #{anchor} in {rel}"
                    ));
                }
            }
        }
    }
    assert!(
        checked >= 40,
        "only {checked} links found: the scanner is broken"
    );
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
    // The README leads to what the API docs leave open, and every docs page.
    let readme = read("README.md");
    assert!(readme
        .contains("(docs/safety.md#where-the-annie-api-docs-are-silent-and-what-this-tool-does)"));
    for page in pages.iter().filter(|p| p.starts_with("docs/")) {
        assert!(
            readme.contains(&format!("]({page})")),
            "the README does not link {page}"
        );
    }
    for pending in PENDING {
        assert!(readme.contains(&format!("]({pending})")));
    }
}

/// `docs/../README.md` → `README.md`.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn anchors_follow_github() {
    assert_eq!(
        slug("Where the Annie API docs are silent, and what this tool does"),
        "where-the-annie-api-docs-are-silent-and-what-this-tool-does"
    );
    assert_eq!(slug("`[api.oauth]`"), "apioauth");
    assert_eq!(
        slug("`[templates.by_type.\"Type name\"]`"),
        "templatesby_typetype-name"
    );
    assert_eq!(
        slug("Phone numbers: what is never called"),
        "phone-numbers-what-is-never-called"
    );
    let page = "# A\n## B\n### B\n```\n# not a heading\n```\n";
    assert_eq!(
        anchors(page).into_iter().collect::<Vec<_>>(),
        ["a", "b", "b-1"]
    );
}
