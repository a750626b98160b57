//! Time of one full dashboard frame at 120×40, drawn into ratatui's `TestBackend` from a
//! state 1.5 epochs into a run (900 batches of history, every panel populated).

#[path = "../tests/integration/common/mod.rs"]
#[allow(dead_code)] // The bench uses one of the tests' states.
mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn full_frame(c: &mut Criterion) {
    for (w, h) in [(120, 40), (80, 24)] {
        let app = common::busy_app((w, h));
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        c.bench_function(&format!("draw full dashboard {w}x{h}"), |b| {
            b.iter(|| {
                terminal.draw(|f| mnist_tui::ui::draw(f, &app)).unwrap();
            })
        });
    }
}

criterion_group!(benches, full_frame);
criterion_main!(benches);
