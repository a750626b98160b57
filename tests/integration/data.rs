//! The IDX reader on good files, on each kind of bad file, and the shipped assets.

use std::io::Write;
use std::path::Path;

use mnist_tui::data::idx::{self, encode_images, encode_labels, parse_images, parse_labels};
use mnist_tui::data::{Dataset, PIXELS};
use sha2::{Digest, Sha256};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn pixels(n: usize) -> Vec<u8> {
    (0..n * PIXELS).map(|i| (i % 251) as u8).collect()
}

#[test]
fn assets_match_their_checksums() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/mnist");
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    let mut checked = 0;
    for line in sums.lines() {
        let (hash, name) = line.split_once("  ").unwrap();
        // The sums are the genuine IDX files' own; the repository keeps them
        // brotli-compressed, the training images as two streams one after the other.
        let mut bytes = Vec::new();
        for file in [format!("{name}.br"), format!("{name}.2.br")] {
            if let Ok(packed) = std::fs::read(dir.join(&file)) {
                bytes.extend(idx::decompress(&file, &packed).unwrap());
            }
        }
        let digest = Sha256::digest(bytes);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, hash, "{name}");
        checked += 1;
    }
    assert_eq!(checked, 4);
}

#[test]
fn embedded_mnist_has_the_standard_sizes() {
    let d = Dataset::embedded().unwrap();
    assert_eq!((d.train.len(), d.test.len()), (60_000, 10_000));
    assert_eq!((d.train.len(), d.test.len()), Dataset::EMBEDDED_LENS);
    assert_eq!(d.train.images.len(), 60_000 * PIXELS);
    // The first training image is a 5 and the first test image a 7, as everyone knows.
    assert_eq!((d.train.labels[0], d.test.labels[0]), (5, 7));
}

/// Decoding hands the compressed pages back to the kernel; a second decode reads them
/// from the binary again and gets the same data.
#[test]
fn the_embedded_data_decodes_the_same_a_second_time() {
    let (first, second) = (Dataset::embedded().unwrap(), Dataset::embedded().unwrap());
    assert_eq!(first, second);
    assert!(first.train.images.iter().any(|&p| p != 0));
}

#[test]
fn parses_raw_and_gzipped_files() {
    let imgs = pixels(3);
    let raw = encode_images(&imgs);
    assert_eq!(parse_images("a", &raw).unwrap(), imgs);
    assert_eq!(parse_images("a.gz", &gzip(&raw)).unwrap(), imgs);
    let labels = encode_labels(&[0, 9, 4]);
    assert_eq!(parse_labels("l", &labels).unwrap(), vec![0, 9, 4]);
    assert_eq!(parse_labels("l.gz", &gzip(&labels)).unwrap(), vec![0, 9, 4]);
}

fn err_images(bytes: &[u8]) -> String {
    parse_images("f", bytes).unwrap_err().to_string()
}

#[test]
fn rejects_each_kind_of_bad_image_file() {
    let good = encode_images(&pixels(2));
    let mut magic = good.clone();
    magic[3] = 0x01;
    assert!(
        err_images(&magic).contains("wrong magic number 0x00000801"),
        "{}",
        err_images(&magic)
    );
    let mut dims = good.clone();
    dims[11] = 27;
    assert!(err_images(&dims).contains("images are 27x28"));
    assert!(err_images(&good[..good.len() - 1]).contains("truncated"));
    assert!(err_images(&good[..10]).contains("truncated"));
    assert!(err_images(&[]).contains("truncated"));
    let mut extra = good.clone();
    extra.push(0);
    assert!(err_images(&extra).contains("unexpected bytes"));
    let not_gzip = parse_images("f.gz", &good).unwrap_err().to_string();
    assert_eq!(not_gzip, "f.gz: not gzip data");
    let gz = gzip(&good);
    let cut = parse_images("f.gz", &gz[..gz.len() / 2])
        .unwrap_err()
        .to_string();
    assert!(
        cut.starts_with("f.gz: corrupt or truncated gzip data"),
        "{cut}"
    );
    assert!(!cut.contains('\n'));
}

