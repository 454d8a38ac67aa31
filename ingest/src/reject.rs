//! Why a line was not evaluated: the closed set of rejection reasons, counted per reason.

use std::fmt;

/// The reason a line was rejected. Rejection is data, not an error: the line is counted
/// under its reason, reported with its file and line number, and the run goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reject {
    /// The line holds only whitespace.
    EmptyLine,
    /// The line is longer than the configured limit; its bytes were discarded unread.
    LineTooLong,
    /// The line is not well-formed JSON (the detail says where and why).
    MalformedJson(JsonError),
    /// The line is JSON, but its top level is not an object.
    NotAnObject,
    /// The line is a JSON object, but of no event schema Tripline knows.
    UnknownSchema,
}

/// What was wrong with a malformed JSON line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JsonError {
    /// The line ended inside a value (a truncated line).
    Truncated,
    /// A byte that cannot appear where it was found.
    UnexpectedByte,
    /// A string with a bad escape sequence.
    BadEscape,
    /// A malformed number.
    BadNumber,
    /// Data after the end of the top-level value.
    TrailingData,
}

impl Reject {
    /// Every reason, in a stable order, for reports that list all counters.
    pub const ALL: [Reject; 9] = [
        Reject::EmptyLine,
        Reject::LineTooLong,
        Reject::MalformedJson(JsonError::Truncated),
        Reject::MalformedJson(JsonError::UnexpectedByte),
        Reject::MalformedJson(JsonError::BadEscape),
        Reject::MalformedJson(JsonError::BadNumber),
        Reject::MalformedJson(JsonError::TrailingData),
        Reject::NotAnObject,
        Reject::UnknownSchema,
    ];

    /// A stable snake_case key, used in statistics output.
    pub fn key(self) -> &'static str {
        match self {
            Reject::EmptyLine => "empty_line",
            Reject::LineTooLong => "line_too_long",
            Reject::MalformedJson(JsonError::Truncated) => "json_truncated",
            Reject::MalformedJson(JsonError::UnexpectedByte) => "json_unexpected_byte",
            Reject::MalformedJson(JsonError::BadEscape) => "json_bad_escape",
            Reject::MalformedJson(JsonError::BadNumber) => "json_bad_number",
            Reject::MalformedJson(JsonError::TrailingData) => "json_trailing_data",
            Reject::NotAnObject => "not_an_object",
            Reject::UnknownSchema => "unknown_schema",
        }
    }

    /// Index into [`Reject::ALL`], for counter arrays.
    pub fn index(self) -> usize {
        Reject::ALL
            .iter()
            .position(|r| *r == self)
            .expect("Reject::ALL lists every reason")
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Reject::EmptyLine => "empty line",
            Reject::LineTooLong => "line longer than the limit",
            Reject::MalformedJson(JsonError::Truncated) => "malformed JSON: truncated",
            Reject::MalformedJson(JsonError::UnexpectedByte) => "malformed JSON: unexpected byte",
            Reject::MalformedJson(JsonError::BadEscape) => "malformed JSON: bad string escape",
            Reject::MalformedJson(JsonError::BadNumber) => "malformed JSON: bad number",
            Reject::MalformedJson(JsonError::TrailingData) => {
                "malformed JSON: data after the top-level value"
            }
            Reject::NotAnObject => "JSON value is not an object",
            Reject::UnknownSchema => "JSON object of no known event schema",
        };
        f.write_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_round_trips_and_keys_are_unique() {
        let mut keys: Vec<_> = Reject::ALL.iter().map(|r| r.key()).collect();
        for (i, r) in Reject::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
        }
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), Reject::ALL.len());
    }
}
