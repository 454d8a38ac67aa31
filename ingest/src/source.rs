//! Inputs: files, directories and stdin, opened with content-detected decompression.
//!
//! The command line names inputs ([`InputSpec`]); [`expand`] turns them into the list of
//! [`Input`]s to read, walking directories in a deterministic order, and [`open`] opens one
//! input as a byte stream. Compression is recognised by the first bytes of the content
//! (gzip or zstd), never by the file name, so a `.log` that is really gzip is decoded and a
//! `.gz` that is really plain text is read as it is.
//!
//! Errors are per input: a path that cannot be listed, opened or decompressed yields an
//! [`InputError`] naming it, and never hides the other inputs.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Capacity of the buffer between a compressed source and its decoder: decoders make many
/// small reads, so they get a large buffer that the source fills with few system calls.
const DECODER_INPUT_BUFFER: usize = 1 << 20;

/// The longest magic number [`detect`] looks at.
const MAGIC_LEN: usize = 4;

/// The gzip magic number (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The magic number of a zstd frame (RFC 8878), `0xFD2FB528` little-endian.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The last three bytes of a zstd skippable frame's magic number (`0x184D2A5?`
/// little-endian); the first byte is `0x50..=0x5F`. Some writers (pzstd, seekable zstd)
/// start their files with such a frame.
const ZSTD_SKIPPABLE_TAIL: [u8; 3] = [0x2a, 0x4d, 0x18];

/// What the user named on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputSpec {
    /// A file or a directory (directories are expanded by [`expand`]).
    Path(PathBuf),
    /// Standard input, named `-`.
    Stdin,
}

impl InputSpec {
    /// Interprets one command-line argument: `-` is stdin, anything else a path
    /// (write `./-` for a file named `-`).
    pub fn from_arg(arg: &OsStr) -> InputSpec {
        if arg == OsStr::new("-") {
            InputSpec::Stdin
        } else {
            InputSpec::Path(PathBuf::from(arg))
        }
    }
}

/// Where an input's bytes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A path to open (usually a regular file; a FIFO or device named explicitly on the
    /// command line is accepted too).
    File(PathBuf),
    /// The process's standard input.
    Stdin,
}

/// One input to read, after directories were expanded.
#[derive(Clone, Debug)]
pub struct Input {
    /// How alerts and reports name this input: the path as given on the command line (joined
    /// with the relative path below it for files found in a directory), or "-" for stdin.
    pub name: Arc<str>,
    /// Where the bytes come from.
    pub location: Location,
    /// Size on disk when known (compressed size for compressed files), for progress.
    pub size: Option<u64>,
}

impl Input {
    /// Standard input, named `-`.
    pub fn stdin() -> Input {
        Input {
            name: Arc::from("-"),
            location: Location::Stdin,
            size: None,
        }
    }

    /// A file named by its path, without looking at the file system (so `size` is `None`).
    pub fn file(path: impl Into<PathBuf>) -> Input {
        let path = path.into();
        Input {
            name: Arc::from(path.to_string_lossy().as_ref()),
            location: Location::File(path),
            size: None,
        }
    }

    fn error(&self, kind: InputErrorKind) -> InputError {
        InputError {
            name: self.name.to_string(),
            kind,
        }
    }
}

/// An input that could not be listed, opened or decompressed.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {kind}")]
pub struct InputError {
    /// The input's name, as in [`Input::name`] (for a directory that could not be listed,
    /// the directory's name built the same way).
    pub name: String,
    /// What went wrong.
    #[source]
    pub kind: InputErrorKind,
}

impl InputError {
    fn from_io(path: &Path, err: io::Error) -> InputError {
        InputError {
            name: path.to_string_lossy().into_owned(),
            kind: InputErrorKind::from_io(err),
        }
    }
}

/// What went wrong with an input.
///
/// The messages include the underlying error's message, so the variants carry no
/// `source()`: printing the error chain does not repeat it.
#[derive(Debug, thiserror::Error)]
pub enum InputErrorKind {
    /// The path does not exist (or is a symbolic link to nothing).
    #[error("no such file or directory")]
    NotFound,
    /// The path could not be read or listed (permission denied, I/O error, ...).
    #[error("{0}")]
    Io(io::Error),
    /// The compressed data is corrupt or truncated, or the decoder could not start.
    #[error("decompression failed: {0}")]
    Decompress(String),
    /// The decompressed data grew past [`OpenOptions::max_decompressed_bytes`].
    #[error("decompressed size exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit that was exceeded, in bytes.
        limit: u64,
    },
}

