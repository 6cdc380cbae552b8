//! Reading an import file (a JSON array of objects, or CSV with a header
//! row) into rows, and turning a row into the card or app card it asks for.
//! A bad value is reported with its row and column; nothing is sent for
//! that row.

use crate::miro::{
    AppCardChanges, AppCardStatus, AppCardStyle, AppCardWrite, CardData, CardField, CardStyle,
    CardWrite, NewItem, Point,
};

/// One input row: its number (line in a CSV, position in a JSON array)
/// and its columns in file order.
pub struct Row {
    pub number: usize,
    pub columns: Vec<(String, String)>,
}

impl Row {
    pub fn get(&self, column: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// Columns with a meaning of their own; others become app-card fields.
const KNOWN: &[&str] = &[
    "title",
    "description",
    "status",
    "color",
    "x",
    "y",
    "tags",
    "assignee_id",
    "due_date",
];

pub fn read(path: &std::path::Path) -> Result<Vec<Row>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        let values: Vec<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_str(&text)
                .map_err(|e| format!("{}: expected an array of objects: {e}", path.display()))?;
        return Ok(values
            .into_iter()
            .enumerate()
            .map(|(i, object)| Row {
                number: i + 1,
                columns: object
                    .into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                    .collect(),
            })
            .collect());
    }
    let mut records = super::csv::parse(&text)?.into_iter();
    let Some((_, header)) = records.next() else {
        return Ok(Vec::new());
    };
    Ok(records
        .map(|(line, values)| Row {
            number: line,
            columns: header
                .iter()
                .cloned()
                .zip(values.into_iter().chain(std::iter::repeat(String::new())))
                .collect(),
        })
        .collect())
}

fn is_hex_color(value: &str) -> bool {
    value
        .strip_prefix('#')
        .is_some_and(|h| h.len() == 6 && h.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The item a row describes, or what is wrong with it.
pub fn to_item(row: &Row, app_card: bool, key_column: &str) -> Result<NewItem, String> {
    let wrong =
        |column: &str, message: String| format!("row {}, column {column}: {message}", row.number);
    let number = |column: &str| -> Result<Option<f64>, String> {
        row.get(column)
            .map(|v| {
                v.trim()
                    .parse::<f64>()
                    .map_err(|_| wrong(column, format!("'{v}' is not a number")))
            })
            .transpose()
    };
    let (x, y) = (number("x")?, number("y")?);
    let position = (x.is_some() || y.is_some()).then(|| Point {
        x: x.unwrap_or(0.0),
        y: y.unwrap_or(0.0),
    });
    let color = row.get("color").map(str::to_owned);
    if let Some(color) = &color {
        if !is_hex_color(color) {
            return Err(wrong(
                "color",
                format!("'{color}' is not a colour such as #2d9bf0"),
            ));
        }
    }
    if app_card {
        let status = match row.get("status") {
            None => None,
            Some("connected") => Some(AppCardStatus::Connected),
            Some("disconnected") => Some(AppCardStatus::Disconnected),
            Some("disabled") => Some(AppCardStatus::Disabled),
            Some(other) => {
                return Err(wrong(
                    "status",
                    format!("'{other}' is not connected, disconnected or disabled"),
                ))
            }
        };
        let fields: Vec<CardField> = row
            .columns
            .iter()
            .filter(|(c, v)| !v.is_empty() && c != key_column && !KNOWN.contains(&c.as_str()))
            .map(|(c, v)| CardField {
                value: Some(v.clone()),
                tooltip: Some(c.clone()),
                ..CardField::default()
            })
            .collect();
        Ok(NewItem::AppCard(AppCardWrite {
            data: Some(AppCardChanges {
                title: row.get("title").map(str::to_owned),
                description: row.get("description").map(str::to_owned),
                status,
                fields: (!fields.is_empty()).then_some(fields),
            }),
            style: color.map(|c| AppCardStyle {
                fill_color: Some(c),
            }),
            position,
            ..AppCardWrite::default()
        }))
    } else {
        Ok(NewItem::Card(CardWrite {
            data: Some(CardData {
                title: row.get("title").map(str::to_owned),
                description: row.get("description").map(str::to_owned),
                assignee_id: row.get("assignee_id").map(str::to_owned),
                due_date: row.get("due_date").map(str::to_owned),
            }),
            style: color.map(|c| CardStyle {
                card_theme: Some(c),
            }),
            position,
            ..CardWrite::default()
        }))
    }
}
