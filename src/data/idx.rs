//! Parsing of the IDX format (the file format MNIST ships in), raw, gzipped, xz or brotli.

use crate::tr;
use std::io::Read;

use crate::error::FileError;

/// Magic number of an IDX file of unsigned bytes with one dimension (labels).
const LABELS_MAGIC: u32 = 0x0000_0801;
/// Magic number of an IDX file of unsigned bytes with three dimensions (images).
const IMAGES_MAGIC: u32 = 0x0000_0803;

/// Side of an image this program accepts: the network is built for 28×28 inputs.
pub const SIDE: usize = 28;
/// Pixels per image.
pub const PIXELS: usize = SIDE * SIDE;

/// The first bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// The first bytes of every xz stream.
const XZ_MAGIC: [u8; 6] = [0xfd, b'7', b'z', b'X', b'Z', 0x00];

/// Returns the decompressed bytes when `bytes` are gzip or xz data or `file` ends in
/// `.br` (brotli), or the bytes as they are.
///
/// A file whose name says `.gz` or `.xz` must be data of that kind: we refuse rather than
/// guess, so that a renamed or half-downloaded file is reported instead of parsed as garbage.
pub fn decompress(file: &str, bytes: &[u8]) -> Result<Vec<u8>, FileError> {
    if bytes.starts_with(&GZIP_MAGIC) {
        read_sized(flate2::read::GzDecoder::new(bytes)).map_err(corrupt(file, "gzip"))
    } else if bytes.starts_with(&XZ_MAGIC) {
        read_sized(xz(bytes)).map_err(corrupt(file, "xz"))
    } else if file.ends_with(".br") {
        read_sized(brotli(bytes)).map_err(corrupt(file, "brotli"))
    } else if file.ends_with(".gz") {
        Err(FileError::new(
            file,
            tr!("data-not-compressed", kind = "gzip"),
        ))
    } else if file.ends_with(".xz") {
        Err(FileError::new(
            file,
            tr!("data-not-compressed", kind = "xz"),
        ))
    } else {
        Ok(bytes.to_vec())
    }
}

/// The error of `file`, whose `kind` of compressed data failed to decode.
fn corrupt<'a>(file: &'a str, kind: &'a str) -> impl Fn(std::io::Error) -> FileError + 'a {
    move |e| {
        let problem = tr!("data-corrupt", kind = kind, error = e.to_string());
        FileError::new(file, problem)
    }
}

/// A reader of xz data; `true`: every stream of a file of several is read, one after
/// the other, as xz does.
fn xz(bytes: &[u8]) -> lzma_rust2::XzReader<&[u8]> {
    lzma_rust2::XzReader::new(bytes, true)
}

/// Bytes the brotli decoder reads its input in.
const BROTLI_INPUT_BUFFER: usize = 64 << 10;

/// A reader of brotli data (which has no magic number: a file says so by its name).
fn brotli(bytes: &[u8]) -> brotli_decompressor::Decompressor<&[u8]> {
    brotli_decompressor::Decompressor::new(bytes, BROTLI_INPUT_BUFFER)
}

/// Decodes the brotli stream `bytes` into exactly `out`, which must be what it holds to
/// the byte: the embedded files are decoded straight into their place in one buffer, so
/// that the training images need their 47 MB once and their two halves decode side by
/// side.
pub fn decode_brotli_into(file: &str, bytes: &[u8], out: &mut [u8]) -> Result<(), FileError> {
    let mut reader = brotli(bytes);
    reader.read_exact(out).map_err(corrupt(file, "brotli"))?;
    let mut more = [0u8; 1];
    match reader.read(&mut more).map_err(corrupt(file, "brotli"))? {
        0 => Ok(()),
        _ => Err(FileError::new(file, tr!("data-too-much"))),
    }
}

/// Largest buffer reserved up front from a header's sizes (a damaged header must not
/// ask for gigabytes; a bigger genuine file still reads, by growing).
const MAX_RESERVE: usize = 256 << 20;