fn fixture(name: &str) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xz");
    std::fs::read(dir.join(name)).unwrap()
}

#[test]
fn an_xz_file_of_two_streams_decodes_whole() {
    let one = parse_labels("l.xz", &fixture("t10k-labels-idx1-ubyte.xz")).unwrap();
    let two = parse_labels("l.xz", &fixture("t10k-labels-two-streams.xz")).unwrap();
    assert_eq!(one.len(), 10_000);
    assert_eq!(one, two);
}

#[test]
fn parses_brotli_files_by_name_and_refuses_bad_ones_in_one_line() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/mnist");
    let br = std::fs::read(dir.join("t10k-labels-idx1-ubyte.br")).unwrap();
    parses_the_test_labels_and_refuses_half_of_them("l.br", &br, "brotli");
}

/// `bytes` (the test labels, compressed as `kind`) parse under `name`, and their first
/// half is refused in one line that says what is wrong.
fn parses_the_test_labels_and_refuses_half_of_them(name: &str, bytes: &[u8], kind: &str) {
    let labels = parse_labels(name, bytes).unwrap();
    assert_eq!((labels.len(), labels[0]), (10_000, 7));
    let cut = parse_labels(name, &bytes[..bytes.len() / 2])
        .unwrap_err()
        .to_string();
    let expected = format!("{name}: corrupt or truncated {kind} data");
    assert!(cut.starts_with(&expected), "{cut}");
    assert!(!cut.contains('\n'));
}

#[test]
fn parses_xz_files_and_refuses_bad_ones_in_one_line() {
    let xz = fixture("t10k-labels-idx1-ubyte.xz");
    parses_the_test_labels_and_refuses_half_of_them("l.xz", &xz, "xz");
    let mut flipped = xz.clone();
    flipped[xz.len() / 2] ^= 0xff;
    assert!(parse_labels("l.xz", &flipped).is_err());
    let raw = encode_labels(&[1, 2]);
    let not_xz = parse_labels("l.xz", &raw).unwrap_err().to_string();
    assert_eq!(not_xz, "l.xz: not xz data");
}

#[test]
fn rejects_labels_out_of_range_and_bad_label_files() {
    let err = parse_labels("l", &encode_labels(&[1, 10, 2]))
        .unwrap_err()
        .to_string();
    assert_eq!(err, "l: label 10 at index 1 is not a digit 0-9");
    let err = parse_labels("l", &encode_images(&pixels(1)))
        .unwrap_err()
        .to_string();
    assert!(err.contains("wrong magic number"));
}

fn write_set(dir: &Path, names: [&str; 4], train: usize, train_labels: usize, gz: bool) {
    let files = [
        encode_images(&pixels(train)),
        encode_labels(&vec![3; train_labels]),
        encode_images(&pixels(2)),
        encode_labels(&[1, 2]),
    ];
    for (name, bytes) in names.iter().zip(files) {
        let bytes = if gz { gzip(&bytes) } else { bytes };
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

const DASHED: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];
const DOTTED: [&str; 4] = [
    "train-images.idx3-ubyte.gz",
    "train-labels.idx1-ubyte.gz",
    "t10k-images.idx3-ubyte.gz",
    "t10k-labels.idx1-ubyte.gz",
];

#[test]
fn loads_a_directory_under_either_naming() {
    let a = tempfile::tempdir().unwrap();
    write_set(a.path(), DASHED, 5, 5, false);
    let d = Dataset::from_dir(a.path()).unwrap();
    assert_eq!((d.train.len(), d.test.len()), (5, 2));
    let b = tempfile::tempdir().unwrap();
    write_set(b.path(), DOTTED, 4, 4, true);
    let d = Dataset::from_dir(b.path()).unwrap();
    assert_eq!((d.train.len(), d.test.labels.clone()), (4, vec![1, 2]));
}

#[test]
fn directory_errors_name_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    write_set(dir.path(), DASHED, 5, 4, false);
    let err = Dataset::from_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("train-labels-idx1-ubyte: 4 labels for 5 images"),
        "{err}"
    );

    std::fs::remove_file(dir.path().join(DASHED[2])).unwrap();
    write_set(dir.path(), DASHED, 5, 5, false);
    std::fs::remove_file(dir.path().join(DASHED[2])).unwrap();
    let err = Dataset::from_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("t10k-images-idx3-ubyte: missing"), "{err}");

    let err = Dataset::from_dir(&dir.path().join("nope"))
        .unwrap_err()
        .to_string();
    assert!(err.ends_with("nope: not a directory"), "{err}");
}

