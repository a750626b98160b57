//! `mnist-tui plot RUN... -o FILE`: recorded runs' curves as a picture, for a report.

use std::path::Path;

use anyhow::Context;
use mnist_tui::plot::{self, Metric, View};
use mnist_tui::train::checkpoint::write_atomically;
use mnist_tui::train::runs::{self, CurvesReader, RunCurves};

use crate::cli::{PlotArgs, PlotMetric, PlotX};

pub fn run(args: &PlotArgs, runs_dir: &Path) -> anyhow::Result<()> {
    let format = match args.output.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("png") => "png",
        Some(e) if e.eq_ignore_ascii_case("svg") => "svg",
        _ => anyhow::bail!(
            "{}: the picture's name must end in .png or .svg",
            args.output.display()
        ),
    };
    let (width, height) = size(&args.size)?;
    anyhow::ensure!(
        (0.0..1.0).contains(&args.smoothing),
        "--smoothing: {} is not a weight from 0 up to (not including) 1",
        args.smoothing
    );
    let mut curves = Vec::new();
    let mut folders = Vec::new();
    for run in &args.runs {
        let folder = if run.is_dir() {
            run.clone()
        } else {
            runs_dir.join(run)
        };
        let name = folder.file_name().map_or_else(
            || run.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let metrics = folder.join(runs::METRICS_FILE);
        anyhow::ensure!(
            metrics.is_file(),
            "{}: not a recorded run (no {})",
            run.display(),
            runs::METRICS_FILE
        );
        let mut reader = CurvesReader::open(&metrics)?;
        while reader
            .poll()
            .map_err(|e| anyhow::anyhow!("{}: {e}", metrics.display()))?
        {}
        curves.push((name, reader.curves));
        folders.push(folder);
    }
    let named: Vec<(&str, &RunCurves)> = curves.iter().map(|(n, c)| (n.as_str(), c)).collect();
    let groups = if args.group {
        group_named(&named, &folders)
    } else {
        named.iter().map(|&n| vec![n]).collect()
    };
    let view = View {
        metric: match args.metric {
            PlotMetric::Cost => Metric::Cost,
            PlotMetric::Accuracy => Metric::Accuracy,
        },
        time: args.x == PlotX::Time,
        smoothing: args.smoothing,
        size: (width, height),
    };
    let figure = plot::figure(&groups, view);
    let bytes = match format {
        "svg" => plot::svg(&figure).into_bytes(),
        _ => plot::png(&figure).map_err(|e| anyhow::anyhow!("cannot draw the picture: {e}"))?,
    };
    write_atomically(&args.output, &bytes)
        .with_context(|| format!("{}: cannot write", args.output.display()))?;
    Ok(())
}

/// The runs in groups: repeats (the same settings but the seed) together, in the order
/// of their first run; the others alone.
fn group_named<'a>(
    named: &[(&'a str, &'a RunCurves)],
    folders: &[std::path::PathBuf],
) -> Vec<Vec<(&'a str, &'a RunCurves)>> {
    let listed: Vec<runs::ListedRun> = folders.iter().map(|f| runs::read_entry(f)).collect();
    let found = mnist_tui::app::workspace::group_repeats(&listed);
    let mut groups: Vec<Vec<(&str, &RunCurves)>> = Vec::new();
    let mut placed: Vec<usize> = Vec::new();
    for (i, run) in listed.iter().enumerate() {
        if placed.contains(&i) {
            continue;
        }
        let members: Vec<usize> = match found.iter().find(|g| g.members.contains(&run.name)) {
            Some(g) => (0..listed.len())
                .filter(|&j| g.members.contains(&listed[j].name))
                .collect(),
            None => vec![i],
        };
        placed.extend(&members);
        groups.push(members.into_iter().map(|j| named[j]).collect());
    }
    groups
}

/// `900x540` → (900, 540), each from 100 to 8000.
fn size(text: &str) -> anyhow::Result<(u32, u32)> {
    let parsed = text
        .split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.trim().parse::<u32>().ok()?, h.trim().parse::<u32>().ok()?)))
        .filter(|&(w, h)| (100..=8000).contains(&w) && (100..=8000).contains(&h));
    parsed.ok_or_else(|| {
        anyhow::anyhow!("--size: '{text}' is not WIDTHxHEIGHT, each 100 to 8000 pixels")
    })
}
