//! The trend chart: twelve weeks of a team's (or a member's) figures as one PNG, drawn in
//! process with plotters' bitmap backend and a font built into the binary (no system fonts,
//! no packages), and encoded with the `png` crate.

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;
use unicode_normalization::UnicodeNormalization;

/// The chart's size in pixels: wide enough for twelve week labels, and shown by Discord at
/// full width in an embed.
pub const WIDTH: u32 = 800;
/// See [`WIDTH`].
pub const HEIGHT: u32 = 400;

/// DejaVu Sans (Bitstream Vera licence, see assets/fonts/DejaVuSans.LICENSE): it covers
/// Vietnamese, including the stacked diacritics of "Thiết lập".
static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "partner-coach-sans";

/// An opaque light card: Discord shows images as they are, so one that carries its own
/// background reads the same on the dark and the light theme.
pub const BACKGROUND: RGBColor = RGBColor(0xF6, 0xF7, 0xF9);
const TEXT: RGBColor = RGBColor(0x2E, 0x33, 0x38);
const GRID: RGBColor = RGBColor(0xDD, 0xE0, 0xE4);
/// Participation (% of active members).
pub const PARTICIPATION: RGBColor = RGBColor(0x58, 0x65, 0xF2);
/// Keep rate (%).
pub const KEEP_RATE: RGBColor = RGBColor(0x23, 0x9B, 0x56);
/// Mean communication rating (1–5, right axis).
pub const RATING: RGBColor = RGBColor(0xE6, 0x7E, 0x22);

/// One week of the chart. `None` is a gap: a week under the privacy threshold (or without
/// answers) is never drawn as a zero.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartWeek {
    /// The label under the week ("W48").
    pub label: String,
    /// Share of active members who checked in, 0–1.
    pub participation: Option<f64>,
    /// Keep rate, 0–1.
    pub keep_rate: Option<f64>,
    /// Mean rating, 1–5.
    pub rating: Option<f64>,
}

/// The texts on the chart, in the team's language.
#[derive(Clone, Debug, Default)]
pub struct ChartLabels {
    /// The title.
    pub title: String,
    /// The three series' names, in the legend.
    pub participation: String,
    /// See above.
    pub keep_rate: String,
    /// See above.
    pub rating: String,
}

/// Which series a drawn point belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Series {
    /// Participation.
    Participation,
    /// Keep rate.
    KeepRate,
    /// Mean rating.
    Rating,
}

impl Series {
    /// Its colour on the chart.
    pub fn colour(self) -> RGBColor {
        match self {
            Series::Participation => PARTICIPATION,
            Series::KeepRate => KEEP_RATE,
            Series::Rating => RATING,
        }
    }
}

/// A rendered chart: the PNG, and where each point was drawn (for tests, which check the
/// pixels there).
#[derive(Clone, Debug)]
pub struct Chart {
    /// The encoded PNG.
    pub png: Vec<u8>,
    /// Each drawn point: its series, its week's index and its pixel.
    pub points: Vec<(Series, usize, (i32, i32))>,
    /// The x pixel of each week's column.
    pub columns: Vec<i32>,
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is a constant of the build: failing to read it is a bug that the chart
        // tests catch, and the chart is then left out (never a broken image).
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// How many rendered charts are kept: a lead asking again, or for last week, or the scheduled
/// digest after a `/digest` of the same week, gets the same picture without drawing it again.
const CACHED: usize = 128;

/// Values are drawn rounded to what a pixel can show (a percentage point is about three
/// pixels high): the same picture for figures that differ only below that, so a cached one
/// serves them.
fn quantize(weeks: &[ChartWeek]) -> Vec<ChartWeek> {
    let q = |v: Option<f64>, step: f64| v.map(|v| (v / step).round() * step);
    weeks
        .iter()
        .map(|w| ChartWeek {
            label: w.label.clone(),
            participation: q(w.participation, 0.005),
            keep_rate: q(w.keep_rate, 0.005),
            rating: q(w.rating, 0.02),
        })
        .collect()
}

fn cache_key(weeks: &[ChartWeek], labels: &ChartLabels) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&labels.title, &labels.participation, &labels.keep_rate, &labels.rating).hash(&mut h);
    for w in weeks {
        w.label.hash(&mut h);
        for v in [w.participation, w.keep_rate, w.rating] {
            v.map(f64::to_bits).hash(&mut h);
        }
    }
    h.finish()
}