#[test]
fn fill_batch_scales_pixels_to_unit_range() {
    let d = Dataset::embedded().unwrap();
    let mut buf = Vec::new();
    d.test.fill_batch(&[0, 1], &mut buf);
    assert_eq!(buf.len(), 2 * PIXELS);
    assert!(buf.iter().all(|&p| (0.0..=1.0).contains(&p)));
    assert_eq!(buf.iter().cloned().fold(0.0, f32::max), 1.0);
}

#[test]
fn a_batch_holds_the_images_at_its_indices_in_their_order_whatever_the_threads() {
    let d = Dataset::embedded().unwrap();
    let indices = [9_999, 3, 3, 512, 0, 7_777, 41];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    let mut buf = vec![7.0; 5];
    pool.install(|| d.test.fill_batch(&indices, &mut buf));
    assert_eq!(buf.len(), indices.len() * PIXELS);
    for (image, &i) in buf.chunks_exact(PIXELS).zip(&indices) {
        let want: Vec<f32> = d.test.image(i).iter().map(|&p| p as f32 / 255.0).collect();
        assert_eq!(image, &want[..], "image {i}");
    }
}

#[test]
fn a_reused_batch_buffer_holds_only_the_new_images_at_any_earlier_size() {
    let d = Dataset::embedded().unwrap();
    let mut buf = Vec::new();
    // Larger, then smaller, then the same size again: nothing of an earlier batch stays.
    for indices in [&[5, 6, 7, 8][..], &[100, 4][..], &[1, 2][..]] {
        d.test.fill_batch(indices, &mut buf);
        let want: Vec<f32> = indices
            .iter()
            .flat_map(|&i| d.test.image(i).iter().map(|&p| p as f32 / 255.0))
            .collect();
        assert_eq!(buf, want, "batch {indices:?}");
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn valid_files() -> (Vec<u8>, Vec<u8>) {
        (encode_images(&pixels(3)), encode_labels(&[1, 2, 3]))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Any corruption of good files, raw or gzipped, is an error or a parse, never a
        /// panic.
        #[test]
        fn corrupted_idx_files_never_panic(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
            truncate in any::<bool>(),
            zipped in any::<bool>(),
        ) {
            let (images, labels) = valid_files();
            for file in [images, labels] {
                let mut bytes = if zipped { gzip(&file) } else { file };
                for (i, v) in &flips {
                    let i = i.index(bytes.len());
                    bytes[i] ^= v;
                }
                if truncate {
                    bytes.truncate(cut.index(bytes.len()));
                }
                if let Ok(raw) = mnist_tui::data::idx::decompress("f", &bytes) {
                    let _ = parse_images("f", &raw);
                    let _ = parse_labels("f", &raw);
                }
            }
        }

        #[test]
        fn random_bytes_are_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            if let Ok(raw) = mnist_tui::data::idx::decompress("f", &bytes) {
                let _ = parse_images("f", &raw);
                let _ = parse_labels("f", &raw);
            }
        }
    }
}
