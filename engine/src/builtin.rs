//! The built-in rule pack: Sigma files under `engine/rules/builtin/`, embedded in the
//! binary. Each rule has a stable `name` and carries its own examples.

/// The pack's files: (file name, YAML text).
pub(crate) const FILES: &[(&str, &str)] = &[
    (
        "web_server_suspicious_child.yml",
        include_str!("../rules/builtin/web_server_suspicious_child.yml"),
    ),
    (
        "exchange_worker_suspicious_child.yml",
        include_str!("../rules/builtin/exchange_worker_suspicious_child.yml"),
    ),
    (
        "web_root_file_then_shell.yml",
        include_str!("../rules/builtin/web_root_file_then_shell.yml"),
    ),
    (
        "access_log_jndi_lookup.yml",
        include_str!("../rules/builtin/access_log_jndi_lookup.yml"),
    ),
    (
        "access_log_sql_injection.yml",
        include_str!("../rules/builtin/access_log_sql_injection.yml"),
    ),
];

/// The pack's files, for tools that show or test them.
pub fn files() -> &'static [(&'static str, &'static str)] {
    FILES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_the_pack_directory_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/builtin");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yml"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = FILES.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }
}
