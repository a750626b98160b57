//! A data set of 28×28 digits: the embedded MNIST, or IDX files from a directory.

use crate::tr;
use std::path::Path;

use rayon::prelude::*;

use super::idx::{decode_brotli_into, images_from_idx, parse_images, parse_labels, PIXELS};
use crate::error::FileError;

/// Images (one byte per pixel, row-major, 784 per image) and their labels.
///
/// Pixels stay bytes until a batch is built: as `f32` the training set alone would take
/// 188 MB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
}

impl Split {
    fn new(
        images_file: &str,
        images: Vec<u8>,
        labels_file: &str,
        labels: Vec<u8>,
    ) -> Result<Self, FileError> {
        let n_images = images.len() / PIXELS;
        if n_images != labels.len() {
            return Err(FileError::new(
                labels_file,
                tr!(
                    "data-label-count",
                    labels = labels.len(),
                    images = n_images,
                    file = images_file.to_string()
                ),
            ));
        }
        if n_images == 0 {
            return Err(FileError::new(images_file, tr!("data-no-images")));
        }
        Ok(Self { images, labels })
    }

    /// Parses a split from its image file and label file, each `(name, bytes)`.
    fn parse(images: (&str, &[u8]), labels: (&str, &[u8])) -> Result<Self, FileError> {
        let pixels = parse_images(images.0, images.1)?;
        Split::new(
            images.0,
            pixels,
            labels.0,
            parse_labels(labels.0, labels.1)?,
        )
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.images[i * PIXELS..(i + 1) * PIXELS]
    }

    /// Keeps only the first `n` examples (a no-op when there are fewer).
    pub fn truncate(&mut self, n: usize) {
        let n = n.min(self.len());
        self.images.truncate(n * PIXELS);
        self.labels.truncate(n);
    }

    /// Writes the images at `indices` into `out` as `f32` in [0, 1], as the tutorial scales
    /// them, an image per task on the current rayon pool: a shuffled batch's images are
    /// scattered over the set, and one thread alone waiting on their reads had been a
    /// piece of each training step that the others idled through.
    pub fn fill_batch(&self, indices: &[usize], out: &mut Vec<f32>) {
        // Every element is written below, so a buffer reused at the same size (each
        // training step's, each evaluation batch's) is not zeroed first.
        out.resize(indices.len() * PIXELS, 0.0);
        out.par_chunks_exact_mut(PIXELS)
            .zip(indices)
            .for_each(|(image, &i)| {
                for (to, &p) in image.iter_mut().zip(self.image(i)) {
                    *to = p as f32 / 255.0;
                }
            });
    }
}

/// A training and a test split, and a name to show the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    pub name: String,
    pub train: Split,
    pub test: Split,
}

/// The embedded files, brotli-compressed (assets/mnist/make_embedded.py writes them).
/// The training images are two streams: the IDX header with the first
/// [`EMBEDDED_FIRST_HALF`] images, then the rest.
const EMBEDDED: [(&str, &[u8]); 5] = [
    (
        "train-images-idx3-ubyte.br",
        include_bytes!("../../assets/mnist/train-images-idx3-ubyte.br"),
    ),
    (
        "train-images-idx3-ubyte.2.br",
        include_bytes!("../../assets/mnist/train-images-idx3-ubyte.2.br"),
    ),
    (
        "train-labels-idx1-ubyte.br",
        include_bytes!("../../assets/mnist/train-labels-idx1-ubyte.br"),
    ),
    (
        "t10k-images-idx3-ubyte.br",
        include_bytes!("../../assets/mnist/t10k-images-idx3-ubyte.br"),
    ),
    (
        "t10k-labels-idx1-ubyte.br",
        include_bytes!("../../assets/mnist/t10k-labels-idx1-ubyte.br"),
    ),
];

/// Hands the whole pages of `bytes`, part of the binary's read-only file mapping, back to
/// the kernel. Why: once the embedded files are decoded their 9 MB of compressed pages
/// only add to the resident memory; a later read (another decode) fetches them from the
/// file again.
#[cfg(target_os = "linux")]
fn release_pages(bytes: &[u8]) {
    // SAFETY: sysconf has no preconditions.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(0);
    if page == 0 {
        return;
    }
    let (start, end) = (
        bytes.as_ptr() as usize,
        bytes.as_ptr() as usize + bytes.len(),
    );
    let (first, last) = (start.next_multiple_of(page), end / page * page);
    if last > first {
        // SAFETY: the range is whole pages inside `bytes`, a static that is never
        // written, so dropping them changes no value: the next read maps the same bytes
        // from the binary's file. A failure leaves the pages resident, which is harmless.
        unsafe {
            libc::madvise(
                first as *mut libc::c_void,
                last - first,
                libc::MADV_DONTNEED,
            )
        };
    }
}