static CACHE: std::sync::Mutex<Option<std::collections::HashMap<u64, Chart>>> = std::sync::Mutex::new(None);

/// Draws the weeks; `None` when there is nothing to draw (no week has any figure), so the
/// caller leaves the chart out rather than send an empty picture.
pub fn render(weeks: &[ChartWeek], labels: &ChartLabels) -> Option<Chart> {
    if weeks.iter().all(|w| w.participation.is_none() && w.keep_rate.is_none() && w.rating.is_none()) {
        return None;
    }
    let weeks = quantize(weeks);
    let key = cache_key(&weeks, labels);
    if let Some(hit) = CACHE.lock().expect("chart cache").as_ref().and_then(|c| c.get(&key)) {
        return Some(hit.clone());
    }
    let chart = draw_and_encode(&weeks, labels)?;
    store(key, &chart);
    Some(chart)
}

/// [`render`] without the cache: always draws and encodes (what `cargo bench` measures).
pub fn render_uncached(weeks: &[ChartWeek], labels: &ChartLabels) -> Option<Chart> {
    if weeks.iter().all(|w| w.participation.is_none() && w.keep_rate.is_none() && w.rating.is_none()) {
        return None;
    }
    draw_and_encode(&quantize(weeks), labels)
}

fn store(key: u64, chart: &Chart) {
    let mut cache = CACHE.lock().expect("chart cache");
    let cache = cache.get_or_insert_with(Default::default);
    // A full cache starts again: cheaper than tracking recency, and charts are small.
    if cache.len() >= CACHED {
        cache.clear();
    }
    cache.insert(key, chart.clone());
}

fn draw_and_encode(weeks: &[ChartWeek], labels: &ChartLabels) -> Option<Chart> {
    register_font();
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    let (points, columns) = match draw(&mut rgb, weeks, labels) {
        Ok(drawn) => drawn,
        Err(e) => {
            tracing::warn!(error = %e, "could not draw the trend chart; leaving it out");
            return None;
        }
    };
    let png = encode(&rgb).ok()?;
    Some(Chart { png, points, columns })
}

type Drawn = (Vec<(Series, usize, (i32, i32))>, Vec<i32>);

