//! # tripline-ingest
//!
//! Bytes → lines → events, knowing nothing about rules.
//!
//! * [`source`]: inputs (files, directories, stdin), with gzip/zstd detected by content.
//! * [`LineFramer`]: newline framing over chunks of any size; lines borrow the chunk.
//! * [`FieldPlan`]: the fields a rule set wants, compiled into one path trie per process,
//!   resolved per [`Schema`] through a [`FieldMap`] (data: `mappings/fields.yml`).
//! * [`Parser`]: one validating pass over a line that records only the planned fields,
//!   detects the schema and classifies the [`Event`] ([`EventKind`]); bad lines come
//!   back as a [`Reject`] reason.
//!
//! ```
//! use tripline_ingest::{FieldId, FieldPlan, LineFramer, Framed, Parser, EventKind};
//!
//! let plan = FieldPlan::standard();
//! let mut parser = Parser::new();
//! let mut framer = LineFramer::default();
//! let input = br#"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"web01","Image":"C:\\Windows\\System32\\cmd.exe","ParentImage":"C:\\Windows\\System32\\inetsrv\\w3wp.exe"}
//! not json
//! "#;
//! let mut kinds = Vec::new();
//! framer.push(input, |framed| {
//!     if let Framed::Line(line) = framed {
//!         match parser.parse(&plan, line.bytes) {
//!             Ok(event) => {
//!                 assert_eq!(event.bytes(FieldId::PARENT_IMAGE), Some(&br"C:\Windows\System32\inetsrv\w3wp.exe"[..]));
//!                 kinds.push(Ok(event.kind()));
//!             }
//!             Err(reason) => kinds.push(Err(reason.key())),
//!         }
//!     }
//! });
//! assert_eq!(kinds, vec![Ok(EventKind::ProcessStart), Err("json_unexpected_byte")]);
//! ```

mod decompress;
pub mod event;
pub mod fieldmap;
pub mod framing;
mod json;
pub mod plan;
pub mod reject;
pub mod schema;
pub mod source;
pub mod timestamp;

pub use event::{
    Event, EventSummary, FieldValue, JsonArray, ParentSummary, Parser, ProcessSummary,
};
pub use fieldmap::{FieldMap, FieldMapError};
pub use framing::{Block, DEFAULT_MAX_LINE, Framed, Line, LineFramer, Piece};
pub use plan::{FieldId, FieldPlan, FieldPlanBuilder};
pub use reject::{JsonError, Reject};
pub use schema::{EventKind, Schema};
pub use timestamp::{Civil, Timestamp};
