//! The kernels against the naive references: the separate convolution and pooling, and
//! the fused Winograd layer once for each instruction set this CPU has (AVX-512, AVX2,
//! plain arrays), all in one binary since the set is an argument.

use super::reference::{conv3x3_reference, conv_backward_reference, maxpool_reference, random};
use super::shape::NO_GRADIENT;
use super::{im2col, pool, pool_out, winograd, ConvShape, LaneSet};

pub(super) fn shape(batch: usize, ci: usize, co: usize, h: usize, w: usize) -> ConvShape {
    ConvShape {
        batch,
        ci,
        co,
        h,
        w,
    }
}

fn close(what: &str, got: &[f32], want: &[f64], tolerance: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (*g as f64 - w).abs() <= tolerance * (1.0 + w.abs()),
            "{what}[{i}]: {g} vs {w}"
        );
    }
}

fn widen(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

#[test]
fn conv_forward_matches_naive_reference() {
    for (ci, co, h, w) in [(1, 4, 28, 28), (3, 5, 7, 7), (2, 3, 5, 4), (4, 2, 1, 3)] {
        let s = shape(3, ci, co, h, w);
        let x = random(3 * ci * h * w, 6);
        let wt = random(co * ci * 9, 7);
        let mut fast = vec![0.0; 3 * co * h * w];
        im2col::conv3x3_forward(s, &x, &wt, &mut fast);
        let reference = conv3x3_reference(s, &x, &wt);
        close(&format!("{s:?}"), &fast, &widen(&reference), 1e-4);
    }
}

#[test]
fn pool_forward_matches_naive_reference_with_tf_same_padding() {
    for (h, w) in [(28, 28), (7, 7), (5, 4), (1, 1)] {
        let x = random(6 * h * w, 8);
        let (oh, ow) = (h.div_ceil(2), w.div_ceil(2));
        let mut out = vec![0.0; 6 * oh * ow];
        let mut argmax = vec![0; 6 * oh * ow];
        pool::maxpool_forward(6, h, w, &x, &mut out, &mut argmax);
        assert_eq!(out, maxpool_reference(6, h, w, &x), "{h}x{w}");
    }
}

#[test]
fn fused_pool_relu_equals_relu_after_pool() {
    let x = random(2 * 3 * 7 * 7, 9);
    let planes = 2 * 3;
    let (mut fused, mut plain) = (vec![0.0; planes * 16], vec![0.0; planes * 16]);
    let (mut a1, mut a2) = (vec![0; planes * 16], vec![0; planes * 16]);
    pool::maxpool_relu_forward(planes, 7, 7, &x, &mut fused, &mut a1);
    pool::maxpool_forward(planes, 7, 7, &x, &mut plain, &mut a2);
    let relu: Vec<f32> = plain.iter().map(|v| v.max(0.0)).collect();
    assert_eq!(fused, relu);
    assert!(fused.contains(&0.0) && fused.iter().any(|&v| v > 0.0));
    // Where ReLU clamped, no gradient flows; elsewhere the argmax is the plain pool's.
    for ((&f, &fused_at), &plain_at) in fused.iter().zip(&a1).zip(&a2) {
        let want = if f > 0.0 { plain_at } else { NO_GRADIENT };
        assert_eq!(fused_at, want);
    }
}

#[test]
fn conv_backward_matches_naive_reference_across_image_groups() {
    // 10×10 images are grouped four to a product; nine images split over two threads make
    // groups of 4, 4 and 1.
    let threads = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    for (batch, ci, co, h, w) in [(9, 3, 5, 10, 10), (3, 2, 4, 28, 28), (5, 1, 3, 7, 7)] {
        let s = shape(batch, ci, co, h, w);
        let x = random(batch * ci * h * w, 21);
        let wt = random(co * ci * 9, 22);
        let dout = random(batch * co * h * w, 23);
        let (mut dw, mut dx) = (vec![0.0f32; wt.len()], vec![0.0f32; x.len()]);
        threads.install(|| im2col::conv3x3_backward(s, &x, &wt, &dout, &mut dw, Some(&mut dx)));
        let (rdw, rdx) = conv_backward_reference(s, &x, &wt, &dout);
        close(&format!("{s:?} dw"), &dw, &rdw, 1e-3);
        close(&format!("{s:?} dx"), &dx, &rdx, 1e-3);
    }
}

/// Conv → 2×2 SAME max-pool → ReLU by direct loops, in f64.
fn fused_forward_reference(s: ConvShape, x: &[f32], w: &[f32]) -> Vec<f64> {
    let conv = conv3x3_reference(s, x, w);
    let pooled = maxpool_reference(s.batch * s.co, s.h, s.w, &conv);
    pooled.iter().map(|&v| v.max(0.0) as f64).collect()
}

/// (dW, dx) of `Σ out ⊙ dout`: the convolution gradient that the argmax routes each
/// pooled gradient to, then the naive convolution backward. Pool windows do not overlap,
/// so each place gets at most one gradient and the routing is exact in f32.
fn fused_backward_reference(
    s: ConvShape,
    (x, w): (&[f32], &[f32]),
    dout: &[f32],
    argmax: &[u32],
) -> (Vec<f64>, Vec<f64>) {
    let hw = s.h * s.w;
    let pooled = pool_out(s.h) * pool_out(s.w);
    let mut dconv = vec![0.0f32; s.batch * s.co * hw];
    for b in 0..s.batch {
        for (k, (&g, &a)) in dout[b * s.co * pooled..][..s.co * pooled]
            .iter()
            .zip(&argmax[b * s.co * pooled..][..s.co * pooled])
            .enumerate()
        {
            if a != NO_GRADIENT {
                assert_eq!(a as usize / hw, k / pooled, "argmax outside its channel");
                dconv[b * s.co * hw + a as usize] += g;
            }
        }
    }
    conv_backward_reference(s, x, w, &dconv)
}

fn check_winograd(lanes: LaneSet) {
    // Even and odd sizes, one and several input channels (40: more than one channel
    // block of the routed backward pass, the last one part full), batches that split
    // into groups unevenly, widths below and above one vector of lanes.
    for (batch, ci, co, h, w) in [
        (3, 1, 16, 28, 28),
        (2, 40, 3, 6, 5),
        (5, 1, 4, 7, 9),
        (3, 4, 6, 14, 14),
        (7, 3, 5, 7, 7),
        (2, 2, 3, 9, 20),
        (1, 5, 2, 1, 1),
    ] {
        let s = shape(batch, ci, co, h, w);
        let tag = format!("{lanes:?} {s:?}");
        let x = random(batch * ci * h * w, 1);
        let wt = random(co * ci * 9, 2);
        let (out, argmax) = winograd::conv3x3_pool_relu_forward_new(s, lanes, &x, &wt);
        let want = fused_forward_reference(s, &x, &wt);
        close(&format!("{tag} out"), &out, &want, 1e-4);
        assert!(out.iter().any(|&v| v > 0.0), "{tag}: all clamped");

        let dout = random(out.len(), 3);
        let (mut dw, mut dx) = (vec![0.0f32; wt.len()], vec![0.0f32; x.len()]);
        let (inputs, pooled) = ((&x[..], &wt[..]), (&dout[..], &argmax[..]));
        winograd::conv3x3_pool_relu_backward(s, lanes, inputs, pooled, &mut dw, Some(&mut dx));
        let (rdw, rdx) = fused_backward_reference(s, inputs, &dout, &argmax);
        close(&format!("{tag} dw"), &dw, &rdw, 1e-4);
        close(&format!("{tag} dx"), &dx, &rdx, 1e-4);
        // Without the input gradient the weight gradient is the same, to the bit.
        let mut dw_alone = vec![0.0f32; wt.len()];
        winograd::conv3x3_pool_relu_backward(s, lanes, inputs, pooled, &mut dw_alone, None);
        assert_eq!(dw_alone, dw, "{tag}");
    }
}

#[test]
fn every_instruction_set_matches_the_naive_reference() {
    let sets: Vec<LaneSet> = LaneSet::available().collect();
    assert!(sets.contains(&LaneSet::Portable));
    assert_eq!(sets[0], LaneSet::best());
    for lanes in sets {
        check_winograd(lanes);
    }
}

#[test]
fn every_instruction_set_gives_one_forward_result_to_within_rounding() {
    // The sets order a few sums differently; they agree far inside the tolerance the
    // references allow, on the seed network's second layer.
    let s = shape(4, 32, 64, 14, 14);
    let (x, wt) = (random(s.batch * s.in_len(), 31), random(64 * 32 * 9, 32));
    let best = winograd::conv3x3_pool_relu_forward_new(s, LaneSet::best(), &x, &wt).0;
    for lanes in LaneSet::available() {
        let out = winograd::conv3x3_pool_relu_forward_new(s, lanes, &x, &wt).0;
        close(&format!("{lanes:?}"), &out, &widen(&best), 1e-5);
    }
}

#[test]
fn lane_sets_parse_from_their_names_and_nothing_else() {
    for lanes in LaneSet::ALL {
        assert_eq!(lanes.name().parse::<LaneSet>(), Ok(lanes));
    }
    assert!("sse2".parse::<LaneSet>().is_err());
}
