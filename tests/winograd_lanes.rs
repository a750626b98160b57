//! The fused Winograd conv + pool + ReLU kernels against naive references, once for each
//! instruction set this CPU has (AVX-512, AVX2, plain arrays). Its own test binary: the
//! set is a process-wide switch, which must not change under other tests.

mod common;

use common::naive::{conv_backward_reference, random};
use mnist_tui::model::kernels::{self, ConvShape, NO_GRADIENT};
use mnist_tui::model::winograd::{lanes_in_use, limit_lanes, LaneSet};

fn close(what: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (*g as f64 - w).abs() <= 1e-4 * (1.0 + w.abs()),
            "{what}[{i}]: {g} vs {w}"
        );
    }
}

/// Conv → 2×2 SAME max-pool → ReLU by direct loops, in f64.
fn forward_reference(s: ConvShape, x: &[f32], w: &[f32]) -> Vec<f64> {
    let conv = kernels::conv3x3_reference(s, x, w);
    let pooled = kernels::maxpool_reference(s.batch * s.co, s.h, s.w, &conv);
    pooled.iter().map(|&v| v.max(0.0) as f64).collect()
}

/// (dW, dx) of `Σ out ⊙ dout`: the convolution gradient that the argmax routes each
/// pooled gradient to, then the naive convolution backward. Pool windows do not overlap,
/// so each place gets at most one gradient and the routing is exact in f32.
fn backward_reference(
    s: ConvShape,
    x: &[f32],
    w: &[f32],
    dout: &[f32],
    argmax: &[u32],
) -> (Vec<f64>, Vec<f64>) {
    let hw = s.h * s.w;
    let pooled = kernels::pool_out(s.h) * kernels::pool_out(s.w);
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

fn check(set: LaneSet) {
    limit_lanes(set);
    // Even and odd sizes, one and several input channels, batches that split into
    // groups unevenly, widths below and above one vector of lanes.
    for (batch, ci, co, h, w) in [
        (3, 1, 16, 28, 28),
        (5, 1, 4, 7, 9),
        (3, 4, 6, 14, 14),
        (7, 3, 5, 7, 7),
        (2, 2, 3, 9, 20),
        (1, 5, 2, 1, 1),
    ] {
        let s = ConvShape {
            batch,
            ci,
            co,
            h,
            w,
        };
        let tag = format!("{set:?} {s:?}");
        let x = random(batch * ci * h * w, 1);
        let wt = random(co * ci * 9, 2);
        let pooled = batch * co * kernels::pool_out(h) * kernels::pool_out(w);
        let (mut out, mut argmax) = (vec![0.0f32; pooled], vec![0u32; pooled]);
        kernels::conv3x3_pool_relu_forward(s, &x, &wt, &mut out, &mut argmax);
        close(&format!("{tag} out"), &out, &forward_reference(s, &x, &wt));
        assert!(out.iter().any(|&v| v > 0.0), "{tag}: all clamped");

        let dout = random(pooled, 3);
        let (mut dw, mut dx) = (vec![0.0f32; wt.len()], vec![0.0f32; x.len()]);
        kernels::conv3x3_pool_relu_backward(s, &x, &wt, &dout, &argmax, &mut dw, Some(&mut dx));
        let (rdw, rdx) = backward_reference(s, &x, &wt, &dout, &argmax);
        close(&format!("{tag} dw"), &dw, &rdw);
        close(&format!("{tag} dx"), &dx, &rdx);
        // Without the input gradient the weight gradient is the same, to the bit.
        let mut dw_alone = vec![0.0f32; wt.len()];
        kernels::conv3x3_pool_relu_backward(s, &x, &wt, &dout, &argmax, &mut dw_alone, None);
        assert_eq!(dw_alone, dw, "{tag}");
    }
}

#[test]
fn every_instruction_set_matches_the_naive_reference() {
    let best = lanes_in_use();
    let sets: &[LaneSet] = match best {
        LaneSet::Avx512 => &[LaneSet::Avx512, LaneSet::Avx2, LaneSet::Portable],
        LaneSet::Avx2 => &[LaneSet::Avx2, LaneSet::Portable],
        LaneSet::Portable => &[LaneSet::Portable],
    };
    for &set in sets {
        check(set);
        assert_eq!(lanes_in_use(), set, "the limit was not applied");
    }
    limit_lanes(LaneSet::Avx512);
    assert_eq!(lanes_in_use(), best);
}
