//! How long the runs workspace takes to read a directory of 200 recorded runs: 180 short
//! ones and 20 of 15 `seed` epochs (9 000 batch lines each), every one with its summary,
//! as the trainer records them. The workspace reads the summaries only; the second
//! benchmark is what reading every metrics file instead would cost.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use mnist_tui::train::metrics_line::MetricsLine;
use mnist_tui::train::runs::{self, RunSummary};

const RUNS: usize = 200;
const LONG_RUNS: usize = 20;

/// Writes one run's folder the way a recorded run leaves it (no checkpoint: the
/// workspace never reads it).
fn write_run(dir: &Path, i: usize) {
    let epochs = if i < LONG_RUNS { 15 } else { 1 };
    let folder = dir.join(format!("20261207-{:06}-seed-lr1e-3", i));
    std::fs::create_dir_all(&folder).unwrap();
    let header = format!(
        r#"{{"type":"run","model":"seed","data_name":"MNIST (embedded)","train_len":60000,"test_len":10000,"batch_size":100,"batches_per_epoch":600,"epochs":{epochs},"learning_rate":0.001,"threads":2,"kernels":"avx2","schedule":"constant"}}"#
    );
    let mut lines = vec![header];
    for e in 0..epochs {
        for b in 0..600 {
            lines.push(format!(
                r#"{{"type":"batch","epoch":{e},"batch":{b},"loss":0.{:04},"learning_rate":0.001,"correct":97,"size":100}}"#,
                (b * 7919) % 10_000
            ));
        }
        lines.push(format!(
            r#"{{"type":"epoch","epoch":{e},"average_cost":0.05,"seconds":6.0,"samples_per_second":10000.0}}"#
        ));
        lines.push(format!(
            r#"{{"type":"evaluation","at_epoch":{}.0,"kind":"full","accuracy":0.98}}"#,
            e + 1
        ));
    }
    lines.push(r#"{"type":"finished","accuracy":0.98}"#.into());
    let text = lines.join("\n") + "\n";
    std::fs::write(folder.join(runs::METRICS_FILE), &text).unwrap();
    let MetricsLine::Run(info) = serde_json::from_str(&lines[0]).unwrap() else {
        unreachable!()
    };
    let mut summary = RunSummary::new(&info, 1_796_637_000, 1);
    for line in &lines[1..] {
        summary.observe(&serde_json::from_str(line).unwrap());
    }
    std::fs::write(
        folder.join(runs::SUMMARY_FILE),
        serde_json::to_vec_pretty(&summary).unwrap(),
    )
    .unwrap();
}

fn open_200_runs(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..RUNS {
        write_run(dir.path(), i);
    }
    c.bench_function("list 200 runs (summaries)", |b| {
        b.iter(|| {
            let listed = runs::list(dir.path()).unwrap();
            assert_eq!(listed.len(), RUNS);
        })
    });
    c.bench_function("read 200 runs' metrics files (what summaries avoid)", |b| {
        b.iter(|| {
            for entry in std::fs::read_dir(dir.path()).unwrap() {
                let path = entry.unwrap().path().join(runs::METRICS_FILE);
                let mut reader = runs::CurvesReader::open(&path).unwrap();
                while reader.poll().unwrap() {}
            }
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = open_200_runs
}
criterion_main!(benches);