#[cfg(not(target_os = "linux"))]
fn release_pages(_: &[u8]) {}

/// Images in the first of the two streams of the embedded training images.
const EMBEDDED_FIRST_HALF: usize = 30_000;

/// Bytes of an IDX image file's header.
const IMAGES_HEADER: usize = 16;

impl Dataset {
    /// Images in the embedded training and test splits, known before decoding them (a
    /// test checks them against the decoded files).
    pub const EMBEDDED_LENS: (usize, usize) = (60_000, 10_000);

    /// Keeps the first `train` training and `test` test images (all when `None`).
    pub fn truncate(&mut self, train: Option<usize>, test: Option<usize>) {
        if let Some(n) = train {
            self.train.truncate(n);
        }
        if let Some(n) = test {
            self.test.truncate(n);
        }
    }

    /// The MNIST files compiled into the binary, so the program works from any directory.
    ///
    /// Decoding is most of the time from launch to the first batch, so it runs on three
    /// threads: the two halves of the training images, straight into their places in one
    /// buffer, and the test split beside them.
    pub fn embedded() -> Result<Self, FileError> {
        let [(ti, first), (ti2, second), tl, vi, vl] = EMBEDDED;
        let at = IMAGES_HEADER + EMBEDDED_FIRST_HALF * PIXELS;
        let mut images = vec![0u8; IMAGES_HEADER + Self::EMBEDDED_LENS.0 * PIXELS];
        let (decoded, test) = std::thread::scope(|s| {
            let test = s.spawn(|| Split::parse(vi, vl));
            let (head, tail) = images.split_at_mut(at);
            let tail = s.spawn(|| decode_brotli_into(ti2, second, tail));
            let decoded = decode_brotli_into(ti, first, head)
                .and(tail.join().expect("decoding the training images panicked"));
            (
                decoded,
                test.join().expect("decoding the test split panicked"),
            )
        });
        decoded?;
        for (_, bytes) in EMBEDDED {
            release_pages(bytes);
        }
        let train = Split::new(
            ti,
            images_from_idx(ti, images)?,
            tl.0,
            parse_labels(tl.0, tl.1)?,
        )?;
        Ok(Self {
            name: "MNIST (embedded)".into(),
            train,
            test: test?,
        })
    }

    /// Loads the four IDX files from `dir`, raw, gzipped or xz, under either common naming
    /// (`train-images-idx3-ubyte` or `train-images.idx3-ubyte`).
    pub fn from_dir(dir: &Path) -> Result<Self, FileError> {
        if !dir.is_dir() {
            return Err(FileError::new(
                dir.display().to_string(),
                tr!("data-not-a-directory"),
            ));
        }
        let load = |prefix: &str, kind: &str, dims: u8| -> Result<(String, Vec<u8>), FileError> {
            let names = [
                format!("{prefix}-{kind}-idx{dims}-ubyte"),
                format!("{prefix}-{kind}.idx{dims}-ubyte"),
            ];
            for name in &names {
                for candidate in [name.clone(), format!("{name}.gz"), format!("{name}.xz")] {
                    let path = dir.join(&candidate);
                    if path.is_file() {
                        let shown = path.display().to_string();
                        let bytes = std::fs::read(&path).map_err(|e| {
                            FileError::new(&shown, tr!("file-cannot-read", error = e.to_string()))
                        })?;
                        return Ok((shown, bytes));
                    }
                }
            }
            Err(FileError::new(
                dir.join(&names[0]).display().to_string(),
                tr!(
                    "data-missing",
                    name = names[0].clone(),
                    other = names[1].clone()
                ),
            ))
        };
        let split = |prefix: &str| -> Result<Split, FileError> {
            let (img_file, img_bytes) = load(prefix, "images", 3)?;
            // Parse the images before even looking for the labels: their error comes first.
            let images = parse_images(&img_file, &img_bytes)?;
            let (lbl_file, lbl_bytes) = load(prefix, "labels", 1)?;
            Split::new(
                &img_file,
                images,
                &lbl_file,
                parse_labels(&lbl_file, &lbl_bytes)?,
            )
        };
        Ok(Self {
            name: dir.display().to_string(),
            train: split("train")?,
            test: split("t10k")?,
        })
    }
}