fn draw(rgb: &mut [u8], weeks: &[ChartWeek], labels: &ChartLabels) -> Result<Drawn, Box<dyn std::error::Error>> {
    let n = weeks.len().max(1);
    let root = BitMapBackend::with_buffer(rgb, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&BACKGROUND)?;
    let font = |size: u32| FontDesc::new(FontFamily::Name(FAMILY), f64::from(size), FontStyle::Normal).color(&TEXT);
    // NFC: a title typed with combining marks draws each mark once, on its letter.
    let title: String = labels.title.nfc().collect();
    let x_range = -0.5..(n as f64 - 0.5);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, font(20))
        .margin(14)
        // Room below the week labels for the legend, which never covers a point.
        .margin_bottom(40)
        .x_label_area_size(28)
        .y_label_area_size(44)
        .right_y_label_area_size(36)
        .build_cartesian_2d(x_range.clone(), 0.0..100.0)?
        .set_secondary_coord(x_range, 1.0..5.0);
    let label_of = |x: &f64| {
        let i = x.round();
        if (x - i).abs() > 0.01 || i < 0.0 {
            return String::new();
        }
        weeks.get(i as usize).map(|w| w.label.clone()).unwrap_or_default()
    };
    chart
        .configure_mesh()
        .x_labels(n)
        .x_label_formatter(&label_of)
        .y_labels(6)
        .y_label_formatter(&|y| format!("{y:.0}%"))
        .label_style(font(13))
        .axis_style(GRID)
        // Only the labelled grid lines: the light lines between them were drawn in the
        // background's colour, invisible work on every chart.
        .max_light_lines(0)
        .bold_line_style(GRID)
        .draw()?;
    chart.configure_secondary_axes().y_labels(5).y_label_formatter(&|y| format!("{y:.0}")).label_style(font(13)).axis_style(GRID).draw()?;

    let mut points = Vec::new();
    let columns = (0..n).map(|i| chart.backend_coord(&(i as f64, 0.0)).0).collect();
    // Each series as runs of consecutive weeks with a value: a gap stays a gap.
    let runs = |values: Vec<Option<f64>>| -> Vec<Vec<(f64, f64)>> {
        let mut runs = vec![Vec::new()];
        for (i, v) in values.into_iter().enumerate() {
            match v {
                Some(v) => runs.last_mut().expect("one run").push((i as f64, v)),
                None if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
                None => {}
            }
        }
        runs.retain(|r| !r.is_empty());
        runs
    };
    let series = [
        (Series::Participation, &labels.participation, weeks.iter().map(|w| w.participation.map(|p| p * 100.0)).collect::<Vec<_>>()),
        (Series::KeepRate, &labels.keep_rate, weeks.iter().map(|w| w.keep_rate.map(|p| p * 100.0)).collect()),
    ];
    for (s, _, values) in series {
        let colour = s.colour();
        for run in runs(values) {
            chart.draw_series(LineSeries::new(run.clone(), colour.stroke_width(3)))?;
            chart.draw_series(run.iter().map(|&(x, y)| Circle::new((x, y), 5, colour.filled())))?;
            points.extend(run.iter().map(|&(x, y)| (s, x as usize, chart.backend_coord(&(x, y)))));
        }
    }
    let ratings: Vec<Option<f64>> = weeks.iter().map(|w| w.rating.map(|r| r.clamp(1.0, 5.0))).collect();
    for run in runs(ratings) {
        chart.draw_secondary_series(LineSeries::new(run.clone(), RATING.stroke_width(3)))?;
        chart.draw_secondary_series(run.iter().map(|&(x, y)| Circle::new((x, y), 5, RATING.filled())))?;
        // The secondary axis maps 1–5 onto the same height as 0–100.
        points.extend(run.iter().map(|&(x, y)| (Series::Rating, x as usize, chart.backend_coord(&(x, (y - 1.0) * 25.0)))));
    }
    drop(chart);
    // The legend, in the band below the chart.
    let y = HEIGHT as i32 - 20;
    let mut x = 60;
    let named = [(Series::Participation, &labels.participation), (Series::KeepRate, &labels.keep_rate), (Series::Rating, &labels.rating)];
    // A series without a name (a member's history has no participation) has no legend.
    for (s, name) in named.into_iter().filter(|(_, n)| !n.is_empty()) {
        root.draw(&PathElement::new(vec![(x, y), (x + 22, y)], s.colour().stroke_width(3)))?;
        let name: String = name.nfc().collect();
        root.draw(&Text::new(name.clone(), (x + 30, y - 8), font(14)))?;
        let (w, _) = root.estimate_text_size(&name, &font(14))?;
        x += 30 + w as i32 + 36;
    }
    root.present()?;
    drop(root);
    Ok((points, columns))
}

