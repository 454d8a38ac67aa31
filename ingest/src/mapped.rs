//! Plain files read by mapping them into memory a chunk at a time, so that scanning them
//! does not copy every byte out of the page cache first (`read` does: it costs what `cat`
//! costs). Each chunk is its own mapping, dropped when the last worker done with it lets
//! go, so the memory a scan maps stays bounded by the chunks in flight, whatever the
//! file's size.
//!
//! The one condition for soundness: no other process truncates or rewrites the file while
//! it is mapped. A truncated file makes reading a mapped page past its new end raise
//! SIGBUS; a rewritten one changes bytes held as immutable. Archived telemetry being
//! replayed is not written; a live log that may be rotated by truncation should be read
//! with `read` instead (`tripline scan --no-mmap`). Bytes appended after the file was
//! opened are not seen.

use std::fs::File;
use std::io;
use std::sync::Arc;

use crate::decompress::{Compression, detect, read_prefix};
use crate::source::{Input, InputErrorKind, Location};

/// A mapped chunk of a file.
#[derive(Debug)]
pub struct MappedChunk(memmap2::Mmap);

impl AsRef<[u8]> for MappedChunk {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// A plain file read as mapped chunks.
#[derive(Debug)]
pub struct MappedFile {
    file: File,
    len: u64,
    offset: u64,
    chunk: u64,
}

impl MappedFile {
    /// `input` to be read in chunks of `chunk` bytes (rounded up to a multiple of 1 MiB, so
    /// that every chunk starts on a page); `Ok(None)` when it is not a regular, non-empty,
    /// uncompressed file, which must be read instead (see [`crate::source::open`]).
    pub fn open(
        input: &Input,
        chunk: usize,
    ) -> Result<Option<MappedFile>, crate::source::InputError> {
        let Location::File(path) = &input.location else {
            return Ok(None);
        };
        let fail = |e: io::Error| input.error(InputErrorKind::from_io(e));
        let mut file = File::open(path).map_err(fail)?;
        let metadata = file.metadata().map_err(fail)?;
        if !metadata.is_file() || metadata.len() == 0 {
            return Ok(None);
        }
        let (prefix, len) = read_prefix(&mut file).map_err(fail)?;
        if detect(&prefix[..len]) != Compression::None {
            return Ok(None);
        }
        const MIB: u64 = 1 << 20;
        Ok(Some(MappedFile {
            file,
            len: metadata.len(),
            offset: 0,
            chunk: (chunk as u64).div_ceil(MIB).max(1) * MIB,
        }))
    }

    /// The next chunk of the file, or `None` at its end (its length when opened).
    pub fn next_chunk(&mut self) -> io::Result<Option<Arc<MappedChunk>>> {
        if self.offset >= self.len {
            return Ok(None);
        }
        let len = (self.len - self.offset).min(self.chunk);
        let mut options = memmap2::MmapOptions::new();
        options.offset(self.offset).len(len as usize);
        // SAFETY: the mapping is read-only and private to this process; what memmap2 asks
        // of the caller is that the file not change while mapped, the condition the
        // module documentation states (and `--no-mmap` avoids). The offset is a multiple
        // of 1 MiB, hence of the page size, and offset + len is within the file's length.
        let map = unsafe { options.map(&self.file)? };
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        self.offset += len;
        Ok(Some(Arc::new(MappedChunk(map))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::tests::{gzip, write};

    #[test]
    fn chunks_cover_the_file_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.ndjson");
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        write(&path, &data);
        let mut mapped = MappedFile::open(&Input::file(&path), 1).unwrap().unwrap();
        let mut seen = Vec::new();
        let mut chunks = 0;
        while let Some(chunk) = mapped.next_chunk().unwrap() {
            assert!((*chunk).as_ref().len() <= 1 << 20);
            seen.extend_from_slice((*chunk).as_ref());
            chunks += 1;
        }
        assert_eq!(chunks, 3);
        assert_eq!(seen, data);
    }

    #[test]
    fn only_plain_regular_files_are_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        write(&empty, b"");
        assert!(
            MappedFile::open(&Input::file(&empty), 1 << 20)
                .unwrap()
                .is_none()
        );
        let compressed = dir.path().join("events.gz");
        write(&compressed, &gzip(b"{}\n"));
        assert!(
            MappedFile::open(&Input::file(&compressed), 1 << 20)
                .unwrap()
                .is_none()
        );
        assert!(
            MappedFile::open(&Input::stdin(), 1 << 20)
                .unwrap()
                .is_none()
        );
        assert!(MappedFile::open(&Input::file(dir.path().join("missing")), 1 << 20).is_err());
    }
}
