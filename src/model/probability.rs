//! Class probabilities from a network's ten scores: the softmax every verdict, every
//! explanation and every walk through the network shows.

/// Softmax of one row of logits.
pub fn softmax(logits: &[f32]) -> [f32; 10] {
    let max = logits.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let mut p = [0.0f32; 10];
    let mut sum = 0.0;
    for (o, &l) in p.iter_mut().zip(logits) {
        *o = (l - max).exp();
        sum += *o;
    }
    p.iter_mut().for_each(|v| *v /= sum);
    p
}

/// Index of the largest value (the first one on ties).
pub fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &v)| {
            if v > best.1 {
                (i, v)
            } else {
                best
            }
        })
        .0
}