impl InputErrorKind {
    /// Classifies an I/O error from the file system: a missing path is [`NotFound`]
    /// (reported without the OS's wording), anything else [`Io`].
    ///
    /// [`NotFound`]: InputErrorKind::NotFound
    /// [`Io`]: InputErrorKind::Io
    pub fn from_io(err: io::Error) -> InputErrorKind {
        if err.kind() == io::ErrorKind::NotFound {
            InputErrorKind::NotFound
        } else {
            InputErrorKind::Io(err)
        }
    }

    /// Classifies an error returned by the reader from [`open`] / [`open_detected`]: the
    /// size-limit error becomes [`TooLarge`], any other error of a compressed input
    /// [`Decompress`], and an error of a plain input [`Io`].
    ///
    /// [`TooLarge`]: InputErrorKind::TooLarge
    /// [`Decompress`]: InputErrorKind::Decompress
    /// [`Io`]: InputErrorKind::Io
    pub fn from_read_error(err: io::Error, compression: Compression) -> InputErrorKind {
        if let Some(exceeded) = err
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<SizeLimitExceeded>())
        {
            return InputErrorKind::TooLarge {
                limit: exceeded.limit,
            };
        }
        match compression {
            Compression::None => InputErrorKind::Io(err),
            Compression::Gzip | Compression::Zstd => InputErrorKind::Decompress(err.to_string()),
        }
    }
}

/// The error inside the [`io::ErrorKind::InvalidData`] error that a reader from [`open`]
/// returns once the decompressed data passes [`OpenOptions::max_decompressed_bytes`].
/// Reach it with `io::Error::get_ref` and `downcast_ref`, or use
/// [`InputErrorKind::from_read_error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "decompressed size exceeds the limit of {limit} bytes (decompression-bomb guard); \
     data past the limit was not read"
)]
pub struct SizeLimitExceeded {
    /// The limit that was exceeded, in bytes.
    pub limit: u64,
}

/// Expands directories recursively, so every returned [`Input`] is a file or stdin.
///
/// Inputs come in the order of `specs`; a directory is replaced by the regular files below
/// it, depth first, with the entries of every directory sorted by name in byte order (so the
/// files are in the order of their relative paths compared component by component, the same
/// on every run). Hidden entries are included. Symbolic links are followed, to files and to
/// directories, but a directory already listed for this spec (found again through a link,
/// such as a link back to a parent) is not listed again, so link cycles end. FIFOs, sockets
/// and devices found inside directories are skipped; named explicitly, any path that is not
/// a directory becomes an input.
///
/// Errors for unreadable paths are returned alongside the inputs that could be listed; one
/// bad path never hides the others.
pub fn expand(specs: &[InputSpec]) -> (Vec<Input>, Vec<InputError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for spec in specs {
        match spec {
            InputSpec::Stdin => inputs.push(Input::stdin()),
            InputSpec::Path(path) => expand_path(path, &mut inputs, &mut errors),
        }
    }
    (inputs, errors)
}

fn expand_path(path: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<InputError>) {
    match fs::metadata(path) {
        Err(err) => errors.push(InputError::from_io(path, err)),
        Ok(meta) if meta.is_dir() => walk(path, inputs, errors),
        Ok(meta) => inputs.push(Input {
            size: meta.is_file().then_some(meta.len()),
            ..Input::file(path)
        }),
    }
}

