//! Rule-set compilation: the whole SigmaHQ `rules/` tree (read outside the timer) parsed
//! and compiled, as `tripline scan --rules` does before scanning. Checks how many rules
//! compile before timing.

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use tripline_engine::RuleSetBuilder;

fn sigma_rules() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/sigma/rules");
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("the SigmaHQ rules are in ../shared/data") {
            let path: PathBuf = entry.expect("readable").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yml") {
                let text = std::fs::read_to_string(&path).expect("readable");
                files.push((path.display().to_string(), text));
            }
        }
    }
    files.sort();
    files
}

fn compile(files: &[(String, String)]) -> usize {
    let mut builder = RuleSetBuilder::new();
    for (name, text) in files {
        builder.add_sigma_yaml(name, text);
    }
    builder.build().0.rules().len()
}

fn sigma_tree(c: &mut Criterion) {
    let files = sigma_rules();
    assert!(files.len() > 3000, "{} rule files", files.len());
    // All of rules/windows and the other Windows-relevant rules compile; cloud and
    // network products do not (Tripline does not ingest them).
    let compiled = compile(&files);
    assert!(compiled >= 2640, "only {compiled} rules compiled");
    let mut group = c.benchmark_group("rules");
    group.sample_size(10);
    group.bench_function("compile_sigmahq_rules_tree", |b| b.iter(|| compile(&files)));
    group.finish();
}

criterion_group!(benches, sigma_tree);
criterion_main!(benches);
