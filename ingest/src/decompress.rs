//! Decompression by content: gzip and zstd recognised from their magic numbers, with a bound on the decompressed size.

use std::fmt;
use std::io::{self, BufReader, Read};

use crate::source::{InputErrorKind, OpenOptions, Opened};

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
pub(crate) fn read_prefix(reader: &mut impl Read) -> io::Result<([u8; MAGIC_LEN], usize)> {
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

/// The error inside the [`io::ErrorKind::InvalidData`] error that a reader from [`open`]
/// returns once the decompressed data passes [`OpenOptions::max_decompressed_bytes`].
/// Reach it with `io::Error::get_ref` and `downcast_ref`, or use
/// [`InputErrorKind::from_read_error`].
///
/// [`open`]: crate::source::open
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "decompressed size exceeds the limit of {limit} bytes (decompression-bomb guard); \
     data past the limit was not read"
)]
pub struct SizeLimitExceeded {
    /// The limit that was exceeded, in bytes.
    pub limit: u64,
}

/// Puts the decoder for `compression`, and the size limit, over `source`, which is at the
/// start of the content.
pub(crate) fn decode<R: Read + Send + 'static>(
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
    use crate::source::tests::{Trickle, gzip, lines, open_path, read_all, write, zstd};
    use std::io::Cursor;

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
}
