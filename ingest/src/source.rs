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
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use crate::decompress::{Compression, SizeLimitExceeded, detect};
use crate::decompress::{decode, read_prefix};

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

    pub(crate) fn error(&self, kind: InputErrorKind) -> InputError {
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

#[cfg(test)]
pub(crate) mod tests {
    //! The helpers are `pub(crate)` for the decompression tests in `crate::decompress`.

    use super::*;
    use std::io::Write;

    fn spec(path: &Path) -> InputSpec {
        InputSpec::Path(path.to_path_buf())
    }

    pub(crate) fn write(path: &Path, bytes: &[u8]) {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create parent");
        }
        fs::write(path, bytes).expect("write test file");
    }

    fn names(inputs: &[Input]) -> Vec<String> {
        inputs.iter().map(|input| input.name.to_string()).collect()
    }

    pub(crate) fn lines(n: u32) -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("{{\"event\":{i},\"msg\":\"hello world\"}}\n").into_bytes())
            .collect()
    }

    pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).expect("gzip");
        encoder.finish().expect("gzip")
    }

    pub(crate) fn zstd(data: &[u8]) -> Vec<u8> {
        zstd::encode_all(data, 3).expect("zstd")
    }

    /// Reads to the end or the first error, returning the bytes delivered and the error.
    pub(crate) fn read_all(mut reader: impl Read) -> (Vec<u8>, Option<io::Error>) {
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

    pub(crate) fn open_path(path: &Path, options: OpenOptions) -> Opened {
        open_detected(&Input::file(path), options).expect("open")
    }

    /// A stream that delivers one byte per read, like a slow pipe.
    pub(crate) struct Trickle(pub(crate) Cursor<Vec<u8>>);

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
