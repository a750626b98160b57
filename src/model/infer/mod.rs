//! Inference, without the tape: through a network's stack of fused conv layers a few
//! images at a time (here), and through the dense layers (`dense.rs`).
//!
//! Why not layer by layer: a batch's layer outputs are megabytes, so between two layers
//! they go out to memory and come back, and each op copies its input out of its dfdx
//! tensor. Here each thread takes a couple of images through every conv layer while the
//! intermediate maps are in its cache, and only the last layer's output is kept. Each
//! layer groups images as it does when it runs alone, so the result does not depend on
//! which layers run together.

pub mod dense;

use std::borrow::Cow;
use std::cell::RefCell;
use std::mem::MaybeUninit;

use rayon::prelude::*;

use conv3x3::{lcm, InferenceConv, MapLayout};

/// One thread's buffers: two for the intermediate maps, one for the argmax nobody reads.
#[derive(Default)]
struct Maps {
    a: Vec<MaybeUninit<f32>>,
    b: Vec<MaybeUninit<f32>>,
    argmax: Vec<MaybeUninit<u32>>,
}

thread_local! {
    /// Kept between calls, so that they are allocated once per thread.
    static MAPS: RefCell<Maps> = RefCell::new(Maps::default());
}

/// The layout [`conv_stack`] gives the last layer's maps in: channels-last where that
/// layer writes it (no scatter into planes: 8 % of the seed model's inference time),
/// else planar. A dense layer reading them is prepared for it.
pub fn stack_output(layers: &[InferenceConv]) -> MapLayout {
    match layers.last() {
        Some(last) if last.handles_channels_last() => MapLayout::ChannelsLast,
        _ => MapLayout::Planar,
    }
}

/// Runs every image of `x` through `layers` in order; returns the last layer's pooled
/// outputs, image by image, in `last_layout` (which that layer must
/// [handle](InferenceConv::handles_channels_last)).
pub fn conv_stack(x: &[f32], layers: &[InferenceConv], last_layout: MapLayout) -> Vec<f32> {
    let (first, last) = (&layers[0], &layers[layers.len() - 1]);
    let images = x.len() / first.in_len();
    assert_eq!(x.len(), images * first.in_len());
    for pair in layers.windows(2) {
        assert_eq!(pair[0].out_len(), pair[1].in_len(), "layers do not chain");
    }
    // A multiple of every layer's group, so that each layer groups images as it does in
    // a whole batch.
    let per_task = layers.iter().fold(1, |acc, l| lcm(acc, l.group()));
    let mut out = Vec::with_capacity(images * last.out_len());
    x.par_chunks(per_task * first.in_len())
        .zip(
            out.spare_capacity_mut()[..images * last.out_len()]
                .par_chunks_mut(per_task * last.out_len()),
        )
        .for_each(|(xs, dst)| {
            MAPS.with(|maps| {
                let Maps { a, b, argmax } = &mut *maps.borrow_mut();
                run_chain(xs, layers, (dst, last_layout), a, b, argmax);
            })
        });
    // SAFETY: every task's last layer wrote all of its part of the output.
    unsafe { out.set_len(images * last.out_len()) };
    out
}

/// `xs` through every layer, ping-ponging between `a` and `b`, the last into `dst` in
/// its layout. Layers hand each other channels-last maps where both sides take them;
/// the input is one channel.
fn run_chain(
    xs: &[f32],
    layers: &[InferenceConv],
    (dst, last_layout): (&mut [MaybeUninit<f32>], MapLayout),
    a: &mut Vec<MaybeUninit<f32>>,
    b: &mut Vec<MaybeUninit<f32>>,
    argmax: &mut Vec<MaybeUninit<u32>>,
) {
    let n = xs.len() / layers[0].in_len();
    let mut input: &[f32] = xs;
    let mut from = MapLayout::Planar;
    for (i, layer) in layers.iter().enumerate() {
        let len = n * layer.out_len();
        let Some(next) = layers.get(i + 1) else {
            layer.forward((input, from), (dst, last_layout), argmax);
            return;
        };
        let to = if layer.handles_channels_last() && next.handles_channels_last() {
            MapLayout::ChannelsLast
        } else {
            MapLayout::Planar
        };
        let buffer = if i % 2 == 0 { &mut *a } else { &mut *b };
        if buffer.len() < len {
            buffer.resize(len, MaybeUninit::uninit());
        }
        layer.forward((input, from), (&mut buffer[..len], to), argmax);
        // SAFETY: `forward` wrote every element of `buffer[..len]`; `MaybeUninit<f32>`
        // has the layout of `f32`.
        input = unsafe { std::slice::from_raw_parts(buffer.as_ptr().cast::<f32>(), len) };
        from = to;
    }
}

/// Maps of `channels` channels, planar image by image, in `layout` (borrowed when that
/// is planar): what [`conv_stack`] would have written in that layout.
pub fn planar_as(
    maps: &[f32],
    channels: usize,
    image_len: usize,
    layout: MapLayout,
) -> Cow<'_, [f32]> {
    if layout == MapLayout::Planar {
        return Cow::Borrowed(maps);
    }
    let mut out = vec![0.0f32; maps.len()];
    planar_to_channels_last(maps, channels, image_len, &mut out);
    Cow::Owned(out)
}

/// Writes `maps` (images of `image_len` values, `channels` planes each) into `to`
/// channels-last, value `c·P + p` of an image at `p·C + c`, an image per task.
pub fn planar_to_channels_last(maps: &[f32], channels: usize, image_len: usize, to: &mut [f32]) {
    assert!(channels > 0 && image_len.is_multiple_of(channels));
    assert!(maps.len() == to.len() && maps.len().is_multiple_of(image_len));
    let places = image_len / channels;
    maps.par_chunks_exact(image_len)
        .zip(to.par_chunks_exact_mut(image_len))
        .for_each(|(from, to)| {
            for (c, plane) in from.chunks_exact(places).enumerate() {
                for (p, &v) in plane.iter().enumerate() {
                    to[p * channels + c] = v;
                }
            }
        });
}
