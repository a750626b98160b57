//! Text measured in terminal cells: a Hangul syllable takes two, so widths come from
//! Unicode's East Asian Width, never from bytes or characters.

use unicode_width::UnicodeWidthStr;

/// How many cells `text` takes.
pub fn cells(text: &str) -> usize {
    text.width()
}

/// `text` padded with spaces on the right to `width` cells; longer text is left whole, as
/// `format!("{text:<width$}")` leaves it (which counts characters, not cells).
pub fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(cells(text))))
}

/// `text` padded with spaces on the left to `width` cells (right-aligned), left whole when
/// longer.
pub fn pad_left(text: &str, width: usize) -> String {
    format!("{}{text}", " ".repeat(width.saturating_sub(cells(text))))
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
    fn padding_counts_cells_and_never_cuts() {
        assert_eq!(pad("학", 3), "학 ");
        assert_eq!(pad("ab", 3), "ab ");
        assert_eq!(pad_left("학", 3), " 학");
        assert_eq!(pad("학습률", 3), "학습률");
    }
}
