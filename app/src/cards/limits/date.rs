//! Calendar dates as records keep them (`YYYY-MM-DD`): reading them and
//! saying, in words for the user, what is wrong with one that is not real.

/// Reads a calendar date `YYYY-MM-DD` (years 0001 to 9999, leap years
/// counted) into (year, month, day); `None` for anything else.
pub fn parse_date(value: &str) -> Option<(u32, u32, u32)> {
    let (year, month, day) = split_date(value)?;
    (year >= 1 && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
        .then_some((year, month, day))
}

/// Checks a due date: "" (none) or a real calendar date `YYYY-MM-DD`.
pub fn check_date(value: &str) -> Result<(), String> {
    if value.is_empty() || parse_date(value).is_some() {
        return Ok(());
    }
    let Some((year, month, _)) = split_date(value) else {
        return Err("Use a date like 2026-11-25 (year-month-day).".to_owned());
    };
    if year == 0 {
        Err("There is no year 0000: use a date like 2026-11-25.".to_owned())
    } else if !(1..=12).contains(&month) {
        Err(format!(
            "There is no month {month:02}: use a date like 2026-11-25."
        ))
    } else {
        let days = days_in_month(year, month);
        let name = MONTH_NAMES[month as usize - 1];
        Err(format!(
            "{value} is not a real date: {name} {year} has {days} days."
        ))
    }
}

/// English month names, January first.
pub(crate) const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `YYYY-MM-DD` with digits in the right places, not yet checked as a date.
fn split_date(value: &str) -> Option<(u32, u32, u32)> {
    let bytes = value.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    Some((
        value[..4].parse().ok()?,
        value[5..7].parse().ok()?,
        value[8..].parse().ok()?,
    ))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}
