//! The Clusters view: the fixed test subset's penultimate features projected onto their
//! first two principal components (or laid out by t-SNE), a braille dot per image coloured by its true label,
//! misclassified images marked `×`; the arrow keys' cursor `◆` and, beside the scatter,
//! the digit it is on with its label and the model's prediction.

use crate::tr;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Points};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::look::Look;
use super::pixels::draw_digit;
use super::sample::verdict_text;
use super::theme::{self, class_color, fg};
use crate::app::ClustersView;
use crate::data::{PIXELS, SIDE};
use crate::train::events::FeatureProjection;

/// Width of the column with the picked digit (the digit and its border).
const PICKED: u16 = SIDE as u16 + 2;

pub fn draw_clusters(
    frame: &mut Frame,
    area: Rect,
    look: &Look,
    view: &ClustersView,
    viewing: bool,
) {
    let Some(p) = view.shown() else {
        let block = Block::bordered().title(format!(" {} ", tr!("clusters-title")));
        let text = tr!(if viewing {
            "clusters-viewing"
        } else if view.show_tsne {
            "clusters-tsne-pending"
        } else {
            "clusters-waiting"
        });
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    };
    let [scatter, picked] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(PICKED)]).areas(area);
    let title = if view.show_tsne {
        let pending = if view.tsne_pending {
            format!(" · {}", tr!("clusters-newer"))
        } else {
            String::new()
        };
        format!(
            " {}{pending} ",
            tr!(
                "clusters-tsne-title",
                epoch = format!("{:.2}", p.at_epoch),
                features = p.features.clone(),
                images = p.points.len()
            )
        )
    } else {
        format!(
            " {} ",
            tr!(
                "clusters-pca-title",
                epoch = format!("{:.2}", p.at_epoch),
                pc1 = format!("{:.0}", p.explained[0] * 100.0),
                pc2 = format!("{:.0}", p.explained[1] * 100.0),
                features = p.features.clone(),
                images = p.points.len()
            )
        )
    };
    draw_scatter(frame, scatter, look, (p, view.point), title);
    draw_picked(frame, picked, look, (p, view.point));
}

/// The smallest and largest of one coordinate, widened a little so no dot sits on the
/// border.
fn bounds(p: &FeatureProjection, axis: usize) -> [f64; 2] {
    let (lo, hi) = p.points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), q| {
        (lo.min(q[axis].into()), hi.max(q[axis].into()))
    });
    let margin = ((hi - lo) * 0.03).max(1e-6);
    [lo - margin, hi + margin]
}

fn draw_scatter(
    frame: &mut Frame,
    area: Rect,
    look: &Look,
    (p, point): (&FeatureProjection, usize),
    title: String,
) {
    let mode = look.colors;
    let mut legend: Vec<Span> = (0..10)
        .map(|c| {
            Span::styled(
                format!("●{} ", look.class_label(c)),
                fg(mode, class_color(mode, c)),
            )
        })
        .collect();
    legend.push(Span::raw(format!("{} ", tr!("clusters-legend"))));
    let block = Block::bordered()
        .title(title)
        .title_bottom(Line::from(legend));
    let by_class: Vec<Vec<(f64, f64)>> = (0..10u8)
        .map(|c| {
            let points = p.points.iter().zip(&p.labels);
            let of_class = points.filter(|(_, &l)| l == c);
            of_class.map(|(q, _)| (q[0].into(), q[1].into())).collect()
        })
        .collect();
    let wrong: Vec<(f64, f64)> = p
        .points
        .iter()
        .zip(p.labels.iter().zip(&p.predicted))
        .filter(|(_, (l, q))| l != q)
        .map(|(q, _)| (q[0].into(), q[1].into()))
        .collect();
    let cursor = p
        .points
        .get(point)
        .map(|q| (f64::from(q[0]), f64::from(q[1])));
    let canvas = Canvas::default()
        .block(block)
        .marker(Marker::Braille)
        .x_bounds(bounds(p, 0))
        .y_bounds(bounds(p, 1))
        .paint(|ctx| {
            for (c, coords) in by_class.iter().enumerate() {
                ctx.draw(&Points {
                    coords,
                    color: class_color(mode, c),
                });
            }
            ctx.layer();
            for &(x, y) in &wrong {
                ctx.print(
                    x,
                    y,
                    Span::styled("×", Style::default().fg(theme::ON_PICTURE)),
                );
            }
            if let Some((x, y)) = cursor {
                let style = Style::default()
                    .fg(theme::SMOOTHED)
                    .add_modifier(Modifier::BOLD);
                ctx.print(x, y, Span::styled("◆", style));
            }
        });
    frame.render_widget(canvas, area);
}

fn draw_picked(
    frame: &mut Frame,
    area: Rect,
    look: &Look,
    (p, point): (&FeatureProjection, usize),
) {
    let mode = look.colors;
    let i = point.min(p.points.len().saturating_sub(1));
    let block = Block::bordered().title(format!(" {} ", tr!("clusters-picked", index = i)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(pixels) = p.pixels.get(i * PIXELS..(i + 1) * PIXELS) else {
        return;
    };
    draw_digit(
        frame.buffer_mut(),
        inner,
        (inner.x, inner.y),
        pixels,
        mode,
        look.graphics,
    );
    let (label, predicted) = (p.labels[i], p.predicted[i]);
    let right = label == predicted;
    let verdict =
        fg(mode, if right { theme::RIGHT } else { theme::WRONG }).add_modifier(Modifier::BOLD);
    let lines = vec![
        Line::from(vec![
            Span::raw(format!(
                "{} → ",
                tr!("clusters-label", label = look.class_label(label.into()))
            )),
            Span::styled(verdict_text(look, predicted, right), verdict),
        ]),
        Line::from(tr!(
            "clusters-at",
            point = format!("({:.1}, {:.1})", p.points[i][0], p.points[i][1])
        )),
    ];
    let top = (SIDE as u16 / 2).min(inner.height);
    let text = Rect::new(inner.x, inner.y + top, inner.width, inner.height - top);
    frame.render_widget(Paragraph::new(lines), text);
}