/// Lists the regular files below `root` (a directory), depth first and sorted, without
/// recursion (deep trees cannot overflow the stack).
fn walk(root: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<InputError>) {
    let mut visited = HashSet::new();
    match fs::canonicalize(root) {
        Ok(canonical) => {
            visited.insert(canonical);
        }
        Err(err) => {
            errors.push(InputError::from_io(root, err));
            return;
        }
    }
    let mut stack = vec![list_dir(root, errors).into_iter()];
    while let Some(level) = stack.last_mut() {
        let Some(path) = level.next() else {
            stack.pop();
            continue;
        };
        // `fs::metadata` follows symbolic links: a link to a file is a file.
        let meta = match fs::metadata(&path) {
            Ok(meta) => meta,
            Err(err) => {
                errors.push(InputError::from_io(&path, err));
                continue;
            }
        };
        if meta.is_dir() {
            match fs::canonicalize(&path) {
                Ok(canonical) => {
                    if visited.insert(canonical) {
                        stack.push(list_dir(&path, errors).into_iter());
                    }
                }
                Err(err) => errors.push(InputError::from_io(&path, err)),
            }
        } else if meta.is_file() {
            inputs.push(Input {
                size: Some(meta.len()),
                ..Input::file(path)
            });
        }
    }
}

/// The paths of the entries of `dir` (each `dir` joined with the entry's name), sorted by
/// name in byte order. An error is recorded and the entries read before it are kept.
fn list_dir(dir: &Path, errors: &mut Vec<InputError>) -> Vec<PathBuf> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            errors.push(InputError::from_io(dir, err));
            return Vec::new();
        }
    };
    let mut named = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => named.push((entry.file_name(), entry.path())),
            Err(err) => {
                // An error while reading a directory ends its listing.
                errors.push(InputError::from_io(dir, err));
                break;
            }
        }
    }
    named.sort_unstable_by(|(a, _), (b, _)| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
    named.into_iter().map(|(_, path)| path).collect()
}

/// How an input's content is compressed, as recognised by [`detect`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Not compressed (or in a format Tripline does not decode): read as it is.
    None,
    /// gzip, possibly several concatenated members.
    Gzip,
    /// zstd, possibly several concatenated frames.
    Zstd,
}

