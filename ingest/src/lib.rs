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
//!   back as a [`Reject`] reason. JSON lines and web-server access-log lines
//!   ([`AccessFormat`]: Apache/nginx `combined` and `common`, IIS W3C, nginx JSON) mix
//!   freely; W3C directive lines come back as [`Parsed::Header`].
//!
//! ```
//! use tripline_ingest::{FieldId, FieldPlan, LineFramer, Framed, Parsed, Parser, EventKind};
//!
//! let plan = FieldPlan::standard();
//! let mut parser = Parser::new();
//! let mut framer = LineFramer::default();
//! let input = br#"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"web01","Image":"C:\\Windows\\System32\\cmd.exe","ParentImage":"C:\\Windows\\System32\\inetsrv\\w3wp.exe"}
//! 203.0.113.7 - - [20/Nov/2026:10:00:00 +0000] "GET /search?q=%27+OR+1=1-- HTTP/1.1" 200 512 "-" "curl/8.4.0"
//! not json, not an access log
//! "#;
//! let mut kinds = Vec::new();
//! framer.push(input, |framed| {
//!     if let Framed::Line(line) = framed {
//!         match parser.parse(&plan, line.bytes) {
//!             Ok(Parsed::Event(event)) => kinds.push(Ok(event.kind())),
//!             Ok(Parsed::Header) => {}
//!             Err(reason) => kinds.push(Err(reason.key())),
//!         }
//!     }
//! });
//! assert_eq!(
//!     kinds,
//!     vec![Ok(EventKind::ProcessStart), Ok(EventKind::WebRequest), Err("unknown_line_format")]
//! );
//!
//! // Request fields are also seen URL-decoded.
//! let line = br#"203.0.113.7 - - [20/Nov/2026:10:00:00 +0000] "GET /search?q=%27+OR+1=1-- HTTP/1.1" 200 512 "-" "curl/8.4.0""#;
//! let event = parser.parse(&plan, line).unwrap().event().unwrap();
//! let forms: Vec<_> = event.forms(FieldId::URI).filter_map(|v| v.as_bytes()).collect();
//! assert_eq!(forms, [&b"/search?q=%27+OR+1=1--"[..], b"/search?q=' OR 1=1--"]);
//! ```

mod access;
pub mod context;
mod decompress;
pub mod event;
pub mod fieldmap;
pub mod framing;
mod json;
#[allow(unsafe_code)]
pub mod mapped;
pub mod plan;
pub mod reject;
pub mod schema;
pub mod source;
mod summary;
pub mod timestamp;

pub use access::AccessFormat;
pub use context::SourceContext;
pub use event::{Event, FieldValue, JsonArray, Parsed, Parser};
pub use fieldmap::{FieldMap, FieldMapError};
pub use framing::{Block, DEFAULT_MAX_LINE, Framed, Line, LineFramer, Piece};
pub use plan::{FieldId, FieldPlan, FieldPlanBuilder};
pub use reject::{AccessLogError, JsonError, Reject};
pub use schema::{EventKind, Schema};
pub use summary::{EventSummary, ParentSummary, ProcessSummary, RequestSummary, base_name};
pub use timestamp::{Civil, Timestamp};
