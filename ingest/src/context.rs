//! What an input's earlier lines and its caller say about how its later lines read: the
//! W3C directives in force (`#Fields:`, `#Date:`) and the host of events that name none.
//!
//! A [`Parser`](crate::Parser) holds the current context and follows the directives it
//! parses. When one input's blocks go to several parsers (worker threads), each block is
//! given the context at its start ([`Parser::set_context`](crate::Parser::set_context)),
//! and the context after it is found by following the block's directives alone
//! ([`SourceContext::follow`], a look at each line's first bytes): every line is read as
//! it would be by a single parser.

use std::sync::Arc;

use crate::access::{W3cState, apply_directive};
use crate::framing::{Block, Framed, Piece};

/// Per-input parsing context. Cloning is cheap (two reference counts).
#[derive(Clone, Debug, Default)]
pub struct SourceContext {
    pub(crate) w3c: Arc<W3cState>,
    pub(crate) host: Option<Arc<str>>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl SourceContext {
    /// The host of the input's events that do not name one (Apache `combined` lines
    /// never do): what [`Event::host`](crate::Event::host) and `Computer` give for them.
    pub fn set_host(&mut self, host: Option<Arc<str>>) {
        self.host = host;
    }

    pub fn host(&self) -> Option<&Arc<str>> {
        self.host.as_ref()
    }

    /// Follows a piece of framed input: its W3C directives change the context as parsing
    /// its lines would.
    pub fn follow(&mut self, piece: &Piece<'_>) {
        match piece {
            Piece::Line(framed) => self.follow_line(*framed),
            Piece::Block(block) => self.follow_block(block),
        }
    }

    fn follow_line(&mut self, framed: Framed<'_>) {
        if let Framed::Line(line) = framed {
            let bytes = line.bytes.strip_prefix(BOM).unwrap_or(line.bytes);
            if bytes.first() == Some(&b'#') {
                // A directive that does not read is rejected by the parser and changes
                // nothing, here too.
                let _ = apply_directive(&mut self.w3c, bytes);
            }
        }
    }

    /// Follows every line of `block` that can be a directive (one starting with `#`,
    /// possibly after a byte-order mark), in order: one newline search over the block,
    /// looking at the first bytes of each line; nothing else is parsed.
    fn follow_block(&mut self, block: &Block<'_>) {
        let bytes = block.bytes;
        // One newline search runs at memory speed; the two substring searches it replaced
        // (`\n#`, and the byte-order mark of a concatenated file) cost 7 % of a two-thread
        // scan on the thread that feeds the workers.
        let starts = std::iter::once(0).chain(memchr::memchr_iter(b'\n', bytes).map(|at| at + 1));
        for start in starts {
            let rest = &bytes[start.min(bytes.len())..];
            if rest.first() == Some(&b'#') || rest.starts_with(BOM) {
                let end = memchr::memchr(b'\n', rest).map_or(bytes.len(), |e| start + e);
                // The line number does not matter to a directive.
                self.follow_line(block.line_at(0, start, end));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::LineFramer;
    use crate::{FieldMap, FieldPlanBuilder, Parsed, Parser};

    const LOG: &[u8] = b"#Software: Microsoft Internet Information Services 10.0\r\n\
#Fields: date time cs-method cs-uri-stem sc-status\r\n\
2026-11-20 10:00:00 GET /a 200\r\n\
\xEF\xBB\xBF#Fields: date time cs-uri-stem cs-method sc-status\n\
2026-11-20 10:00:01 /b POST 404\n";

    /// The context a block-following reader reaches equals the one a parser reaches by
    /// parsing every line: parsing the last line with either gives the same fields.
    #[test]
    fn following_blocks_equals_parsing_lines() {
        let mut builder = FieldPlanBuilder::new(FieldMap::builtin());
        let method = builder.field("cs-method");
        let plan = builder.build();
        for split in 0..LOG.len() {
            let mut follower = SourceContext::default();
            let mut framer = LineFramer::new(1 << 20);
            let mut lines = Vec::new();
            for chunk in [&LOG[..split], &LOG[split..]] {
                framer.push_blocks(chunk, |piece| {
                    follower.follow(&piece);
                    match piece {
                        Piece::Line(framed) => lines.push(framed_bytes(framed)),
                        Piece::Block(block) => lines.extend(block.lines().map(framed_bytes)),
                    }
                });
            }
            let mut sequential = Parser::new();
            for line in &lines[..lines.len() - 1] {
                let _ = sequential.parse(&plan, line);
            }
            let last = lines.last().expect("lines");
            let Ok(Parsed::Event(event)) = sequential.parse(&plan, last) else {
                panic!("sequential parse of the last line")
            };
            assert_eq!(event.bytes(method), Some(&b"POST"[..]));
            let mut resumed = Parser::new();
            resumed.set_context(&follower);
            let Ok(Parsed::Event(event)) = resumed.parse(&plan, last) else {
                panic!("parse with the followed context (split at {split})")
            };
            assert_eq!(event.bytes(method), Some(&b"POST"[..]), "split at {split}");
        }
    }

    fn framed_bytes(framed: Framed<'_>) -> Vec<u8> {
        match framed {
            Framed::Line(line) => line.bytes.to_vec(),
            Framed::TooLong { .. } => Vec::new(),
        }
    }
}