/// Reads an IDX stream whole, reserving its exact size from its header first: growing a
/// buffer by doubling to 47 MB would, at its peak, hold 94 MB for the 47 MB of images.
fn read_sized(mut r: impl Read) -> std::io::Result<Vec<u8>> {
    let mut out = vec![0u8; 4];
    r.read_exact(&mut out)?;
    let dims = usize::from(out[3]);
    let mut sizes = vec![0u8; 4 * dims];
    r.read_exact(&mut sizes)?;
    let items = sizes
        .chunks(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .try_fold(1usize, |n, d| n.checked_mul(d));
    out.extend_from_slice(&sizes);
    if let Some(n) = items.filter(|&n| n <= MAX_RESERVE) {
        out.reserve_exact(n);
    }
    r.read_to_end(&mut out)?;
    Ok(out)
}

fn header(file: &str, bytes: &[u8], magic: u32, dims: usize) -> Result<Vec<usize>, FileError> {
    let head_len = 4 + 4 * dims;
    if bytes.len() < 4 {
        return Err(FileError::new(file, tr!("data-no-header")));
    }
    let found = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if found != magic {
        return Err(FileError::new(
            file,
            tr!(
                "data-wrong-magic",
                found = format!("0x{found:08x}"),
                expected = format!("0x{magic:08x}")
            ),
        ));
    }
    if bytes.len() < head_len {
        return Err(FileError::new(file, tr!("data-incomplete-header")));
    }
    Ok((0..dims)
        .map(|d| {
            let o = 4 + 4 * d;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect())
}

fn body<'a>(file: &str, bytes: &'a [u8], offset: usize, len: usize) -> Result<&'a [u8], FileError> {
    let have = bytes.len() - offset;
    if have < len {
        return Err(FileError::new(
            file,
            tr!("data-truncated", expected = len, found = have),
        ));
    }
    if have > len {
        return Err(FileError::new(
            file,
            tr!("data-trailing", bytes = have - len),
        ));
    }
    Ok(&bytes[offset..])
}

/// Parses an IDX label file: one byte per label, each in 0..=9.
pub fn parse_labels(file: &str, bytes: &[u8]) -> Result<Vec<u8>, FileError> {
    let mut bytes = decompress(file, bytes)?;
    let dims = header(file, &bytes, LABELS_MAGIC, 1)?;
    let labels = body(file, &bytes, 8, dims[0])?;
    if let Some(i) = labels.iter().position(|&l| l > 9) {
        return Err(FileError::new(
            file,
            tr!("data-bad-label", label = labels[i], index = i),
        ));
    }
    bytes.drain(..8);
    Ok(bytes)
}

/// Parses an IDX image file of 28×28 greyscale images, returned as one flat byte vector.
pub fn parse_images(file: &str, bytes: &[u8]) -> Result<Vec<u8>, FileError> {
    images_from_idx(file, decompress(file, bytes)?)
}

/// The pixels of a decompressed IDX image file, checked (28×28, as many as the header
/// says).
pub fn images_from_idx(file: &str, mut bytes: Vec<u8>) -> Result<Vec<u8>, FileError> {
    let dims = header(file, &bytes, IMAGES_MAGIC, 3)?;
    if dims[1] != SIDE || dims[2] != SIDE {
        return Err(FileError::new(
            file,
            tr!(
                "data-image-size",
                found = format!("{}x{}", dims[1], dims[2]),
                expected = format!("{SIDE}x{SIDE}")
            ),
        ));
    }
    let len = dims[0]
        .checked_mul(PIXELS)
        .ok_or_else(|| FileError::new(file, tr!("data-too-many-images")))?;
    body(file, &bytes, 16, len)?;
    // The header out, the pixels moved down in place: a copy would briefly hold the
    // training set twice.
    bytes.drain(..16);
    Ok(bytes)
}

/// Encodes labels as an IDX file (used by tests and tools that write data sets).
pub fn encode_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = LABELS_MAGIC.to_be_bytes().to_vec();
    out.extend((labels.len() as u32).to_be_bytes());
    out.extend(labels);
    out
}

/// Encodes 28×28 images (flat, `n * 784` bytes) as an IDX file.
pub fn encode_images(pixels: &[u8]) -> Vec<u8> {
    let mut out = IMAGES_MAGIC.to_be_bytes().to_vec();
    out.extend(((pixels.len() / PIXELS) as u32).to_be_bytes());
    out.extend((SIDE as u32).to_be_bytes());
    out.extend((SIDE as u32).to_be_bytes());
    out.extend(pixels);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> Vec<u8> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/mnist/");
        std::fs::read(format!("{dir}{name}")).unwrap()
    }

    #[test]
    fn a_brotli_stream_decodes_only_into_a_buffer_of_exactly_its_size() {
        let file = shipped("t10k-labels-idx1-ubyte.br");
        let mut exact = vec![0u8; 8 + 10_000];
        decode_brotli_into("l.br", &file, &mut exact).unwrap();
        assert_eq!(&exact[..4], &LABELS_MAGIC.to_be_bytes());
        let mut short = vec![0u8; 8 + 9_999];
        let err = decode_brotli_into("l.br", &file, &mut short).unwrap_err();
        assert_eq!(err.to_string(), "l.br: holds more data than expected");
        let mut long = vec![0u8; 8 + 10_001];
        let err = decode_brotli_into("l.br", &file, &mut long).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("l.br: corrupt or truncated brotli data"),
            "{err}"
        );
    }
}
