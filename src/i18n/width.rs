//! Text measured in terminal cells: a Hangul syllable takes two, so widths come from
//! Unicode's East Asian Width, never from bytes or characters.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// How many cells `text` takes.
pub fn cells(text: &str) -> usize {
    text.width()
}

/// `text` cut to at most `width` cells, at a character's edge: a wide character that
/// would stand half outside is left out whole.
pub fn fit(text: &str, width: usize) -> &str {
    let mut used = 0;
    for (at, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            return &text[..at];
        }
        used += w;
    }
    text
}

/// `text` padded with spaces on the right to `width` cells; longer text is left whole, as
/// `format!("{text:<width$}")` leaves it (which counts characters, not cells).
pub fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(cells(text))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hangul_counts_two_cells_a_letter() {
        assert_eq!(cells("학습"), 4);
        assert_eq!(cells("lr 학습률"), 9);
    }

    #[test]
    fn fitting_never_cuts_a_wide_character_in_half() {
        assert_eq!(fit("학습률", 5), "학습");
        assert_eq!(fit("학습률", 6), "학습률");
        assert_eq!(fit("ab학", 3), "ab");
        assert_eq!(pad("학", 3), "학 ");
        assert_eq!(pad("학습률", 3), "학습률");
    }
}
