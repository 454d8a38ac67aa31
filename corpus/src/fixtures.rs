//! The small generated files checked in under `corpus/fixtures/` (what the README's first
//! command scans), one per endpoint schema, with their ground truth beside the scanned
//! directory in `corpus/fixtures-truth/`. They are zstd-compressed (level 19) to keep the
//! repository small; the ingest reads them by content.
//!
//! Regenerate with `cargo run -p tripline-corpus -- fixtures`; a test fails when the
//! checked-in files no longer match what the generator writes.

use std::io;
use std::path::{Path, PathBuf};

use crate::fleet::{Amount, Fleet, FleetConfig, SchemaChoice};
use crate::schema::Schema;
use crate::time::HOUR;
use crate::truth::{self, TruthRecord};

/// The directory of the generated fixtures.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The directory of their ground truth.
pub fn fixtures_truth_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures-truth")
}

/// One generated fixture.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// File name under `fixtures/` (ends in `.zst`).
    pub name: String,
    pub config: FleetConfig,
}

impl Fixture {
    /// The truth file's name under `fixtures-truth/`.
    pub fn truth_name(&self) -> String {
        format!("{}.truth.ndjson", self.name.trim_end_matches(".zst"))
    }

    /// The uncompressed lines and the truth, freshly generated.
    pub fn generate(&self) -> (Vec<u8>, Vec<TruthRecord>) {
        Fleet::new(self.config.clone()).generate_vec(&self.name)
    }
}

/// Every fixture: one per endpoint schema, 240 lines from 8 hosts over 6 hours with three
/// scenarios, each with its own seed and host names (`syweb01` in `evtx`, `ecweb01` in
/// `ecs`...: files scanned together must not share hosts).
pub fn fixtures() -> Vec<Fixture> {
    const PREFIXES: [&str; 8] = ["sy", "se", "wb", "fl", "sn", "ec", "md", "ms"];
    Schema::ENDPOINT
        .iter()
        .enumerate()
        .map(|(i, &schema)| Fixture {
            name: format!("{}.{}.zst", schema.key(), schema.extension()),
            config: FleetConfig {
                seed: 600 + i as u64,
                hosts: 8,
                amount: Amount::Events(240),
                duration: 6 * HOUR,
                schema: SchemaChoice::One(schema),
                shuffle_window: 0,
                scenarios: Some(3),
                host_prefix: PREFIXES[i].to_owned(),
                ..FleetConfig::default()
            },
        })
        .collect()
}

fn compress(bytes: &[u8]) -> io::Result<Vec<u8>> {
    zstd::encode_all(bytes, 19)
}

fn decompress(bytes: &[u8]) -> io::Result<Vec<u8>> {
    zstd::decode_all(bytes)
}

/// Writes every fixture and its truth into `dir` and `truth_dir`; returns the paths.
pub fn write_fixtures(dir: &Path, truth_dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    std::fs::create_dir_all(truth_dir)?;
    let mut written = Vec::new();
    for fixture in fixtures() {
        let (bytes, records) = fixture.generate();
        let path = dir.join(&fixture.name);
        std::fs::write(&path, compress(&bytes)?)?;
        written.push(path);
        let mut text = Vec::new();
        truth::write(&mut text, &records)?;
        let path = truth_dir.join(fixture.truth_name());
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

/// The checked-in fixtures that differ from a fresh generation (by content: the
/// compressed bytes themselves may differ between compressor versions), with what differs.
pub fn stale_fixtures(dir: &Path, truth_dir: &Path) -> Vec<String> {
    let mut stale = Vec::new();
    for fixture in fixtures() {
        let (bytes, records) = fixture.generate();
        let path = dir.join(&fixture.name);
        match std::fs::read(&path).and_then(|z| decompress(&z)) {
            Ok(found) if found == bytes => {}
            Ok(_) => stale.push(format!("{}: lines differ", path.display())),
            Err(e) => stale.push(format!("{}: {e}", path.display())),
        }
        let path = truth_dir.join(fixture.truth_name());
        let found = std::fs::File::open(&path)
            .map_err(truth::TruthError::from)
            .and_then(|f| truth::read(io::BufReader::new(f)));
        match found {
            Ok(found) if found == records => {}
            Ok(_) => stale.push(format!("{}: truth differs", path.display())),
            Err(e) => stale.push(format!("{}: {e}", path.display())),
        }
    }
    stale
}
