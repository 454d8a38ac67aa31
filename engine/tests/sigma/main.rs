//! Sigma conformance against SigmaHQ's own material in `../shared/data` (beside the
//! repository): the regression oracle with its skip list, the golden alert counts
//! of the whole `rules/windows` tree over the public event logs, and the `rules/web`
//! tree over our sample access logs.

mod golden;
mod regression;
mod web;

use std::path::{Path, PathBuf};

/// The SigmaHQ repository snapshot.
fn sigma_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/sigma")
}

/// A checked-in file of this test directory.
fn test_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}
