//! The benchmark's results: one row per figure with its budget and
//! whether it was met, printed as a table under the machine's description
//! and written as JSON. A figure without a budget is context (`info`).

use serde::Serialize;
use serde_json::{json, Value};

/// How a figure compares with its budget.
#[derive(Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Met,
    Missed,
    /// No budget: shown for context.
    Info,
    /// Could not be measured (the row's note says why).
    Failed,
}

#[derive(Serialize)]
pub struct Row {
    pub item: &'static str,
    pub figure: String,
    pub value: f64,
    pub unit: &'static str,
    pub budget: String,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

#[derive(Default)]
pub struct Report {
    pub rows: Vec<Row>,
}

impl Report {
    /// A figure that must be at most `budget`.
    pub fn at_most(
        &mut self,
        item: &'static str,
        figure: &str,
        value: f64,
        unit: &'static str,
        budget: f64,
    ) {
        self.push(
            item,
            figure,
            value,
            unit,
            format!("≤ {}", show(budget)),
            value <= budget,
        );
    }

    /// A figure that must be at least `budget`.
    pub fn at_least(
        &mut self,
        item: &'static str,
        figure: &str,
        value: f64,
        unit: &'static str,
        budget: f64,
    ) {
        self.push(
            item,
            figure,
            value,
            unit,
            format!("≥ {}", show(budget)),
            value >= budget,
        );
    }

    pub fn info(&mut self, item: &'static str, figure: &str, value: f64, unit: &'static str) {
        self.rows.push(Row {
            item,
            figure: figure.to_owned(),
            value,
            unit,
            budget: String::new(),
            verdict: Verdict::Info,
            note: String::new(),
        });
    }

    /// An item that could not be measured: reported, never hidden.
    pub fn failed(&mut self, item: &'static str, figure: &str, why: &str) {
        self.rows.push(Row {
            item,
            figure: figure.to_owned(),
            value: f64::NAN,
            unit: "",
            budget: String::new(),
            verdict: Verdict::Failed,
            note: why.to_owned(),
        });
    }

    /// Adds a note to the last row.
    pub fn note(&mut self, note: String) {
        if let Some(row) = self.rows.last_mut() {
            row.note = note;
        }
    }

    fn push(
        &mut self,
        item: &'static str,
        figure: &str,
        value: f64,
        unit: &'static str,
        budget: String,
        met: bool,
    ) {
        self.rows.push(Row {
            item,
            figure: figure.to_owned(),
            value,
            unit,
            budget,
            verdict: if met { Verdict::Met } else { Verdict::Missed },
            note: String::new(),
        });
    }

    pub fn print(&self, machine: &Value) {
        println!(
            "\nmachine: {}",
            machine["description"].as_str().unwrap_or("")
        );
        println!(
            "{:<4} {:<58} {:>12} {:<6} {:<10} verdict",
            "item", "figure", "value", "unit", "budget"
        );
        for row in &self.rows {
            let verdict = match row.verdict {
                Verdict::Met => "met",
                Verdict::Missed => "MISSED",
                Verdict::Info => "",
                Verdict::Failed => "NOT MEASURED",
            };
            println!(
                "{:<4} {:<58} {:>12} {:<6} {:<10} {}{}",
                row.item,
                row.figure,
                show(row.value),
                row.unit,
                row.budget,
                verdict,
                if row.note.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", row.note)
                }
            );
        }
    }

    pub fn json(&self, machine: &Value) -> Value {
        json!({ "machine": machine, "rows": self.rows })
    }
}

/// A figure as people read it: thousands separated, few decimals.
pub fn show(value: f64) -> String {
    if value.is_nan() {
        return "-".to_owned();
    }
    let decimals = if value.abs() >= 100.0 {
        0
    } else if value.abs() >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{value:.decimals$}");
    let (whole, fraction) = text
        .split_once('.')
        .map_or((text.as_str(), ""), |(w, f)| (w, f));
    let (sign, digits) = whole.strip_prefix('-').map_or(("", whole), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{fraction}")
    }
}

/// The machine the figures come from: CPU, cores, memory, kernel, rustc.
pub fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|r| r.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    let kernel = command_line("uname", &["-sr"]);
    let rustc = command_line("rustc", &["--version"]);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    json!({
        "cpu": cpu, "cores": cores, "memory_gib": (memory_gib * 10.0).round() / 10.0,
        "kernel": kernel, "rustc": rustc, "load_average_at_start": load,
        "description": format!(
            "{cpu}, {cores} cores, {memory_gib:.1} GiB, {kernel}, {rustc}; load average {load} at start"
        ),
    })
}

fn command_line(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// The `q` quantile (0..=1) of sorted values.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index]
}