impl Compression {
    /// A short lowercase name: `none`, `gzip` or `zstd`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Recognises compression from the first bytes of the content (4 are enough; fewer are
/// read as plain unless they are a complete magic number): gzip is `1f 8b`, zstd is
/// `28 b5 2f fd` or a skippable frame `5? 2a 4d 18`. Anything else is [`Compression::None`].
pub fn detect(prefix: &[u8]) -> Compression {
    if prefix.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if prefix.starts_with(&ZSTD_MAGIC) || is_zstd_skippable(prefix) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

fn is_zstd_skippable(prefix: &[u8]) -> bool {
    prefix.len() >= MAGIC_LEN
        && prefix[0] & 0xf0 == 0x50
        && prefix[1..MAGIC_LEN] == ZSTD_SKIPPABLE_TAIL
}

/// Whether more bytes could still turn `prefix` into a magic number that [`detect`]
/// recognises; when not, the decision can be taken without reading further (so a stream
/// that starts with `{` is recognised as plain after its first byte, without waiting).
fn undecided(prefix: &[u8]) -> bool {
    let could_become = |magic: &[u8]| prefix.len() < magic.len() && magic.starts_with(prefix);
    let could_become_skippable = prefix.len() < MAGIC_LEN
        && prefix.first().is_none_or(|&b| b & 0xf0 == 0x50)
        && prefix
            .get(1..)
            .is_none_or(|tail| ZSTD_SKIPPABLE_TAIL.starts_with(tail));
    could_become(&GZIP_MAGIC) || could_become(&ZSTD_MAGIC) || could_become_skippable
}

/// Reads the first bytes of a stream, as few as needed to recognise its compression and at
/// most [`MAGIC_LEN`]. Returns the buffer and how many bytes of it were read.
fn read_prefix(reader: &mut impl Read) -> io::Result<([u8; MAGIC_LEN], usize)> {
    let mut prefix = [0; MAGIC_LEN];
    let mut len = 0;
    while undecided(&prefix[..len]) {
        match reader.read(&mut prefix[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok((prefix, len))
}

/// How [`open`] reads inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenOptions {
    /// The most bytes a compressed input may decompress to, a guard against decompression
    /// bombs; `None` (the default) is no limit. Plain inputs are not limited: their size is
    /// their size on disk, or an unbounded stream on stdin.
    pub max_decompressed_bytes: Option<u64>,
}

/// An opened input: its decoded bytes and the compression recognised in it.
pub struct Opened {
    /// The input's bytes, decompressed; see [`open`].
    pub reader: Box<dyn Read + Send>,
    /// The compression recognised in the content.
    pub compression: Compression,
}

impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened")
            .field("compression", &self.compression)
            .finish_non_exhaustive()
    }
}

/// Opens an input for reading. Compression is detected from the content (magic bytes), not
/// the name: gzip (`1f 8b`, all members of a multi-member file) and zstd (`28 b5 2f fd`, all
/// frames) are decompressed; anything else is read as it is. Works for stdin and pipes too:
/// the first bytes are peeked and chained back in front of the rest.
///
/// An uncompressed regular file is returned as the plain [`File`], with no buffer of its own
/// (the caller reads in large chunks). A compressed input is read through a 1 MiB buffer.
///
/// Errors from the returned reader are not swallowed: a truncated or corrupt compressed
/// stream delivers every byte that decoded fine, then `read` returns an error. When a
/// compressed input decompresses to more than [`OpenOptions::max_decompressed_bytes`], the
/// bytes up to the limit are delivered and then `read` returns an
/// [`io::ErrorKind::InvalidData`] error holding a [`SizeLimitExceeded`]; a stream exactly at
/// the limit ends normally. Once the reader has failed, it keeps failing.
/// [`InputErrorKind::from_read_error`] turns these errors into an [`InputErrorKind`].
pub fn open(input: &Input, options: OpenOptions) -> Result<Box<dyn Read + Send>, InputError> {
    open_detected(input, options).map(|opened| opened.reader)
}

/// [`open`], also telling which compression was recognised.
pub fn open_detected(input: &Input, options: OpenOptions) -> Result<Opened, InputError> {
    match &input.location {
        Location::Stdin => open_stream(io::stdin(), options).map_err(|kind| input.error(kind)),
        Location::File(path) => {
            let file = File::open(path).map_err(|err| input.error(InputErrorKind::from_io(err)))?;
            open_file(file, options).map_err(|kind| input.error(kind))
        }
    }
}

fn open_file(mut file: File, options: OpenOptions) -> Result<Opened, InputErrorKind> {
    // Only a regular file can be rewound after its first bytes were read; pipes and devices
    // get their first bytes chained back instead. (Some devices accept a seek that does not
    // rewind, so the seek's success is not the test.)
    let regular = file.metadata().map_err(InputErrorKind::Io)?.is_file();
    if !regular {
        return open_stream(file, options);
    }
    let (prefix, len) = read_prefix(&mut file).map_err(InputErrorKind::Io)?;
    file.seek(SeekFrom::Start(0)).map_err(InputErrorKind::Io)?;
    decode(file, detect(&prefix[..len]), options)
}

fn open_stream<R: Read + Send + 'static>(
    mut stream: R,
    options: OpenOptions,
) -> Result<Opened, InputErrorKind> {
    let (prefix, len) = read_prefix(&mut stream).map_err(InputErrorKind::Io)?;
    let compression = detect(&prefix[..len]);
    let peeked = Cursor::new(prefix).take(len as u64);
    decode(peeked.chain(stream), compression, options)
}

/// Puts the decoder for `compression`, and the size limit, over `source`, which is at the
/// start of the content.
fn decode<R: Read + Send + 'static>(
    source: R,
    compression: Compression,
    options: OpenOptions,
) -> Result<Opened, InputErrorKind> {
    let reader: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(source),
        Compression::Gzip => limited(
            flate2::bufread::MultiGzDecoder::new(BufReader::with_capacity(
                DECODER_INPUT_BUFFER,
                source,
            )),
            options,
        ),
        Compression::Zstd => {
            let decoder =
                zstd::Decoder::with_buffer(BufReader::with_capacity(DECODER_INPUT_BUFFER, source))
                    .map_err(|err| InputErrorKind::Decompress(err.to_string()))?;
            limited(decoder, options)
        }
    };
    Ok(Opened {
        reader,
        compression,
    })
}

