//! The blow-up rule against loss traces of real runs (`--metrics` files of this program,
//! the batch losses one per line in `tests/fixtures/loss-traces/`): it never fires on a
//! healthy run nor takes its snapshots away, and it catches an exploding one at once.

use std::io::Read;

use mnist_tui::train::blowup::{LossWatch, Verdict, WARMUP};

fn trace(name: &str) -> Vec<f32> {
    let path = format!(
        "{}/tests/fixtures/loss-traces/{name}.txt.gz",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines().map(|l| l.parse().unwrap()).collect()
}

/// The first batch the rule calls exploded, and how many batches were not safe to
/// snapshot before it.
fn run(losses: &[f32]) -> (Option<usize>, usize) {
    let mut watch = LossWatch::default();
    let mut unsafe_batches = 0;
    for (i, &loss) in losses.iter().enumerate() {
        if watch.observe(loss) != Verdict::Healthy {
            return (Some(i), unsafe_batches);
        }
        unsafe_batches += usize::from(!watch.is_snapshot_safe());
    }
    (None, unsafe_batches)
}

#[test]
fn healthy_runs_never_count_as_exploded_nor_lose_a_snapshot() {
    for name in [
        "seed-lr0.001-15-epochs",
        "seed-lr0.003-15-epochs",
        "seed-lr0.01-3-epochs",
        "deep-lr0.001-5-epochs",
    ] {
        let losses = trace(name);
        assert!(losses.len() >= 1800, "{name}: {} batches", losses.len());
        assert_eq!(run(&losses), (None, 0), "{name}");
    }
}

#[test]
fn a_run_stuck_at_chance_is_not_an_explosion() {
    assert_eq!(run(&trace("stuck-seed-lr0.03")).0, None);
}

#[test]
fn exploding_runs_are_caught_right_after_the_warm_up_with_no_snapshot_taken_in_the_climb() {
    for name in [
        "exploding-seed-lr0.1",
        "exploding-seed-lr1",
        "exploding-seed-lr10",
    ] {
        let losses = trace(name);
        let (fired, unsafe_batches) = run(&losses);
        assert_eq!(fired, Some(WARMUP), "{name}");
        // From the first climbing batch on, no snapshot would have been taken.
        assert!(unsafe_batches >= WARMUP - 2, "{name}: {unsafe_batches}");
    }
}
