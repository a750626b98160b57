//! Digit pictures from files (PNG, JPEG, PGM/PPM), for `predict`.

use crate::tr;
use std::path::Path;

use super::preprocess::{mnist_style, normalise_polarity, Gray};
use super::PIXELS;
use crate::error::FileError;

/// Largest picture accepted, in pixels per side and in bytes on disk: a digit needs
/// nothing near this, and a decompression bomb must not take the machine down.
pub const MAX_SIDE: u32 = 8192;
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Reads an image file and prepares it as MNIST prepared its digits.
pub fn read_digit(path: &Path) -> Result<[u8; PIXELS], FileError> {
    let name = path.display().to_string();
    let bad = |problem: String| FileError::new(name.clone(), problem);
    let size = std::fs::metadata(path)
        .map_err(|e| bad(tr!("file-cannot-read", error = e.to_string())))?
        .len();
    if size == 0 {
        return Err(bad(tr!("image-empty")));
    }
    if size > MAX_FILE_BYTES {
        return Err(bad(tr!(
            "image-too-large-file",
            size = size,
            limit = MAX_FILE_BYTES
        )));
    }
    let bytes =
        std::fs::read(path).map_err(|e| bad(tr!("file-cannot-read", error = e.to_string())))?;
    digit_from_bytes(&bytes).map_err(bad)
}

/// Decodes image bytes and prepares the digit; the error says what is wrong.
pub fn digit_from_bytes(bytes: &[u8]) -> Result<[u8; PIXELS], String> {
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| tr!("file-cannot-read", error = e.to_string()))?;
    if reader.format().is_none() {
        return Err(tr!("image-not-an-image"));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(512 << 20);
    let mut reader = reader;
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => {
            tr!("image-too-large", side = MAX_SIDE)
        }
        other => tr!("image-unreadable", error = other.to_string()),
    })?;
    let luma = img.to_luma32f();
    let (w, h) = (luma.width() as usize, luma.height() as usize);
    if w == 0 || h == 0 {
        return Err("the picture has no pixels".into());
    }
    let gray = normalise_polarity(Gray::new(w, h, luma.into_raw()));
    Ok(mnist_style(&gray))
}
