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
    /// The line is neither JSON nor an access-log line of a known format, or an access-log
    /// line that cannot be read (the detail says why).
    AccessLog(AccessLogError),
}

/// Why a line that is not JSON was not read as an access-log entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessLogError {
    /// Neither JSON nor a line of any known access-log format.
    UnknownFormat,
    /// A `combined`/`common` line that ends inside or before a mandatory field.
    Truncated,
    /// A field of the wrong shape (a status that is not a number, an empty `#Fields:`).
    BadField,
    /// An unreadable request time (`[10/Oct/2000:13:55:36 -0700]`, W3C `date`/`time`).
    BadTime,
    /// A W3C data line before any `#Fields:` directive of its input.
    W3cNoFields,
    /// A W3C data line whose number of fields differs from the latest `#Fields:`.
    W3cFieldCount,
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
    pub const ALL: [Reject; 15] = [
        Reject::EmptyLine,
        Reject::LineTooLong,
        Reject::MalformedJson(JsonError::Truncated),
        Reject::MalformedJson(JsonError::UnexpectedByte),
        Reject::MalformedJson(JsonError::BadEscape),
        Reject::MalformedJson(JsonError::BadNumber),
        Reject::MalformedJson(JsonError::TrailingData),
        Reject::NotAnObject,
        Reject::UnknownSchema,
        Reject::AccessLog(AccessLogError::UnknownFormat),
        Reject::AccessLog(AccessLogError::Truncated),
        Reject::AccessLog(AccessLogError::BadField),
        Reject::AccessLog(AccessLogError::BadTime),
        Reject::AccessLog(AccessLogError::W3cNoFields),
        Reject::AccessLog(AccessLogError::W3cFieldCount),
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
            Reject::AccessLog(AccessLogError::UnknownFormat) => "unknown_line_format",
            Reject::AccessLog(AccessLogError::Truncated) => "access_log_truncated",
            Reject::AccessLog(AccessLogError::BadField) => "access_log_bad_field",
            Reject::AccessLog(AccessLogError::BadTime) => "access_log_bad_time",
            Reject::AccessLog(AccessLogError::W3cNoFields) => "w3c_no_fields",
            Reject::AccessLog(AccessLogError::W3cFieldCount) => "w3c_field_count",
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
            Reject::AccessLog(AccessLogError::UnknownFormat) => {
                "neither JSON nor an access-log line of a known format"
            }
            Reject::AccessLog(AccessLogError::Truncated) => "access-log line: truncated",
            Reject::AccessLog(AccessLogError::BadField) => "access-log line: malformed field",
            Reject::AccessLog(AccessLogError::BadTime) => "access-log line: unreadable time",
            Reject::AccessLog(AccessLogError::W3cNoFields) => {
                "W3C log line before any #Fields: directive"
            }
            Reject::AccessLog(AccessLogError::W3cFieldCount) => {
                "W3C log line: field count differs from the #Fields: directive"
            }
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