fn encode(rgb: &[u8]) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        // Default, not Best: Best took two thirds of the chart's time for 5% fewer bytes.
        enc.set_compression(png::Compression::Default);
        let mut w = enc.write_header()?;
        w.write_image_data(rgb)?;
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Decodes a PNG to (width, height, RGB bytes).
    pub fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(png_bytes).read_info().expect("a valid PNG");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("one frame");
        assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Rgb, png::BitDepth::Eight));
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    fn pixel(rgb: &[u8], (x, y): (i32, i32)) -> RGBColor {
        let i = ((y as u32 * WIDTH + x as u32) * 3) as usize;
        RGBColor(rgb[i], rgb[i + 1], rgb[i + 2])
    }

    pub fn sample_weeks() -> Vec<ChartWeek> {
        weeks()
    }

    fn weeks() -> Vec<ChartWeek> {
        (0..12)
            .map(|i| ChartWeek {
                label: format!("W{}", 37 + i),
                // Three bands that never cross, so each point's pixel is its own series'.
                participation: Some(0.2 + 0.03 * i as f64),
                // Week 5 is under the privacy threshold for commitments.
                keep_rate: (i != 5).then_some(0.95 - 0.01 * i as f64),
                rating: Some(1.2 + 0.02 * i as f64),
            })
            .collect()
    }

    fn labels() -> ChartLabels {
        ChartLabels {
            title: "Last 12 weeks".into(),
            participation: "Participation".into(),
            keep_rate: "Kept".into(),
            rating: "Rating".into(),
        }
    }

    #[test]
    fn the_chart_is_a_small_png_with_each_series_where_the_data_says() {
        let chart = render(&weeks(), &labels()).expect("data to draw");
        assert!(chart.png.len() < 200 * 1024, "{} bytes", chart.png.len());
        let (w, h, rgb) = decode(&chart.png);
        assert_eq!((w, h), (WIDTH, HEIGHT));
        let drawn = |s: Series| chart.points.iter().filter(|p| p.0 == s).count();
        assert_eq!((drawn(Series::Participation), drawn(Series::KeepRate), drawn(Series::Rating)), (12, 11, 12));
        for &(series, week, at) in &chart.points {
            assert_eq!(pixel(&rgb, at), series.colour(), "{series:?} of week {week} at {at:?}");
        }
        // Higher values are drawn higher: participation rises week by week.
        let ys: Vec<i32> = chart.points.iter().filter(|p| p.0 == Series::Participation).map(|p| p.2 .1).collect();
        assert!(ys.windows(2).all(|w| w[1] < w[0]), "{ys:?}");
    }

    #[test]
    fn a_suppressed_week_is_a_gap_never_a_zero() {
        let chart = render(&weeks(), &labels()).unwrap();
        let (_, _, rgb) = decode(&chart.png);
        // No keep-rate colour anywhere in week 5's column: no point, no line through it.
        let x = chart.columns[5];
        let top = chart.points.iter().map(|p| p.2 .1).min().unwrap() - 20;
        let bottom = chart.points.iter().map(|p| p.2 .1).max().unwrap() + 20;
        assert!((top..bottom).all(|y| pixel(&rgb, (x, y)) != KEEP_RATE), "week 5's keep rate is drawn");
        // The weeks beside it have theirs.
        assert!(chart.points.iter().any(|p| p.0 == Series::KeepRate && p.1 == 4));
        assert!(chart.points.iter().any(|p| p.0 == Series::KeepRate && p.1 == 6));
    }

    #[test]
    fn figures_that_differ_below_a_pixel_get_the_same_picture_and_others_a_new_one() {
        let a = weeks();
        let mut b = weeks();
        b[3].participation = b[3].participation.map(|p| p + 0.0004);
        let mut c = weeks();
        c[3].participation = c[3].participation.map(|p| p + 0.05);
        let (ra, rb, rc) = (render(&a, &labels()).unwrap(), render(&b, &labels()).unwrap(), render(&c, &labels()).unwrap());
        assert_eq!(ra.png, rb.png);
        assert_ne!(ra.png, rc.png);
        assert_eq!(render_uncached(&b, &labels()).unwrap().png, ra.png, "the cache gives what drawing would");
    }

    #[test]
    fn nothing_to_draw_is_no_chart() {
        let empty: Vec<ChartWeek> = (0..12).map(|i| ChartWeek { label: format!("W{i}"), ..Default::default() }).collect();
        assert!(render(&empty, &labels()).is_none());
        assert!(render(&[], &labels()).is_none());
    }

    #[test]
    fn a_vietnamese_title_with_diacritics_is_drawn_in_the_built_in_font() {
        let vi = ChartLabels { title: "Xu hướng 12 tuần: Thiết lập".into(), ..labels() };
        // The same title typed with combining marks (NFD) draws the same picture.
        let nfd = ChartLabels { title: vi.title.nfd().collect(), ..labels() };
        let (a, b) = (render(&weeks(), &vi).unwrap(), render(&weeks(), &nfd).unwrap());
        assert_eq!(decode(&a.png).2, decode(&b.png).2);
        // And the title is drawn at all: the caption band has text pixels.
        let (_, _, rgb) = decode(&a.png);
        let dark = (0..WIDTH as i32).flat_map(|x| (0..40).map(move |y| (x, y))).filter(|&p| pixel(&rgb, p) == TEXT).count();
        assert!(dark > 50, "{dark} title pixels");
    }
}

#[cfg(test)]
mod preview {
    /// Writes a sample chart to $CHART_PREVIEW (a look at it by eye; not a test of anything).
    #[test]
    fn write_a_preview_when_asked() {
        let Ok(path) = std::env::var("CHART_PREVIEW") else { return };
        let weeks = super::tests::sample_weeks();
        let labels = super::ChartLabels {
            title: "Xu hướng 12 tuần · Thiết kế".into(),
            participation: "Tham gia".into(),
            keep_rate: "Giữ cam kết".into(),
            rating: "Giao tiếp (1–5)".into(),
        };
        std::fs::write(path, super::render(&weeks, &labels).unwrap().png).unwrap();
    }
}
