//! Where new cards go: a grid in the user's current viewport (what the Web
//! SDK's `viewport.get()` answers), never at the board's origin.
//!
//! The grid is centred on the viewport. When every card fits, the grid
//! takes as many columns as the viewport is wide, so all cards are in view;
//! when they cannot all fit, its shape follows the viewport's, so its
//! middle is in view and zooming out shows the rest.

use serde::{Deserialize, Serialize};

use super::Point;

/// An app card's width on the board (Miro draws app cards 320 wide).
pub const CARD_WIDTH: f64 = 320.0;
/// The height the layout leaves for a card: a card with a title, a short
/// description and a row of preview fields.
pub const CARD_HEIGHT: f64 = 200.0;
/// Space between cards.
pub const GAP: f64 = 40.0;

/// The visible part of the board: top-left corner and size, in board units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Viewport {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Viewport {
    fn centre(&self) -> Point {
        Point {
            x: self.x + self.width / 2.0,
            y: self.y + self.height / 2.0,
        }
    }

    /// Whether a card centred at `at` lies entirely inside.
    pub fn holds_card(&self, at: Point) -> bool {
        at.x - CARD_WIDTH / 2.0 >= self.x
            && at.x + CARD_WIDTH / 2.0 <= self.x + self.width
            && at.y - CARD_HEIGHT / 2.0 >= self.y
            && at.y + CARD_HEIGHT / 2.0 <= self.y + self.height
    }

    /// A viewport with usable numbers: a missing or broken size counts as
    /// one card cell, so a layout is always possible.
    fn sane(self) -> Self {
        let finite = |v: f64, default: f64| if v.is_finite() { v } else { default };
        let size = |v: f64, default: f64| if v.is_finite() && v > 0.0 { v } else { default };
        Self {
            x: finite(self.x, 0.0),
            y: finite(self.y, 0.0),
            width: size(self.width, CARD_WIDTH + GAP),
            height: size(self.height, CARD_HEIGHT + GAP),
        }
    }
}

/// The centres of `count` cards laid out in `viewport`, row by row.
pub fn grid(count: usize, viewport: Viewport) -> Vec<Point> {
    if count == 0 {
        return Vec::new();
    }
    let viewport = viewport.sane();
    let (cell_w, cell_h) = (CARD_WIDTH + GAP, CARD_HEIGHT + GAP);
    let fit_cols = ((viewport.width / cell_w).floor() as usize).max(1);
    let fit_rows = ((viewport.height / cell_h).floor() as usize).max(1);
    let cols = if count <= fit_cols * fit_rows {
        count.min(fit_cols)
    } else {
        // As many columns per row as keeps the grid's shape the viewport's.
        let across = viewport.width / cell_w;
        let down = viewport.height / cell_h;
        ((count as f64 * across / down).sqrt().ceil() as usize).clamp(1, count)
    };
    let rows = count.div_ceil(cols);
    let centre = viewport.centre();
    let left = centre.x - (cols - 1) as f64 * cell_w / 2.0;
    let top = centre.y - (rows - 1) as f64 * cell_h / 2.0;
    (0..count)
        .map(|i| Point {
            x: left + (i % cols) as f64 * cell_w,
            y: top + (i / cols) as f64 * cell_h,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn viewport(x: f64, y: f64, width: f64, height: f64) -> Viewport {
        Viewport {
            x,
            y,
            width,
            height,
        }
    }

    #[test]
    fn forty_five_cards_fit_a_zoomed_out_viewport_centred_on_it() {
        let view = viewport(-2000.0, 5000.0, 4000.0, 2400.0);
        let points = grid(45, view);
        assert_eq!(points.len(), 45);
        assert!(points.iter().all(|p| view.holds_card(*p)), "{points:?}");
        // Eleven columns of 360 fit 4000; the first row is full.
        assert_eq!(points[0].y, points[10].y);
        assert!(points[11].y > points[10].y);
        // Far from the board's origin, where the user looks.
        assert!(points.iter().all(|p| p.y > 5000.0));
    }

    #[test]
    fn one_card_goes_to_the_centre() {
        let points = grid(1, viewport(100.0, 100.0, 800.0, 600.0));
        assert_eq!(points, vec![Point { x: 500.0, y: 400.0 }]);
    }

    #[test]
    fn a_broken_viewport_still_gets_a_grid() {
        let points = grid(3, viewport(f64::NAN, 0.0, -5.0, f64::INFINITY));
        assert_eq!(points.len(), 3);
        assert!(points.iter().all(|p| p.x.is_finite() && p.y.is_finite()));
    }

    proptest! {
        #[test]
        fn cards_never_overlap_and_fit_when_there_is_room(
            count in 1usize..120,
            x in -1.0e5f64..1.0e5,
            y in -1.0e5f64..1.0e5,
            width in 100.0f64..20_000.0,
            height in 100.0f64..20_000.0,
        ) {
            let view = viewport(x, y, width, height);
            let points = grid(count, view);
            prop_assert_eq!(points.len(), count);
            for (i, a) in points.iter().enumerate() {
                for b in &points[i + 1..] {
                    let apart = (a.x - b.x).abs() >= CARD_WIDTH + GAP - 1e-6
                        || (a.y - b.y).abs() >= CARD_HEIGHT + GAP - 1e-6;
                    prop_assert!(apart, "{:?} and {:?} overlap", a, b);
                }
            }
            let cols = (width / (CARD_WIDTH + GAP)).floor() as usize;
            let rows = (height / (CARD_HEIGHT + GAP)).floor() as usize;
            if count <= cols * rows {
                prop_assert!(points.iter().all(|p| view.holds_card(*p)));
            }
            // Centred: the middle of the grid is the middle of the view.
            let min_x = points.iter().map(|p| p.x).fold(f64::INFINITY, f64::min);
            let max_x = points.iter().map(|p| p.x).fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(((min_x + max_x) / 2.0 - (x + width / 2.0)).abs() < 1e-6);
        }
    }
}