fn limited<R: Read + Send + 'static>(decoder: R, options: OpenOptions) -> Box<dyn Read + Send> {
    match options.max_decompressed_bytes {
        Some(limit) => Box::new(LimitedReader {
            inner: decoder,
            limit,
            delivered: 0,
            exceeded: false,
        }),
        None => Box::new(decoder),
    }
}

/// Delivers at most `limit` bytes of `inner`, then fails with [`SizeLimitExceeded`] if
/// `inner` has more.
struct LimitedReader<R> {
    inner: R,
    limit: u64,
    delivered: u64,
    exceeded: bool,
}

impl<R> LimitedReader<R> {
    fn exceeded_error(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            SizeLimitExceeded { limit: self.limit },
        )
    }
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.exceeded {
            return Err(self.exceeded_error());
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let remaining = self.limit - self.delivered;
        if remaining == 0 {
            // At the limit: the stream may end exactly here, which is fine.
            let mut probe = [0; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.exceeded = true;
            return Err(self.exceeded_error());
        }
        let max = usize::try_from(remaining).map_or(buf.len(), |r| r.min(buf.len()));
        let n = self.inner.read(&mut buf[..max])?;
        self.delivered += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn spec(path: &Path) -> InputSpec {
        InputSpec::Path(path.to_path_buf())
    }

    fn write(path: &Path, bytes: &[u8]) {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create parent");
        }
        fs::write(path, bytes).expect("write test file");
    }

    fn names(inputs: &[Input]) -> Vec<String> {
        inputs.iter().map(|input| input.name.to_string()).collect()
    }

    fn lines(n: u32) -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("{{\"event\":{i},\"msg\":\"hello world\"}}\n").into_bytes())
            .collect()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).expect("gzip");
        encoder.finish().expect("gzip")
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        zstd::encode_all(data, 3).expect("zstd")
    }

    /// Reads to the end or the first error, returning the bytes delivered and the error.
    fn read_all(mut reader: impl Read) -> (Vec<u8>, Option<io::Error>) {
        let mut out = Vec::new();
        let mut buf = vec![0; 64 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return (out, Some(err)),
            }
        }
    }

    fn open_path(path: &Path, options: OpenOptions) -> Opened {
        open_detected(&Input::file(path), options).expect("open")
    }

    /// A stream that delivers one byte per read, like a slow pipe.
    struct Trickle(Cursor<Vec<u8>>);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let end = buf.len().min(1);
            self.0.read(&mut buf[..end])
        }
    }

    #[test]
    fn dash_is_stdin() {
        assert_eq!(InputSpec::from_arg(OsStr::new("-")), InputSpec::Stdin);
        assert_eq!(
            InputSpec::from_arg(OsStr::new("./-")),
            InputSpec::Path(PathBuf::from("./-"))
        );
        assert_eq!(
            InputSpec::from_arg(OsStr::new("logs/a.json")),
            InputSpec::Path(PathBuf::from("logs/a.json"))
        );
        let (inputs, errors) = expand(&[InputSpec::Stdin]);
        assert!(errors.is_empty());
        assert_eq!(names(&inputs), ["-"]);
        assert_eq!(inputs[0].location, Location::Stdin);
        assert_eq!(inputs[0].size, None);
    }

    #[test]
    fn detect_magic_numbers() {
        assert_eq!(detect(b""), Compression::None);
        assert_eq!(detect(&[0x1f]), Compression::None);
        assert_eq!(detect(&[0x1f, 0x8b]), Compression::Gzip);
        assert_eq!(detect(&[0x1f, 0x8b, 0x08, 0x00]), Compression::Gzip);
        assert_eq!(detect(&[0x28, 0xb5, 0x2f]), Compression::None);
        assert_eq!(detect(&[0x28, 0xb5, 0x2f, 0xfd]), Compression::Zstd);
        assert_eq!(detect(&[0x28, 0xb5, 0x2f, 0xfd, 0x04]), Compression::Zstd);
        assert_eq!(detect(&[0x50, 0x2a, 0x4d, 0x18]), Compression::Zstd);
        assert_eq!(detect(&[0x5f, 0x2a, 0x4d, 0x18]), Compression::Zstd);
        assert_eq!(detect(&[0x60, 0x2a, 0x4d, 0x18]), Compression::None);
        assert_eq!(detect(b"{\"a\":1}"), Compression::None);
        assert_eq!(detect(&gzip(b"x")), Compression::Gzip);
        assert_eq!(detect(&zstd(b"x")), Compression::Zstd);
        assert_eq!(Compression::Zstd.to_string(), "zstd");
    }

    #[test]
    fn plain_prefix_is_decided_early() {
        assert!(undecided(b""));
        assert!(undecided(&[0x1f]));
        assert!(undecided(&[0x28, 0xb5]));
        assert!(undecided(&[0x53, 0x2a, 0x4d]));
        assert!(!undecided(b"{"));
        assert!(!undecided(&[0x1f, 0x8b]));
        assert!(!undecided(&[0x1f, 0x00]));
        assert!(!undecided(&[0x28, 0xb5, 0x2f, 0xfd]));
        let (_, len) =
            read_prefix(&mut Trickle(Cursor::new(b"{\"a\":1}".to_vec()))).expect("read prefix");
        assert_eq!(len, 1);
    }

    #[test]
    fn directories_expand_sorted_and_recursive() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("logs");
        for name in [
            "b.json",
            "a.json",
            "B.json",
            ".hidden",
            "sub/z.json",
            "sub/deeper/x.json",
            "sub/a.json",
            "sub.json",
            "c/only.json",
        ] {
            write(&root.join(name), name.as_bytes());
        }
        fs::create_dir_all(root.join("empty")).expect("mkdir");
        let top = dir.path().join("top.json");
        write(&top, b"0123456789");

        let (inputs, errors) = expand(&[spec(&root), InputSpec::Stdin, spec(&top)]);
        assert!(errors.is_empty(), "{errors:?}");
        let root_name = root.to_string_lossy();
        let expected: Vec<String> = [
            ".hidden",
            "B.json",
            "a.json",
            "b.json",
            "c/only.json",
            "sub/a.json",
            "sub/deeper/x.json",
            "sub/z.json",
            "sub.json",
        ]
        .iter()
        .map(|rel| format!("{root_name}/{rel}"))
        .chain(["-".to_string(), top.to_string_lossy().into_owned()])
        .collect();
        assert_eq!(names(&inputs), expected);
        assert_eq!(
            inputs[1].location,
            Location::File(root.join("B.json")),
            "the location is the path to open"
        );
        assert_eq!(inputs[1].size, Some(6));
        assert_eq!(inputs[10].size, Some(10));

        // The same listing on every run.
        let (again, _) = expand(&[spec(&root), InputSpec::Stdin, spec(&top)]);
        assert_eq!(names(&again), expected);
    }

    #[test]
    fn name_keeps_the_path_as_given() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(&dir.path().join("d/x.json"), b"{}");
        let given = format!("{}/d/", dir.path().display());
        let (inputs, errors) = expand(&[InputSpec::from_arg(OsStr::new(&given))]);
        assert!(errors.is_empty());
        assert_eq!(names(&inputs), [format!("{given}x.json")]);
    }

    #[test]
    fn missing_path_is_an_error_and_others_are_listed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a.json");
        let missing = dir.path().join("missing.json");
        let d = dir.path().join("d");
        write(&a, b"{}");
        write(&d.join("x.json"), b"{}");

        let (inputs, errors) = expand(&[spec(&a), spec(&missing), spec(&d)]);
        assert_eq!(
            names(&inputs),
            [
                a.to_string_lossy().into_owned(),
                d.join("x.json").to_string_lossy().into_owned()
            ]
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].name, missing.to_string_lossy());
        assert!(matches!(errors[0].kind, InputErrorKind::NotFound));
        assert_eq!(
            errors[0].to_string(),
            format!("{}: no such file or directory", missing.display())
        );

        let err = open(&Input::file(&missing), OpenOptions::default())
            .err()
            .expect("opening a missing file fails");
        assert!(matches!(err.kind, InputErrorKind::NotFound));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_followed_without_looping() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("root");
        write(&root.join("a.json"), b"a");
        write(&root.join("sub/b.json"), b"b");
        write(&dir.path().join("outside.json"), b"outside");
        symlink(&root, root.join("sub/loop")).expect("symlink");
        symlink(dir.path().join("outside.json"), root.join("link.json")).expect("symlink");
        symlink(dir.path().join("nothing"), root.join("dangling")).expect("symlink");

        let (inputs, errors) = expand(&[spec(&root)]);
        let root_name = root.to_string_lossy();
        assert_eq!(
            names(&inputs),
            [
                format!("{root_name}/a.json"),
                format!("{root_name}/link.json"),
                format!("{root_name}/sub/b.json"),
            ]
        );
        assert_eq!(inputs[1].size, Some(7), "the size of the link's target");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].name, format!("{root_name}/dangling"));
        assert!(matches!(errors[0].kind, InputErrorKind::NotFound));
    }

    #[test]
    fn compression_is_detected_by_content_not_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = lines(1000);

        let gz = dir.path().join("events.txt");
        write(&gz, &gzip(&data));
        let opened = open_path(&gz, OpenOptions::default());
        assert_eq!(opened.compression, Compression::Gzip);
        let (out, err) = read_all(opened.reader);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(out, data);

        let zst = dir.path().join("events.log.txt");
        write(&zst, &zstd(&data));
        let opened = open_path(&zst, OpenOptions::default());
        assert_eq!(opened.compression, Compression::Zstd);
        let (out, err) = read_all(opened.reader);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(out, data);

        let plain = dir.path().join("events.json.gz");
        write(&plain, &data);
        let opened = open_path(&plain, OpenOptions::default());
        assert_eq!(opened.compression, Compression::None);
        let (out, err) = read_all(opened.reader);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(out, data, "the first bytes are read again after detection");

        // The size for progress is the size on disk.
        let (inputs, _) = expand(&[spec(&gz)]);
        assert_eq!(inputs[0].size, Some(gzip(&data).len() as u64));
    }

    #[test]
    fn multi_member_gzip_and_multi_frame_zstd_read_fully() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = lines(500);
        let second = b"{\"second\":true}\n".to_vec();
        let mut expected = first.clone();
        expected.extend_from_slice(&second);

        let mut members = gzip(&first);
        members.extend_from_slice(&gzip(&second));
        let path = dir.path().join("cat.gz");
        write(&path, &members);
        let (out, err) = read_all(open_path(&path, OpenOptions::default()).reader);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(out, expected);

        let mut frames = zstd(&first);
        frames.extend_from_slice(&zstd(&second));
        let path = dir.path().join("cat.zst");
        write(&path, &frames);
        let (out, err) = read_all(open_path(&path, OpenOptions::default()).reader);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(out, expected);
    }

    #[test]
    fn truncated_gzip_delivers_leading_bytes_then_fails() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = lines(20_000);
        let compressed = gzip(&data);
        let path = dir.path().join("cut.gz");
        write(&path, &compressed[..compressed.len() / 2]);

        let opened = open_path(&path, OpenOptions::default());
        let (out, err) = read_all(opened.reader);
        let err = err.expect("a truncated stream is an error");
        assert!(!out.is_empty(), "the bytes before the damage are delivered");
        assert_eq!(out[..], data[..out.len()]);
        let kind = InputErrorKind::from_read_error(err, opened.compression);
        assert!(matches!(kind, InputErrorKind::Decompress(_)), "{kind:?}");

        // Only the trailer missing: all data, then the error.
        write(&path, &compressed[..compressed.len() - 4]);
        let (out, err) = read_all(open_path(&path, OpenOptions::default()).reader);
        assert!(err.is_some());
        assert_eq!(out, data);
    }

    #[test]
    fn truncated_zstd_delivers_leading_bytes_then_fails() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = lines(20_000);
        let compressed = zstd(&data);
        let path = dir.path().join("cut.zst");
        write(&path, &compressed[..compressed.len() / 2]);
        let (out, err) = read_all(open_path(&path, OpenOptions::default()).reader);
        assert!(err.is_some(), "a truncated stream is an error");
        assert!(!out.is_empty());
        assert_eq!(out[..], data[..out.len()]);
    }

    #[test]
    fn decompressed_size_limit_is_invalid_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = vec![b'A'; 1 << 20];
        let limit = 100_000;
        let options = OpenOptions {
            max_decompressed_bytes: Some(limit),
        };
        for (name, compressed) in [("bomb.gz", gzip(&data)), ("bomb.zst", zstd(&data))] {
            let path = dir.path().join(name);
            write(&path, &compressed);
            let opened = open_path(&path, options);
            let (out, err) = read_all(opened.reader);
            let err = err.expect("the limit is exceeded");
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            assert!(
                err.to_string()
                    .contains("exceeds the limit of 100000 bytes"),
                "{err}"
            );
            assert_eq!(
                out.len() as u64,
                limit,
                "bytes before the limit are delivered"
            );
            assert!(matches!(
                InputErrorKind::from_read_error(err, opened.compression),
                InputErrorKind::TooLarge { limit: 100_000 }
            ));
        }

        // Exactly at the limit is not over it.
        let path = dir.path().join("exact.gz");
        write(&path, &gzip(&data[..limit as usize]));
        let (out, err) = read_all(open_path(&path, options).reader);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(out.len() as u64, limit);

        // Plain inputs are not limited.
        let path = dir.path().join("plain.txt");
        write(&path, &data);
        let (out, err) = read_all(open_path(&path, options).reader);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(out.len(), data.len());
    }

    #[test]
    fn empty_and_tiny_files_are_plain() {
        let dir = tempfile::tempdir().expect("tempdir");
        for bytes in [&b""[..], &[0x1f], &[0x28, 0xb5, 0x2f], &[0x55, 0x2a], b"x"] {
            let path = dir.path().join("tiny");
            write(&path, bytes);
            let opened = open_path(&path, OpenOptions::default());
            assert_eq!(opened.compression, Compression::None, "{bytes:?}");
            let (out, err) = read_all(opened.reader);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(out, bytes);
        }
    }

    #[test]
    fn streams_chain_the_peeked_bytes_back() {
        let data = lines(300);
        for (compressed, compression) in [
            (data.clone(), Compression::None),
            (gzip(&data), Compression::Gzip),
            (zstd(&data), Compression::Zstd),
        ] {
            let opened = open_stream(Trickle(Cursor::new(compressed)), OpenOptions::default())
                .expect("open stream");
            assert_eq!(opened.compression, compression);
            let (out, err) = read_all(opened.reader);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(out, data);
        }
        for tiny in [&b""[..], &[0x1f], &[0x28, 0xb5, 0x2f]] {
            let opened = open_stream(Cursor::new(tiny.to_vec()), OpenOptions::default())
                .expect("open stream");
            assert_eq!(opened.compression, Compression::None);
            assert_eq!(read_all(opened.reader).0, tiny);
        }
    }

    #[cfg(unix)]
    #[test]
    fn non_regular_files_are_read_as_streams() {
        // A character device cannot be rewound; its first bytes are chained back.
        let opened = open_file(
            File::open("/dev/null").expect("open /dev/null"),
            OpenOptions::default(),
        )
        .expect("open");
        assert_eq!(opened.compression, Compression::None);
        assert_eq!(read_all(opened.reader).0, b"");
    }

    #[test]
    fn corrupt_gzip_header_fails_on_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bad.gz");
        write(&path, &[0x1f, 0x8b, 0xff, 0xff, 0x00, 0x01, 0x02]);
        let opened = open_path(&path, OpenOptions::default());
        assert_eq!(opened.compression, Compression::Gzip);
        let (out, err) = read_all(opened.reader);
        assert!(out.is_empty());
        assert!(err.is_some());
    }

    #[test]
    fn error_messages() {
        let err = InputError {
            name: "logs/a.json.gz".into(),
            kind: InputErrorKind::TooLarge { limit: 10 },
        };
        assert_eq!(
            err.to_string(),
            "logs/a.json.gz: decompressed size exceeds the limit of 10 bytes"
        );
        let err = InputError {
            name: "b.zst".into(),
            kind: InputErrorKind::Decompress("incomplete frame".into()),
        };
        assert_eq!(
            err.to_string(),
            "b.zst: decompression failed: incomplete frame"
        );
        let plain =
            InputErrorKind::from_read_error(io::Error::other("disk on fire"), Compression::None);
        assert_eq!(plain.to_string(), "disk on fire");
    }
}
