//! # tripline-corpus
//!
//! Deterministic fleet telemetry with ground truth, for tests, benchmarks and detection
//! quality; and the checked-in sample files.
//!
//! * [`Fleet`] generates a fleet's telemetry from a [`FleetConfig`]: hosts with roles
//!   (IIS, Exchange, Apache/PHP, Tomcat, Node.js, domain controllers, workstations),
//!   realistic benign activity (including the false-positive sources real deployments
//!   see), injected attack scenarios, in every schema Tripline reads, streamed into any
//!   writer. The same configuration gives the same bytes on every machine.
//! * [`TruthRecord`]s say where each scenario's events are and which built-in rules must
//!   fire; [`score`] compares alerts with them.
//!
//! ```
//! use tripline_corpus::{Amount, Fleet, FleetConfig, Schema, SchemaChoice};
//!
//! let config = FleetConfig {
//!     hosts: 12,
//!     amount: Amount::Events(2_000),
//!     schema: SchemaChoice::One(Schema::Ecs),
//!     ..FleetConfig::default()
//! };
//! let (bytes, truth) = Fleet::new(config.clone()).generate_vec("fleet.ndjson");
//! assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 2_000);
//! assert!(!truth.is_empty());
//! assert_eq!(Fleet::new(config).generate_vec("fleet.ndjson").0, bytes);
//! ```

mod accesslog;
mod activity;
mod catalog;
mod disorder;
mod expect;
pub mod fixtures;
mod fleet;
mod handwritten;
mod host;
mod json;
mod model;
mod render;
pub mod rng;
mod scenario;
mod schema;
pub mod score;
mod slab;
mod stream;
mod text;
pub mod time;
pub mod truth;

pub use fleet::{Amount, Fleet, FleetConfig, SchemaChoice, Summary};
pub use handwritten::{ExpectedAlert, handwritten_dir, handwritten_expected_alerts};
pub use host::{Host, Role};
pub use scenario::ScenarioKind;
pub use schema::{Caps, Schema, UnknownSchema};
pub use truth::TruthRecord;
