//! `cargo bench --bench chart`: drawing and encoding the digest's trend chart (target: median
//! ≤ 15 ms). A median of many runs, printed; no assertions (machines here are shared and noisy).

use std::time::{Duration, Instant};

use partner_coach::chart::{render, render_uncached, ChartLabels, ChartWeek};

fn main() {
    // Twelve weeks with every series and one gap, as a real team's chart has.
    let weeks: Vec<ChartWeek> = (0..12)
        .map(|i| ChartWeek {
            label: format!("W{}", 37 + i),
            participation: Some(0.55 + 0.02 * f64::from(i)),
            keep_rate: (i != 4).then_some(0.7 + 0.01 * f64::from(i % 5)),
            rating: Some(3.2 + 0.1 * f64::from(i % 4)),
        })
        .collect();
    let labels = ChartLabels {
        title: "12 tuần gần đây (2026-W37 đến 2026-W48) · Thiết kế".into(),
        participation: "Mức tham gia".into(),
        keep_rate: "Cam kết đã giữ".into(),
        rating: "Giao tiếp (1–5)".into(),
    };
    let first = render_uncached(&weeks, &labels).expect("a chart");
    let time = |f: &dyn Fn() -> Option<partner_coach::chart::Chart>| {
        let mut times: Vec<Duration> = (0..200)
            .map(|_| {
                let s = Instant::now();
                std::hint::black_box(f().expect("a chart"));
                s.elapsed()
            })
            .collect();
        times.sort();
        (times[times.len() / 2].as_secs_f64() * 1e3, times[times.len() * 9 / 10].as_secs_f64() * 1e3)
    };
    let (median, p90) = time(&|| render_uncached(&weeks, &labels));
    println!(
        "chart: draw + PNG encode, 800×400: median {median:.2} ms (p90 {p90:.2} ms), {} bytes (target ≤ 15 ms, < 200 KB)",
        first.png.len()
    );
    let (median, p90) = time(&|| render(&weeks, &labels));
    println!("chart: the same picture again, from the cache: median {median:.3} ms (p90 {p90:.3} ms)");
}
